/**
 * Time travel in a query's text: `VERSION AS OF n`, `TIMESTAMP AS OF '…'` and Delta's
 * `name@v3` / `name@yyyyMMddHHmmssSSS`, as the version or time they ask for.
 */
import { DeltaError } from '../delta'
import { unquoteLiteral } from './sql-text'

/** The version or time an `AS OF` clause names, and the suffix its synthetic table name gets. */
export function asOf(kind: string | undefined, value: string | undefined): { version?: number; timestamp?: number; suffix: string } {
  if (!kind || !value) return { suffix: '' }
  if (kind.toUpperCase() === 'VERSION') return { version: Number(value), suffix: `@v${value}` }
  const text = unquoteLiteral(value)
  const timestamp = parseTimestamp(text)
  return { timestamp, suffix: `@t${timestamp}` }
}

/** `yyyyMMddHHmmssSSS` (Delta's `name@…` form, UTC) → ms since the epoch. */
export function compactTimestamp(text: string): number {
  const part = (from: number, to: number) => text.slice(from, to)
  return parseTimestamp(`${part(0, 4)}-${part(4, 6)}-${part(6, 8)}T${part(8, 10)}:${part(10, 12)}:${part(12, 14)}.${part(14, 17)}`)
}

/** `'2026-11-24 10:00'` and ISO forms; without a zone the time is UTC. */
export function parseTimestamp(text: string): number {
  const iso = text.trim().replace(' ', 'T')
  const ms = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`)
  if (Number.isNaN(ms)) throw new DeltaError('INVALID_ARGUMENT', `'${text}' is not a timestamp (use e.g. '2026-11-24 10:00:00' (UTC) or ISO-8601)`)
  return ms
}
