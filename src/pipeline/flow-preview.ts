/**
 * What a flow would write for one message, found by running the pipeline's own code on it: the
 * ingest job's writeRawBatch puts the message into a raw table, and refineBatch runs the flow over
 * that table, both in a scratch lake (a temporary folder) so that the user's lake is only read.
 * No step is imitated, so the preview cannot drift from the jobs: the raw row carries `_offset`
 * and the other Kafka columns, a cdc flow's row is the merged image, a MongoDB update is applied to
 * the document the flow's state holds now.
 *
 * The scratch tables start as empty copies of the lake's (same schema, partitioning and
 * properties), so columns are typed as the lake types them; a MongoDB flow's scratch document
 * state holds the message's document from the lake's.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import type { StructType, Snapshot } from '../delta'
import { dropScan, snapshotOrNothing, type LakeEngine } from '../engine'
import { appendQuery, createTable } from '../table'
import { LakeCatalog } from '../engine'
import type { Column } from '../transform'
import type { FlowSpec, SourceSpec } from './pipeline-file'
import type { IngestMessage } from './ingest-message'
import { writeRawBatch } from './raw-batch'
import { DEAD_LETTERS_TABLE } from './raw-zone'
import { documentStateTable, refineBatch } from './refine'
import { rawShape } from './refine/raw-shape'

export interface PreviewTable {
  table: string
  columns: Column[]
  rows: Record<string, unknown>[]
}

export interface FlowPreview {
  /** The row ingest writes to the source's raw table (absent when the message is a dead letter). */
  raw?: PreviewTable
  /** Why ingest sends the message to raw._dead_letters instead. */
  deadLetter?: { reason: string; detail?: string }
  /** The flow's tables as this message leaves them when they start empty: its target first, then explode's child tables. */
  tables: PreviewTable[]
  /** Why the flow writes no row, when it writes none (a delete, a filtered row, an update of an unknown document). */
  note?: string
}

/**
 * Runs ingest and the flow on `message` in a scratch lake shaped like `catalog`'s lake. Throws
 * what the jobs would throw (a transform that cannot apply, a schema the flow cannot read).
 */
export async function previewFlowWrite(
  lake: LakeEngine,
  catalog: LakeCatalog,
  source: SourceSpec,
  flow: FlowSpec,
  message: IngestMessage,
): Promise<FlowPreview> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lakehouse-preview-'))
  const scratch = new LakeCatalog(dir, lake.io.storage)
  try {
    const outputs = [flow.to, ...(flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))]
    for (const table of [source.table, ...outputs]) await copyShape(lake, catalog, scratch, table)

    const written = await writeRawBatch(lake, scratch, source, [message])
    if (written.deadLetters > 0) {
      const [letter] = (await tableRows(lake, scratch, DEAD_LETTERS_TABLE))!.rows
      return { deadLetter: { reason: String(letter.reason), ...(letter.detail === null ? {} : { detail: String(letter.detail) }) }, tables: [] }
    }
    const raw = (await tableRows(lake, scratch, source.table))!
    if (flow.mode === 'cdc') await copyDocument(lake, catalog, scratch, flow, source.table)
    // All of the scratch raw table's versions in one batch: a flow's maxVersions splits real work, not this one message.
    const report = await refineBatch(lake, scratch, { ...flow, batch: { ...flow.batch, maxVersions: Number.MAX_SAFE_INTEGER } })
    const tables: PreviewTable[] = []
    for (const table of outputs) tables.push((await tableRows(lake, scratch, table)) ?? { table, columns: [], rows: [] })
    const note = tables[0].rows.length > 0 ? undefined : whyNoRow(raw, flow, report?.patchesWithoutDocument ?? 0)
    return { raw, tables, ...(note ? { note } : {}) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** An empty table in the scratch lake like the lake's `table` (nothing when the lake has none yet). */
async function copyShape(lake: LakeEngine, catalog: LakeCatalog, scratch: LakeCatalog, table: string): Promise<void> {
  const existing = await snapshotOrNothing(lake, await catalog.confinedPathOf(table))
  if (!existing) return
  await createTable(lake, scratch.pathOf(table), {
    schema: existing.schema,
    partitionColumns: existing.metadata.partitionColumns,
    properties: existing.metadata.configuration ?? {},
  })
}

/** A MongoDB flow's state for the message's document, so that an update applies to it as in the lake. */
async function copyDocument(lake: LakeEngine, catalog: LakeCatalog, scratch: LakeCatalog, flow: FlowSpec, rawTable: string): Promise<void> {
  const rawSnapshot = await lake.snapshot(scratch.pathOf(rawTable))
  const shape = rawShape(rawSnapshot.schema, flow.from, flow.key)
  if (shape.kind !== 'mongo') return
  const state = documentStateTable(flow.to, flow.name)
  const stored = await snapshotOrNothing(lake, await catalog.confinedPathOf(state))
  if (!stored) return
  const db = await lake.duckdb()
  const rawScan = await lake.scan(rawSnapshot)
  const storedScan = await lake.scan(stored)
  try {
    const select = `SELECT entity, document FROM ${storedScan.sql} WHERE entity IN (SELECT CAST(${shape.entity} AS VARCHAR) FROM ${rawScan.sql})`
    if (Number((await db.rows(`SELECT count(*) AS n FROM (${select})`))[0].n) === 0) return
    await appendQuery(lake, scratch.pathOf(state), select, { create: { properties: stored.metadata.configuration ?? {} } })
  } finally {
    await dropScan(db, rawScan)
    await dropScan(db, storedScan)
  }
}

/** Every row and column of a scratch table, typed as Delta types them; undefined when it was not created. */
async function tableRows(lake: LakeEngine, scratch: LakeCatalog, table: string): Promise<PreviewTable | undefined> {
  const snapshot: Snapshot | undefined = await snapshotOrNothing(lake, scratch.pathOf(table))
  if (!snapshot) return undefined
  const db = await lake.duckdb()
  const scan = await lake.scan(snapshot)
  try {
    const schema: StructType = snapshot.schema
    const rows = await db.rows(`SELECT * FROM ${scan.sql}`)
    return { table, columns: schema.fields.map((f) => ({ name: f.name, type: f.type })), rows }
  } finally {
    await dropScan(db, scan)
  }
}

function whyNoRow(raw: PreviewTable, flow: FlowSpec, patchesWithoutDocument: number): string {
  const row = raw.rows[0] ?? {}
  if (row._tombstone === true) return 'a tombstone: flows skip it'
  if (patchesWithoutDocument > 0)
    return `an update of a document ${flow.name}'s state does not hold: the flow cannot apply it and writes nothing (as when it started after the document's insert)`
  if (flow.mode === 'cdc' && (row.op === 'd' || row.__op === 'd')) return `a delete: the flow removes the row with this key from ${flow.to}`
  if (flow.mode === 'cdc' && (row.op === 't' || row.__op === 't')) return `a truncate: the flow empties ${flow.to}`
  if ((flow.transforms ?? []).some((t) => t.op === 'filter')) return `the flow's filter leaves this message out of ${flow.to}`
  return `the flow writes no row of this message to ${flow.to}`
}
