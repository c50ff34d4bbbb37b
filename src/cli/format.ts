/**
 * Printing query results: an aligned text table that fits the terminal, Markdown, CSV (RFC 4180) or
 * JSON (an array of row objects).
 */
import type { Json } from '../query'
import type { QueryOutput } from '../query'

export type OutputFormat = 'table' | 'json' | 'csv' | 'markdown'

function cellText(value: Json): string {
  if (value === null) return 'NULL'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** The narrowest a column is squeezed to when the table is wider than the terminal. */
const MIN_COLUMN = 8

/** `text` in `width` characters: the middle is elided, so both the start and the end stay readable. */
export function elide(text: string, width: number): string {
  if (text.length <= width) return text
  if (width <= 1) return '…'.slice(0, width)
  const head = Math.ceil((width - 1) / 2)
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`
}

/**
 * The aligned table. With `width` (the terminal's), the widest columns are narrowed until the
 * table fits, each cell elided in the middle; no row and no column is ever dropped.
 */
export function formatTable(output: QueryOutput, width?: number): string {
  const flat = (text: string) => text.replace(/[\r\n\t]/g, ' ')
  const header = output.columns.map((c) => flat(c.name))
  const body = output.rows.map((row) => output.columns.map((c) => flat(cellText(row[c.name]))))
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)))
  if (width !== undefined) fitColumns(widths, width)
  const line = (cells: string[]) =>
    cells
      .map((c, i) => elide(c, widths[i]).padEnd(widths[i]))
      .join(' | ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-')
  const count = `(${output.rows.length} row${output.rows.length === 1 ? '' : 's'})`
  return [line(header), rule, ...body.map(line), count].join('\n') + '\n'
}

/** Narrows the widest columns, one character at a time, until the row fits `width` (or all are at the minimum). */
function fitColumns(widths: number[], width: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + 3 * Math.max(0, widths.length - 1)
  let excess = total() - width
  while (excess > 0) {
    let widest = -1
    for (let i = 0; i < widths.length; i++) if (widths[i] > MIN_COLUMN && (widest < 0 || widths[i] > widths[widest])) widest = i
    if (widest < 0) return
    widths[widest]--
    excess--
  }
}

/** GitHub-flavoured Markdown: pipes escaped, line breaks as <br>. */
export function formatMarkdown(output: QueryOutput): string {
  const cell = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, '<br>')
  const lines = [
    `| ${output.columns.map((c) => cell(c.name)).join(' | ')} |`,
    `|${output.columns.map((c) => (/INT|DOUBLE|FLOAT|DECIMAL|BIGINT/.test(c.type) ? ' ---: ' : ' --- ')).join('|')}|`,
    ...output.rows.map((row) => `| ${output.columns.map((c) => cell(cellText(row[c.name]))).join(' | ')} |`),
  ]
  return lines.join('\n') + '\n'
}

export function formatCsv(output: QueryOutput): string {
  const quote = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text)
  const lines = [output.columns.map((c) => quote(c.name)).join(',')]
  for (const row of output.rows) {
    lines.push(output.columns.map((c) => (row[c.name] === null ? '' : quote(cellText(row[c.name])))).join(','))
  }
  return lines.join('\r\n') + '\r\n'
}

export function formatJson(output: QueryOutput): string {
  return JSON.stringify(output.rows, null, 2) + '\n'
}

/** The width a table should fit: the terminal's, or COLUMNS; none when printing to a pipe or file. */
export function terminalWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns
  const columns = Number(process.env.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : undefined
}

export function formatOutput(output: QueryOutput, format: OutputFormat): string {
  if (format === 'json') return formatJson(output)
  if (format === 'csv') return formatCsv(output)
  if (format === 'markdown') return formatMarkdown(output)
  return formatTable(output, terminalWidth())
}

/** 1536 → `1.50 KiB`, 2 621 440 → `2.50 MiB`, 999 → `999 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}
