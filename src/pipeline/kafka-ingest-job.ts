/**
 * The Kafka ingest job as a small state machine (see ingest-kafka.ts for what it guarantees):
 *
 *   starting ──▶ joining ──▶ consuming ──▶ stopping ──▶ stopped
 *      │                       ▲      │                  └─▶ failed (its error is thrown)
 *      │                       └──────┘ every later join seeks again
 *      ├──▶ stopped (untilCaughtUp, nothing to read)   a failure later: stopping, then failed
 *      └──▶ failed (a refused data-loss gap, a cluster that cannot be reached)
 *
 * - starting: read what the lake records (the offset ledger) and the partitions' watermarks;
 *   refuse a data-loss gap, or record an accepted one, before anything is read; decide where
 *   each partition starts.
 * - joining: the consumer joins the group; on every join (also later rebalances) each assigned
 *   partition is sought to where the lake says (`joined`), then consuming.
 * - consuming: fetched batches are decoded into the open batch (`take`); closed batches are
 *   written on their own chain (open-batch.ts), each followed by the group commit (`write`).
 * - stopping (abort signal, untilCaughtUp reached, or a failure): nothing more is taken; without
 *   a failure the open batch is written; the consumer leaves the group.
 */
import { setImmediate } from 'node:timers/promises'
import {
  ClusterAdmin,
  codecFailureOf,
  connectError,
  GroupConsumer,
  lastHeaderValues,
  unreadableFetchError,
  WatermarkReader,
  type ConsumedMessage,
  type FetchedBatch,
  type KafkaClient,
  type KafkaSettings,
  type PartitionWatermarks,
} from '../kafka'
import type { Decoder } from '../decode'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import { compactRow, type IngestMessage } from './ingest-message'
import { countBatch, type IngestReport } from './ingest-report'
import type { KafkaIngestOptions } from './kafka-ingest-options'
import { DataLossError, describeGap, lastOffsets, offsetGap, OffsetLedger, recordAcceptedGaps, type OffsetGap } from './offset-ledger'
import { OpenBatch, type BatchLimits } from './open-batch'
import { partitionKey, PartitionPositions } from './partition-positions'
import type { SourceSpec } from './pipeline-file'
import { writeRawBatch } from './raw-batch'
import { headerTexts } from './raw-zone'

/** Messages decoded between turns of the event loop (well under a millisecond's work). */
const YIELD_EVERY = 64

export type KafkaIngestState = 'starting' | 'joining' | 'consuming' | 'stopping' | 'stopped' | 'failed'

export interface KafkaIngestContext {
  lake: LakeEngine
  catalog: LakeCatalog
  source: SourceSpec
  /** The pipeline's kafka section (absent when the caller handed in a client). */
  settings: KafkaSettings | undefined
  client: KafkaClient
  /** The caller handed the client in: its connect errors are its own. */
  clientHandedIn: boolean
  decoder: Decoder
  groupId: string
  limits: BatchLimits
  options: KafkaIngestOptions
  report: IngestReport
}

export class KafkaIngestJob {
  state: KafkaIngestState = 'starting'
  private failure: unknown
  private positions!: PartitionPositions
  private readonly batch: OpenBatch
  private consumer: GroupConsumer | undefined
  /** For watermarks met mid-run (see gapBefore). */
  private readonly watermarks: WatermarkReader
  /** The fetched batch being taken. */
  private current: Promise<void> = Promise.resolve()
  /** Messages taken since the loop last let other work run. */
  private sinceYield = 0
  private readonly stopped: Promise<void>
  private resolveStopped!: () => void

  constructor(private readonly job: KafkaIngestContext) {
    this.stopped = new Promise<void>((resolve) => {
      this.resolveStopped = resolve
    })
    this.watermarks = new WatermarkReader(job.client)
    this.batch = new OpenBatch(job.limits, {
      write: (messages) => this.write(messages),
      mayWrite: () => this.failure === undefined,
      failed: (error) => this.fail(error),
    })
  }

  /** Stopping, or ended: nothing more is taken, and kafkajs must not restart the consumer. */
  get isStopping(): boolean {
    return this.state === 'stopping' || this.state === 'stopped' || this.state === 'failed'
  }

  async run(): Promise<IngestReport> {
    const { options, report } = this.job
    try {
      await this.start()
    } catch (error) {
      this.state = 'failed'
      throw error
    }
    if (options.untilCaughtUp && this.positions.caughtUp()) {
      this.state = 'stopped'
      return report
    }
    await this.consume()
    this.state = this.failure === undefined ? 'stopped' : 'failed'
    if (this.failure !== undefined) throw this.failure
    return report
  }

  /** → stopping: no more messages are taken; the open batch is written unless the job failed. */
  stop(): void {
    if (this.isStopping) return
    this.state = 'stopping'
    this.resolveStopped()
  }

  /** The first failure is the one thrown; the job stops. */
  fail(error: unknown): void {
    this.failure ??= error
    this.stop()
  }

  // ---- starting -----------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const { lake, catalog, source, options } = this.job
    const ledger = await OffsetLedger.load(lake, catalog, source)
    const { watermarks, latestStarts } = await this.lookUpPartitions()
    this.positions = new PartitionPositions(watermarks, ledger, source.startingOffsets, latestStarts)
    // What the lake records must still line up with each partition's log: refuse a gap, or record
    // an accepted one in the lake, before anything is read.
    const gaps = this.positions.recorded().flatMap((p) => offsetGap(p.topic, p.partition, p.recorded, p.low, p.high) ?? [])
    if (gaps.length && source.failOnDataLoss !== false) throw new DataLossError(source.name, gaps)
    if (gaps.length) await this.acceptGaps(gaps)
    this.positions.startAll(gaps)
    options.onStart?.(this.positions.starts())
  }

  /** The partitions and their watermarks at start; for 'latest', where an earlier run started. */
  private async lookUpPartitions(): Promise<{ watermarks: PartitionWatermarks[]; latestStarts: Map<string, number> }> {
    const { client, clientHandedIn, settings, source, groupId } = this.job
    const admin = new ClusterAdmin(client)
    try {
      // Inside the try: a connect that fails (refused credentials, a broker without SASL) must still
      // disconnect, or its sockets and retry timers keep the process alive after the error.
      await admin.connect().catch((error: Error) => {
        throw settings && !clientHandedIn ? connectError(settings, error) : error
      })
      const topics = source.topic ? [source.topic] : await admin.topicsMatching(new RegExp(source.topicPattern!))
      const watermarks: PartitionWatermarks[] = []
      for (const topic of topics) watermarks.push(...(await admin.watermarks(topic)))
      // 'latest' with nothing recorded: where an earlier run of this job started (it commits that
      // position to the group), so that a restart does not jump over what arrived in between.
      const latestStarts = new Map<string, number>()
      if (source.startingOffsets === 'latest' && topics.length) {
        for (const c of await admin.committedOffsets(groupId, topics)) if (c.offset >= 0) latestStarts.set(partitionKey(c.topic, c.partition), c.offset)
      }
      return { watermarks, latestStarts }
    } finally {
      await admin.disconnect()
    }
  }

  private async acceptGaps(found: OffsetGap[]): Promise<void> {
    const { lake, catalog, source, report, options } = this.job
    await recordAcceptedGaps(lake, catalog, source, found)
    ;(report.dataLoss ??= []).push(...found)
    options.onDataLoss?.(found, found.map(describeGap).join('\n'))
  }

  // ---- joining, consuming, stopping -----------------------------------------------------------------

  private async consume(): Promise<void> {
    const { client, groupId, settings, source, options } = this.job
    this.state = 'joining'
    const consumer = new GroupConsumer(client, { groupId, settings: settings?.consumer, mayRestart: () => !this.isStopping })
    this.consumer = consumer
    const onAbort = () => this.stop()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await consumer.start(source.topic ? { topics: [source.topic] } : { pattern: new RegExp(source.topicPattern!) }, {
        joined: (assignment) => {
          try {
            this.joined(assignment)
          } catch (error) {
            this.fail(error)
          }
        },
        crashed: (error) => {
          if (!this.isStopping) this.fail(unreadableFetchError(error, this.positions.topicsText() || source.topicPattern!))
        },
        skipped: (topic, partition, lastOffset) => {
          if (this.positions.skippedTo(partitionKey(topic, partition), lastOffset) && options.untilCaughtUp && this.positions.caughtUp()) this.stop()
        },
        batch: async (batch) => {
          this.current = this.take(batch)
          try {
            await this.current
          } catch (error) {
            this.fail(error) // a decoder that cannot go on (schema registry unreachable): stop, the next run resumes
          }
        },
      })
      await this.stopped
      await this.current.catch(() => {})
      if (this.failure === undefined) {
        void this.batch.close()
        await this.batch.written
      }
    } catch (error) {
      this.fail(error)
    } finally {
      this.batch.stopTimer()
      options.signal?.removeEventListener('abort', onAbort)
      await this.batch.written.catch(() => {})
      await consumer.close()
      await this.watermarks.close()
    }
  }

  /** Every join (the first, and each rebalance): seek each assigned partition to where the lake says. */
  private joined(assignment: Record<string, number[]>): void {
    if (this.state === 'joining') this.state = 'consuming'
    for (const seek of this.positions.join(assignment)) this.consumer!.seek(seek.topic, seek.partition, seek.offset)
    // Its share may already be complete (other jobs held the rest): nothing will arrive to say so.
    if (this.job.options.untilCaughtUp && this.positions.caughtUp()) this.stop()
  }

  /** One fetched batch into the open batch; holds the fetch loop while a closed batch waits for the write before it. */
  private async take(batch: FetchedBatch): Promise<void> {
    const { source, report, options } = this.job
    // A batch closed by the timer may still wait for the write before it.
    await this.batch.begun
    if (this.isStopping) return
    const key = partitionKey(batch.topic, batch.partition)
    let position = this.positions.nextOf(key) ?? 0
    const gap = await this.gapBefore(batch, position)
    if (gap) {
      if (source.failOnDataLoss !== false) throw new DataLossError(source.name, [gap])
      // What was taken before the gap is written first, then the gap is recorded, then
      // reading goes on from the log start (writes run in this order on one chain).
      void this.batch.close()
      this.batch.afterWrites(() => this.acceptGaps([gap]))
      position = this.positions.acceptGap(key, gap)
    }
    for (const message of batch.messages) {
      // kafkajs hands over a whole fetch without returning to the event loop (decoding
      // awaits only promises): a write in progress takes its next step (a file written,
      // a statement done) here, rather than once the whole fetch is decoded.
      if (++this.sinceYield >= YIELD_EVERY) {
        this.sinceYield = 0
        await setImmediate()
      }
      if (this.isStopping) return
      // A record batch that cannot be read (see kafka/codecs.ts) stops the job: what came
      // before it is written, nothing of it (not even dead letters: it is not the message's fault).
      const unreadable = codecFailureOf(batch.topic, batch.partition, message)
      if (unreadable) {
        void this.batch.close()
        await this.batch.written
        throw unreadable
      }
      const offset = Number(message.offset)
      if (offset < position) continue // taken already (a re-fetch after a rejoin)
      this.positions.taking(key)
      const taken = await this.toIngestMessage(batch.topic, batch.partition, message)
      const closing = this.batch.add(taken)
      report.messages++
      position = offset + 1
      this.positions.takenUpTo(key, position)
      if (closing) await closing
    }
    if (options.untilCaughtUp && this.positions.caughtUp()) this.stop()
    // This partition is read to its end: a quiet topic's messages are written now, not after maxMs.
    else if (batch.messages.length > 0 && position >= Number(batch.highWatermark)) this.batch.closeWhenIdle()
  }

  /**
   * A gap met while running (the job started in line with the log): the log now ends before the
   * position (reset), or a fetch starts after it and the log start has passed it (retention; a
   * compacted topic's fetches may start after the position too, with the log start before it).
   * kafkajs resets an out-of-range position to the log start without telling, so this is where
   * either shows. The watermarks come from a separate admin client, connected on first need.
   */
  private async gapBefore(batch: FetchedBatch, position: number): Promise<OffsetGap | undefined> {
    const first = batch.messages.length ? Number(batch.messages[0].offset) : position
    if (Number(batch.highWatermark) >= position && first <= position) return undefined
    const log = await this.watermarks.partition(batch.topic, batch.partition)
    return log ? offsetGap(batch.topic, batch.partition, position - 1, log.low, log.high) : undefined
  }

  private async toIngestMessage(topic: string, partition: number, message: ConsumedMessage): Promise<IngestMessage> {
    const headers = lastHeaderValues(message.headers)
    const input = { key: message.key, value: message.value, headers, topic, partition, offset: message.offset, timestamp: message.timestamp }
    const decoded = compactRow(await this.job.decoder.decode(input))
    return {
      topic,
      partition,
      offset: message.offset,
      timestamp: message.timestamp,
      key: message.key,
      value: message.value,
      headers: headerTexts(headers),
      decoded,
    }
  }

  // ---- writing (on the open batch's chain) ------------------------------------------------------------

  /** One closed batch: its rows and offsets into the tables, then its offsets to the group. */
  private async write(messages: IngestMessage[]): Promise<void> {
    const { lake, catalog, source, report, options } = this.job
    const began = Date.now()
    const offsets = lastOffsets(messages)
    const result = await writeRawBatch(lake, catalog, source, messages, offsets)
    countBatch(report, result)
    // For lag monitoring; and for a 'latest' partition that has nothing recorded yet, where it starts.
    const commits = [...offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset + 1 })), ...this.positions.untakenStarts()]
    try {
      await this.consumer?.commit(commits)
    } catch {
      /* not a member right now (rebalance, stopping): the next commit catches up */
    }
    options.onBatch?.({ ...result, messages: messages.length, offsets, durationMs: Date.now() - began, total: { ...report } })
  }
}
