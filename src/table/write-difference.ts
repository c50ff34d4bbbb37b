/**
 * Making a table hold exactly the rows of a query by writing only the difference: rows that left
 * are deleted, rows that came are inserted, and (with a key) rows whose values changed are
 * updated, so the table's change data feed says precisely what changed and an unchanged result
 * writes no data. A `scope` limits the comparison to the table rows whose scope columns take
 * values listed in a keys table (the query then returns only such rows): the rest are kept as
 * they are. Without a key the rows are compared as a multiset (two equal rows are two rows).
 */
import { DeltaError, duckdbType, quoteIdentifier, type Snapshot, type Txn } from '../delta'
import type { LakeEngine } from '../engine'
import { writesDeletionVectors } from './deletion-vector-writer'
import { rewriteTable, type RewriteResult } from './rewrite'

export interface DifferenceScope {
  /** Table columns, each matched against column `k<i>` of `keysTable`. */
  columns: string[]
  /** A table or view with columns k0, k1, …: the values in scope, per column (nulls included when present). */
  keysTable: string
}

export interface WriteDifferenceOptions {
  /** Columns that identify a row of the result (unique in it): a changed row is an update. */
  key?: string[]
  scope?: DifferenceScope
  /** Recorded in the same commit (e.g. which source versions the result reflects). */
  txns?: Txn[]
  operationParameters?: Record<string, unknown>
  snapshot?: Snapshot
  /**
   * The comparison already made by the caller (a maintained view knows each changed group's old and
   * new row): per row of the table that changes `__file`, `__row`, `__action` (update, insert or
   * delete), the table's columns and `__old`, as table/rewrite.ts takes them; unchanged rows are
   * not listed. Only for tables that write deletion vectors (nothing is copied): the query is
   * then not read.
   */
  changes?: string
  /** Told when each phase ends: `difference rows` (the query's rows computed), `difference write` (compared, written, committed). */
  phases?: { end(name: string): void }
}

let differenceCounter = 0
const q = quoteIdentifier

export async function writeDifference(lake: LakeEngine, table: string, querySql: string, options: WriteDifferenceOptions = {}): Promise<RewriteResult> {
  const snapshot = options.snapshot ?? (await lake.snapshot(table))
  if (options.changes !== undefined) return writeChanges(lake, snapshot, options.changes, options)
  const db = await lake.duckdb()
  const id = ++differenceCounter
  const incoming = `__difference_rows_${id}`
  const fields = snapshot.schema.fields
  const columns = fields.map((f) => q(f.name))
  const described = new Set((await db.describe(`SELECT * FROM (${querySql})`)).map((c) => c.name.toLowerCase()))
  const value = (name: string, type: string) => (described.has(name.toLowerCase()) ? `CAST(${q(name)} AS ${type})` : `NULL::${type}`)
  await db.run(
    `CREATE TEMP TABLE ${incoming} AS SELECT ${fields.map((f) => `${value(f.name, duckdbType(f.type))} AS ${q(f.name)}`).join(', ')} FROM (${querySql})`,
  )
  try {
    const same = (names: string[]) => names.map((c) => `t.${q(c)} IS NOT DISTINCT FROM s.${q(c)}`).join(' AND ') || 'true'
    // Which scope columns list a null (the test for a null is written only for those: a plain IN is a semi join).
    const nullScope = options.scope
      ? Object.values(
          (await db.rows(`SELECT ${options.scope.columns.map((_, i) => `bool_or(k${i} IS NULL) AS n${i}`).join(', ')} FROM ${options.scope.keysTable}`))[0],
        ).map((v) => v === true)
      : []
    const old = `struct_pack(${columns.map((c) => `${c} := t.${c}`).join(', ')})`
    const key = options.key?.length ? options.key : undefined
    const changesSql = (target: string, { changingOnly }: { changingOnly: boolean }) => {
      // Rows out of scope are copied as they are; those in scope meet the new rows in one full outer join.
      // Merge-on-read copies nothing: then only the rows in scope are read, through a semi join on the
      // scope values that DuckDB pushes into the scan, so a refresh does not read the whole table.
      const prefix = changingOnly
        ? `WITH __scoped AS (SELECT * FROM ${target} tt WHERE ${scopeCondition(options.scope, nullScope, 'tt', true)})`
        : `WITH __scoped AS (SELECT *, ${scopeCondition(options.scope, nullScope, 'tt')} AS __in_scope FROM ${target} tt)`
      const inScope = changingOnly ? 'true' : '__in_scope'
      const outOfScope = changingOnly
        ? ''
        : `SELECT __file, __row, 'copy' AS __action, ${columns.join(', ')}, NULL AS __old FROM __scoped WHERE NOT __in_scope
          UNION ALL`
      if (key) {
        // By key: both sides → update (a no-op when equal), target only → delete, new only → insert.
        return `${prefix}, t AS (SELECT * FROM __scoped WHERE ${inScope}), s AS (SELECT *, true AS __present FROM ${incoming})
          ${outOfScope}
          SELECT t.__file, t.__row,
            CASE WHEN t.__row IS NULL THEN 'insert' WHEN s.__present IS NULL THEN 'delete' ELSE 'update' END AS __action,
            ${fields.map((f) => `CASE WHEN s.__present THEN s.${q(f.name)} ELSE t.${q(f.name)} END AS ${q(f.name)}`).join(', ')},
            CASE WHEN t.__row IS NOT NULL THEN ${old} END AS __old
          FROM t FULL OUTER JOIN s ON ${same(key)}`
      }
      // A multiset: equal rows are numbered on both sides, and the n-th copy meets the n-th copy.
      const partition = columns.join(', ')
      return `${prefix}, t AS (SELECT *, row_number() OVER (PARTITION BY ${partition}) AS __copy FROM __scoped WHERE ${inScope}),
        s AS (SELECT *, row_number() OVER (PARTITION BY ${partition}) AS __copy FROM ${incoming})
        ${outOfScope}
        SELECT t.__file, t.__row,
          CASE WHEN t.__row IS NULL THEN 'insert' WHEN s.__copy IS NULL THEN 'delete' ELSE 'copy' END AS __action,
          ${fields.map((f) => `CASE WHEN t.__row IS NULL THEN s.${q(f.name)} ELSE t.${q(f.name)} END AS ${q(f.name)}`).join(', ')},
          CASE WHEN t.__row IS NOT NULL AND s.__copy IS NULL THEN ${old} END AS __old
        FROM t FULL OUTER JOIN s ON ${same(fields.map((f) => f.name))} AND t.__copy = s.__copy`
    }
    options.phases?.end('difference rows')
    const written = await rewriteTable(lake, snapshot, {
      operation: 'MERGE',
      operationParameters: { predicate: key ? key.map((k) => `t.${k} = s.${k}`).join(' AND ') : 'all columns', ...options.operationParameters },
      files: snapshot.files,
      changesSql,
      txns: options.txns,
    })
    options.phases?.end('difference write')
    return written
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${incoming}`)
  }
}

/** The difference as the caller compared it (`changes`): its rows are the rewrite's per-row decisions. */
async function writeChanges(lake: LakeEngine, snapshot: Snapshot, changes: string, options: WriteDifferenceOptions): Promise<RewriteResult> {
  if (!writesDeletionVectors(snapshot.protocol, snapshot.metadata)) {
    throw new DeltaError('INVALID_ARGUMENT', `a difference given as changes needs a table that writes deletion vectors`, { table: snapshot.table })
  }
  options.phases?.end('difference rows')
  const written = await rewriteTable(lake, snapshot, {
    operation: 'MERGE',
    operationParameters: { predicate: options.key ? options.key.map((k) => `t.${k} = s.${k}`).join(' AND ') : 'all columns', ...options.operationParameters },
    files: snapshot.files,
    changesSql: (_target, { changingOnly }) => {
      if (!changingOnly) throw new DeltaError('INVALID_ARGUMENT', `the rewrite would copy rows a given difference does not list`, { table: snapshot.table })
      return changes
    },
    txns: options.txns,
  })
  options.phases?.end('difference write')
  return written
}

/**
 * SQL over `alias`'s columns: whether the row is in scope (always, without a scope). As a `filter`
 * (a WHERE, where null is false) a plain IN, which DuckDB plans as a semi join; as a value, never null.
 */
function scopeCondition(scope: DifferenceScope | undefined, nulls: boolean[], alias: string, filter = false): string {
  if (!scope) return 'true'
  return scope.columns
    .map((column, i) => {
      const value = `${alias}.${q(column)}`
      const listed = filter ? `${value} IN (SELECT k${i} FROM ${scope.keysTable})` : `coalesce(${value} IN (SELECT k${i} FROM ${scope.keysTable}), false)`
      return nulls[i] ? `(${listed} OR ${value} IS NULL)` : listed
    })
    .join(' AND ')
}
