/**
 * Skipping files by what the log says about them. A file's range of a column comes from its
 * partition value or its min/max statistics; a filter that no value in that range can pass means
 * the file need not be read. Only ever skips when that is certain: no statistics, a truncated
 * bound or a filter DuckDB cannot evaluate on the bounds all mean "read it".
 */
import type { AddFile } from '../delta/actions'
import { canonicalPartitionValue } from '../delta/partition-values'
import { duckdbType, quoteString, type StructField } from '../delta/schema'
import type { ActiveFile, Snapshot } from '../delta/snapshot'
import { parseStats } from '../delta/stats'
import type { DuckDb } from './duckdb'

/** Types whose statistics compare the way their values do (Parquet and DuckDB order agree). */
export const SKIPPABLE_TYPES = new Set(['byte', 'short', 'integer', 'long', 'float', 'double', 'date', 'timestamp', 'timestamp_ntz', 'string'])

/** A null-rejecting filter on one column: `column op value(s)`, values as SQL literal expressions. */
export type ColumnConstraint =
  | { column: string; op: '=' | '<' | '<=' | '>' | '>='; value: string }
  | { column: string; op: 'in'; values: string[] }
  | { column: string; op: 'between'; low: string; high: string }

export type Bounds = { lo: string | null; hi: string | null } | 'unknown' | 'empty'

/** A file's range of one top-level column (null bound = open); 'empty' when it holds only NULLs. */
export function fileBounds(add: AddFile, column: string, type: string, partitionColumns: string[]): Bounds {
  if (partitionColumns.includes(column)) {
    const value = canonicalPartitionValue(add.partitionValues[column], type, column)
    return value === null ? 'empty' : { lo: value, hi: value }
  }
  const stats = parseStats(add.stats)
  if (!stats || stats.numRecords === undefined) return 'unknown'
  if (stats.numRecords === 0 || stats.nullCount?.[column] === stats.numRecords) return 'empty'
  const lo = stats.minValues?.[column]
  const hi = stats.maxValues?.[column]
  if (lo === undefined && hi === undefined) return 'unknown'
  const text = (v: unknown) => (v === undefined || v === null || typeof v === 'object' ? null : String(v))
  return { lo: text(lo), hi: text(hi) }
}

export function boundLiteral(value: string | null, type: string): string {
  return value === null ? `NULL::${type}` : `CAST(${quoteString(value)} AS ${type})`
}

let skipCounter = 0

/** The files that may hold rows passing every constraint. */
export async function filesMatching(db: DuckDb, snapshot: Snapshot, files: ActiveFile[], constraints: ColumnConstraint[]): Promise<ActiveFile[]> {
  const usable = constraints
    .map((c) => ({ constraint: c, field: snapshot.schema.fields.find((f) => f.name.toLowerCase() === c.column.toLowerCase()) }))
    .filter((u): u is { constraint: ColumnConstraint; field: StructField } => u.field !== undefined && SKIPPABLE_TYPES.has(String(u.field.type)))
  if (usable.length === 0 || files.length === 0) return files
  let kept = files
  for (const { constraint, field } of usable) {
    const type = duckdbType(field.type)
    const bounds = kept.map((file) => fileBounds(file.add, field.name, String(field.type), snapshot.partitionColumns))
    const table = `__skip_bounds_${++skipCounter}`
    try {
      await db.run(`CREATE TEMP TABLE ${table} (idx INTEGER, lo ${type}, hi ${type})`)
      const values = bounds.flatMap((b, idx) => (typeof b === 'object' ? [`(${idx}, ${boundLiteral(b.lo, type)}, ${boundLiteral(b.hi, type)})`] : []))
      for (let start = 0; start < values.length; start += 1000) await db.run(`INSERT INTO ${table} VALUES ${values.slice(start, start + 1000).join(', ')}`)
      const time = type === 'TIMESTAMPTZ' || type === 'TIMESTAMP'
      // Timestamp statistics are in milliseconds: widen so truncation never hides a match.
      const lo = time ? '(lo - INTERVAL 1 MILLISECOND)' : 'lo'
      const hi = time ? '(hi + INTERVAL 1 MILLISECOND)' : 'hi'
      const pass = new Set((await db.rows(`SELECT idx FROM ${table} WHERE ${mayPass(constraint, lo, hi)}`)).map((r) => Number(r.idx)))
      kept = kept.filter((_, idx) => bounds[idx] === 'unknown' || pass.has(idx))
    } catch {
      // A constraint DuckDB cannot compare with the column (e.g. a string against a number) skips nothing.
    } finally {
      await db.run(`DROP TABLE IF EXISTS ${table}`)
    }
  }
  return kept
}

/** A condition on a file's [lo, hi] that holds when some value in it may pass the constraint. */
function mayPass(c: ColumnConstraint, lo: string, hi: string): string {
  const below = (v: string) => `(lo IS NULL OR ${lo} <= ${v})`
  const above = (v: string) => `(hi IS NULL OR ${hi} >= ${v})`
  switch (c.op) {
    case '=': return `${below(c.value)} AND ${above(c.value)}`
    case '<': return `(lo IS NULL OR ${lo} < ${c.value})`
    case '<=': return below(c.value)
    case '>': return `(hi IS NULL OR ${hi} > ${c.value})`
    case '>=': return above(c.value)
    case 'in': return c.values.length ? `(${c.values.map((v) => `(${below(v)} AND ${above(v)})`).join(' OR ')})` : 'false'
    case 'between': return `${above(c.low)} AND ${below(c.high)}`
  }
}
