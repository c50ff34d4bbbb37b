/**
 * Making a table hold exactly the rows of a query by writing only the difference: rows that left
 * are deleted, rows that came are inserted, and (with a key) rows whose values changed are
 * updated, so the table's change data feed says precisely what changed and an unchanged result
 * writes no data. A `scope` limits the comparison to the table rows whose scope columns take
 * values listed in a keys table (the query then returns only such rows): the rest are kept as
 * they are. Without a key the rows are compared as a multiset (two equal rows are two rows).
 */
import type { Txn } from '../delta/actions'
import { duckdbType, quoteIdentifier } from '../delta/schema'
import type { Snapshot } from '../delta/snapshot'
import type { LakeEngine } from './lake-engine'
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
}

let differenceCounter = 0
const q = quoteIdentifier

export async function writeDifference(lake: LakeEngine, table: string, querySql: string, options: WriteDifferenceOptions = {}): Promise<RewriteResult> {
  const snapshot = options.snapshot ?? (await lake.snapshot(table))
  const db = await lake.duckdb()
  const id = ++differenceCounter
  const incoming = `__difference_rows_${id}`
  const fields = snapshot.schema.fields
  const columns = fields.map((f) => q(f.name))
  const described = new Set((await db.describe(`SELECT * FROM (${querySql})`)).map((c) => c.name.toLowerCase()))
  const value = (name: string, type: string) => (described.has(name.toLowerCase()) ? `CAST(${q(name)} AS ${type})` : `NULL::${type}`)
  await db.run(`CREATE TEMP TABLE ${incoming} AS SELECT ${fields.map((f) => `${value(f.name, duckdbType(f.type))} AS ${q(f.name)}`).join(', ')} FROM (${querySql})`)
  try {
    const inScope = (alias: string) => scopeCondition(options.scope, alias)
    const same = (names: string[]) => names.map((c) => `t.${q(c)} IS NOT DISTINCT FROM s.${q(c)}`).join(' AND ') || 'true'
    const old = `struct_pack(${columns.map((c) => `${c} := t.${c}`).join(', ')})`
    const key = options.key?.length ? options.key : undefined
    const scoped = `(SELECT *, ${inScope('tt')} AS __in_scope FROM __target tt)`
    const changesSql = (target: string) => {
      const prefix = `WITH __target AS (SELECT * FROM ${target})`
      if (key) {
        // Target rows in scope meet the new rows by key: both → update (no-op when equal), target only → delete.
        return `${prefix}, t AS ${scoped}
          SELECT t.__file AS __file, t.__row AS __row,
            CASE WHEN NOT t.__in_scope THEN 'copy' WHEN s.__present IS NULL THEN 'delete' ELSE 'update' END AS __action,
            ${fields.map((f) => `CASE WHEN t.__in_scope AND s.__present THEN s.${q(f.name)} ELSE t.${q(f.name)} END AS ${q(f.name)}`).join(', ')},
            CASE WHEN t.__in_scope THEN ${old} END AS __old
          FROM t LEFT JOIN (SELECT *, true AS __present FROM ${incoming}) s ON t.__in_scope AND ${same(key)}
          UNION ALL
          SELECT NULL, NULL, 'insert', ${columns.map((c) => `s.${c}`).join(', ')}, NULL
          FROM ${incoming} s WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.__in_scope AND ${same(key)})`
      }
      // A multiset: equal rows are numbered on both sides, and the n-th copy meets the n-th copy.
      const partition = columns.join(', ')
      return `${prefix}, t AS (SELECT *, CASE WHEN __in_scope THEN row_number() OVER (PARTITION BY __in_scope, ${partition}) END AS __copy FROM ${scoped}),
        s AS (SELECT *, row_number() OVER (PARTITION BY ${partition}) AS __copy FROM ${incoming})
        SELECT t.__file AS __file, t.__row AS __row,
          CASE WHEN NOT t.__in_scope THEN 'copy' WHEN EXISTS (SELECT 1 FROM s WHERE ${same(fields.map((f) => f.name))} AND s.__copy = t.__copy) THEN 'copy' ELSE 'delete' END AS __action,
          ${columns.map((c) => `t.${c} AS ${c}`).join(', ')}, ${old} AS __old
        FROM t
        UNION ALL
        SELECT NULL, NULL, 'insert', ${columns.map((c) => `s.${c}`).join(', ')}, NULL
        FROM s WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.__in_scope AND ${same(fields.map((f) => f.name))} AND t.__copy = s.__copy)`
    }
    return await rewriteTable(lake, snapshot, {
      operation: 'MERGE',
      operationParameters: { predicate: key ? key.map((k) => `t.${k} = s.${k}`).join(' AND ') : 'all columns', ...options.operationParameters },
      files: snapshot.files,
      changesSql,
      txns: options.txns,
    })
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${incoming}`)
  }
}

/** SQL over `alias`'s columns: whether the row is in scope (always, without a scope). */
function scopeCondition(scope: DifferenceScope | undefined, alias: string): string {
  if (!scope) return 'true'
  return scope.columns.map((column, i) => {
    const k = `k${i}`
    return `(${alias}.${q(column)} IN (SELECT ${k} FROM ${scope.keysTable}) OR (${alias}.${q(column)} IS NULL AND EXISTS (SELECT 1 FROM ${scope.keysTable} WHERE ${k} IS NULL)))`
  }).join(' AND ')
}
