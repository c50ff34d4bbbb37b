/**
 * Skipping files by what the log says about them: a file whose partition value or column
 * min/max statistics cannot overlap a range of values need not be read. Only ever answers "skip"
 * when that is certain; anything unknown means "may match".
 */
import type { AddFile } from './actions'
import { canonicalPartitionValue } from './partition-values'
import type { DataType } from './schema'
import { parseStats } from './stats'

export interface ValueRange {
  column: string
  type: DataType
  /** Bounds in the JSON form query results use (numbers, digit strings, ISO dates and timestamps). NULL keys match nothing under `=`. */
  min: unknown
  max: unknown
}

type Comparable = { kind: 'number'; value: bigint | number } | { kind: 'text'; value: string } | { kind: 'time'; value: number }

function comparable(value: unknown, type: DataType): Comparable | undefined {
  if (value === null || value === undefined || typeof type !== 'string') return undefined
  switch (type) {
    case 'byte': case 'short': case 'integer': case 'long': {
      const text = String(value)
      return /^-?\d+$/.test(text) ? { kind: 'number', value: BigInt(text) } : undefined
    }
    case 'float': case 'double': {
      const n = Number(value)
      return Number.isFinite(n) ? { kind: 'number', value: n } : undefined
    }
    case 'date': return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? { kind: 'text', value } : undefined
    case 'timestamp': case 'timestamp_ntz': {
      const text = String(value).replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00')
      const ms = Date.parse(/[zZ]|[+-]\d{2}(:?\d{2})?$/.test(text) ? text : `${text}Z`)
      return Number.isNaN(ms) ? undefined : { kind: 'time', value: ms }
    }
    case 'string': return typeof value === 'string' ? { kind: 'text', value } : undefined
    default: return undefined
  }
}

function compare(a: Comparable, b: Comparable): number {
  if (a.kind === 'text' && b.kind === 'text') return Buffer.compare(Buffer.from(a.value), Buffer.from(b.value))
  const x = a.value
  const y = b.value
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0
  return Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0
}

/** False only when the file certainly holds no value of `range.column` within [min, max]. */
export function fileMayContain(add: AddFile, range: ValueRange, partitionColumns: string[]): boolean {
  const low = comparable(range.min, range.type)
  const high = comparable(range.max, range.type)
  if (!low || !high) return true
  if (partitionColumns.includes(range.column)) {
    const raw = canonicalPartitionValue(add.partitionValues[range.column], range.type, range.column)
    if (raw === null) return false
    const value = comparable(raw, range.type)
    return !value || (compare(value, low) >= 0 && compare(value, high) <= 0)
  }
  const stats = parseStats(add.stats)
  if (!stats) return true
  const fileMin = comparable(lookup(stats.minValues, range.column), range.type)
  const fileMax = comparable(lookup(stats.maxValues, range.column), range.type)
  if (stats.numRecords !== undefined && lookup(stats.nullCount, range.column) === stats.numRecords && stats.numRecords > 0) return false
  // Timestamp stats are in milliseconds: widen by one so truncation never excludes a match.
  if (fileMin && fileMin.kind === 'time') fileMin.value = Number(fileMin.value) - 1
  if (fileMax && fileMax.kind === 'time') fileMax.value = Number(fileMax.value) + 1
  if (fileMax && compare(fileMax, low) < 0) return false
  if (fileMin && compare(fileMin, high) > 0) return false
  return true
}

function lookup(values: Record<string, unknown> | undefined, column: string): unknown {
  return values?.[column]
}
