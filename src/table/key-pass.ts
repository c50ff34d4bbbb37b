/**
 * Reading less of the target in a merge-on-read MERGE with a sparse source. The key pass: which
 * target rows does the source match? Only the columns the join condition names are read (for a
 * MERGE on `t.id = s.id`, the key alone, with each row's file and index), joined with the source;
 * the full rows are then read for those rows alone, in the files that hold one. A merge-on-read
 * MERGE without WHEN NOT MATCHED BY SOURCE keeps no target row the source does not match, so the
 * rows it decides on are the same. Without the change feed no old image is written, and the
 * columns the clauses do not read serve only to tell a no-op update: the probe pass then reads the
 * clauses' columns and the narrowest other one (`probeColumns`), and full rows only when an update
 * changed none of those.
 */
import { type ActiveFile, DeltaError, duckdbType, quoteIdentifier, type Snapshot, statsNumRecords, type StructType } from '../delta'
import { type DeletionVectorLoader, type DuckDb, dropScan, registerPositionedRows, type LakeEngine } from '../engine'

export interface KeyPass {
  /** The target columns the pass reads (the join condition's): logical names, as in the schema. */
  columns: string[]
  /** SELECT over the narrow target (`__file`, `__row` and `columns`) yielding `__file`, `__row` of every row the source matches (duplicates allowed). */
  matchedRowsSql: (narrowTarget: string) => string
  /**
   * The target columns the clauses' conditions and values read (the join condition's, those the
   * clauses name, those an update does not assign): any other column is read only to tell a no-op
   * update. Undefined: every column is needed.
   */
  decisionColumns?: string[]
}

export interface KeyPassResult {
  /** Resolved file path → the matched rows' indexes in it, ascending, distinct. */
  rows: Map<string, number[]>
  /** The files that hold a matched row, in the snapshot's order. */
  files: ActiveFile[]
  /**
   * How the full rows are then read: 'listed', the matched rows alone (their indexes' range filters
   * the scan, so rows that sit together are decoded alone); 'files', every row of the files holding
   * one (the rows are spread over most of every file: the listed read would decode them all anyway).
   */
  fullRows: 'listed' | 'files'
  /** What the pass read and found, for the operation's metrics. */
  metrics: {
    columns: string[]
    filesRead: number
    /** Absent when a probe decided every update (no full rows read: the matched rows were not listed). */
    filesMatched?: number
    rowsMatched?: number
    fullRows?: 'listed' | 'files'
    /** The columns read for the matched rows: the decision columns and a probe, or all of them ('all'; also when a probe left an update undecided). */
    matchedRowColumns?: string[] | 'all'
    /** Without the feed, when a probe was read: 'decided' (every update changed a column read), 'undecided' (some did not: the rows were read again whole). */
    probe?: 'decided' | 'undecided'
  }
}

let keyPassCounter = 0

/**
 * The target columns a SQL condition can refer to: every column whose name occurs in it as a word
 * or a quoted identifier (a name that is also a source column's is read needlessly, never missed).
 * Undefined when the condition refers to the whole target row (`t.*`, or `t` not followed by a
 * column), which only a full read can serve.
 */
export function columnsNamedIn(condition: string, schema: StructType, targetAlias: string, sourceAlias?: string): string[] | undefined {
  const alias = (name: string) => {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    return `(?:${escaped}|"${escaped.replaceAll('"', '""')}")`
  }
  if (new RegExp(`(?<![\\w".])${alias(targetAlias)}(?![\\w"])(?!\\s*\\.\\s*(?:\\w|"))`, 'i').test(condition)) return undefined
  // A name right after the source's alias (`s.v`) is the source's column: the alias binds before any column.
  const text = sourceAlias ? condition.replace(new RegExp(`(?<![\\w".])${alias(sourceAlias)}\\s*\\.\\s*(?:"(?:[^"]|"")+"|\\w+)`, 'gi'), ' ') : condition
  const words = new Set<string>()
  for (const match of text.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*)/g)) {
    words.add((match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2]!).toLowerCase())
  }
  return schema.fields.filter((f) => words.has(f.name.toLowerCase())).map((f) => f.name)
}

/** Runs the key pass over `files`: the matched rows (rows a deletion vector marks are never matched). */
export async function findMatchedRows(
  lake: LakeEngine,
  snapshot: Snapshot,
  options: { schema: StructType; files: ActiveFile[]; deletionVectors: DeletionVectorLoader; pass: KeyPass },
): Promise<KeyPassResult> {
  const { schema, files, deletionVectors, pass } = options
  const wanted = new Set(pass.columns)
  const narrow: StructType = { type: 'struct', fields: schema.fields.filter((f) => wanted.has(f.name)) }
  if (narrow.fields.length !== pass.columns.length) {
    throw new DeltaError('INVALID_ARGUMENT', `the key pass names columns the table does not have: ${pass.columns.join(', ')}`, { table: snapshot.table })
  }
  const db = await lake.duckdb()
  const target = await registerPositionedRows(db, lake.io.storage, snapshot, { schema: narrow, files, deletionVectors })
  try {
    return await matchedRowsOf(db, pass.matchedRowsSql(target.sql), files, pass.columns)
  } finally {
    await dropScan(db, target)
  }
}

/** The rows `matchedSql` (with `__file`, `__row`) lists, per file of `files`, and how to read them whole. */
export async function matchedRowsOf(db: DuckDb, matchedSql: string, files: ActiveFile[], columns: string[]): Promise<KeyPassResult> {
  const [paths, lists] = await db.columns(`SELECT __file, list(DISTINCT __row::DOUBLE ORDER BY __row::DOUBLE)
    FROM (${matchedSql}) ${quoteIdentifier(`__key_pass_${++keyPassCounter}`)} WHERE __file IS NOT NULL AND __row IS NOT NULL GROUP BY __file`)
  const rows = new Map<string, number[]>()
  paths.forEach((path, i) => rows.set(String(path), (lists[i] as number[]).map(Number)))
  const hit = files.filter((f) => rows.has(f.path))
  let rowsMatched = 0
  for (const list of rows.values()) rowsMatched += list.length
  const fullRows = rowsSitTogether(hit, rows) ? 'listed' : 'files'
  return { rows, files: hit, fullRows, metrics: { columns: [...columns], filesRead: files.length, filesMatched: hit.length, rowsMatched, fullRows } }
}

/**
 * True when the matched rows' indexes span at most half of the largest file holding one (by its
 * statistics; false when unknown): the scan's range filter then skips at least that much.
 */
function rowsSitTogether(files: ActiveFile[], rows: Map<string, number[]>): boolean {
  let [lo, hi, largest] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0]
  for (const file of files) {
    const listed = rows.get(file.path)!
    ;[lo, hi] = [Math.min(lo, listed[0]!), Math.max(hi, listed[listed.length - 1]!)]
    const numRecords = statsNumRecords(file.add.stats)
    if (numRecords === undefined) return false
    largest = Math.max(largest, numRecords)
  }
  return files.length > 0 && (hi - lo + 1) * 2 <= largest
}

/** Bytes a value of each primitive type takes: the narrowest column is the cheapest to decode. */
const WIDTH: Record<string, number> = { boolean: 1, byte: 1, short: 2, integer: 4, date: 4, float: 4, long: 8, double: 8, timestamp: 8, timestamp_ntz: 8 }

/**
 * Without the change feed (no old images to write), the columns to read for the matched rows: the
 * decision columns and the narrowest other one, the probe. An update that changes a column read
 * is no no-op whatever the unread columns hold; an update that changes none of them needs its full
 * row. Undefined when that would read every column anyway.
 */
export function probeColumns(schema: StructType, decisionColumns: string[]): string[] | undefined {
  const decided = new Set(decisionColumns.map((c) => c.toLowerCase()))
  const others = schema.fields.filter((f) => !decided.has(f.name.toLowerCase()))
  if (others.length <= 1) return undefined
  const width = (type: unknown) => (typeof type === 'string' ? (WIDTH[type] ?? (type.startsWith('decimal') ? 16 : 100)) : 100)
  const probe = others.reduce((best, f) => (width(f.type) < width(best.type) ? f : best))
  return schema.fields.filter((f) => decided.has(f.name.toLowerCase()) || f === probe).map((f) => f.name)
}

/** `target` (read with `columns` only) with every other column of `schema` as a typed NULL, in the schema's order. */
export function withPlaceholders(target: string, schema: StructType, columns: string[]): string {
  const read = new Set(columns)
  const projection = schema.fields.map((f) => (read.has(f.name) ? quoteIdentifier(f.name) : `NULL::${duckdbType(f.type)} AS ${quoteIdentifier(f.name)}`))
  return `(SELECT ${projection.join(', ')}, __file, __row FROM ${target} __read)`
}
