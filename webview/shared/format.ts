/** How values read on screen: cells, byte sizes, durations, commit times. Plain text only. */
import type { JsonValue } from './validate'

/** Cells longer than this are cut on screen (the copy and the export keep the whole value). */
export const CELL_CHARS = 500

/** A value as one line of text: NULL for null, JSON for nested values. */
export function valueText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

export function cellText(value: JsonValue | undefined): string {
  const text = valueText(value)
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text
}

/** Tab-separated rows as spreadsheets paste them: tabs and newlines inside a value become spaces. */
export function tsv(rows: (JsonValue | undefined)[][]): string {
  return rows.map((row) => row.map((v) => (v === null || v === undefined ? '' : valueText(v)).replace(/[\t\r\n]+/g, ' ')).join('\t')).join('\n')
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
}

/** `2026-11-24 10:00:03 UTC`: commit times are shown in UTC, as the SQL surface reads them. */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return ''
  return `${new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
    .replace(/Z$/, '')} UTC`
}

/**
 * A timestamp value of a result (ISO text: `Z` for a Delta `timestamp`, none for `timestamp_ntz`)
 * in the panels' one format: `2026-11-24 10:00:03.250 UTC`, the fraction only when there is one,
 * no zone for a timestamp without one. Other text is returned as it is.
 */
export function timestampText(value: string): string {
  const match = /^(-?\d{4,}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z)?$/.exec(value)
  if (!match) return value
  const fraction = match[3] && !/^\.0+$/.test(match[3]) ? match[3] : ''
  return `${match[1]} ${match[2]}${fraction}${match[4] ? ' UTC' : ''}`
}

/**
 * A value as the panels show it, for the copies and viewers that start from the result's JSON
 * values: a timestamp column's ISO text in timestampText's format, anything else as it is.
 */
export function shownValue<V extends JsonValue | undefined>(value: V, type: string | undefined): V | string {
  return typeof value === 'string' && type !== undefined && isTimestampType(type) ? timestampText(value) : value
}

/** Whether a DuckDB or Delta type is a timestamp (its values are shown by timestampText). */
export function isTimestampType(type: string): boolean {
  return /^(TIMESTAMP|timestamp)/.test(type)
}

/** Whether a DuckDB or Delta type holds numbers (right-aligned, chartable). */
export function isNumericType(type: string): boolean {
  return /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL|byte|short|integer|long|float|double|decimal)/i.test(
    type,
  )
}
