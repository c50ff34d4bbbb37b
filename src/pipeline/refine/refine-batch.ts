/**
 * One refine batch of a flow: the source table's changes since the flow last ran (its change
 * data feed), transformed and written to the flow's tables, each commit recording the last source
 * version it covers (`txn`, appId `lakehouse/flow/<name>`). Tables are written in a fixed order
 * (target, child tables, then a MongoDB flow's document state); a restart resumes from the table
 * that is furthest behind, and each table skips the changes it already has, so a crash at any
 * point neither loses nor applies a change twice.
 */
import { DeltaError, isDeltaError, quoteIdentifier, type Txn, type Snapshot, removeFileFor } from '../../delta'
import { dropScan, missingFileError, snapshotOrNothing, type LakeEngine, type RegisteredScan } from '../../engine'
import { commitTable } from '../../table'
import type { LakeCatalog } from '../../engine'
import { applyTransforms, describeRelation, type Relation, type Transform, type TransformedBatch } from '../../transform'
import type { FlowSpec } from '../pipeline-file'
import { applyChildRows, applyCurrentState, applyHistory, appendRows, START_AT, type WriteResult } from './apply-changes'
import { readChangeBatch } from './change-events'
import { documentStateTable, saveDocuments, storedDocuments } from './document-state'
import type { LakeTableReader } from './lake-tables'
import { rawShape, type RawShape } from './raw-shape'

export const DEFAULT_MAX_VERSIONS = 50

export function flowAppId(flow: string): string {
  return `lakehouse/flow/${flow}`
}

/** A flow that cannot go on without the user: the message says what to do. */
export class FlowError extends Error {
  constructor(
    readonly flow: string,
    readonly code: 'RANGE_UNAVAILABLE' | 'SOURCE_MISSING',
    message: string,
  ) {
    super(`flow '${flow}': ${message}`)
    this.name = 'FlowError'
  }
}

export interface RefineBatchReport {
  flow: string
  /** The source versions this batch covered. */
  fromVersion: number
  toVersion: number
  /** The source table's latest version when the batch started. */
  sourceVersion: number
  /** Change events (cdc) or rows (append) read. */
  changes: number
  writes: WriteResult[]
  /** MongoDB updates of documents the flow never saw whole (it started after their insert). */
  patchesWithoutDocument: number
  /** The batch read the source's snapshot, not its change feed (a new flow whose early history is gone, or a full refresh). */
  fromSnapshot: boolean
  durationMs: number
}

interface Output {
  table: string
  path: string
  kind: 'target' | 'child' | 'documents'
  recorded: number
}

export interface RefineBatchOptions {
  /** Start over: empty the flow's tables and rebuild them from the source's current snapshot. */
  fullRefresh?: boolean
  /** Lets `sql` transforms read other lake tables (as of the batch's start). */
  lakeTables?: LakeTableReader
}

/** Runs one batch; undefined when the flow has nothing new to read. */
export async function refineBatch(
  lake: LakeEngine,
  catalog: LakeCatalog,
  spec: FlowSpec,
  options: RefineBatchOptions = {},
): Promise<RefineBatchReport | undefined> {
  const sqlSteps = (spec.transforms ?? []).filter((t) => t.op === 'sql')
  const reads = options.lakeTables && sqlSteps.length ? await options.lakeTables(sqlSteps.map((t) => t.query)) : undefined
  if (!reads) return batchOf(lake, catalog, spec, options)
  try {
    // The same flow, its sql steps reading the tables registered for this batch.
    let next = 0
    const transforms = spec.transforms!.map((t) => (t.op === 'sql' ? { ...t, query: reads.queries[next++] } : t))
    return await batchOf(lake, catalog, { ...spec, transforms }, options)
  } finally {
    await reads.release()
  }
}

async function batchOf(lake: LakeEngine, catalog: LakeCatalog, flow: FlowSpec, options: RefineBatchOptions): Promise<RefineBatchReport | undefined> {
  const started = performance.now()
  const appId = flowAppId(flow.name)
  const source = await snapshotOrNothing(lake, catalog.pathOf(flow.from))
  if (!source) return undefined
  const latestShape = flow.mode === 'cdc' ? rawShape(source.schema, flow.from, flow.key, flow) : undefined
  const outputs = await flowOutputs(lake, catalog, flow, latestShape, appId)
  if (options.fullRefresh) await resetOutputs(lake, outputs, appId)

  const start = Math.min(...outputs.map((o) => o.recorded)) + 1
  if (start > source.version) return undefined
  const end = Math.min(source.version, start + (flow.batch?.maxVersions ?? DEFAULT_MAX_VERSIONS) - 1)
  const db = await lake.duckdb()
  const { feed, fromSnapshot } = await openSource(lake, flow, source, start, end, outputs, options.fullRefresh ?? false)
  const last = fromSnapshot ? source.version : end
  const txn: Txn = { appId, version: last }
  // The feed's rows have the schema of its last version, which lacks the fields later versions
  // added: SQL written against the latest shape would name fields the batch's rows do not have.
  const shape =
    flow.mode === 'cdc' && last !== source.version
      ? rawShape((await lake.snapshot(source.table, { version: last })).schema, flow.from, flow.key, flow)
      : latestShape
  // The feed is read where it is used (no copy): the events table of a cdc batch, the appends.
  const types = (shape?.changeTypes ?? ['insert']).map((t) => `'${t}'`).join(', ')
  const raw = `(SELECT * FROM ${feed.sql} WHERE "_change_type" IN (${types}))`
  try {
    const report: RefineBatchReport = {
      flow: flow.name,
      fromVersion: fromSnapshot ? 0 : start,
      toVersion: last,
      sourceVersion: source.version,
      changes: 0,
      writes: [],
      patchesWithoutDocument: 0,
      fromSnapshot,
      durationMs: 0,
    }
    try {
      if (flow.mode === 'append') await appendBatch(lake, flow, raw, outputs, txn, report)
      else await cdcBatch(lake, flow, raw, shape!, outputs, txn, report)
    } catch (error) {
      // A data file of the range vanished between planning and reading (VACUUM).
      throw unavailable(flow, error, start, end) ?? missingSourceFile(flow, error, start, end) ?? error
    }
    report.durationMs = performance.now() - started
    return report
  } finally {
    await dropScan(db, feed)
  }
}
let sourceCounter = 0

function missingSourceFile(flow: FlowSpec, error: unknown, start: number, end: number): FlowError | undefined {
  const missing = missingFileError(error)
  return missing ? unavailable(flow, missing, start, end) : undefined
}

async function flowOutputs(lake: LakeEngine, catalog: LakeCatalog, flow: FlowSpec, shape: RawShape | undefined, appId: string): Promise<Output[]> {
  const tables: { table: string; kind: Output['kind'] }[] = [
    { table: flow.to, kind: 'target' },
    ...(flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [{ table: t.into, kind: 'child' as const }] : [])),
    ...(shape?.kind === 'mongo' ? [{ table: documentStateTable(flow.to, flow.name), kind: 'documents' as const }] : []),
  ]
  return Promise.all(
    tables.map(async ({ table, kind }) => {
      const path = catalog.pathOf(table)
      const snapshot = await snapshotOrNothing(lake, path)
      return { table, path, kind, recorded: snapshot?.txns.get(appId)?.version ?? -1 }
    }),
  )
}

/** A full refresh first empties each table in a commit that also resets the flow's progress to -1. */
async function resetOutputs(lake: LakeEngine, outputs: Output[], appId: string): Promise<void> {
  for (const output of outputs) {
    const snapshot = await snapshotOrNothing(lake, output.path)
    output.recorded = -1
    if (!snapshot) continue
    const now = Date.now()
    await commitTable(lake, {
      table: output.path,
      snapshot,
      actions: [...snapshot.files.map(({ add }) => ({ remove: removeFileFor(add, now) })), { txn: { appId, version: -1, lastUpdated: now } }],
      operation: 'DELETE',
      operationParameters: { predicate: '["true"]', reason: 'full refresh of the flow' },
    })
  }
}

/**
 * The batch's source rows: the change feed of [start, end], or the source's current snapshot
 * (every row of it an insert) for a full refresh and for a flow that has written nothing yet and
 * whose source no longer has its early history.
 */
async function openSource(
  lake: LakeEngine,
  flow: FlowSpec,
  source: Snapshot,
  start: number,
  end: number,
  outputs: Output[],
  fullRefresh: boolean,
): Promise<{ feed: RegisteredScan; fromSnapshot: boolean }> {
  const nothingWritten = outputs.every((o) => o.recorded === -1)
  if (!fullRefresh) {
    try {
      return { feed: await lake.changes(source.table, { startVersion: start, endVersion: end }), fromSnapshot: false }
    } catch (error) {
      const gone = unavailable(flow, error, start, end)
      if (!gone && !(isDeltaError(error, 'INVALID_ARGUMENT') && /change data feed is not enabled/.test((error as Error).message))) throw error
      if (!nothingWritten) throw gone ?? error
    }
  }
  const scan = await lake.scan(source)
  return {
    feed: {
      sql: `(SELECT *, 'insert' AS "_change_type", ${source.version}::BIGINT AS "_commit_version" FROM ${scan.sql})`,
      temporaryTables: scan.temporaryTables,
    },
    fromSnapshot: true,
  }
}

function unavailable(flow: FlowSpec, error: unknown, start: number, end: number): FlowError | undefined {
  if (!isDeltaError(error, 'VERSION_NOT_FOUND') && !isDeltaError(error, 'MISSING_FILE')) return undefined
  return new FlowError(
    flow.name,
    'RANGE_UNAVAILABLE',
    `the changes of ${flow.from} versions ${start}..${end} are no longer available (${(error as Error).message}). ` +
      `Log cleanup or VACUUM removed them before the flow read them. Rebuild ${flow.to} from the current ${flow.from} with "lakehouse refine --flow ${flow.name} --full-refresh".`,
  )
}

/** Append mode: each table gets the transformed rows of the versions it does not have yet. */
async function appendBatch(lake: LakeEngine, flow: FlowSpec, raw: string, outputs: Output[], txn: Txn, report: RefineBatchReport): Promise<void> {
  const db = await lake.duckdb()
  const columns = (await describeRelation(db, raw)).map((c) => c.name)
  const hidden = ['_change_type', '_commit_version', '_commit_timestamp', '_tombstone'].filter((c) => columns.includes(c))
  const skip = columns.includes('_tombstone') ? 'AND NOT coalesce("_tombstone", false)' : ''
  report.changes = Number((await db.rows(`SELECT count(*) AS n FROM ${raw} WHERE true ${skip}`))[0].n)
  for (const recorded of [...new Set(outputs.map((o) => o.recorded))].sort((a, b) => a - b)) {
    const input = `(SELECT * EXCLUDE (${hidden.map(quoteIdentifier).join(', ')}) FROM ${raw} WHERE "_commit_version" > ${recorded} ${skip})`
    const batch = await transform(lake, flow, { sql: input, columns: await describeRelation(db, input) })
    try {
      for (const output of outputs.filter((o) => o.recorded === recorded)) {
        const rows = output.kind === 'target' ? batch.main : batch.children.find((c) => c.table === output.table)!.relation
        report.writes.push(await appendRows(lake, output.path, rows, txn))
      }
    } finally {
      await batch.dispose()
    }
  }
}

/**
 * cdc mode: the change events become each key's latest row (or its history, SCD type 2); deletes
 * go through the transforms too (less their filters: deleting a key the table lacks is harmless)
 * so that the key columns are named as in the table.
 */
async function cdcBatch(lake: LakeEngine, flow: FlowSpec, raw: string, shape: RawShape, outputs: Output[], txn: Txn, report: RefineBatchReport): Promise<void> {
  const db = await lake.duckdb()
  const history = flow.scd === 2
  const documents = outputs.find((o) => o.kind === 'documents')
  const changes = await readChangeBatch(db, raw, shape, {
    sequenceBy: flow.sequenceBy,
    history,
    table: flow.to,
    documents: documents ? (entities) => storedDocuments(lake, documents.path, entities) : undefined,
    // A MongoDB flow's document state reads the images as structs.
    unnestImage: !documents,
  })
  try {
    report.changes = changes.counts.events
    report.patchesWithoutDocument = changes.counts.patchesWithoutDocument
    const key = flow.key!
    const keep = history ? [START_AT, '__pos'] : []
    const untransformed = (flow.transforms ?? []).length === 0
    const recordedVersions = [...new Set(outputs.map((o) => o.recorded))].sort((a, b) => a - b)
    for (const recorded of recordedVersions) {
      const group = outputs.filter((o) => o.recorded === recorded && o.kind !== 'documents')
      if (group.length === 0) continue
      const truncate = changes.truncate !== undefined && changes.truncate.version > recorded
      const imageColumns = changes.image.fields.map((f) => quoteIdentifier(f.name)).join(', ')
      const images = (op: string) =>
        changes.unnested
          ? `(SELECT ${imageColumns} FROM ${changes.final} WHERE __op = '${op}' AND __version > ${recorded})`
          : `(SELECT unnest(__image)${history ? `, __seq AS ${START_AT}, __pos` : ''} FROM ${changes.final} WHERE __op = '${op}' AND __version > ${recorded})`
      // Without transforms the images are the rows: their columns are the image's fields (no DESCRIBE).
      const imageRelation = async (op: string) =>
        untransformed && changes.unnested
          ? { sql: images(op), columns: changes.image.fields.map((f) => ({ name: f.name, type: f.type })) }
          : relation(lake, images(op))
      const upserts = await transform(lake, flow, await imageRelation('upsert'), keep)
      const deletes = await transform(
        lake,
        { ...flow, transforms: (flow.transforms ?? []).filter((t) => t.op !== 'filter') },
        await imageRelation('delete'),
        keep,
      )
      // Untransformed, with every change of the batch newer than what the tables have: the batch's
      // last changes (upserts with their images, deletes with theirs) are the MERGE's source as they are.
      const asMergeSource =
        untransformed && changes.unnested && recorded === recordedVersions[0] ? { table: changes.final, controlColumns: ['__entity', '__version'] } : undefined
      const parents = `__refine_parents_${++sourceCounter}`
      try {
        checkKeyColumns(flow, upserts.main, 'upserts')
        checkKeyColumns(flow, deletes.main, 'deletes')
        const keys = key.map(quoteIdentifier).join(', ')
        // The parent keys the batch changed matter only to child tables.
        if (group.some((o) => o.kind !== 'target')) {
          await db.run(`CREATE TEMP TABLE ${parents} AS SELECT ${keys} FROM ${upserts.main.sql} UNION SELECT ${keys} FROM ${deletes.main.sql}`)
        }
        for (const output of group) {
          if (output.kind === 'target') {
            report.writes.push(
              history
                ? await applyHistory(lake, output.path, upserts.main, deletes.main, key, txn, truncate ? changes.truncate!.sequence : undefined)
                : await applyCurrentState(lake, output.path, upserts.main, deletes.main, key, txn, truncate, asMergeSource),
            )
          } else {
            const child = upserts.children.find((c) => c.table === output.table)!
            report.writes.push(await applyChildRows(lake, output.path, child.relation, child.key, child.parentKey, parents, txn, truncate))
          }
        }
      } finally {
        await db.run(`DROP TABLE IF EXISTS ${parents}`)
        await upserts.dispose()
        await deletes.dispose()
      }
    }
    if (documents) {
      const version = await saveDocuments(
        lake,
        documents.path,
        `(SELECT * FROM ${changes.final} WHERE __version > ${documents.recorded})`,
        txn,
        changes.truncate !== undefined && changes.truncate.version > documents.recorded,
      )
      report.writes.push({ table: documents.path, version, rows: 0 })
    }
  } finally {
    await changes.dispose()
  }
}

async function relation(lake: LakeEngine, sql: string): Promise<Relation> {
  return { sql, columns: await describeRelation(await lake.duckdb(), sql) }
}

async function transform(lake: LakeEngine, flow: FlowSpec, input: Relation, keep: string[] = []): Promise<TransformedBatch> {
  try {
    return await applyTransforms(await lake.duckdb(), input, (flow.transforms ?? []) as Transform[], { key: flow.key, keep })
  } catch (error) {
    if (error instanceof Error && 'step' in error)
      throw new DeltaError('INVALID_ARGUMENT', `flow '${flow.name}' transforms[${(error as { step: number }).step}]: ${error.message}`, { table: flow.to })
    throw error
  }
}

function checkKeyColumns(flow: FlowSpec, rows: Relation, what: string): void {
  const missing = flow.key!.filter((k) => !rows.columns.some((c) => c.name === k))
  if (missing.length) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `flow '${flow.name}': key column ${missing.join(', ')} is not among the transformed ${what}' columns (${rows.columns.map((c) => c.name).join(', ')})`,
      { table: flow.to },
    )
  }
}
