/**
 * A grid selection as text in the formats people paste into other tools: TSV (spreadsheets),
 * CSV (RFC 4180), JSON (an array of objects), Markdown (a table) and SQL INSERT statements.
 * Values are the result's JSON values: numbers stay bare, NULL stays NULL where the format has one.
 */
import { shownValue, tsv, valueText } from './format'
import type { Column } from './protocol'
import type { JsonValue } from './validate'

export const COPY_FORMATS = ['tsv', 'csv', 'json', 'markdown', 'sql'] as const
export type CopyFormat = (typeof COPY_FORMATS)[number]

export const COPY_FORMAT_LABELS: Record<CopyFormat, string> = {
  tsv: 'TSV (with header)',
  csv: 'CSV',
  json: 'JSON',
  markdown: 'Markdown table',
  sql: 'SQL INSERT',
}

/** Timestamps are copied as the grid shows them (`2026-11-24 10:00:03.250 UTC`), in every format. */
export function formatRows(format: CopyFormat, columns: Column[], values: JsonValue[][], table = 'result'): string {
  const rows = values.map((row) => row.map((v, i) => shownValue(v, columns[i]?.type)))
  switch (format) {
    case 'tsv':
      return tsv([columns.map((c) => c.name), ...rows])
    case 'csv':
      return [columns.map((c) => csvField(c.name)), ...rows.map((row) => row.map((v) => (v === null ? '' : csvField(valueText(v)))))]
        .map((r) => r.join(','))
        .join('\r\n')
    case 'json':
      return JSON.stringify(
        rows.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i] ?? null]))),
        null,
        2,
      )
    case 'markdown':
      return markdown(columns, rows)
    case 'sql':
      return rows
        .map((row) => `INSERT INTO ${sqlName(table)} (${columns.map((c) => sqlName(c.name)).join(', ')}) VALUES (${row.map(sqlLiteral).join(', ')});`)
        .join('\n')
  }
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function markdown(columns: Column[], rows: JsonValue[][]): string {
  const cell = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, '<br>')
  const lines = [
    `| ${columns.map((c) => cell(c.name)).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map((v) => cell(valueText(v))).join(' | ')} |`),
  ]
  return lines.join('\n')
}

/** A table or column name as a SQL identifier: bare when it is a plain word, else double-quoted. */
function sqlName(name: string): string {
  return name.split('.').every((part) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) ? name : `"${name.replaceAll('"', '""')}"`
}

function sqlLiteral(value: JsonValue): string {
  if (value === null) return 'NULL'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE'
  return `'${valueText(value).replaceAll("'", "''")}'`
}
