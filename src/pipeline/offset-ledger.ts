/**
 * The offset ledger: which Kafka offsets the lake holds, recorded in the lake itself. This is the
 * one place that knows how; the consumer group's committed offsets are only for lag monitoring.
 *
 * - What is recorded: each commit to a source's raw table, and to the dead-letter table, carries
 *   per topic partition the batch's last offset as a `txn` action, appId
 *   `lakehouse/<source>/<topic>/<partition>` (offsetAppId), version = the offset. Both tables
 *   record every batch's offsets, whatever rows each received (offsetTxns), in the same commit
 *   as the rows: a crash at any instant loses and duplicates nothing.
 * - Where to resume: after the lower of the two tables' offsets (resumeAfter); a message already
 *   recorded in its table is skipped (recordedOffsetLookup).
 * - Data loss: when the log no longer lines up with what the lake records (offsetGap: retention
 *   deleted what was never read, or the topic was re-created and its offsets started again), the
 *   job refuses to go on (DataLossError) or, for a source with `failOnDataLoss: false`, records
 *   the accepted gap (recordAcceptedGaps) before reading on: a commit to each table whose only
 *   actions are the partitions' `txn`s moved to where reading resumes (the log start, minus one),
 *   with the gap described in its history. The skip is never silent, and a job killed right
 *   after it resumes from the same place. A raw table's `txn` at -1 is such a record for a
 *   partition whose log now starts at 0.
 */
import type { Txn, Snapshot } from '../delta'
import { snapshotOrNothing, type LakeEngine } from '../engine'
import { setTransactions } from '../table'
import type { LakeCatalog } from '../engine'
import type { SourceSpec } from './pipeline-file'
import { DEAD_LETTERS_TABLE } from './raw-zone'

export interface PartitionOffset {
  topic: string
  partition: number
  offset: number
}

export function offsetAppId(source: string, topic: string, partition: number): string {
  return `lakehouse/${source}/${topic}/${partition}`
}

/** The topic partitions a table records for a source, from its txn appIds. */
function recordedPartitions(snapshot: Snapshot | undefined, source: string): { topic: string; partition: number }[] {
  const prefix = `lakehouse/${source}/`
  const found: { topic: string; partition: number }[] = []
  for (const appId of snapshot?.txns.keys() ?? []) {
    if (!appId.startsWith(prefix)) continue
    const rest = appId.slice(prefix.length)
    const slash = rest.lastIndexOf('/')
    const partition = Number(rest.slice(slash + 1))
    if (slash <= 0 || !Number.isSafeInteger(partition)) continue
    const topic = rest.slice(0, slash)
    if (offsetAppId(source, topic, partition) === appId) found.push({ topic, partition })
  }
  return found
}

/** The offset a table has recorded for a partition (-1: nothing yet). */
export function recordedOffset(snapshot: Snapshot | undefined, source: string, topic: string, partition: number): number {
  return snapshot?.txns.get(offsetAppId(source, topic, partition))?.version ?? -1
}

/**
 * recordedOffset of one table for one source, remembering the last partition asked for (a
 * batch's messages come in runs per partition): no appId text per message.
 */
export function recordedOffsetLookup(snapshot: Snapshot | undefined, source: string): (topic: string, partition: number) => number {
  let lastTopic: string | undefined
  let lastPartition = -1
  let lastOffset = -1
  return (topic, partition) => {
    if (topic !== lastTopic || partition !== lastPartition) {
      lastOffset = recordedOffset(snapshot, source, topic, partition)
      lastTopic = topic
      lastPartition = partition
    }
    return lastOffset
  }
}

/**
 * The last offset both tables hold for a partition, or -1 when neither records anything. The
 * dead-letter table is committed first in every batch that has dead letters, and once it exists
 * every batch records its offsets there too: so a partition it has no offset for never had a
 * dead letter committed, and the raw table's offset alone is safe (this spares re-reading the
 * whole partition on every run of a source that has never had a dead letter).
 */
export function resumeAfter(raw: Snapshot | undefined, dead: Snapshot | undefined, source: string, topic: string, partition: number): number {
  const r = recordedOffset(raw, source, topic, partition)
  const d = recordedOffset(dead, source, topic, partition)
  return d < 0 ? r : Math.min(r, d)
}

/** Per partition, the last offset among `messages` (computed once per batch: the tables and the group both take it). */
export function lastOffsets(messages: readonly { topic: string; partition: number; offset: string }[]): PartitionOffset[] {
  const last = new Map<string, PartitionOffset>()
  for (const m of messages) {
    const key = `${m.topic}\u0000${m.partition}`
    const offset = Number(m.offset)
    if (offset > (last.get(key)?.offset ?? -1)) last.set(key, { topic: m.topic, partition: m.partition, offset })
  }
  return [...last.values()]
}

/** The `txn` actions that record a batch's last offsets in a table: those beyond what it records already. */
export function offsetTxns(last: readonly PartitionOffset[], snapshot: Snapshot | undefined, source: string): Txn[] {
  return last
    .filter((p) => p.offset > recordedOffset(snapshot, source, p.topic, p.partition))
    .map((p) => ({ appId: offsetAppId(source, p.topic, p.partition), version: p.offset }))
}

/** What a source's raw and dead-letter tables record, read once when a job starts. */
export class OffsetLedger {
  constructor(
    readonly source: string,
    readonly raw: Snapshot | undefined,
    readonly dead: Snapshot | undefined,
  ) {}

  static async load(lake: LakeEngine, catalog: LakeCatalog, source: Pick<SourceSpec, 'name' | 'table'>): Promise<OffsetLedger> {
    const [rawPath, deadPath] = await Promise.all([catalog.confinedPathOf(source.table), catalog.confinedPathOf(DEAD_LETTERS_TABLE)])
    const [raw, dead] = await Promise.all([snapshotOrNothing(lake, rawPath), snapshotOrNothing(lake, deadPath)])
    return new OffsetLedger(source.name, raw, dead)
  }

  /** The last offset both tables hold for a partition (-1: nothing); the next run starts after it. */
  resumeAfter(topic: string, partition: number): number {
    return resumeAfter(this.raw, this.dead, this.source, topic, partition)
  }

  /**
   * resumeAfter for a Kafka partition, or undefined when neither table records anything; -1 when
   * an accepted reset moved it before offset 0 (the raw table's `txn` at -1).
   */
  recorded(topic: string, partition: number): number | undefined {
    const offset = this.resumeAfter(topic, partition)
    if (offset >= 0) return offset
    return this.raw?.txns.has(offsetAppId(this.source, topic, partition)) ? -1 : undefined
  }

  /** Every partition either table records for the source, each with its resumeAfter (>= 0), in topic then partition order. */
  partitions(): PartitionOffset[] {
    const partitions = new Map<string, { topic: string; partition: number }>()
    for (const p of [...recordedPartitions(this.raw, this.source), ...recordedPartitions(this.dead, this.source)])
      partitions.set(`${p.topic}\u0000${p.partition}`, p)
    return [...partitions.values()]
      .map((p) => ({ ...p, offset: this.resumeAfter(p.topic, p.partition) }))
      .filter((p) => p.offset >= 0)
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
  }
}

// ---- data loss ------------------------------------------------------------------------------------

export interface OffsetGap {
  kind: 'retention' | 'reset'
  topic: string
  partition: number
  /** The last offset the lake holds for the partition. */
  recorded: number
  /** The partition's log start and end (high watermark) when the gap was found. */
  low: number
  high: number
}

/** The gap between what the lake recorded and the partition's log, if there is one. */
export function offsetGap(topic: string, partition: number, recorded: number | undefined, low: number, high: number): OffsetGap | undefined {
  if (recorded === undefined || recorded < 0) return undefined
  if (recorded + 1 > high) return { kind: 'reset', topic, partition, recorded, low, high }
  if (recorded + 1 < low) return { kind: 'retention', topic, partition, recorded, low, high }
  return undefined
}

/** Where reading resumes once a gap is accepted: the log start, whichever the kind. */
export const resumeAt = (gap: OffsetGap): number => gap.low

const n = (value: number) => value.toLocaleString('en-US')

/** One line per gap, saying what happened in the partition. */
export function describeGap(gap: OffsetGap): string {
  const where = `topic '${gap.topic}' partition ${gap.partition}`
  if (gap.kind === 'retention') {
    const lost = gap.low - gap.recorded - 1
    return `${where}: offsets ${n(gap.recorded + 1)} to ${n(gap.low - 1)} (${n(lost)} message${lost === 1 ? '' : 's'}) were deleted by the topic's retention before they were ingested (the lake holds up to ${n(gap.recorded)}; the log now starts at ${n(gap.low)})`
  }
  return `${where}: the log now ends at offset ${n(gap.high)}, but the lake already holds offsets up to ${n(gap.recorded)}; the topic was deleted and re-created, or the broker's data was wiped, and its offsets started again`
}

export class DataLossError extends Error {
  readonly gaps: OffsetGap[]
  constructor(source: string, gaps: OffsetGap[]) {
    const resets = gaps.some((g) => g.kind === 'reset')
    const what = resets ? 'ingest the partitions again from the start of their logs' : 'continue from the start of the logs'
    super(
      `source '${source}' stopped before reading anything more, because data would be lost:\n` +
        gaps.map((g) => `  - ${describeGap(g)}`).join('\n') +
        `\nTo accept the loss and ${what}, set "failOnDataLoss": false on the source in the pipeline file (the skip is then recorded in the raw table's history).`,
    )
    this.name = 'DataLossError'
    this.gaps = gaps
  }
}

/**
 * Record accepted gaps in the lake: the dead-letter table first (when it exists; it records every
 * partition's offset once it does), then the raw table, each partition's `txn` set to one before
 * where reading resumes. The commits conflict with any other job recording the same partitions.
 */
export async function recordAcceptedGaps(lake: LakeEngine, catalog: LakeCatalog, source: SourceSpec, gaps: OffsetGap[]): Promise<void> {
  if (gaps.length === 0) return
  const now = Date.now()
  const txns = gaps.map((g) => ({ appId: offsetAppId(source.name, g.topic, g.partition), version: resumeAt(g) - 1, lastUpdated: now }))
  for (const name of [DEAD_LETTERS_TABLE, source.table]) {
    const table = catalog.pathOf(name)
    const snapshot = await snapshotOrNothing(lake, table)
    if (!snapshot) continue // a raw table that does not exist yet has nothing to move
    await setTransactions(lake, table, { snapshot, txns, operationParameters: { source: source.name, dataLoss: gaps.map(describeGap).join('; ') } })
  }
}
