/**
 * Where each partition of a Kafka ingest job stands: its watermarks when the job started, the next
 * offset to take, and which partitions the group gave the job. Where a partition starts is decided
 * by the lake (the offset ledger), never by the consumer group: after what the tables record; with
 * nothing recorded, `startingOffsets` decides (earliest: the log start; latest: where an earlier
 * run of the job started, which it committed to the group, else the high watermark at start).
 */
import type { PartitionWatermarks } from '../kafka'
import { resumeAt, type OffsetGap, type OffsetLedger, type PartitionOffset } from './offset-ledger'

export const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`

export class PartitionPositions {
  /** The partitions and their watermarks at start (an accepted reset lowers `high`). */
  private readonly partitions = new Map<string, PartitionWatermarks>()
  /** Per partition, the next offset to take (everything before it is written or in the open batch). */
  private readonly next = new Map<string, number>()
  /** 'latest' partitions with nothing recorded and nothing taken yet: their start goes to the group with every commit. */
  private readonly untaken = new Set<string>()
  /** The partitions the group gave this job at its last join (undefined before the first join). */
  private assigned: Set<string> | undefined

  constructor(
    watermarks: PartitionWatermarks[],
    private readonly ledger: OffsetLedger,
    private readonly startingOffsets: 'earliest' | 'latest' | undefined,
    /** 'latest' partitions with nothing recorded: where an earlier run started (committed to the group). */
    private readonly latestStarts: Map<string, number>,
  ) {
    for (const w of watermarks) this.partitions.set(partitionKey(w.topic, w.partition), { ...w })
  }

  /** The partitions at start, each with the last offset the lake records (see OffsetLedger.recorded). */
  recorded(): (PartitionWatermarks & { recorded: number | undefined })[] {
    return [...this.partitions.values()].map((p) => ({ ...p, recorded: this.ledger.recorded(p.topic, p.partition) }))
  }

  /** Set where every partition starts: after what the lake records, or at the log start past an accepted gap. */
  startAll(acceptedGaps: OffsetGap[]): void {
    for (const [key, info] of this.partitions) {
      const start = this.startOf(info.topic, info.partition)
      if (start !== undefined) this.next.set(key, start)
    }
    for (const gap of acceptedGaps) this.next.set(partitionKey(gap.topic, gap.partition), resumeAt(gap))
  }

  /** Each partition, where it starts and its high watermark (for onStart). */
  starts(): { topic: string; partition: number; start?: number; high: number }[] {
    return [...this.partitions].map(([key, info]) => ({ topic: info.topic, partition: info.partition, start: this.next.get(key), high: info.high }))
  }

  /** The topics at start, quoted, for messages. */
  topicsText(): string {
    return [...new Set([...this.partitions.values()].map((p) => p.topic))].map((t) => `'${t}'`).join(', ')
  }

  /**
   * Caught up when every partition this job reads has reached its end offset from the start; with
   * other jobs in the group, the partitions they hold are theirs to finish.
   */
  caughtUp(): boolean {
    return [...this.partitions].every(([key, info]) => (this.assigned !== undefined && !this.assigned.has(key)) || (this.next.get(key) ?? -1) >= info.high)
  }

  /** A join: the partitions the group gave this job, each with where its next fetch must start. */
  join(assignment: Record<string, number[]>): PartitionOffset[] {
    this.assigned = new Set(Object.entries(assignment).flatMap(([topic, assigned]) => assigned.map((p) => partitionKey(topic, p))))
    const seeks: PartitionOffset[] = []
    for (const [topic, assigned] of Object.entries(assignment)) {
      for (const partition of assigned) {
        const key = partitionKey(topic, partition)
        let position = this.next.get(key)
        if (position === undefined) {
          position = this.startOf(topic, partition)
          if (position === undefined) continue // a topic that appeared since the start, 'latest': the group's default
          this.next.set(key, position)
        }
        seeks.push({ topic, partition, offset: position })
      }
    }
    return seeks
  }

  /** The next offset to take from a partition, if decided. */
  nextOf(key: string): number | undefined {
    return this.next.get(key)
  }

  /** A message of the partition is being taken: its 'latest' start need not go to the group any more. */
  taking(key: string): void {
    this.untaken.delete(key)
  }

  /** Everything before `offset` is taken (in the open batch or written). */
  takenUpTo(key: string, offset: number): void {
    this.next.set(key, offset)
  }

  /** A fetch of filtered records only (transaction markers, aborted records) ended at lastOffset; true when that moved the partition on. */
  skippedTo(key: string, lastOffset: number): boolean {
    const position = this.next.get(key)
    if (position === undefined || lastOffset + 1 <= position) return false
    this.next.set(key, lastOffset + 1)
    return true
  }

  /** A gap met mid-run and accepted: reading goes on from the log start; returns that offset. */
  acceptGap(key: string, gap: OffsetGap): number {
    const position = resumeAt(gap)
    this.next.set(key, position)
    const info = this.partitions.get(key)
    if (info && gap.kind === 'reset') info.high = gap.high
    return position
  }

  /** The starts of the 'latest' partitions nothing was taken from yet, committed to the group so that a restart starts there again. */
  untakenStarts(): PartitionOffset[] {
    const starts: PartitionOffset[] = []
    for (const key of this.untaken) {
      const info = this.partitions.get(key)
      const position = this.next.get(key)
      if (info && position !== undefined) starts.push({ topic: info.topic, partition: info.partition, offset: position })
    }
    return starts
  }

  /** Where a partition starts when this job has taken nothing from it yet. */
  private startOf(topic: string, partition: number): number | undefined {
    const key = partitionKey(topic, partition)
    const info = this.partitions.get(key)
    const recorded = this.ledger.recorded(topic, partition)
    if (recorded !== undefined) return recorded + 1
    if (this.startingOffsets === 'latest') {
      this.untaken.add(key)
      return this.latestStarts.get(key) ?? info?.high
    }
    return info?.low ?? 0
  }
}
