/**
 * Kafka ingest benchmark (the librdkafka mock broker of test/kafka/broker.ts, one process on this
 * machine): a backlog of N JSON values of ~500 bytes on 32 partitions, ingested with
 * `ingestKafka(…, { untilCaughtUp })` into a fresh lake, as a ratio to the ceiling: a plain kafkajs
 * consumer (fresh group, fromBeginning, eachBatch) that only JSON-parses the same messages from
 * the same broker in the same run. Both are reported with their group join (start → all done) and
 * without it (the consumer's GROUP_JOIN event → all done); the mock's first join of a new group
 * waits a fixed 3 s, which is no property of ours.
 *
 * Also: produce → visible-in-raw latency (one message every ~20 ms into a continuous ingest with
 * the default batch settings; visible = the raw table's latest snapshot records the message's
 * offset in its `txn` for that partition, polled every ~10 ms), next to a plain consumer's
 * produce → received latency measured at the same time; peak RSS during each run; and where the
 * ingest's time goes, measured from the outside (onBatch durationMs, DuckDB statements by kind,
 * kafkajs batch-processing events).
 */
import { performance } from 'node:perf_hooks'
import type { Consumer, ConsumerConfig, Kafka, Producer } from 'kafkajs'
import { Partitioners } from 'kafkajs'
import { NdjsonLines } from '../src/engine/ndjson-lines'
import type { LakeEngine } from '../src/engine/lake-engine'
import { ingestKafka, type KafkaBatchReport } from '../src/pipeline/ingest-kafka'
import type { Pipeline, SourceSpec } from '../src/pipeline/pipeline-file'
import { snapshotOrNothing } from '../src/engine'
import { offsetAppId } from '../src/pipeline/offset-ledger'
import { rowsDecidedByShapeSoFar } from '../src/pipeline/shape-decisions'
import { LakeCatalog } from '../src/engine'
import { eventJson, produceBacklog } from '../test/kafka/backlog'
import { consumerFor, freshGroupId, kafkaFor, MOCK_CONSUMER_SETTINGS, startBroker, type MockBroker } from '../test/kafka/broker'
import { log, median, round, tempDir, instrument } from './util'

export interface IngestBenchOptions {
  /** Backlog size, spread round-robin over `partitions`. */
  messages: number
  partitions: number
  /** Second figure: batch.maxMessages of the small-batch run. */
  smallBatch: number
  /** Messages per produce request (= per record batch, all to one partition). */
  perSend: number
  /** Latency run: one message every `intervalMs` for `seconds`. */
  latencySeconds: number
  intervalMs: number
  pollMs: number
}

const TOPIC = 'bench-backlog'
const LATENCY_TOPIC = 'bench-latency'
const MIB = 2 ** 20
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// ---- measuring helpers --------------------------------------------------------------------------

/** Samples process RSS every `everyMs` while running; `stop` returns the peak in bytes. */
function rssSampler(everyMs = 20): { stop: () => number } {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage().rss)
    },
  }
}

/** Consumer lifecycle timestamps seen from outside, through kafkajs instrumentation events. */
interface ConsumerWatch {
  joinedAt?: number
  firstBatchAt?: number
  /** Sum of eachBatch durations (kafkajs END_BATCH_PROCESS), and how many. */
  batchProcessMs: number
  batchesProcessed: number
  /** FETCH events: sum of fetch durations. */
  fetchMs: number
  fetches: number
  joined: Promise<void>
}

function watch(consumer: Consumer): ConsumerWatch {
  let resolveJoined!: () => void
  const w: ConsumerWatch = {
    batchProcessMs: 0,
    batchesProcessed: 0,
    fetchMs: 0,
    fetches: 0,
    joined: new Promise((r) => {
      resolveJoined = r
    }),
  }
  consumer.on(consumer.events.GROUP_JOIN, () => {
    w.joinedAt ??= performance.now()
    resolveJoined()
  })
  consumer.on(consumer.events.START_BATCH_PROCESS, () => {
    w.firstBatchAt ??= performance.now()
  })
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    w.batchProcessMs += Number(e.payload.duration ?? 0)
    w.batchesProcessed++
  })
  consumer.on(consumer.events.FETCH, (e) => {
    w.fetchMs += Number(e.payload.duration ?? 0)
    w.fetches++
  })
  return w
}

/** The same kafkajs client, but every consumer it creates is watched (ingestKafka builds its own). */
function watchedKafka(kafka: Kafka): { kafka: Kafka; watches: ConsumerWatch[] } {
  const watches: ConsumerWatch[] = []
  const original = kafka.consumer.bind(kafka)
  kafka.consumer = (config: ConsumerConfig) => {
    const consumer = original(config)
    watches.push(watch(consumer))
    return consumer
  }
  return { kafka, watches }
}

/** Times NdjsonLines.writeTo (a batch's staged NDJSON file: open, one writev, close). */
function instrumentBatchFiles(): { total: () => number; restore: () => void } {
  let total = 0
  const original = NdjsonLines.prototype.writeTo
  NdjsonLines.prototype.writeTo = async function (this: NdjsonLines, file: string) {
    const start = performance.now()
    try {
      return await original.call(this, file)
    } finally {
      total += performance.now() - start
    }
  }
  return {
    total: () => total,
    restore: () => {
      NdjsonLines.prototype.writeTo = original
    },
  }
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

// ---- the ceiling --------------------------------------------------------------------------------

interface RunTimes {
  /** Start → all messages handled (ceiling: parsed; ours: the last batch committed). */
  totalMs: number
  /** GROUP_JOIN → all handled. */
  afterJoinMs: number
  /** Start → GROUP_JOIN. */
  joinMs: number
  /** Start → the call returned (consumer disconnected). */
  returnedMs: number
  peakRssMiB: number
  rssGrowthMiB: number
}

async function ceilingRun(kafka: Kafka, n: number): Promise<RunTimes & { fetches: number }> {
  const rssBefore = process.memoryUsage().rss
  const rss = rssSampler()
  const start = performance.now()
  const consumer = consumerFor(kafka, freshGroupId('bench-ceiling'))
  const w = watch(consumer)
  let seen = 0
  let checksum = 0
  let doneAt = 0
  let resolveDone!: () => void
  const done = new Promise<void>((r) => {
    resolveDone = r
  })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const value = JSON.parse(message.value!.toString('utf8')) as { id: number }
        checksum += value.id
        seen++
      }
      if (seen >= n && !doneAt) {
        doneAt = performance.now()
        resolveDone()
      }
    },
  })
  await done
  await consumer.disconnect()
  const returned = performance.now()
  const peak = rss.stop()
  if (seen !== n || checksum !== (n * (n - 1)) / 2) throw new Error(`ceiling consumer saw ${seen} messages (checksum ${checksum}), expected ${n}`)
  return {
    totalMs: doneAt - start,
    afterJoinMs: doneAt - w.joinedAt!,
    joinMs: w.joinedAt! - start,
    returnedMs: returned - start,
    peakRssMiB: peak / MIB,
    rssGrowthMiB: (peak - rssBefore) / MIB,
    fetches: w.fetches,
  }
}

// ---- ours ---------------------------------------------------------------------------------------

function pipelineFor(broker: MockBroker, lakeDir: string): Pipeline {
  return {
    file: `${lakeDir}/lakehouse.json`,
    lake: '.',
    lakeDir,
    kafka: {
      brokers: broker.brokers,
      clientId: 'bench-ingest',
      consumer: {
        groupId: freshGroupId('bench-ingest'),
        sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
        heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
        maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
      },
    },
    sources: [],
  }
}

async function ingestRun(lake: LakeEngine, broker: MockBroker, n: number, batch: SourceSpec['batch']) {
  const lakeDir = await tempDir('ingest')
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const pipeline = pipelineFor(broker, lakeDir)
  const source: SourceSpec = { name: 'events', topic: TOPIC, format: 'json', table: 'raw.events', ...(batch ? { batch } : {}) }
  const { kafka, watches } = watchedKafka(kafkaFor(broker, 'bench-ingest'))
  const db = await lake.duckdb()
  const sql = instrument(db)
  const writes = instrumentBatchFiles()
  const batches: KafkaBatchReport[] = []
  const rssBefore = process.memoryUsage().rss
  const decidedBefore = rowsDecidedByShapeSoFar()
  const rss = rssSampler()
  const start = performance.now()
  let startedAt = 0
  let lastCommitAt = 0
  let report
  try {
    report = await ingestKafka(lake, catalog, pipeline, source, {
      untilCaughtUp: true,
      kafka,
      onStart: () => {
        startedAt = performance.now()
      },
      onBatch: (b) => {
        batches.push(b)
        lastCommitAt = performance.now()
      },
    })
  } finally {
    sql.restore()
    writes.restore()
  }
  const returned = performance.now()
  const peak = rss.stop()
  if (report.messages !== n || report.rows !== n || report.deadLetters !== 0) throw new Error(`ingest: ${JSON.stringify(report)}, expected ${n} rows`)
  const snapshot = await snapshotOrNothing(lake, catalog.pathOf(source.table))
  const w = watches[0]
  const writeMs = batches.reduce((s, b) => s + b.durationMs, 0)
  const totalMs = lastCommitAt - start
  const afterJoinMs = lastCommitAt - w.joinedAt!
  const duckdbMs = Object.values(sql.totals).reduce((a, b) => a + b, 0)
  return {
    times: {
      totalMs,
      afterJoinMs,
      joinMs: w.joinedAt! - start,
      returnedMs: returned - start,
      peakRssMiB: peak / MIB,
      rssGrowthMiB: (peak - rssBefore) / MIB,
    } satisfies RunTimes,
    detail: {
      batches: batches.length,
      batchMessagesMedian: median(batches.map((b) => b.messages)),
      tableVersion: snapshot?.version,
      dataFiles: snapshot?.files?.length,
      /** Start → onStart: the snapshots of both tables, admin connect and watermarks. */
      setupMs: startedAt - start,
      /** Time spent writing batches (writeRawBatch + the group commit), all batches. */
      writeMs,
      writeMsPerBatchMedian: median(batches.map((b) => b.durationMs)),
      /** Of writeMs: DuckDB statements by kind (COPY … read_json: the NDJSON read + parquet write; DESCRIBE …). */
      duckdbMs: Object.fromEntries(Object.entries(sql.totals).map(([k, v]) => [k, round(v, 0)])),
      /** Of writeMs: writing the NDJSON batch files (the I/O only; the lines are built as rows are decided). */
      ndjsonWriteFileMs: writes.total(),
      /** Of writeMs: the rest, in JS — building the lines, schema merge / conformsTo, the Delta commit. */
      writeJsMs: writeMs - duckdbMs - writes.total(),
      /**
       * After the join, not writing. Writes overlap fetching and decoding the next batch (one
       * thread: their durations include decoding done while DuckDB works), so this is what the
       * overlap did not hide, not the decoding time.
       */
      consumeAndDecodeMs: afterJoinMs - writeMs,
      /** Rows that took their shape's decision (decode/shape.ts) instead of inference, merge and checks of their own. */
      rowsDecidedByShape: rowsDecidedByShapeSoFar() - decidedBefore,
      /** kafkajs: time in eachBatch (decode, plus awaiting writes the batch triggered). */
      eachBatchMs: w.batchProcessMs,
      fetches: w.fetches,
      /** The last commit → ingestKafka returned (final offsets commit, disconnect). */
      stopMs: returned - lastCommitAt,
    },
  }
}

// ---- latency ------------------------------------------------------------------------------------

async function latencyRun(lake: LakeEngine, broker: MockBroker, options: IngestBenchOptions) {
  const lakeDir = await tempDir('ingest-latency')
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const pipeline = pipelineFor(broker, lakeDir)
  const source: SourceSpec = { name: 'live', topic: LATENCY_TOPIC, format: 'json', table: 'raw.live' }
  const table = catalog.pathOf(source.table)
  const base = kafkaFor(broker, 'bench-latency')
  const { kafka, watches } = watchedKafka(kafkaFor(broker, 'bench-latency-ingest'))
  const controller = new AbortController()
  const batches: KafkaBatchReport[] = []
  const ingest = ingestKafka(lake, catalog, pipeline, source, { kafka, signal: controller.signal, onBatch: (b) => batches.push(b) })
  ingest.catch(() => {})

  // The ceiling: a plain consumer of the same topic, at the same time, noting when each message arrives.
  const sentAt = new Map<string, number>()
  const ceilingLatencies: number[] = []
  const arrivedEarly = new Map<string, number>()
  const plain = consumerFor(base, freshGroupId('bench-latency-ceiling'))
  const plainWatch = watch(plain)
  await plain.connect()
  await plain.subscribe({ topic: LATENCY_TOPIC, fromBeginning: true })
  await plain.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now()
      for (const m of batch.messages) {
        JSON.parse(m.value!.toString('utf8'))
        const key = `${batch.partition}:${m.offset}`
        const t = sentAt.get(key)
        if (t === undefined)
          arrivedEarly.set(key, now) // before the send's ack came back
        else ceilingLatencies.push(now - t)
      }
    },
  })
  // Wait until both are members (the mock's first join takes 3 s) and ours has had a first fetch.
  while (!watches[0]) await sleep(10)
  await Promise.all([watches[0].joined, plainWatch.joined])
  await sleep(300)

  const producer: Producer = base.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  const pending = new Map<number, { offset: number; sent: number }[]>()
  const latencies: number[] = []
  let producing = true
  let polls = 0
  let pollMs = 0
  let producedUntil = Infinity
  const rssBefore = process.memoryUsage().rss
  const rss = rssSampler()
  const poller = (async () => {
    while (producing || [...pending.values()].some((list) => list.length)) {
      const began = performance.now()
      const snapshot = await snapshotOrNothing(lake, table)
      const now = performance.now()
      polls++
      pollMs += now - began
      if (snapshot) {
        for (const [partition, list] of pending) {
          const recorded = snapshot.txns.get(offsetAppId(source.name, LATENCY_TOPIC, partition))?.version ?? -1
          while (list.length && list[0].offset <= recorded) latencies.push(now - list.shift()!.sent)
        }
      }
      if (now - began < options.pollMs) await sleep(options.pollMs - (now - began))
      if (!producing && performance.now() - producedUntil > 15_000) throw new Error('latency: messages not visible after 15 s')
    }
  })()
  const count = Math.round((options.latencySeconds * 1000) / options.intervalMs)
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const due = t0 + i * options.intervalMs
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const partition = i % options.partitions
    const sent = performance.now()
    const [meta] = await producer.send({ topic: LATENCY_TOPIC, messages: [{ key: `l${i}`, value: eventJson(i), partition }] })
    const offset = Number(meta.baseOffset ?? meta.offset)
    const key = `${partition}:${offset}`
    sentAt.set(key, sent)
    const early = arrivedEarly.get(key)
    if (early !== undefined) ceilingLatencies.push(early - sent)
    let list = pending.get(partition)
    if (!list) pending.set(partition, (list = []))
    list.push({ offset, sent })
  }
  producedUntil = performance.now()
  producing = false
  await poller
  const peak = rss.stop()
  controller.abort()
  await producer.disconnect()
  await plain.disconnect()
  const report = await ingest
  if (latencies.length !== count) throw new Error(`latency: ${latencies.length} of ${count} messages seen`)
  return {
    messages: count,
    ours: { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) },
    ceiling: {
      p50Ms: percentile(ceilingLatencies, 50),
      p99Ms: percentile(ceilingLatencies, 99),
      maxMs: Math.max(...ceilingLatencies),
      messages: ceilingLatencies.length,
    },
    batches: batches.length,
    writeMsPerBatchMedian: median(batches.map((b) => b.durationMs)),
    pollMsMean: polls ? pollMs / polls : NaN,
    polls,
    ingested: report.messages,
    peakRssMiB: peak / MIB,
    rssGrowthMiB: (peak - rssBefore) / MIB,
  }
}

// ---- the benchmark ------------------------------------------------------------------------------

const r0 = (v: number) => round(v, 0)
const rate = (n: number, ms: number) => r0((n / ms) * 1000)

export async function runIngestBench(lake: LakeEngine, options: IngestBenchOptions): Promise<Record<string, unknown>> {
  const n = options.messages
  log(`ingest: starting the mock broker (${options.partitions} partitions)`)
  const broker = await startBroker({
    topics: [
      { name: TOPIC, partitions: options.partitions },
      { name: LATENCY_TOPIC, partitions: options.partitions },
    ],
  })
  try {
    const kafka = kafkaFor(broker, 'bench-producer')
    log(`ingest: producing ${n} messages`)
    const produced = await produceBacklog(kafka, TOPIC, { messages: n, partitions: options.partitions, perSend: options.perSend, inFlight: 4 })
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(TOPIC)
    await admin.disconnect()
    const total = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0)
    if (total !== n || offsets.some((o) => Number(o.low) !== 0))
      throw new Error(`the broker holds ${total} of ${n} messages (a partition over the mock's 5 MiB?): ${JSON.stringify(offsets)}`)
    log(
      `ingest: produced ${n} in ${r0(produced.ms)} ms (${round(produced.bytes / n, 0)} B/value, ${round(produced.bytes / options.partitions / MIB, 2)} MiB of values per partition)`,
    )

    // Ceiling, ours (default batches), ours (small batches), ceiling again: drift shows in the two ceilings.
    log('ingest: ceiling consumer (1/2)')
    const ceiling1 = await ceilingRun(kafka, n)
    log(`ingest: ceiling ${rate(n, ceiling1.afterJoinMs)} msg/s after join; ours with default batches`)
    const ours = await ingestRun(lake, broker, n, undefined)
    log(`ingest: ours ${rate(n, ours.times.afterJoinMs)} msg/s after join; ours with batches of ${options.smallBatch}`)
    const small = await ingestRun(lake, broker, n, { maxMessages: options.smallBatch })
    log(`ingest: small batches ${rate(n, small.times.afterJoinMs)} msg/s after join; ceiling consumer (2/2)`)
    const ceiling2 = await ceilingRun(kafka, n)
    log('ingest: latency')
    const latency = await latencyRun(lake, broker, options)

    const ceilingTotal = (ceiling1.totalMs + ceiling2.totalMs) / 2
    const ceilingAfterJoin = (ceiling1.afterJoinMs + ceiling2.afterJoinMs) / 2
    const ceilingPeak = Math.max(ceiling1.peakRssMiB, ceiling2.peakRssMiB)
    const figure = (run: Awaited<ReturnType<typeof ingestRun>>) => ({
      messagesPerSecond: rate(n, run.times.totalMs),
      messagesPerSecondAfterJoin: rate(n, run.times.afterJoinMs),
      ratio: round(ceilingTotal / run.times.totalMs, 3),
      ratioAfterJoin: round(ceilingAfterJoin / run.times.afterJoinMs, 3),
      ms: { total: r0(run.times.totalMs), afterJoin: r0(run.times.afterJoinMs), join: r0(run.times.joinMs), returned: r0(run.times.returnedMs) },
      peakRssMiB: r0(run.times.peakRssMiB),
      rssGrowthMiB: r0(run.times.rssGrowthMiB),
      peakRssRatio: round(run.times.peakRssMiB / ceilingPeak, 2),
      breakdown: Object.fromEntries(Object.entries(run.detail).map(([k, v]) => [k, typeof v === 'number' ? r0(v) : v])),
    })
    return {
      ingest: {
        messages: n,
        partitions: options.partitions,
        valueBytes: round(produced.bytes / n, 0),
        produce: { ms: r0(produced.ms), messagesPerSecond: rate(n, produced.ms), messagesPerRecordBatch: options.perSend },
        ceiling: {
          messagesPerSecond: rate(n, ceilingTotal),
          messagesPerSecondAfterJoin: rate(n, ceilingAfterJoin),
          runs: [ceiling1, ceiling2].map((c) => ({
            ms: { total: r0(c.totalMs), afterJoin: r0(c.afterJoinMs), join: r0(c.joinMs), returned: r0(c.returnedMs) },
            messagesPerSecondAfterJoin: rate(n, c.afterJoinMs),
            fetches: c.fetches,
            peakRssMiB: r0(c.peakRssMiB),
            rssGrowthMiB: r0(c.rssGrowthMiB),
          })),
        },
        defaultBatches: { batch: { maxMessages: 50_000, maxMs: 1_000 }, ...figure(ours) },
        smallBatches: { batch: { maxMessages: options.smallBatch, maxMs: 1_000 }, ...figure(small) },
        latency: {
          batch: { maxMessages: 50_000, maxMs: 1_000 },
          messages: latency.messages,
          intervalMs: options.intervalMs,
          pollMs: options.pollMs,
          p50Ms: r0(latency.ours.p50Ms),
          p99Ms: r0(latency.ours.p99Ms),
          maxMs: r0(latency.ours.maxMs),
          ceiling: { p50Ms: r0(latency.ceiling.p50Ms), p99Ms: r0(latency.ceiling.p99Ms), maxMs: r0(latency.ceiling.maxMs), messages: latency.ceiling.messages },
          ratioP50: round(latency.ours.p50Ms / latency.ceiling.p50Ms, 1),
          ratioP99: round(latency.ours.p99Ms / latency.ceiling.p99Ms, 1),
          batches: latency.batches,
          writeMsPerBatchMedian: r0(latency.writeMsPerBatchMedian),
          pollMsMean: round(latency.pollMsMean, 1),
          peakRssMiB: r0(latency.peakRssMiB),
        },
        maxRssMiBProcess: r0(process.resourceUsage().maxRSS / 1024),
      },
    }
  } finally {
    await broker.stop()
  }
}
