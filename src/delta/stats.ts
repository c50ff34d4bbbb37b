/**
 * File statistics (`add.stats`): numRecords, and per leaf column minValues, maxValues and
 * nullCount, built from the per-column statistics a Parquet writer reports. Values are spelled
 * the way Spark spells them, and only ever widened: a truncated string max or a sub-millisecond
 * timestamp max would wrongly let a reader skip a file, so such maxima are rounded up or left out.
 */
import { isStruct, type DataType, type StructType } from './schema'

/** Writer-reported statistics of one leaf column, as text (DuckDB's RETURN_STATS spelling). */
export interface LeafStatistics {
  min?: string | null
  max?: string | null
  nullCount?: string | number | null
}

/** A number kept as its exact text, so 64-bit integers and decimals survive JSON. */
class RawNumber {
  constructor(readonly text: string) {}
}

type StatsTree = { [name: string]: StatsTree | RawNumber | string }

const STRING_PREFIX_LENGTH = 32

export interface StatsOptions {
  /** `delta.dataSkippingNumIndexedCols`: how many leaf columns get statistics (default 32; -1 = all). */
  numIndexedCols?: number
}

/**
 * Build `add.stats` for a file with `numRecords` rows. `columns` maps a leaf path (names as in the
 * file, outermost first) to its statistics; leaves the writer did not report get none.
 */
export function buildFileStats(schema: StructType, numRecords: number, columns: Map<string, LeafStatistics>, options: StatsOptions = {}): string {
  const minValues: StatsTree = {}
  const maxValues: StatsTree = {}
  const nullCount: StatsTree = {}
  let budget = options.numIndexedCols ?? 32
  const visit = (type: StructType, path: string[], min: StatsTree, max: StatsTree, nulls: StatsTree) => {
    for (const field of type.fields) {
      if (budget === 0) return
      const fieldPath = [...path, field.name]
      if (isStruct(field.type)) {
        const [innerMin, innerMax, innerNulls] = [{}, {}, {}] as StatsTree[]
        visit(field.type, fieldPath, innerMin, innerMax, innerNulls)
        if (Object.keys(innerMin).length) min[field.name] = innerMin
        if (Object.keys(innerMax).length) max[field.name] = innerMax
        if (Object.keys(innerNulls).length) nulls[field.name] = innerNulls
        continue
      }
      if (budget > 0) budget--
      const stats = columns.get(leafKey(fieldPath))
      if (!stats) continue
      if (stats.nullCount !== undefined && stats.nullCount !== null) nulls[field.name] = new RawNumber(String(stats.nullCount))
      const low = statValue(stats.min, field.type, 'min')
      const high = statValue(stats.max, field.type, 'max')
      if (low !== undefined) min[field.name] = low
      if (high !== undefined) max[field.name] = high
    }
  }
  visit(schema, [], minValues, maxValues, nullCount)
  return serialize({ numRecords: new RawNumber(String(numRecords)), minValues, maxValues, nullCount })
}

/** The map key for a leaf path: names joined by a NUL, which no column name contains. */
export function leafKey(path: string[]): string {
  return path.join('\u0000')
}

function statValue(text: string | null | undefined, type: DataType, bound: 'min' | 'max'): RawNumber | string | undefined {
  if (text === null || text === undefined || typeof type !== 'string') return undefined
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      return /^-?\d+$/.test(text) ? new RawNumber(text) : undefined
    case 'float':
    case 'double': {
      const n = Number(text)
      return Number.isFinite(n) ? new RawNumber(String(n)) : undefined
    }
    case 'string': {
      const chars = Array.from(text)
      if (chars.length <= STRING_PREFIX_LENGTH) return text
      return bound === 'min' ? chars.slice(0, STRING_PREFIX_LENGTH).join('') : undefined
    }
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : undefined
    case 'timestamp':
    case 'timestamp_ntz':
      return timestampStat(text, type === 'timestamp', bound)
    default:
      if (/^decimal\(/.test(type)) return /^-?\d+(\.\d+)?$/.test(text) ? new RawNumber(text) : undefined
      // boolean and binary: Spark collects no min/max either.
      return undefined
  }
}

/** Milliseconds, as Spark writes them: the min rounded down, the max rounded up. */
function timestampStat(text: string, utc: boolean, bound: 'min' | 'max'): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text)
  if (!match) return undefined
  const [, date, time, fraction = '', zone] = match
  const offset = !zone || zone === 'Z' ? '+00:00' : zone.length === 3 ? `${zone}:00` : zone
  const seconds = Date.parse(`${date}T${time}${offset}`)
  if (Number.isNaN(seconds)) return undefined
  const digits = (fraction + '000000').slice(0, 6)
  let millis = seconds + Number(digits.slice(0, 3))
  if (bound === 'max' && Number(digits.slice(3)) > 0) millis += 1
  const iso = new Date(millis).toISOString()
  return utc ? iso : iso.slice(0, -1)
}

function serialize(value: StatsTree | RawNumber | string): string {
  if (value instanceof RawNumber) return value.text
  if (typeof value === 'string') return JSON.stringify(value)
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`)
    .join(',')}}`
}

export interface ParsedStats {
  numRecords?: number
  minValues?: Record<string, unknown>
  maxValues?: Record<string, unknown>
  nullCount?: Record<string, unknown>
}

export function parseStats(stats: string | null | undefined): ParsedStats | undefined {
  if (!stats) return undefined
  try {
    return JSON.parse(stats) as ParsedStats
  } catch {
    return undefined
  }
}

/**
 * A file's row count as its statistics record it (rows its deletion vector marks included);
 * undefined when they record none or do not parse (another writer's statistics are data too).
 */
export function statsNumRecords(stats: string | null | undefined): number | undefined {
  const n = (parseStats(stats) as { numRecords?: unknown } | null | undefined)?.numRecords
  return typeof n === 'number' ? n : undefined
}

/** A file's rows less those its deletion vector marks; undefined when its statistics record no count. */
export function liveRowCount(add: { stats?: string | null; deletionVector?: { cardinality: number } | null }): number | undefined {
  const numRecords = statsNumRecords(add.stats)
  return numRecords === undefined ? undefined : numRecords - (add.deletionVector?.cardinality ?? 0)
}
