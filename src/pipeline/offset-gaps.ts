/**
 * Data loss between the lake and a Kafka partition: what the raw zone records no longer lines up
 * with the partition's log. Two ways it happens:
 * - retention: the log now starts after the next offset the lake needs (the job was stopped
 *   longer than the topic keeps data), so those messages are gone;
 * - reset: the log now ends before the offsets the lake already holds (the topic was deleted and
 *   re-created, or a dev broker's data was wiped), so its offsets started again.
 *
 * Like Spark's Kafka source, the job refuses to go on by default (`failOnDataLoss`, default true)
 * and says what was lost. When a source accepts the loss, the job records it in the lake before
 * reading on: a commit to each table whose only action is the partition's `txn` moved to where
 * reading resumes (the log start, minus one), with the gap described in its commitInfo. So the
 * skip is never silent, and a job killed right after it resumes from the same place.
 */
import { commit } from '../delta/commit'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../query/catalog'
import type { SourceSpec } from './pipeline-file'
import { DEAD_LETTERS_TABLE, offsetAppId, snapshotOrNothing } from './raw-batch'

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
  const txns = gaps.map((g) => ({ txn: { appId: offsetAppId(source.name, g.topic, g.partition), version: resumeAt(g) - 1, lastUpdated: now } }))
  for (const name of [DEAD_LETTERS_TABLE, source.table]) {
    const table = catalog.pathOf(name)
    const snapshot = await snapshotOrNothing(lake, table)
    if (!snapshot) continue // a raw table that does not exist yet has nothing to move
    await commit(lake.io, {
      table,
      snapshot,
      actions: txns,
      operation: 'SET TRANSACTION',
      operationParameters: { source: source.name, dataLoss: gaps.map(describeGap).join('; ') },
    })
  }
}
