/**
 * Skipping files by what the log says about them. A file's range of a column comes from its
 * partition value or its min/max statistics; a filter that no value in that range can pass means
 * the file need not be read. Only ever skips when that is certain: no statistics, a truncated
 * bound or a filter DuckDB cannot evaluate on the bounds all mean "read it".
 */
import { type ActiveFile, type AddFile, canonicalPartitionValue, duckdbType, parseStats, quoteString, type Snapshot, type StructField } from '../delta'
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

/**
 * The files that may hold rows passing every constraint. One query over the files' bounds, given
 * as text and cast in DuckDB (no temporary table: this runs before every query).
 */
export async function filesMatching(db: DuckDb, snapshot: Snapshot, files: ActiveFile[], constraints: ColumnConstraint[]): Promise<ActiveFile[]> {
  const usable = constraints
    .map((c) => ({ constraint: c, field: snapshot.schema.fields.find((f) => f.name.toLowerCase() === c.column.toLowerCase()) }))
    .filter((u): u is { constraint: ColumnConstraint; field: StructField } => u.field !== undefined && SKIPPABLE_TYPES.has(String(u.field.type)))
  if (usable.length === 0 || files.length === 0) return files
  const bounds = usable.map(({ field }) => files.map((file) => fileBounds(file.add, field.name, String(field.type), snapshot.partitionColumns)))
  const integral = integralDecision(
    usable.map((u) => u.constraint),
    usable.map((u) => String(u.field.type)),
    bounds,
  )
  if (integral) return files.filter((_, idx) => integral(idx))
  const text = (v: string | null) => (v === null ? 'NULL' : quoteString(v))
  // Files with the same bounds (all the files of one partition, say) are decided once.
  const distinct = new Map<string, { row: number; files: number[] }>()
  files.forEach((_, idx) => {
    const cells = bounds.flatMap((perFile) => {
      const b = perFile[idx]
      return typeof b === 'object' ? ['2', text(b.lo), text(b.hi)] : [b === 'empty' ? '1' : '0', 'NULL', 'NULL']
    })
    const key = cells.join(',')
    const group = distinct.get(key) ?? { row: distinct.size, files: [] }
    group.files.push(idx)
    distinct.set(key, group)
  })
  const rows = [...distinct.entries()].map(([cells, group]) => `(${group.row}, ${cells})`)
  const groups = [...distinct.values()]
  const names = ['idx', ...usable.flatMap((_, i) => [`k${i}`, `lo${i}`, `hi${i}`])]
  // k: 0 = bounds unknown (read the file), 1 = only NULLs (no row passes), 2 = bounds known.
  const conditions = usable.map(({ constraint, field }, i) => {
    const type = duckdbType(field.type)
    const time = type === 'TIMESTAMPTZ' || type === 'TIMESTAMP'
    // Timestamp statistics are in milliseconds: widen so truncation never hides a match.
    const lo = `(CAST(lo${i} AS ${type})${time ? ' - INTERVAL 1 MILLISECOND' : ''})`
    const hi = `(CAST(hi${i} AS ${type})${time ? ' + INTERVAL 1 MILLISECOND' : ''})`
    return `(k${i} = 0 OR (k${i} = 2 AND ${mayPass(constraint, lo, hi, `lo${i}`, `hi${i}`)}))`
  })
  try {
    const pass = new Set(
      (await db.rows(`SELECT idx FROM (VALUES ${rows.join(', ')}) v(${names.join(', ')}) WHERE ${conditions.join(' AND ')}`)).map((r) => Number(r.idx)),
    )
    const kept = new Set(groups.filter((g) => pass.has(g.row)).flatMap((g) => g.files))
    return files.filter((_, idx) => kept.has(idx))
  } catch {
    // A constraint DuckDB cannot compare with its column (a string against a number, say) skips nothing.
    return files
  }
}

const INTEGRAL_TYPES = new Set(['byte', 'short', 'integer', 'long'])
const INTEGER_TEXT = /^[+-]?\d+$/
const INTEGER_CAST = /^CAST\((.*) AS (?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)\)$/

/** The whole number a literal expression spells (`3`, or the parser's `CAST(3 AS INTEGER)`), else undefined. */
function integerLiteral(text: string): string | undefined {
  const trimmed = text.trim()
  if (INTEGER_TEXT.test(trimmed)) return trimmed
  const cast = INTEGER_CAST.exec(trimmed)
  return cast ? integerLiteral(cast[1]!) : undefined
}

/**
 * The same decision as the query below, made here when every constraint compares a whole-number
 * column with whole-number literals (or their casts to whole-number types) and every bound is a whole number (exact as bigints): a query
 * costs a millisecond or more, which a first query on a small table pays on top of its scan.
 * Undefined when anything else is involved.
 */
function integralDecision(constraints: ColumnConstraint[], types: string[], bounds: Bounds[][]): ((file: number) => boolean) | undefined {
  if (!types.every((t) => INTEGRAL_TYPES.has(t))) return undefined
  const literals = constraints.flatMap((c) => (c.op === 'in' ? c.values : c.op === 'between' ? [c.low, c.high] : [c.value]))
  if (!literals.every((v) => integerLiteral(v) !== undefined)) return undefined
  if (
    !bounds.every((perFile) =>
      perFile.every((b) => typeof b !== 'object' || ((b.lo === null || INTEGER_TEXT.test(b.lo)) && (b.hi === null || INTEGER_TEXT.test(b.hi)))),
    )
  )
    return undefined
  const n = (v: string) => BigInt(integerLiteral(v)!)
  const mayPass = (c: ColumnConstraint, lo: bigint | null, hi: bigint | null): boolean => {
    const below = (v: bigint) => lo === null || lo <= v
    const above = (v: bigint) => hi === null || hi >= v
    switch (c.op) {
      case '=':
        return below(n(c.value)) && above(n(c.value))
      case '<':
        return lo === null || lo < n(c.value)
      case '<=':
        return below(n(c.value))
      case '>':
        return hi === null || hi > n(c.value)
      case '>=':
        return above(n(c.value))
      case 'in':
        return c.values.some((v) => below(n(v)) && above(n(v)))
      case 'between':
        return above(n(c.low)) && below(n(c.high))
    }
  }
  return (file) =>
    constraints.every((c, i) => {
      const b = bounds[i]![file]!
      if (b === 'unknown') return true
      if (b === 'empty') return false
      return mayPass(c, b.lo === null ? null : BigInt(b.lo), b.hi === null ? null : BigInt(b.hi))
    })
}

/** A condition on a file's [lo, hi] that holds when some value in it may pass the constraint (a NULL bound is open). */
function mayPass(c: ColumnConstraint, lo: string, hi: string, loText: string, hiText: string): string {
  const below = (v: string) => `(${loText} IS NULL OR ${lo} <= ${v})`
  const above = (v: string) => `(${hiText} IS NULL OR ${hi} >= ${v})`
  switch (c.op) {
    case '=':
      return `${below(c.value)} AND ${above(c.value)}`
    case '<':
      return `(${loText} IS NULL OR ${lo} < ${c.value})`
    case '<=':
      return below(c.value)
    case '>':
      return `(${hiText} IS NULL OR ${hi} > ${c.value})`
    case '>=':
      return above(c.value)
    case 'in':
      return c.values.length ? `(${c.values.map((v) => `(${below(v)} AND ${above(v)})`).join(' OR ')})` : 'false'
    case 'between':
      return `${above(c.low)} AND ${below(c.high)}`
  }
}
