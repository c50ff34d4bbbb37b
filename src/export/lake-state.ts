/**
 * What the lake records about a pipeline, for the exported jobs to continue from it: per source,
 * the Kafka offset each partition resumes at (the raw and dead-letter tables' `txn` actions,
 * read through the offset ledger, pipeline/offset-ledger.ts, as the ingest job reads them), and the raw
 * table's schema; per flow, the first source version not yet refined (`txn` appId
 * `lakehouse/flow/<name>` in every table the flow writes; the one furthest behind decides).
 */
import type { StructType } from '../delta'
import { snapshotOrNothing, type LakeEngine } from '../engine'
import { OffsetLedger, documentStateTable, flowAppId, type FlowSpec, type Pipeline, type SourceSpec } from '../pipeline'
import type { LakeCatalog } from '../engine'

export interface PartitionOffset {
  topic: string
  partition: number
  /** The last offset both tables record. */
  recorded: number
  /** Where reading resumes: recorded + 1. */
  next: number
}

export interface SourceState {
  /** The raw table's schema, when the table exists. */
  schema?: StructType
  rawVersion?: number
  /** Per topic partition the lake has recorded, in topic then partition order. */
  offsets: PartitionOffset[]
}

export interface FlowState {
  /** The last source version every table of the flow has (absent: the flow has written nothing). */
  recorded?: number
  /** recorded + 1: Delta's `startingVersion` for the change feed. */
  startingVersion?: number
  /** Each table the flow writes and what it records (-1: nothing). */
  tables: { table: string; recorded: number }[]
}

export interface LakeState {
  sources: Map<string, SourceState>
  flows: Map<string, FlowState>
}

export async function sourceState(lake: LakeEngine, catalog: LakeCatalog, source: SourceSpec): Promise<SourceState> {
  const ledger = await OffsetLedger.load(lake, catalog, source)
  const offsets = ledger.partitions().map((p) => ({ topic: p.topic, partition: p.partition, recorded: p.offset, next: p.offset + 1 }))
  return { schema: ledger.raw?.schema, rawVersion: ledger.raw?.version, offsets }
}

/** The tables a flow writes: its target, its explode-into child tables, and a MongoDB flow's document state when it exists. */
export function flowTables(flow: FlowSpec): string[] {
  return [flow.to, ...(flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))]
}

export async function flowState(lake: LakeEngine, catalog: LakeCatalog, flow: FlowSpec): Promise<FlowState> {
  const appId = flowAppId(flow.name)
  const tables: FlowState['tables'] = []
  for (const table of flowTables(flow)) {
    const snapshot = await snapshotOrNothing(lake, await catalog.confinedPathOf(table))
    tables.push({ table, recorded: snapshot?.txns.get(appId)?.version ?? -1 })
  }
  // The document state is written last in a batch: when it exists it may be the one behind.
  const documents = await snapshotOrNothing(lake, await catalog.confinedPathOf(documentStateTable(flow.to, flow.name)))
  if (documents) tables.push({ table: documentStateTable(flow.to, flow.name), recorded: documents.txns.get(appId)?.version ?? -1 })
  const lowest = Math.min(...tables.map((t) => t.recorded))
  return lowest < 0 ? { tables } : { recorded: lowest, startingVersion: lowest + 1, tables }
}

/** Everything the export uses from the lake; a lake folder that does not exist yet gives empty state. */
export async function readLakeState(lake: LakeEngine, catalog: LakeCatalog, pipeline: Pipeline): Promise<LakeState> {
  const sources = new Map<string, SourceState>()
  for (const source of pipeline.sources) sources.set(source.name, await sourceState(lake, catalog, source))
  const flows = new Map<string, FlowState>()
  for (const flow of pipeline.flows ?? []) flows.set(flow.name, await flowState(lake, catalog, flow))
  return { sources, flows }
}

/** Spark's startingOffsets JSON: {"topic": {"partition": offset}}. */
export function startingOffsetsJson(offsets: PartitionOffset[]): string | undefined {
  if (offsets.length === 0) return undefined
  const byTopic: Record<string, Record<string, number>> = {}
  for (const o of offsets) (byTopic[o.topic] ??= {})[String(o.partition)] = o.next
  return JSON.stringify(byTopic)
}
