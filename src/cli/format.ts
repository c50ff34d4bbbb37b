/** Printing query results: an aligned text table, CSV (RFC 4180) or JSON (an array of row objects). */
import type { Json } from '@duckdb/node-api'
import type { QueryOutput } from '../query/run-query'

export type OutputFormat = 'table' | 'json' | 'csv'

function cellText(value: Json): string {
  if (value === null) return 'NULL'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export function formatTable(output: QueryOutput, maxWidth = 48): string {
  const header = output.columns.map((c) => c.name)
  const body = output.rows.map((row) => output.columns.map((c) => cellText(row[c.name])))
  const clip = (text: string) => (text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text).replace(/[\r\n\t]/g, ' ')
  const widths = header.map((h, i) => Math.max(clip(h).length, ...body.map((r) => clip(r[i]).length)))
  const line = (cells: string[]) => cells.map((c, i) => clip(c).padEnd(widths[i])).join(' | ').trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-')
  const count = `(${output.rows.length} row${output.rows.length === 1 ? '' : 's'})`
  return [line(header), rule, ...body.map(line), count].join('\n') + '\n'
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

export function formatOutput(output: QueryOutput, format: OutputFormat): string {
  if (format === 'json') return formatJson(output)
  if (format === 'csv') return formatCsv(output)
  return formatTable(output)
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
