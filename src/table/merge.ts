/**
 * MERGE INTO, in the shape of Delta's: the target is `t`, the source (any DuckDB query) is `s`.
 * Matched clauses are tried in order (the first whose condition holds applies), then not-matched
 * insert clauses. A target row may be changed by at most one source row. Only files holding a
 * changed row are rewritten; files whose key statistics or partition values cannot overlap the
 * source's keys are not even read.
 */
import {
  type ActiveFile,
  DeltaError,
  deltaTypeFromDuckdb,
  duckdbType,
  mergeSchemaForAppend,
  quoteIdentifier,
  quoteString,
  type Snapshot,
  statsNumRecords,
  type StructType,
  type Txn,
} from '../delta'
import { boundLiteral, fileBounds, SKIPPABLE_TYPES } from '../engine'
import type { LakeEngine } from '../engine'
import { columnsNamedIn, type KeyPass } from './key-pass'
import { alreadyApplied, rewriteTable, type RewriteResult } from './rewrite'

/** Column → SQL expression over `t` and `s`; '*' takes every target column from the source column of the same name. */
export type Assignments = Record<string, string> | '*'

export type MatchedClause = { condition?: string } & ({ update: Assignments } | { delete: true })
export interface NotMatchedClause {
  condition?: string
  insert: Assignments
}
/** Its assignments can read only the target row (`t`). */
export type BySourceClause = { condition?: string } & ({ delete: true } | { update: Record<string, string> })

export interface MergeOptions {
  /** The join condition, e.g. `t.id = s.id`. */
  on: string
  whenMatchedUpdate?: { condition?: string; set: Assignments }
  whenMatchedDelete?: { condition?: string }
  whenNotMatchedInsert?: { condition?: string; values: Assignments }
  /** Target rows no source row matched (Delta's WHEN NOT MATCHED BY SOURCE): e.g. a truncate, a full refresh. */
  whenNotMatchedBySource?: BySourceClause
  /** The general form: matched clauses in order. The named ones above come after these, delete before update. */
  whenMatched?: MatchedClause[]
  whenNotMatched?: NotMatchedClause[]
  /** Recorded in the same commit; a batch whose txn version is already recorded is skipped. */
  txn?: Txn
  /** Merge into this snapshot rather than the latest. */
  snapshot?: Snapshot
  /** 'evolve': source columns the table lacks are added to it (nullable), as appends do. Default: refused. */
  schemaMode?: 'evolve' | 'strict'
  /** Source columns that only steer the clauses (e.g. an op code): never added by schema evolution. */
  controlColumns?: string[]
  /** WHEN NOT MATCHED BY SOURCE clauses in order (the first whose condition holds applies), after `whenNotMatchedBySource`. */
  whenNotMatchedBySourceClauses?: BySourceClause[]
  /** The names the condition and clauses use for the target and the source rows (default `t` and `s`). */
  targetAlias?: string
  sourceAlias?: string
  /**
   * How a merge-on-read MERGE (deletion vectors on, no WHEN NOT MATCHED BY SOURCE) reads the
   * target. 'keysFirst': only the columns the clauses need are read (without the change feed in
   * one pass with a probe column, the full rows only when an update left those unchanged; with it
   * the join condition's columns first, then the full rows of the matched rows alone); 'whole':
   * every column of every candidate file in one join. 'auto' (default): keysFirst when the source
   * has at most 1 row per 50 target rows in the candidate files.
   */
  targetRead?: 'auto' | 'keysFirst' | 'whole'
}

/** 'auto' reads the keys first when the source has at most one row per this many candidate target rows. */
const KEYS_FIRST_TARGET_ROWS_PER_SOURCE_ROW = 50

let mergeCounter = 0

export async function merge(lake: LakeEngine, table: string, sourceSql: string, options: MergeOptions): Promise<RewriteResult> {
  const snapshot = options.snapshot ?? (await lake.snapshot(table))
  if (alreadyApplied(snapshot, options.txn))
    return rewriteTable(lake, snapshot, { operation: 'MERGE', operationParameters: {}, files: [], changesSql: () => '', txn: options.txn })
  const matched: MatchedClause[] = [
    ...(options.whenMatched ?? []),
    ...(options.whenMatchedDelete ? [{ condition: options.whenMatchedDelete.condition, delete: true as const }] : []),
    ...(options.whenMatchedUpdate ? [{ condition: options.whenMatchedUpdate.condition, update: options.whenMatchedUpdate.set }] : []),
  ]
  const notMatched: NotMatchedClause[] = [
    ...(options.whenNotMatched ?? []),
    ...(options.whenNotMatchedInsert ? [{ condition: options.whenNotMatchedInsert.condition, insert: options.whenNotMatchedInsert.values }] : []),
  ]
  const bySource = [...(options.whenNotMatchedBySource ? [options.whenNotMatchedBySource] : []), ...(options.whenNotMatchedBySourceClauses ?? [])]
  const aliases = { target: quoteIdentifier(options.targetAlias ?? 't'), source: quoteIdentifier(options.sourceAlias ?? 's') }
  if (matched.length + notMatched.length + bySource.length === 0) throw new DeltaError('INVALID_ARGUMENT', 'MERGE needs at least one WHEN clause', { table })

  const db = await lake.duckdb()
  // The source is read several times (its keys, its count, the join): a query is copied once so
  // that every read sees the same rows; a DuckDB table is read in place.
  const inPlace = await baseTableNamed(lake, sourceSql)
  const source = inPlace ?? `__merge_source_${++mergeCounter}`
  const body = /^\s*\(?\s*(select|with|values|from)\b/i.test(sourceSql) ? `(${sourceSql})` : sourceSql
  if (!inPlace) await db.run(`CREATE TEMP TABLE ${source} AS SELECT * FROM ${body}`)
  try {
    const described = await db.describe(`SELECT * FROM ${source}`)
    if (described.some((c) => c.name === '__src_row'))
      throw new DeltaError('INVALID_ARGUMENT', "MERGE's source may not have a column named __src_row", { table })
    // Only whether a source row took part in a join row matters: a constant says it.
    const numbered = `(SELECT *, true AS __src_row FROM ${source})`
    const sourceColumns = described.map((c) => c.name)
    const control = new Set((options.controlColumns ?? []).map((c) => c.toLowerCase()))
    const schema =
      options.schemaMode === 'evolve'
        ? evolvedSchema(
            snapshot,
            described.filter((c) => !control.has(c.name.toLowerCase())),
            table,
          )
        : snapshot.schema
    const [{ n: sourceRows }] = await db.rows(`SELECT count(*) AS n FROM ${source}`)
    // Every target row may be deleted by a not-matched-by-source clause: no file can be skipped.
    const files = bySource.length
      ? snapshot.files
      : await candidateFiles(lake, snapshot, source, options.on, options.targetAlias ?? 't', options.sourceAlias ?? 's')
    const keyPass = bySource.length
      ? undefined
      : keyPassFor(options, schema, files, Number(sourceRows), { numbered, aliases, sourceColumns, matched, notMatched })
    return await rewriteTable(lake, snapshot, {
      operation: 'MERGE',
      operationParameters: {
        predicate: options.on,
        matchedPredicates: JSON.stringify(
          matched.map((c) => ({ actionType: 'delete' in c ? 'delete' : 'update', ...(c.condition ? { predicate: c.condition } : {}) })),
        ),
        notMatchedPredicates: JSON.stringify(notMatched.map((c) => ({ actionType: 'insert', ...(c.condition ? { predicate: c.condition } : {}) }))),
        ...(bySource.length
          ? {
              notMatchedBySourcePredicates: JSON.stringify(
                bySource.map((c) => ({ actionType: 'delete' in c ? 'delete' : 'update', ...(c.condition ? { predicate: c.condition } : {}) })),
              ),
            }
          : {}),
      },
      operationMetrics: { numSourceRows: String(sourceRows) },
      files,
      // As in Delta, a MERGE whose only matched clause is an unconditional DELETE may match a
      // target row with several source rows (the row is deleted once).
      checkSingleMatch: matched.length === 1 && 'delete' in matched[0] && !matched[0].condition ? 'dedupe-deletes' : true,
      keyPass,
      txn: options.txn,
      schema,
      changesSql: (target, { changingOnly }) =>
        changesSelect(
          schema,
          target,
          numbered,
          sourceColumns,
          options.on,
          { matched, notMatched, bySource },
          aliases,
          table,
          changingOnly && bySource.length === 0,
        ),
    })
  } finally {
    if (!inPlace) await db.run(`DROP TABLE IF EXISTS ${source}`)
  }
}

/**
 * The key pass for this MERGE, when it reads the target keys first: the target rows joined to the
 * source on the join condition alone (clause conditions are applied to the full rows afterwards).
 */
function keyPassFor(
  options: MergeOptions,
  schema: StructType,
  files: ActiveFile[],
  sourceRows: number,
  join: { numbered: string; aliases: { target: string; source: string }; sourceColumns: string[]; matched: MatchedClause[]; notMatched: NotMatchedClause[] },
): KeyPass | undefined {
  const mode = options.targetRead ?? 'auto'
  if (mode === 'whole') return undefined
  const columns = columnsNamedIn(options.on, schema, options.targetAlias ?? 't')
  if (!columns?.length) return undefined
  if (mode === 'auto') {
    const targetRows = files.reduce((total, f) => total + recordCount(f), 0)
    if (!(sourceRows * KEYS_FIRST_TARGET_ROWS_PER_SOURCE_ROW <= targetRows)) return undefined
  }
  const { target: t, source: s } = join.aliases
  return {
    columns,
    matchedRowsSql: (narrow) => `SELECT ${t}.__file AS __file, ${t}.__row AS __row FROM ${narrow} ${t} JOIN ${join.numbered} ${s} ON (${options.on})`,
    decisionColumns: decisionColumns(options, schema, join),
  }
}

/**
 * The target columns MERGE's clauses read: those the join condition, the clause conditions and the
 * assigned values name, and those some update clause does not assign (it keeps their old values).
 * Undefined when a clause refers to the whole target row.
 */
function decisionColumns(
  options: MergeOptions,
  schema: StructType,
  clauses: { sourceColumns: string[]; matched: MatchedClause[]; notMatched: NotMatchedClause[] },
): string[] | undefined {
  const values = (assignments: Assignments) => (assignments === '*' ? [] : Object.values(assignments))
  const texts = [
    options.on,
    ...[...clauses.matched, ...clauses.notMatched].map((c) => c.condition ?? ''),
    ...clauses.matched.flatMap((c) => ('update' in c ? values(c.update) : [])),
    ...clauses.notMatched.flatMap((c) => values(c.insert)),
  ]
  const named = columnsNamedIn(texts.join('\n'), schema, options.targetAlias ?? 't', options.sourceAlias ?? 's')
  if (!named) return undefined
  const inSource = new Set(clauses.sourceColumns.map((c) => c.toLowerCase()))
  const updates = clauses.matched.flatMap((c) => ('update' in c ? [c.update] : []))
  const assigned = (name: string, update: Assignments) =>
    update === '*' ? inSource.has(name.toLowerCase()) : Object.keys(update).some((k) => k.toLowerCase() === name.toLowerCase())
  const kept = schema.fields.filter((f) => !updates.every((update) => assigned(f.name, update))).map((f) => f.name)
  return schema.fields.filter((f) => named.includes(f.name) || kept.includes(f.name)).map((f) => f.name)
}

/** The rows a file holds by its statistics (its deletion vector's rows not subtracted); NaN when unknown. */
function recordCount(file: ActiveFile): number {
  return statsNumRecords(file.add.stats) ?? Number.NaN
}

/**
 * The quoted name when `sourceSql` is a DuckDB base table (`name` or `SELECT * FROM name`, one
 * table of that name and no view): tables do not change between the statements of one MERGE.
 */
async function baseTableNamed(lake: LakeEngine, sourceSql: string): Promise<string | undefined> {
  const match = /^\s*(?:select\s+\*\s+from\s+)?("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)\s*$/i.exec(sourceSql)
  if (!match) return undefined
  const name = unquote(match[1]!)
  const db = await lake.duckdb()
  const [row] = await db.rows(`SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = ${quoteString(name)}) AS tables,
    (SELECT count(*) FROM duckdb_views() WHERE view_name = ${quoteString(name)}) AS views`)
  return Number(row?.tables) === 1 && Number(row?.views) === 0 ? quoteIdentifier(name) : undefined
}

function changesSelect(
  schema: StructType,
  target: string,
  source: string,
  sourceColumns: string[],
  on: string,
  clauses: { matched: MatchedClause[]; notMatched: NotMatchedClause[]; bySource: BySourceClause[] },
  aliases: { target: string; source: string },
  table: string,
  sourceRowsOnly: boolean,
): string {
  const { matched, notMatched, bySource } = clauses
  const t = aliases.target
  const s = aliases.source
  const bySourceName = new Map(sourceColumns.map((name) => [name.toLowerCase(), name]))
  const fromSource = (column: string, fallback: string) => {
    const name = bySourceName.get(column.toLowerCase())
    return name === undefined ? fallback : `${s}.${quoteIdentifier(name)}`
  }
  const assignment = (assignments: Assignments, column: string, fallback: string) => {
    if (assignments === '*') return fromSource(column, fallback)
    const key = Object.keys(assignments).find((k) => k.toLowerCase() === column.toLowerCase())
    return key === undefined ? fallback : `(${assignments[key]})`
  }
  const bySourceUpdates = bySource.flatMap((c) => ('update' in c ? [c.update] : []))
  for (const clause of [...matched.flatMap((c) => ('update' in c ? [c.update] : [])), ...notMatched.map((c) => c.insert), ...bySourceUpdates]) {
    if (clause === '*') continue
    for (const column of Object.keys(clause)) {
      if (!schema.fields.some((f) => f.name.toLowerCase() === column.toLowerCase())) {
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `MERGE assigns column '${column}', which the table does not have (columns: ${schema.fields.map((f) => f.name).join(', ')})`,
          { table },
        )
      }
    }
  }
  const condition = (c?: string) => (c ? `(${c})` : 'true')
  // Clause numbers: matched 0…, not matched 500…, not matched by source 1000…; one CASE picks the
  // first clause that holds. It is written out where it is used rather than referenced by alias:
  // DuckDB refuses an alias in the same SELECT when a condition or value holds a subquery.
  const firstHolding = (list: { condition?: string }[], base: number) =>
    list.length ? `CASE ${list.map((c, i) => `WHEN ${condition(c.condition)} THEN ${base + i}`).join(' ')} END` : 'NULL'
  const clause = `(CASE WHEN ${t}.__row IS NOT NULL AND ${s}.__src_row IS NOT NULL THEN ${firstHolding(matched, 0)}
           WHEN ${t}.__row IS NULL THEN ${firstHolding(notMatched, 500)}
           ELSE ${firstHolding(bySource, 1000)} END)`
  const numbered = [
    ...matched.map((c, i) => ({ id: i, action: 'delete' in c ? 'delete' : 'update', values: 'update' in c ? c.update : undefined })),
    ...notMatched.map((c, i) => ({ id: 500 + i, action: 'insert', values: c.insert })),
    ...bySource.map((c, i) => ({ id: 1000 + i, action: 'delete' in c ? 'delete' : 'update', values: 'update' in c ? c.update : undefined })),
  ]
  const action = `CASE ${clause} ${numbered.map((c) => `WHEN ${c.id} THEN '${c.action}'`).join(' ')}
           ELSE CASE WHEN ${t}.__row IS NULL THEN 'skip' WHEN ${s}.__src_row IS NOT NULL THEN 'matched' ELSE 'copy' END END`
  const columns = schema.fields.map((field) => {
    const column = quoteIdentifier(field.name)
    const old = `${t}.${column}`
    const values = numbered.flatMap((c) =>
      c.values === undefined ? [] : [`WHEN ${c.id} THEN ${assignment(c.values, field.name, c.action === 'insert' ? 'NULL' : old)}`],
    )
    return `CAST(${values.length ? `CASE ${clause} ${values.join(' ')} ELSE ${old} END` : old} AS ${duckdbType(field.type)}) AS ${column}`
  })
  // The old row is needed only where a row changes (change rows, no-op detection): not for copies.
  const changing = numbered.filter((c) => c.action !== 'insert').map((c) => c.id)
  const oldRow = changing.length
    ? `CASE WHEN ${clause} IN (${changing.join(', ')}) THEN struct_pack(${schema.fields.map((f) => `${quoteIdentifier(f.name)} := ${t}.${quoteIdentifier(f.name)}`).join(', ')}) END`
    : 'NULL'
  return `SELECT ${t}.__file AS __file, ${t}.__row AS __row, ${clause} AS __clause, ${action} AS __action,
      ${columns.join(',\n      ')},
      ${oldRow} AS __old
    FROM ${target} ${t} ${sourceRowsOnly ? 'RIGHT' : 'FULL OUTER'} JOIN ${source} ${s} ON (${on})`
}

/**
 * The files MERGE must read: those that may hold a key the source has. Keys come from `t.x = s.y`
 * conjuncts of the join condition; a file is skipped when, for some key, no source key falls in
 * its partition value or its min/max statistics (checked per key with a range join, so scattered
 * keys skip the files between them). Files without usable statistics are always read.
 */
async function candidateFiles(lake: LakeEngine, snapshot: Snapshot, source: string, on: string, targetAlias: string, sourceAlias: string) {
  const alias = (name: string) => `(?:${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|${quoteIdentifier(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`
  const keyPattern = new RegExp(
    `(?<![\\w"])${alias(targetAlias)}\\s*\\.\\s*("(?:[^"]|"")+"|\\w+)\\s*=\\s*${alias(sourceAlias)}\\s*\\.\\s*("(?:[^"]|"")+"|\\w+)`,
    'gi',
  )
  const keys = [...on.matchAll(keyPattern)].map((m) => ({
    target: unquote(m[1]),
    source: unquote(m[2]),
  }))
  if (keys.length === 0 || /\bor\b/i.test(on) || snapshot.files.length === 0) return snapshot.files
  const db = await lake.duckdb()
  let candidates = snapshot.files.map((_, i) => i)
  for (const key of keys) {
    const field = snapshot.schema.fields.find((f) => f.name.toLowerCase() === key.target.toLowerCase())
    if (!field || !SKIPPABLE_TYPES.has(String(field.type))) continue
    const bounds = snapshot.files.map((file) => fileBounds(file.add, field.name, field.type as string, snapshot.partitionColumns))
    const type = duckdbType(field.type)
    const ranges = `__merge_ranges_${++mergeCounter}`
    await db.run(`CREATE TEMP TABLE ${ranges} (idx INTEGER, lo ${type}, hi ${type})`)
    try {
      const values = bounds.flatMap((b, idx) => (typeof b === 'object' ? [`(${idx}, ${boundLiteral(b.lo, type)}, ${boundLiteral(b.hi, type)})`] : []))
      for (let start = 0; start < values.length; start += 1000) await db.run(`INSERT INTO ${ranges} VALUES ${values.slice(start, start + 1000).join(', ')}`)
      const widen = type === 'TIMESTAMPTZ' || type === 'TIMESTAMP' ? ` + INTERVAL 1 MILLISECOND` : ''
      const hit = new Set(
        (
          await db.rows(
            `SELECT DISTINCT r.idx FROM ${ranges} r JOIN (SELECT DISTINCT ${quoteIdentifier(key.source)} AS k FROM ${source} WHERE ${quoteIdentifier(key.source)} IS NOT NULL) s
         ON (r.lo IS NULL OR s.k >= r.lo) AND (r.hi IS NULL OR s.k <= r.hi${widen})`,
          )
        ).map((r) => Number(r.idx)),
      )
      candidates = candidates.filter((idx) => bounds[idx] === 'unknown' || hit.has(idx))
    } finally {
      await db.run(`DROP TABLE IF EXISTS ${ranges}`)
    }
  }
  return candidates.map((idx) => snapshot.files[idx])
}

/** The table's schema with the source's extra columns added (nullable); a type conflict is refused by name. */
function evolvedSchema(snapshot: Snapshot, sourceColumns: { name: string; type: string }[], table: string): StructType {
  const incoming: StructType = {
    type: 'struct',
    fields: sourceColumns.map((c) => ({ name: c.name, type: deltaTypeFromDuckdb(c.type), nullable: true, metadata: {} })),
  }
  return mergeSchemaForAppend(snapshot.schema, incoming, table)
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name
}
