/**
 * Writing a refine batch into its tables, each in one commit that also records the flow's
 * progress (`txn`): the current state per key (MERGE: upsert, delete, truncate), history rows
 * (SCD type 2), child tables of exploded arrays, and plain appends. A table that does not exist
 * yet is created by its first batch, with the change data feed on for the next layer.
 */
import { DeltaError, quoteIdentifier, type Txn, type Snapshot } from '../../delta'
import { dropScan, snapshotOrNothing, type LakeEngine } from '../../engine'
import { appendQuery, merge } from '../../table'
import type { Relation } from '../../transform'

export const REFINED_PROPERTIES = { 'delta.enableChangeDataFeed': 'true' }

/** The SCD type 2 columns: when a version of a row became current, and when it stopped being. */
export const START_AT = '__start_at'
export const END_AT = '__end_at'

export interface WriteResult {
  table: string
  version?: number
  rows: number
  alreadyApplied?: boolean
}

const q = quoteIdentifier
const keyMatch = (key: string[], left: string, right: string) => key.map((k) => `${left}.${q(k)} = ${right}.${q(k)}`).join(' AND ')

/** Refuses a batch in which the key is null or names two rows: a MERGE could not say which one wins. */
export async function checkKeyUnique(lake: LakeEngine, rows: string, key: string[], table: string, extra: string[] = []): Promise<void> {
  const db = await lake.duckdb()
  const columns = [...key, ...extra].map(q).join(', ')
  const [nullKey] = await db.rows(`SELECT count(*) AS n FROM ${rows} WHERE ${key.map((k) => `${q(k)} IS NULL`).join(' OR ')}`)
  if (Number(nullKey.n) > 0) throw new DeltaError('INVALID_ARGUMENT', `${nullKey.n} rows have a null key (${key.join(', ')}) after the transforms`, { table })
  const [duplicate] = await db.rows(
    `SELECT to_json(struct_pack(${[...key, ...extra].map((k) => `${q(k)} := ${q(k)}`).join(', ')}))::VARCHAR AS key, count(*) AS n FROM ${rows} GROUP BY ${columns} HAVING count(*) > 1 LIMIT 1`,
  )
  if (duplicate) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `the key (${key.join(', ')}) is not unique after the transforms: ${duplicate.key} names ${duplicate.n} rows of one batch (explode arrays into a child table, or choose a key that names one row)`,
      { table },
    )
  }
}

/**
 * MERGE of a source whose `__op` says 'upsert' or 'delete' per key: the table's rows become the
 * upserted ones, deleted keys leave, and with `truncate` every other row leaves too.
 */
async function mergeByKey(
  lake: LakeEngine,
  table: string,
  snapshot: Snapshot,
  source: string,
  key: string[],
  txn: Txn,
  truncate: boolean,
  controlColumns: string[] = [],
): Promise<WriteResult> {
  const result = await merge(lake, table, source, {
    snapshot,
    on: keyMatch(key, 't', 's'),
    whenMatched: [{ condition: "s.__op = 'delete'", delete: true }, { update: '*' }],
    whenNotMatched: [{ condition: "s.__op = 'upsert'", insert: '*' }],
    ...(truncate ? { whenNotMatchedBySource: { delete: true as const } } : {}),
    schemaMode: 'evolve',
    controlColumns: ['__op', ...controlColumns],
    txn,
  })
  const m = result.metrics
  return { table, version: result.version, rows: m.rowsInserted + m.rowsUpdated + m.rowsDeleted, alreadyApplied: result.alreadyApplied }
}

/**
 * A DuckDB table that already holds the upserts and the deletes, each row's `__op` saying which,
 * with the table's columns (a delete's besides its key are ignored) and these other columns.
 */
export interface MergeSourceTable {
  table: string
  controlColumns: string[]
}

/**
 * SCD type 1: the table holds each key's latest row. `deletes` has the key columns of deleted rows.
 * `prepared`: the same rows already in one table, read in place (nothing copied).
 */
export async function applyCurrentState(
  lake: LakeEngine,
  table: string,
  upserts: Relation,
  deletes: Relation,
  key: string[],
  txn: Txn,
  truncate: boolean,
  prepared?: MergeSourceTable,
): Promise<WriteResult> {
  const db = await lake.duckdb()
  const snapshot = await snapshotOrNothing(lake, table)
  // The prepared table's own columns must not meet the table's (MERGE's '*' would assign them).
  const control = ['__op', ...(prepared?.controlColumns ?? [])]
  const inPlace = prepared && !snapshot?.schema.fields.some((f) => control.includes(f.name.toLowerCase())) ? prepared : undefined
  // Made once otherwise: the key checks and MERGE (which reads a table in place) all read it.
  const source = inPlace?.table ?? `__refine_upserts_${++sourceCounter}`
  if (!inPlace) {
    await db.run(
      `CREATE TEMP TABLE ${source} AS SELECT *, 'upsert' AS __op FROM ${upserts.sql} UNION ALL BY NAME SELECT ${key.map(q).join(', ')}, 'delete' AS __op FROM ${deletes.sql}`,
    )
  }
  try {
    await checkKeyUnique(lake, source, key, table)
    if (!snapshot) {
      const created = await appendQuery(lake, table, upserts.sql, { txns: [txn], create: { properties: REFINED_PROPERTIES } })
      return { table, version: created.version, rows: created.rows }
    }
    return await mergeByKey(lake, table, snapshot, source, key, txn, truncate, inPlace?.controlColumns)
  } finally {
    if (!inPlace) await db.run(`DROP TABLE IF EXISTS ${source}`)
  }
}
let sourceCounter = 0

/**
 * SCD type 2: every change adds a row version with __start_at (the change's sequence) and
 * __end_at (the next change's, null while current); a delete closes the current version. The
 * key's open version in the table is closed by the batch's first change to that key.
 * `upserts` and `deletes` carry __start_at and __pos (the change's order) beside their columns.
 * `truncatedAt` (SQL) is the sequence of a truncate before the batch's changes: it closes the
 * versions the batch does not touch too. Changes no later than what the table already records
 * for their key are dropped, so replays never add overlapping versions.
 */
export async function applyHistory(
  lake: LakeEngine,
  table: string,
  upserts: Relation,
  deletes: Relation,
  key: string[],
  txn: Txn,
  truncatedAt: string | undefined,
): Promise<WriteResult> {
  const keys = key.map(q).join(', ')
  let changes = `(SELECT *, 'upsert' AS __op FROM ${upserts.sql} UNION ALL BY NAME SELECT ${keys}, ${START_AT}, __pos, 'delete' AS __op FROM ${deletes.sql})`
  const db = await lake.duckdb()
  const history = `__refine_history_${++historyCounter}`
  const snapshot = await snapshotOrNothing(lake, table)
  const scan = snapshot && !truncatedAt ? await lake.scan(snapshot) : undefined
  try {
    if (scan) {
      // The history already covers each key up to its last start or end: a change at or before
      // that (an event re-sent after a connector restart, say) is already there.
      const known = `(SELECT ${keys}, max(greatest(${START_AT}, coalesce(${END_AT}, ${START_AT}))) AS __known FROM ${scan.sql} GROUP BY ${keys})`
      changes = `(SELECT c.* FROM ${changes} c LEFT JOIN ${known} k ON ${keyMatch(key, 'c', 'k')} WHERE k.__known IS NULL OR c.${START_AT} > k.__known)`
    }
    // A change replayed with the same sequence value makes no zero-length version: the last one wins.
    await db.run(`CREATE TEMP TABLE ${history} AS SELECT *, lead(${START_AT}) OVER (PARTITION BY ${keys} ORDER BY ${START_AT}, __pos) AS ${END_AT} FROM ${changes}
      QUALIFY row_number() OVER (PARTITION BY ${keys}, ${START_AT} ORDER BY __pos DESC) = 1`)
  } finally {
    if (scan) await dropScan(db, scan)
  }
  try {
    const versions = `(SELECT * EXCLUDE (__op, __pos) FROM ${history} WHERE __op = 'upsert')`
    if (!snapshot) {
      const created = await appendQuery(lake, table, versions, { txns: [txn], create: { properties: REFINED_PROPERTIES } })
      return { table, version: created.version, rows: created.rows }
    }
    // After a truncate, every open version ends at the truncate, touched by the batch or not.
    const closes = `SELECT ${keys}, ${truncatedAt ?? `min(${START_AT})`} AS __close_at, true AS __close FROM ${history} GROUP BY ${keys}`
    const source = `(SELECT *, false AS __close FROM ${versions} UNION ALL BY NAME ${closes})`
    const result = await merge(lake, table, source, {
      snapshot,
      on: `${keyMatch(key, 't', 's')} AND t.${END_AT} IS NULL AND s.__close`,
      whenMatchedUpdate: { set: { [END_AT]: 's.__close_at' } },
      whenNotMatched: [{ condition: 'NOT s.__close', insert: '*' }],
      // A truncate closes every current version (the batch's own changes start after it).
      ...(truncatedAt ? { whenNotMatchedBySource: { condition: `t.${END_AT} IS NULL`, update: { [END_AT]: truncatedAt } } } : {}),
      schemaMode: 'evolve',
      controlColumns: ['__close', '__close_at'],
      txn,
    })
    const m = result.metrics
    return { table, version: result.version, rows: m.rowsInserted + m.rowsUpdated, alreadyApplied: result.alreadyApplied }
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${history}`)
  }
}
let historyCounter = 0

/**
 * A child table of an exploded array: the rows of the batch's parents replace the rows those
 * parents had (an array that shrank loses its tail; a deleted parent loses all its rows).
 * `parents` is a temp table of the parent keys the batch changed.
 */
export async function applyChildRows(
  lake: LakeEngine,
  table: string,
  rows: Relation,
  key: string[],
  parentKey: string[],
  parents: string,
  txn: Txn,
  truncate: boolean,
): Promise<WriteResult> {
  await checkKeyUnique(lake, rows.sql, key, table)
  const snapshot = await snapshotOrNothing(lake, table)
  if (!snapshot) {
    const created = await appendQuery(lake, table, rows.sql, { txns: [txn], create: { properties: REFINED_PROPERTIES } })
    return { table, version: created.version, rows: created.rows }
  }
  // The rows the changed parents had and no longer have, as deletes in the MERGE's source.
  const db = await lake.duckdb()
  const stale = `__refine_stale_${++historyCounter}`
  const scan = await lake.scan(snapshot)
  try {
    await db.run(`CREATE TEMP TABLE ${stale} AS SELECT ${key.map((k) => `t.${q(k)}`).join(', ')} FROM ${scan.sql} t
      WHERE EXISTS (SELECT 1 FROM ${parents} p WHERE ${keyMatch(parentKey, 'p', 't')})
        AND NOT EXISTS (SELECT 1 FROM ${rows.sql} r WHERE ${keyMatch(key, 'r', 't')})`)
  } finally {
    await dropScan(db, scan)
  }
  try {
    const source = `(SELECT *, 'upsert' AS __op FROM ${rows.sql} UNION ALL BY NAME SELECT *, 'delete' AS __op FROM ${stale})`
    return await mergeByKey(lake, table, snapshot, source, key, txn, truncate)
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${stale}`)
  }
}

/** Append mode: the transformed rows are added as they are. */
export async function appendRows(lake: LakeEngine, table: string, rows: Relation, txn: Txn): Promise<WriteResult> {
  const snapshot = await snapshotOrNothing(lake, table)
  if (snapshot && (snapshot.txns.get(txn.appId)?.version ?? -1) >= txn.version) return { table, rows: 0, alreadyApplied: true }
  const result = await appendQuery(lake, table, rows.sql, { snapshot, txns: [txn], create: { properties: REFINED_PROPERTIES } })
  return { table, version: result.version, rows: result.rows }
}
