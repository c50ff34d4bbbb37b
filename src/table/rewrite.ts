/**
 * Copy-on-write changes (MERGE, UPDATE, DELETE): read the candidate files' rows, decide per row
 * what happens, rewrite only the files that have a changed row, and commit their removes, the new
 * adds and, with the change data feed on, `_change_data` files with the change rows.
 *
 * The operation supplies one SELECT over the target rows (`t`, with `__file` and `__row`) that
 * yields per row: `__file`, `__row`, `__action`, the table's columns with their new values, and
 * `__old` (the old values as a struct, needed for update and delete rows only). Actions: copy (unchanged row of the target), update,
 * delete, insert, matched (MERGE matched a row but no clause applied), skip (source row not inserted).
 * An update whose new values equal the old ones becomes `noop`: no file is rewritten for it and no
 * change rows are written (Spark writes pre- and post-images for such rows; we do not).
 *
 * On tables that write deletion vectors (delta.enableDeletionVectors), UPDATE, DELETE and MERGE
 * are merge-on-read instead: the changed rows are marked in their files' DVs and only the new
 * rows (updates' new values, inserts) are written; nothing is copied.
 */
import {
  type Action,
  type ActiveFile,
  checkWritable,
  DeltaError,
  fileKey,
  isChangeDataFeedEnabled,
  parseSchema,
  quoteIdentifier,
  type Snapshot,
  type StructType,
  type Txn,
  withSchema,
  removeFileFor,
} from '../delta'
import { DeletionVectorLoader, type DuckDb, dropScan, registerPositionedRows, type RegisteredScan, type LakeEngine } from '../engine'
import { commitTable } from './commit-table'
import { markRows, writesDeletionVectors, type MarkedFiles } from './deletion-vector-writer'
import { writeRows } from './rewrite-writes'
import { findMatchedRows, type KeyPass, type KeyPassResult, matchedRowsOf, probeColumns, withPlaceholders } from './key-pass'

let rewriteCounter = 0

export interface RewritePlan {
  /** WRITE: INSERT OVERWRITE and REPLACE WHERE (target rows deleted, source rows inserted). */
  operation: 'MERGE' | 'UPDATE' | 'DELETE' | 'WRITE'
  operationParameters: Record<string, unknown>
  /** The files whose rows the operation must see. */
  files: ActiveFile[]
  /**
   * The per-row SELECT, given the target relation's SQL. `changingOnly`: merge-on-read keeps no
   * unchanged target row, so the SELECT may leave out the target rows no clause touches (MERGE:
   * join the target to the source rather than a full outer join).
   */
  changesSql: (target: string, options: { changingOnly: boolean }) => string
  /** MERGE: a target row may be changed by at most one source row. */
  checkSingleMatch?: boolean | 'dedupe-deletes'
  /**
   * Merge-on-read only (where `changesSql` keeps no target row the source does not match): find
   * the matched rows first reading only the key columns, then read the full rows of those alone.
   */
  keyPass?: KeyPass
  txn?: Txn
  /** More application transactions recorded in the same commit (not checked: `txn` is the one that makes a replay a no-op). */
  txns?: Txn[]
  /** Extra commit metrics (e.g. MERGE's numSourceRows). */
  operationMetrics?: Record<string, string>
  /**
   * The table's schema after the operation, when it adds columns (schema evolution): the rows are
   * read and written with it (old files read the new columns as null) and the commit carries it.
   */
  schema?: StructType
}

export interface RewriteMetrics {
  /** Files read: the candidates left after partition and statistics pruning. */
  filesRead: number
  rowsInserted: number
  rowsUpdated: number
  rowsDeleted: number
  rowsCopied: number
  /** Updates that changed no value: nothing written for them. */
  rowsUnchanged: number
  filesRemoved: number
  filesAdded: number
  changeDataFiles: number
  /** Merge-on-read: files whose deletion vector was written anew, and old DVs they replaced. */
  deletionVectorsAdded?: number
  deletionVectorsRemoved?: number
}

export interface RewriteResult {
  /** The committed version; undefined when there was nothing to commit. */
  version?: number
  /** The txn (appId, version) was already recorded in the table: nothing was done. */
  alreadyApplied?: boolean
  metrics: RewriteMetrics
  /** MERGE's key pass, when it ran: the columns it read, the files it read and those holding a matched row, the rows matched, how the full rows were read. */
  keyPass?: KeyPassResult['metrics']
}

const emptyMetrics = (): RewriteMetrics => ({
  filesRead: 0,
  rowsInserted: 0,
  rowsUpdated: 0,
  rowsDeleted: 0,
  rowsCopied: 0,
  rowsUnchanged: 0,
  filesRemoved: 0,
  filesAdded: 0,
  changeDataFiles: 0,
})

/** True when `txn` is already in the table: a replayed batch must not be applied twice. */
export function alreadyApplied(snapshot: Snapshot, txn: Txn | undefined): boolean {
  if (!txn) return false
  const recorded = snapshot.txns.get(txn.appId)
  return recorded !== undefined && recorded.version >= txn.version
}

export async function rewriteTable(lake: LakeEngine, snapshot: Snapshot, plan: RewritePlan): Promise<RewriteResult> {
  const { table } = snapshot
  if (alreadyApplied(snapshot, plan.txn)) return { alreadyApplied: true, metrics: emptyMetrics() }
  checkWritable(snapshot.protocol, snapshot.metadata, table)
  const db = await lake.duckdb()
  const id = ++rewriteCounter
  const changes = `__rewrite_changes_${id}`
  const rewritten = `__rewrite_files_${id}`
  // Columns added by schema evolution get ids and physical names when the table maps columns.
  const evolvedMetadata = plan.schema ? withSchema(snapshot.metadata, plan.schema) : undefined
  const schema = evolvedMetadata ? parseSchema(evolvedMetadata.schemaString, table) : snapshot.schema
  const columns = schema.fields.map((f) => quoteIdentifier(f.name))
  const mergeOnRead = plan.operation !== 'WRITE' && writesDeletionVectors(snapshot.protocol, snapshot.metadata)

  const deletionVectors = new DeletionVectorLoader(lake.io.storage, table)
  // The old images are kept only for the change rows: without the feed they would be copied for nothing.
  const changeFeed = isChangeDataFeedEnabled(snapshot.metadata)
  // Without the feed, one pass reads only the columns the clauses need and a probe (key-pass.ts); with
  // it (old images), or when the clauses need every column, the key pass finds the rows to read whole.
  const probed = mergeOnRead && !changeFeed && plan.keyPass?.decisionColumns ? probeColumns(schema, plan.keyPass.decisionColumns) : undefined
  let keyPass =
    mergeOnRead && plan.keyPass && !probed
      ? await findMatchedRows(lake, snapshot, { schema, files: plan.files, deletionVectors, pass: plan.keyPass })
      : undefined
  const readTarget = async (read?: string[]): Promise<RegisteredScan> => {
    const narrow = read ? { type: 'struct' as const, fields: schema.fields.filter((f) => read.includes(f.name)) } : schema
    const only = keyPass?.fullRows === 'listed' ? { only: keyPass.rows } : {}
    const scan = await registerPositionedRows(db, lake.io.storage, snapshot, { schema: narrow, files: keyPass?.files ?? plan.files, deletionVectors, ...only })
    return read ? { ...scan, sql: withPlaceholders(scan.sql, schema, read) } : scan
  }
  let target = await readTarget(probed)
  let matchedRowColumns: string[] | 'all' = probed ?? 'all'
  let probe: 'decided' | 'undecided' = 'decided'
  const keyPassReport = (): Pick<RewriteResult, 'keyPass'> => {
    if (probed) return { keyPass: { ...(keyPass?.metrics ?? { columns: probed, filesRead: plan.files.length }), matchedRowColumns, probe } }
    return keyPass ? { keyPass: { ...keyPass.metrics, matchedRowColumns } } : {}
  }
  try {
    const create = { changes, columns, changeFeed, mergeOnRead }
    await createChanges(db, plan.changesSql(target.sql, { changingOnly: mergeOnRead }), { ...create, probed })
    if (probed && Number((await db.rows(`SELECT count(*) FILTER (WHERE __undecided) AS n FROM ${changes}`))[0]!.n) > 0) {
      // An update left every column read as it was: whether it is a no-op takes its full row. The
      // matched rows are those the changes list (the join condition reads only columns read).
      keyPass = await matchedRowsOf(db, `SELECT __file, __row FROM ${changes}`, plan.files, probed)
      await db.run(`DROP TABLE ${changes}`)
      await dropScan(db, target)
      target = await readTarget()
      ;[matchedRowColumns, probe] = ['all', 'undecided']
      await createChanges(db, plan.changesSql(target.sql, { changingOnly: mergeOnRead }), create)
    }
    if (plan.checkSingleMatch === 'dedupe-deletes') {
      await db.run(
        `DELETE FROM ${changes} WHERE __action = 'delete' AND rowid NOT IN (SELECT min(rowid) FROM ${changes} WHERE __action = 'delete' GROUP BY __file, __row)`,
      )
    }
    const { count, rowsToMark, matchedTwice } = await countChanges(lake, changes, plan.checkSingleMatch === true, mergeOnRead)
    if (matchedTwice) {
      // The refusal names the row: read it whole.
      if (matchedRowColumns !== 'all') [target, matchedRowColumns] = [await dropScan(db, target).then(() => readTarget()), 'all']
      await checkSingleMatch(lake, changes, target.sql, columns, table)
    }
    let changedRows: Map<string, number[]> | undefined
    let rewrittenFiles: Set<string>
    if (mergeOnRead) {
      changedRows = rowsToMark
      rewrittenFiles = new Set(changedRows.keys())
    } else {
      await db.run(`CREATE TEMP TABLE ${rewritten} AS SELECT DISTINCT __file FROM ${changes} WHERE __action IN ('update', 'delete')`)
      rewrittenFiles = new Set((await db.rows(`SELECT __file FROM ${rewritten}`)).map((r) => String(r.__file)))
    }
    const metrics = emptyMetrics()
    metrics.filesRead = plan.files.length
    metrics.rowsInserted = Number(count.inserted)
    metrics.rowsUpdated = Number(count.updated)
    metrics.rowsDeleted = Number(count.deleted)
    metrics.rowsUnchanged = Number(count.noop)
    const evolved = evolvedMetadata !== undefined && evolvedMetadata.schemaString !== snapshot.metadata.schemaString
    if (rewrittenFiles.size === 0 && metrics.rowsInserted === 0 && !plan.txn && !plan.txns?.length && !evolved) return { metrics, ...keyPassReport() }

    const kept = mergeOnRead
      ? `(SELECT ${columns.join(', ')} FROM ${changes} WHERE __action IN ('insert', 'update'))`
      : `(SELECT ${columns.join(', ')} FROM ${changes} WHERE __action = 'insert' OR (__action IN ('copy', 'matched', 'noop', 'update') AND __file IN (SELECT __file FROM ${rewritten})))`
    const configuration = snapshot.metadata.configuration
    const fileOptions = { schema, partitionColumns: snapshot.partitionColumns, configuration, sourceColumns: schema.fields.map((f) => f.name) }
    const changeRows = 2 * metrics.rowsUpdated + metrics.rowsDeleted + metrics.rowsInserted
    const [adds, cdc] = await writeRows(
      lake,
      db,
      table,
      kept,
      changeFeed && rewrittenFiles.size > 0 ? { changes, columns, rows: changeRows } : undefined,
      fileOptions,
    )
    if (!mergeOnRead) {
      metrics.rowsCopied = Number(
        (await db.rows(`SELECT count(*) AS n FROM ${changes} WHERE __action IN ('copy', 'matched', 'noop') AND __file IN (SELECT __file FROM ${rewritten})`))[0]
          .n,
      )
    }

    const now = Date.now()
    const removed = snapshot.files.filter((f) => rewrittenFiles.has(f.path))
    let marked: MarkedFiles | undefined
    if (changedRows && removed.length) marked = await markRows(lake, table, removed, changedRows, deletionVectors, now)
    const removes = marked?.removes ?? removed.map(({ add }) => removeFileFor(add, now))
    metrics.filesRemoved = marked ? marked.filesRemoved : removes.length
    metrics.filesAdded = adds.length
    metrics.changeDataFiles = cdc.length
    if (marked) {
      metrics.deletionVectorsAdded = marked.deletionVectorsAdded
      metrics.deletionVectorsRemoved = marked.deletionVectorsRemoved
    }
    const actions: Action[] = [
      ...(evolved && evolvedMetadata ? [{ metaData: evolvedMetadata }] : []),
      ...removes.map((remove) => ({ remove })),
      ...(marked?.adds ?? []).map((add) => ({ add })),
      ...adds.map((add) => ({ add })),
      ...cdc.map((c) => ({ cdc: c })),
      ...(plan.txn ? [{ txn: { ...plan.txn, lastUpdated: plan.txn.lastUpdated ?? now } }] : []),
      ...(plan.txns ?? []).map((txn) => ({ txn: { ...txn, lastUpdated: txn.lastUpdated ?? now } })),
    ]
    const result = await commitTable(lake, {
      table,
      snapshot,
      actions,
      operation: plan.operation,
      operationParameters: plan.operationParameters,
      operationMetrics: { ...operationMetrics(plan.operation, metrics), ...plan.operationMetrics },
      // The result depends on every row read: a concurrent change to those files, or new files
      // (which could hold matching rows), means computing it again.
      readSet: { files: new Set(plan.files.map((f) => fileKey(f.path, f.add))), readData: true, appIds: new Set() },
    })
    return { version: result.version, metrics, ...keyPassReport() }
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${changes}; DROP TABLE IF EXISTS ${rewritten}`)
    await dropScan(db, target)
  }
}

/**
 * The changes table: the per-row decision, updates that change nothing turned into no-ops, and
 * (merge-on-read copies nothing) unchanged target rows and source rows not inserted left out.
 * `probed`: the target was read with these columns only; `__undecided` marks the updates that
 * changed none of them (the others are no no-op, whatever the unread columns hold).
 */
async function createChanges(
  db: DuckDb,
  changesSql: string,
  options: { changes: string; columns: string[]; changeFeed: boolean; mergeOnRead: boolean; probed?: string[] },
): Promise<void> {
  const { changes, columns, changeFeed, mergeOnRead, probed } = options
  // With the feed a sibling connection reads the table too (rewrite-writes.ts): not TEMP, which only this connection sees.
  const unchanged = `struct_pack(${columns.map((c) => `${c} := ${c}`).join(', ')}) IS NOT DISTINCT FROM __old`
  const read = (probed ?? []).map(quoteIdentifier)
  const undecided = probed
    ? `, __action = 'update' AND struct_pack(${read.map((c) => `${c} := ${c}`).join(', ')}) IS NOT DISTINCT FROM struct_pack(${read.map((c) => `${c} := __old.${c}`).join(', ')}) AS __undecided`
    : ''
  await db.run(`CREATE ${changeFeed ? '' : 'TEMP '}TABLE ${changes} AS SELECT *${changeFeed ? '' : ' EXCLUDE (__old)'} REPLACE (CASE WHEN __action = 'update' AND ${unchanged} THEN 'noop' ELSE __action END AS __action)${undecided}
      FROM (${changesSql})${mergeOnRead ? ` WHERE __action NOT IN ('copy', 'skip')` : ''}`)
}

/**
 * One pass over the changes, grouped by file: the counts, whether a target row was matched twice
 * (checked when `checkMatches`) and, merge-on-read, the rows each file must mark, ascending.
 * The rows come as one list per file read as typed values (no object per row, no JSON); each entry
 * is row * 2 + (1 for a no-op), so no-op rows, listed for the check only, sort beside the others:
 * a row matched twice is two neighbours of the same row (DOUBLE: exact below 2^53).
 */
async function countChanges(lake: LakeEngine, changes: string, checkMatches: boolean, mergeOnRead: boolean) {
  const db = await lake.duckdb()
  const entry = `__row::DOUBLE * 2 + CASE WHEN __action = 'noop' THEN 1 ELSE 0 END`
  const listed = `__action IN ('update', 'delete'${checkMatches ? ", 'noop'" : ''})`
  const [files, inserted, updated, deleted, noop, distinct, lists] = await db.columns(`SELECT __file,
      count(*) FILTER (WHERE __action = 'insert')::DOUBLE, count(*) FILTER (WHERE __action = 'update')::DOUBLE,
      count(*) FILTER (WHERE __action = 'delete')::DOUBLE, count(*) FILTER (WHERE __action = 'noop')::DOUBLE,
      ${checkMatches && !mergeOnRead ? `count(DISTINCT __row) FILTER (WHERE __action IN ('update', 'delete', 'noop'))::DOUBLE` : 'NULL::DOUBLE'},
      ${mergeOnRead ? `list(${entry} ORDER BY ${entry}) FILTER (WHERE ${listed})` : 'NULL::DOUBLE[]'}
    FROM ${changes} GROUP BY __file`)
  const sum = (column: unknown[]) => column.reduce((total: number, n) => total + Number(n ?? 0), 0)
  const count = { inserted: sum(inserted), updated: sum(updated), deleted: sum(deleted), noop: sum(noop) }
  let matchedTwice = checkMatches && !mergeOnRead && sum(distinct) !== count.updated + count.deleted + count.noop
  const rowsToMark = new Map<string, number[]>()
  files.forEach((file, f) => {
    const entries = lists[f] as number[] | null
    if (file === null || !entries) return
    const rows: number[] = []
    for (let i = 0; i < entries.length; i++) {
      if (i > 0 && Math.floor(entries[i] / 2) === Math.floor(entries[i - 1] / 2)) matchedTwice = true
      if (entries[i] % 2 === 0) rows.push(entries[i] / 2)
    }
    if (rows.length) rowsToMark.set(String(file), rows)
  })
  return { count, rowsToMark, matchedTwice }
}

/** Spark's metric names for each operation, as strings like Spark writes them. */
function operationMetrics(operation: RewritePlan['operation'], m: RewriteMetrics): Record<string, string> {
  const files = {
    numRemovedFiles: String(m.filesRemoved),
    numAddedFiles: String(m.filesAdded),
    numAddedChangeFiles: String(m.changeDataFiles),
    ...(m.deletionVectorsAdded === undefined
      ? {}
      : { numDeletionVectorsAdded: String(m.deletionVectorsAdded), numDeletionVectorsRemoved: String(m.deletionVectorsRemoved ?? 0) }),
  }
  if (operation === 'MERGE') {
    return {
      numTargetRowsInserted: String(m.rowsInserted),
      numTargetRowsUpdated: String(m.rowsUpdated),
      numTargetRowsDeleted: String(m.rowsDeleted),
      numTargetRowsCopied: String(m.rowsCopied),
      numTargetRowsUnchanged: String(m.rowsUnchanged),
      numTargetFilesRemoved: String(m.filesRemoved),
      numTargetFilesAdded: String(m.filesAdded),
      numTargetChangeFilesAdded: String(m.changeDataFiles),
      ...(m.deletionVectorsAdded === undefined
        ? {}
        : { numTargetDeletionVectorsAdded: String(m.deletionVectorsAdded), numTargetDeletionVectorsRemoved: String(m.deletionVectorsRemoved ?? 0) }),
    }
  }
  if (operation === 'WRITE') {
    return {
      numFiles: String(m.filesAdded),
      numOutputRows: String(m.rowsInserted),
      numRemovedFiles: String(m.filesRemoved),
      numDeletedRows: String(m.rowsDeleted),
      numCopiedRows: String(m.rowsCopied),
      numAddedChangeFiles: String(m.changeDataFiles),
    }
  }
  if (operation === 'UPDATE')
    return { numUpdatedRows: String(m.rowsUpdated), numCopiedRows: String(m.rowsCopied), numUnchangedRows: String(m.rowsUnchanged), ...files }
  return { numDeletedRows: String(m.rowsDeleted), numCopiedRows: String(m.rowsCopied), ...files }
}

/** Refuses a target row matched by several source rows, naming the row (read again from the target: the changes may not keep old images). */
async function checkSingleMatch(lake: LakeEngine, changes: string, target: string, columns: string[], table: string): Promise<void> {
  const db = await lake.duckdb()
  const [duplicate] = await db.rows(
    `SELECT (SELECT to_json(struct_pack(${columns.map((c) => `${c} := t.${c}`).join(', ')})) FROM ${target} t WHERE t.__file = d.__file AND t.__row = d.__row) AS target_row, d.matches
     FROM (SELECT __file, __row, count(*) AS matches FROM ${changes} WHERE __action IN ('update', 'delete', 'noop') GROUP BY __file, __row HAVING count(*) > 1 LIMIT 1) d`,
  )
  if (duplicate) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `MERGE matched target row ${String(duplicate.target_row)} with ${duplicate.matches} source rows; at most one source row may change a target row ` +
        `(deduplicate the source by key first, e.g. keep the latest change per key)`,
      { table },
    )
  }
}
