/**
 * The ingest job for a Kafka source: consume the topic (or every topic matching topicPattern) into
 * the raw zone in micro-batches, exactly once.
 *
 * Where to read from is decided by the lake, never by the consumer group: on every group join the
 * consumer seeks each assigned partition to what the raw and dead-letter tables record (their
 * `txn` offsets, see raw-batch.ts) + 1; with nothing recorded, `startingOffsets` decides (earliest:
 * the log start; latest: the high watermark when the job first started). Consumer-group offsets
 * are committed after each Delta commit for lag monitoring, with one exception: a 'latest'
 * partition that has nothing recorded yet commits its starting position, so that a restart starts
 * there again instead of at a newer high watermark (which would skip what arrived in between).
 *
 * Batching: messages from all assigned partitions collect in one open batch, which closes when it
 * holds `batch.maxMessages` messages or `batch.maxBytes` of keys and values, or is `batch.maxMs`
 * old. Batches are written one at a time, in order, while the fetch loop goes on filling the next
 * open batch; a batch that closes while the one before it is still being written holds the loop
 * until that write ends (eachBatch waits for it, and so does the next eachBatch after a close by
 * the timer). So memory holds at most the batch being written, the next open batch and one fetch
 * response, and each batch's offsets are committed to the group after its Delta commit and after
 * every earlier batch's. Heartbeats continue while the loop is held.
 *
 * Stopping (abort signal, or untilCaughtUp reached): no more messages are taken, the open batch is
 * written (finish-the-batch; dropping it would be just as safe, since nothing about it is recorded
 * until its commit), consumer offsets are committed and the consumer disconnects. A crash at any
 * instant loses and duplicates nothing: the next run resumes from the tables.
 */
import { setImmediate } from 'node:timers/promises'
import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs'
import { createDecoder, type DecoderOptions } from '../decode'
import type { LakeEngine } from '../engine'
import { kafkaClient, schemaRegistryOptions, type KafkaClientOptions } from '../kafka/client'
import { codecFailureOf, ensureCompressionCodecs } from '../kafka/codecs'
import type { LakeCatalog } from '../query/catalog'
import { countBatch, DEFAULT_BATCH_BYTES, DEFAULT_BATCH_MESSAGES, messageBytes, type IngestReport } from './ingest-file'
import { DataLossError, describeGap, offsetGap, recordAcceptedGaps, resumeAt, type OffsetGap } from './offset-gaps'
import type { Pipeline, SourceSpec } from './pipeline-file'
import { compactRow, DEAD_LETTERS_TABLE, keyText, offsetAppId, resumeAfter, snapshotOrNothing, writeRawBatch, type IngestMessage, type RawBatchResult } from './raw-batch'

export const DEFAULT_BATCH_MS = 1_000

/** Messages decoded between turns of the event loop (well under a millisecond's work). */
const YIELD_EVERY = 64

export interface KafkaBatchReport extends RawBatchResult {
  /** Messages in this batch. */
  messages: number
  /** Per partition, the batch's last offset (now recorded in the tables). */
  offsets: { topic: string; partition: number; offset: number }[]
  durationMs: number
  /** Totals so far. */
  total: IngestReport
}

export interface KafkaIngestOptions {
  /** Read the high watermarks at start and stop once every partition has reached them. */
  untilCaughtUp?: boolean
  /** Stops the job gracefully: the open batch is written, then the consumer disconnects. */
  signal?: AbortSignal
  /** The SASL password (e.g. from VS Code SecretStorage); otherwise kafka.sasl.passwordEnv is read. */
  password?: string
  onBatch?(report: KafkaBatchReport): void
  /** Called once the start is decided, before the consumer joins: each partition, where it starts, and its high watermark. */
  onStart?(partitions: { topic: string; partition: number; start?: number; high: number }[]): void
  /** Called when a source with `failOnDataLoss: false` skips a gap (recorded in the lake before reading on). */
  onDataLoss?(gaps: OffsetGap[], message: string): void
  /** Decoder options; by default the schema registry of the pipeline's kafka section. */
  decoderOptions?: DecoderOptions
  /** kafkajs client settings (log level, timeouts, retry); ignored when `kafka` is given. */
  client?: Omit<KafkaClientOptions, 'password'>
  /** An existing kafkajs client to use instead of one built from pipeline.kafka. */
  kafka?: Kafka
}

interface PartitionInfo { low: number; high: number }

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`

export async function ingestKafka(lake: LakeEngine, catalog: LakeCatalog, pipeline: Pipeline, source: SourceSpec, options: KafkaIngestOptions = {}): Promise<IngestReport> {
  if (!source.topic && !source.topicPattern) throw new Error(`source '${source.name}' is not a Kafka source (it has neither "topic" nor "topicPattern")`)
  const settings = pipeline.kafka
  if (!settings && !options.kafka) throw new Error(`source '${source.name}' needs the pipeline's "kafka" section (brokers)`)
  const report: IngestReport = { source: source.name, messages: 0, rows: 0, tombstones: 0, deadLetters: 0, skipped: 0, batches: 0 }
  if (options.signal?.aborted) return report

  // Also for a client handed in (tests, the extension): kafkajs's codec registry is process-wide.
  ensureCompressionCodecs()
  const decoder = createDecoder(source.format, options.decoderOptions ?? { schemaRegistry: schemaRegistryOptions(settings, { env: options.client?.env }) })
  const kafka = options.kafka ?? kafkaClient(settings!, { ...options.client, password: options.password })
  const maxMessages = Math.max(1, source.batch?.maxMessages ?? DEFAULT_BATCH_MESSAGES)
  const maxMs = Math.max(1, source.batch?.maxMs ?? DEFAULT_BATCH_MS)
  const maxBytes = Math.max(1, source.batch?.maxBytes ?? DEFAULT_BATCH_BYTES)
  const pattern = source.topicPattern ? new RegExp(source.topicPattern) : undefined

  // What the lake records: where each partition resumes.
  const [rawPath, deadPath] = await Promise.all([catalog.confinedPathOf(source.table), catalog.confinedPathOf(DEAD_LETTERS_TABLE)])
  const [raw, dead] = await Promise.all([snapshotOrNothing(lake, rawPath), snapshotOrNothing(lake, deadPath)])
  /**
   * The last offset both tables hold for a partition (see resumeAfter), or undefined when neither
   * records anything; -1 when an accepted reset moved it before offset 0 (see offset-gaps.ts).
   */
  const recorded = (topic: string, partition: number): number | undefined => {
    const offset = resumeAfter(raw, dead, source.name, topic, partition)
    if (offset >= 0) return offset
    return raw?.txns.has(offsetAppId(source.name, topic, partition)) ? -1 : undefined
  }
  const failOnDataLoss = source.failOnDataLoss !== false

  const groupId = settings?.consumer?.groupId ?? `lakehouse-${source.name}`
  const latestStarts = new Map<string, number>()
  // The partitions and their watermarks at start.
  const partitions = new Map<string, PartitionInfo & { topic: string; partition: number }>()
  const admin = kafka.admin()
  try {
    // Inside the try: a connect that fails (refused credentials, a broker without SASL) must still
    // disconnect, or its sockets and retry timers keep the process alive after the error.
    await admin.connect().catch((error: Error) => {
      // kafkajs says only 'does not support the requested API version' when a broker has no SASL.
      if (!settings?.sasl || options.kafka) throw error
      throw new Error(`connecting to ${settings.brokers.join(', ')} with SASL ${settings.sasl.mechanism} as user '${settings.sasl.username}' failed: ${error.message}`, { cause: error })
    })
    let topics: string[]
    if (source.topic) topics = [source.topic]
    else {
      const metadata = await admin.fetchTopicMetadata()
      topics = metadata.topics.map((t) => t.name).filter((name) => !name.startsWith('__') && pattern!.test(name)).sort()
    }
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        partitions.set(partitionKey(topic, p.partition), { topic, partition: p.partition, low: Number(p.low), high: Number(p.high) })
      }
    }
    // 'latest' with nothing recorded: where an earlier run of this job started (it commits that
    // position to the group), so that a restart does not jump over what arrived in between.
    if (source.startingOffsets === 'latest' && topics.length) {
      for (const { topic, partitions: committed } of await admin.fetchOffsets({ groupId, topics })) {
        for (const p of committed) if (Number(p.offset) >= 0) latestStarts.set(partitionKey(topic, p.partition), Number(p.offset))
      }
    }
  } finally {
    await admin.disconnect().catch(() => {})
  }

  // What the lake records must still line up with each partition's log: refuse a gap, or record
  // an accepted one in the lake, before anything is read.
  const gaps = [...partitions.values()].flatMap((p) => offsetGap(p.topic, p.partition, recorded(p.topic, p.partition), p.low, p.high) ?? [])
  if (gaps.length && failOnDataLoss) throw new DataLossError(source.name, gaps)
  if (gaps.length) await acceptGaps(gaps)

  /** Where a partition starts when this job has taken nothing from it yet. */
  const startOf = (topic: string, partition: number): number | undefined => {
    const info = partitions.get(partitionKey(topic, partition))
    const r = recorded(topic, partition)
    if (r !== undefined) return r + 1
    if (source.startingOffsets === 'latest') {
      const key = partitionKey(topic, partition)
      untaken.add(key)
      return latestStarts.get(key) ?? info?.high
    }
    return info?.low ?? 0
  }
  /** 'latest' partitions with nothing recorded and nothing taken yet: their start goes to the group with every commit. */
  const untaken = new Set<string>()
  /** Per partition, the next offset to take (everything before it is written or in the open batch). */
  const positions = new Map<string, number>()
  for (const [key, info] of partitions) {
    const start = startOf(info.topic, info.partition)
    if (start !== undefined) positions.set(key, start)
  }
  for (const gap of gaps) positions.set(partitionKey(gap.topic, gap.partition), resumeAt(gap))
  options.onStart?.([...partitions].map(([key, info]) => ({ topic: info.topic, partition: info.partition, start: positions.get(key), high: info.high })))
  /** The partitions the group gave this job at its last join (undefined before the first join). */
  let assignedNow: Set<string> | undefined
  // Caught up when every partition this job reads has reached its end offset from the start; with
  // other jobs in the group, the partitions they hold are theirs to finish.
  const caughtUp = () => [...partitions].every(([key, info]) => (assignedNow !== undefined && !assignedNow.has(key)) || (positions.get(key) ?? -1) >= info.high)
  if (options.untilCaughtUp && caughtUp()) return report

  // ---- the open batch and its writer ------------------------------------------------------------
  let open: IngestMessage[] = []
  /** Bytes of keys and values in the open batch (batch.maxBytes). */
  let openBytes = 0
  let timer: NodeJS.Timeout | undefined
  /** Every closed batch written (never rejects: a failed write ends in fail()). */
  let writing: Promise<void> = Promise.resolve()
  /** The last closed batch's write has begun: every batch before it is written. */
  let lastBegun: Promise<void> = Promise.resolve()
  let failure: unknown
  let stopping = false
  let stopped!: () => void
  const whenStopped = new Promise<void>((resolve) => { stopped = resolve })
  const stop = () => { if (!stopping) { stopping = true; stopped() } }
  const fail = (error: unknown) => { failure ??= error; stop() }
  let consumer: Consumer | undefined
  /** An admin client for watermarks met mid-run (see gapBefore). */
  let gapAdmin: Promise<Admin> | undefined

  const write = async (messages: IngestMessage[]) => {
    const began = Date.now()
    const result = await writeRawBatch(lake, catalog, source, messages)
    countBatch(report, result)
    const last = new Map<string, { topic: string; partition: number; offset: number }>()
    for (const m of messages) {
      const key = partitionKey(m.topic, m.partition)
      const offset = Number(m.offset)
      if (offset > (last.get(key)?.offset ?? -1)) last.set(key, { topic: m.topic, partition: m.partition, offset })
    }
    const offsets = [...last.values()]
    // For lag monitoring; and for a 'latest' partition that has nothing recorded yet, where it starts.
    const commits = offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset + 1) }))
    for (const key of untaken) {
      const info = partitions.get(key)
      const position = positions.get(key)
      if (info && position !== undefined) commits.push({ topic: info.topic, partition: info.partition, offset: String(position) })
    }
    try {
      await consumer?.commitOffsets(commits)
    } catch { /* not a member right now (rebalance, stopping): the next commit catches up */ }
    options.onBatch?.({ ...result, messages: messages.length, offsets, durationMs: Date.now() - began, total: { ...report } })
  }
  /**
   * Close the open batch and write it after any write in progress; resolves when its write has
   * begun (the batch before it is written), `writing` when it is written.
   */
  const flush = (): Promise<void> => {
    clearTimeout(timer)
    timer = undefined
    const messages = open
    open = []
    openBytes = 0
    if (messages.length === 0) return lastBegun
    const before = writing
    writing = before.then(() => (failure === undefined ? write(messages) : undefined)).catch(fail)
    lastBegun = before
    return lastBegun
  }

  const join = (memberAssignment: Record<string, number[]>) => {
    assignedNow = new Set(Object.entries(memberAssignment).flatMap(([topic, assigned]) => assigned.map((p) => partitionKey(topic, p))))
    for (const [topic, assigned] of Object.entries(memberAssignment)) {
      for (const partition of assigned) {
        const key = partitionKey(topic, partition)
        let position = positions.get(key)
        if (position === undefined) {
          position = startOf(topic, partition)
          if (position === undefined) continue // a topic that appeared since the start, 'latest': the group's default
          positions.set(key, position)
        }
        consumer!.seek({ topic, partition, offset: String(position) })
      }
    }
  }

  /** The job has returned: its consumer must not run again (see the GROUP_JOIN handler). */
  let finished = false
  consumer = kafka.consumer({
    groupId,
    // kafkajs restarts a crashed consumer on a timer of its own; once the job is stopping, a
    // restart would be a consumer nobody disconnects, holding partitions it never writes.
    retry: { retries: 5, restartOnFailure: async () => !stopping },
    ...(settings?.consumer?.sessionTimeout !== undefined ? { sessionTimeout: settings.consumer.sessionTimeout } : {}),
    ...(settings?.consumer?.heartbeatInterval !== undefined ? { heartbeatInterval: settings.consumer.heartbeatInterval } : {}),
    ...(settings?.consumer?.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: settings.consumer.maxWaitTimeInMs } : {}),
    ...(settings?.consumer?.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: settings.consumer.maxBytesPerPartition } : {}),
  })
  // Emitted synchronously after every join and sync, before the first fetch of the generation.
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    // A restart that began before the stop joins after the job has returned: kafkajs's disconnect
    // does not stop a consumer that is still joining, so it is disconnected once it has joined.
    if (finished) { void consumer!.disconnect().catch(() => {}); return }
    try {
      join(event.payload.memberAssignment)
      // Its share may already be complete (other jobs held the rest): nothing will arrive to say so.
      if (options.untilCaughtUp && caughtUp()) stop()
    } catch (error) { fail(error) }
  })
  consumer.on(consumer.events.CRASH, (event) => { if (!event.payload.restart && !stopping) fail(unreadableFetch(event.payload.error)) })
  // A fetch whose records were all filtered (transaction markers, aborted records): nothing to
  // write, but the partition has advanced (or untilCaughtUp would wait for it forever).
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { topic, partition, batchSize, lastOffset } = event.payload
    const key = partitionKey(topic, partition)
    const position = positions.get(key)
    if (batchSize === 0 && position !== undefined && Number(lastOffset) + 1 > position) {
      positions.set(key, Number(lastOffset) + 1)
      if (options.untilCaughtUp && caughtUp()) stop()
    }
  })
  const onAbort = () => stop()
  options.signal?.addEventListener('abort', onAbort, { once: true })

  let current: Promise<void> = Promise.resolve()
  /** Messages taken since the loop last let other work run. */
  let sinceYield = 0
  const heartbeatEvery = settings?.consumer?.heartbeatInterval ?? 3_000
  try {
    await consumer.connect()
    await consumer.subscribe({ topics: source.topic ? [source.topic] : [pattern!], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat }) => {
        const run = async () => {
          // Keep the group membership alive while a write holds the fetch loop.
          const beat = setInterval(() => { heartbeat().catch(() => {}) }, heartbeatEvery)
          try {
            // A batch closed by the timer may still wait for the write before it.
            await lastBegun
            if (stopping) return
            const key = partitionKey(batch.topic, batch.partition)
            let position = positions.get(key) ?? 0
            const gap = await gapBefore(batch.topic, batch.partition, position, batch)
            if (gap) {
              if (failOnDataLoss) throw new DataLossError(source.name, [gap])
              // What was taken before the gap is written first, then the gap is recorded, then
              // reading goes on from the log start (writes run in this order on one chain).
              void flush()
              writing = writing.then(() => (failure === undefined ? acceptGaps([gap]) : undefined)).catch(fail)
              position = resumeAt(gap)
              positions.set(key, position)
              const info = partitions.get(key)
              if (info && gap.kind === 'reset') info.high = gap.high
            }
            for (const message of batch.messages) {
              // kafkajs hands over a whole fetch without returning to the event loop (decoding
              // awaits only promises): a write in progress takes its next step (a file written,
              // a statement done) here, rather than once the whole fetch is decoded.
              if (++sinceYield >= YIELD_EVERY) {
                sinceYield = 0
                await setImmediate()
              }
              if (stopping) return
              // A record batch that cannot be read (see kafka/codecs.ts) stops the job: what came
              // before it is written, nothing of it (not even dead letters: it is not the message's fault).
              const unreadable = codecFailureOf(batch.topic, batch.partition, message)
              if (unreadable) {
                void flush()
                await writing
                throw unreadable
              }
              const offset = Number(message.offset)
              if (offset < position) continue // taken already (a re-fetch after a rejoin)
              untaken.delete(key)
              const taken = await toIngestMessage(batch.topic, batch.partition, message)
              open.push(taken)
              openBytes += messageBytes(taken)
              report.messages++
              position = offset + 1
              positions.set(key, position)
              if (open.length === 1) timer = setTimeout(() => { void flush() }, maxMs)
              if (open.length >= maxMessages || openBytes >= maxBytes) await flush()
            }
            if (options.untilCaughtUp && caughtUp()) stop()
          } finally {
            clearInterval(beat)
          }
        }
        current = run()
        try {
          await current
        } catch (error) {
          fail(error) // a decoder that cannot go on (schema registry unreachable): stop, the next run resumes
        }
      },
    })
    await whenStopped
    await current.catch(() => {})
    if (failure === undefined) {
      void flush()
      await writing
    }
  } catch (error) {
    fail(error)
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    await writing.catch(() => {})
    finished = true
    await consumer.disconnect().catch(() => {})
    if (gapAdmin) await gapAdmin.then((a) => a.disconnect()).catch(() => {})
  }
  if (failure !== undefined) throw failure
  return report

  /**
   * Bytes that no codec could read outside a v2 record batch (a legacy message set) fail the whole
   * fetch, which covers every assigned partition: name the topics at least.
   */
  function unreadableFetch(error: Error): Error {
    if (error.name !== 'UnreadableBytesError' && error.name !== 'KafkaJSNotImplemented') return error
    const topics = [...new Set([...partitions.values()].map((p) => p.topic))].map((t) => `'${t}'`).join(', ')
    return new Error(`reading topic ${topics || source.topicPattern}: ${error.message}; nothing of that fetch was written`, { cause: error })
  }

  async function acceptGaps(found: OffsetGap[]): Promise<void> {
    await recordAcceptedGaps(lake, catalog, source, found)
    ;(report.dataLoss ??= []).push(...found)
    options.onDataLoss?.(found, found.map(describeGap).join('\n'))
  }

  /**
   * A gap met while running (the job started in line with the log): the log now ends before the
   * position (reset), or a fetch starts after it and the log start has passed it (retention; a
   * compacted topic's fetches may start after the position too, with the log start before it).
   * kafkajs resets an out-of-range position to the log start without telling, so this is where
   * either shows. The watermarks come from a separate admin client, connected on first need.
   */
  async function gapBefore(topic: string, partition: number, position: number, batch: { highWatermark: string; messages: KafkaMessage[] }): Promise<OffsetGap | undefined> {
    const first = batch.messages.length ? Number(batch.messages[0].offset) : position
    if (Number(batch.highWatermark) >= position && first <= position) return undefined
    gapAdmin ??= (async () => { const a = kafka.admin(); await a.connect(); return a })()
    const log = (await (await gapAdmin).fetchTopicOffsets(topic)).find((p) => p.partition === partition)
    return log ? offsetGap(topic, partition, position - 1, Number(log.low), Number(log.high)) : undefined
  }

  async function toIngestMessage(topic: string, partition: number, message: KafkaMessage): Promise<IngestMessage> {
    const headers = headerValues(message.headers)
    const input = { key: message.key, value: message.value, headers, topic, partition, offset: message.offset, timestamp: message.timestamp }
    const decoded = compactRow(await decoder.decode(input))
    return { topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: headerTexts(headers), decoded }
  }
}

/** Shared by every message without headers (most): nothing writes to a message's headers. */
const NO_HEADERS: Record<string, string | null> = Object.freeze({}) as Record<string, string | null>
const NO_HEADER_VALUES: Record<string, Uint8Array | string | undefined> = Object.freeze({}) as Record<string, Uint8Array | string | undefined>

function isEmpty(object: object): boolean {
  for (const _ in object) return false
  return true
}

/** Header values as text, as raw rows keep them (bytes that are not UTF-8 as `base64:…`). */
function headerTexts(headers: Record<string, Uint8Array | string | undefined>): Record<string, string | null> {
  const names = Object.keys(headers)
  if (names.length === 0) return NO_HEADERS
  const text: Record<string, string | null> = {}
  for (const name of names) {
    const value = headers[name]
    text[name] = value === undefined ? null : typeof value === 'string' ? value : keyText(value)
  }
  return text
}

/** kafkajs headers as one value per name (a repeated header keeps its last value). */
function headerValues(headers: IHeaders | undefined): Record<string, Uint8Array | string | undefined> {
  if (headers === undefined || isEmpty(headers)) return NO_HEADER_VALUES
  const out: Record<string, Uint8Array | string | undefined> = {}
  for (const [name, value] of Object.entries(headers ?? {})) out[name] = Array.isArray(value) ? value[value.length - 1] : value
  return out
}
