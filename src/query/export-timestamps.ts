/**
 * Timestamps in exported CSV and JSON lines read as the panels show them: `2026-11-24
 * 10:00:03.250 UTC` for a `timestamp` (with time zone), no zone for a `timestamp_ntz`, the
 * fraction in milli- or microseconds and only when there is one (see webview/shared/format.ts,
 * timestampText, and json-values.ts, which the grid's values come from). Parquet keeps its types.
 */
import { quoteIdentifier } from '../delta'

export interface ExportColumn {
  name: string
  /** DuckDB's type, e.g. `TIMESTAMP WITH TIME ZONE`. */
  type: string
}

/** The select list of an export: every column as it is, timestamp columns as the panels' text. */
export function exportSelectList(columns: ExportColumn[], format: 'csv' | 'parquet' | 'jsonl'): string {
  if (format === 'parquet' || !columns.some((c) => timestampKind(c.type))) return '*'
  return columns
    .map((c) => {
      const name = quoteIdentifier(c.name)
      const kind = timestampKind(c.type)
      return kind ? `${timestampTextSql(name, kind === 'utc')} AS ${name}` : name
    })
    .join(', ')
}

function timestampKind(type: string): 'utc' | 'local' | undefined {
  if (/^TIMESTAMP WITH TIME ZONE$|^TIMESTAMPTZ$/i.test(type)) return 'utc'
  if (/^TIMESTAMP(_S|_MS|_NS)?$/i.test(type)) return 'local'
  return undefined
}

/** SQL text of a timestamp value in the panels' format (infinite values as DuckDB writes them). */
function timestampTextSql(column: string, utc: boolean): string {
  const ts = utc ? `timezone('UTC', ${column})` : `${column}::TIMESTAMP`
  const fraction = `CASE WHEN strftime(${ts}, '%f') = '000000' THEN '' WHEN right(strftime(${ts}, '%f'), 3) = '000' THEN '.' || strftime(${ts}, '%g') ELSE '.' || strftime(${ts}, '%f') END`
  return `CASE WHEN ${column} IS NULL THEN NULL WHEN isinf(${ts}) THEN ${column}::VARCHAR ELSE strftime(${ts}, '%Y-%m-%d %H:%M:%S') || ${fraction}${utc ? ` || ' UTC'` : ''} END`
}
