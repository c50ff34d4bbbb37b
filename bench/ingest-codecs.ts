/**
 * Ingest of compressed topics: a backlog of the ingest benchmark's ~500-byte JSON events, written
 * by kcat (librdkafka, `-z lz4` / `-z zstd`, its default batching) to the mock broker, ingested with
 * `ingestKafka(…, { untilCaughtUp })` into a fresh lake, as a ratio to the ceiling: a plain kafkajs
 * consumer (fresh group, fromBeginning, eachBatch JSON.parse of every value) of the same topic on
 * the same broker, with the same codecs registered (src/kafka/codecs.ts: kafkajs's registry is
 * process-wide), timed before and after ours (mean of the two). Ratio = ceiling ms / ours ms, with
 * the group join and without it (GROUP_JOIN → all handled).
 */
import { execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import type { Kafka } from 'kafkajs'
import { codecStats, ensureCompressionCodecs } from '../src/kafka/codecs'
import type { LakeEngine } from '../src/engine/lake-engine'
import { ingestKafka } from '../src/pipeline/ingest-kafka'
import type { Pipeline, SourceSpec } from '../src/pipeline/pipeline-file'
import { LakeCatalog } from '../src/engine'
import { eventJson } from '../test/kafka/backlog'
import { consumerFor, freshGroupId, kafkaFor, MOCK_CONSUMER_SETTINGS, startBroker, type MockBroker } from '../test/kafka/broker'
import { log, round, tempDir } from './util'

export interface CompressedIngestOptions {
  codecs: ('lz4' | 'zstd' | 'snappy' | 'gzip')[]
  messages: number
  partitions: number
}

interface Times {
  totalMs: number
  afterJoinMs: number
}

/** kcat produces message i (key k<i>, eventJson(i)) to partition i % partitions. */
function produceWithKcat(broker: MockBroker, topic: string, codec: string, n: number, partitions: number): { ms: number } {
  const start = performance.now()
  for (let p = 0; p < partitions; p++) {
    const lines: string[] = []
    for (let i = p; i < n; i += partitions) lines.push(`k${i}\t${eventJson(i)}`)
    execFileSync('/usr/bin/kcat', ['-b', broker.brokers.join(','), '-P', '-t', topic, '-p', String(p), '-z', codec, '-K', '\t', '-X', 'linger.ms=100'], {
      input: lines.join('\n') + '\n',
      maxBuffer: 1 << 30,
    })
  }
  return { ms: performance.now() - start }
}

async function ceilingRun(kafka: Kafka, topic: string, n: number): Promise<Times> {
  const start = performance.now()
  const consumer = consumerFor(kafka, freshGroupId('bench-codec-ceiling'))
  let joinedAt = 0
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ||= performance.now()
  })
  let seen = 0
  let checksum = 0
  let doneAt = 0
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        checksum += (JSON.parse(message.value!.toString('utf8')) as { id: number }).id
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
  if (seen !== n || checksum !== (n * (n - 1)) / 2) throw new Error(`ceiling consumer saw ${seen} of ${n} messages (checksum ${checksum})`)
  return { totalMs: doneAt - start, afterJoinMs: doneAt - joinedAt }
}

async function ingestRun(lake: LakeEngine, broker: MockBroker, topic: string, n: number): Promise<Times> {
  const lakeDir = await tempDir('ingest-codec')
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const pipeline: Pipeline = {
    file: `${lakeDir}/lakehouse.json`,
    lake: '.',
    lakeDir,
    sources: [],
    kafka: {
      brokers: broker.brokers,
      clientId: 'bench-codec-ingest',
      consumer: {
        groupId: freshGroupId('bench-codec-ingest'),
        sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
        heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
        maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
      },
    },
  }
  const source: SourceSpec = { name: 'events', topic, format: 'json', table: 'raw.events' }
  const kafka = kafkaFor(broker, 'bench-codec-ingest')
  let joinedAt = 0
  const original = kafka.consumer.bind(kafka)
  kafka.consumer = (config) => {
    const consumer = original(config)
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joinedAt ||= performance.now()
    })
    return consumer
  }
  const start = performance.now()
  let lastCommitAt = 0
  const report = await ingestKafka(lake, catalog, pipeline, source, {
    untilCaughtUp: true,
    kafka,
    onBatch: () => {
      lastCommitAt = performance.now()
    },
  })
  if (report.messages !== n || report.rows !== n || report.deadLetters !== 0)
    throw new Error(`ingest of ${topic}: ${JSON.stringify(report)}, expected ${n} rows`)
  return { totalMs: lastCommitAt - start, afterJoinMs: lastCommitAt - joinedAt }
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000)

export async function runCompressedIngestBench(lake: LakeEngine, options: CompressedIngestOptions): Promise<Record<string, unknown>> {
  ensureCompressionCodecs()
  const n = options.messages
  const topics = options.codecs.map((codec) => ({ name: `bench-${codec}`, partitions: options.partitions }))
  log(`ingest-codecs: starting the mock broker (${options.codecs.join(', ')}; ${options.partitions} partitions each)`)
  const broker = await startBroker({ topics })
  const out: Record<string, unknown> = {}
  try {
    const kafka = kafkaFor(broker, 'bench-codec-ceiling')
    for (const codec of options.codecs) {
      const topic = `bench-${codec}`
      const produced = produceWithKcat(broker, topic, codec, n, options.partitions)
      log(`ingest-codecs: kcat produced ${n} messages with ${codec} in ${Math.round(produced.ms)} ms; ceiling (1/2)`)
      const batchesBefore = codecStats.batches
      const ceiling1 = await ceilingRun(kafka, topic, n)
      const compressedBatches = codecStats.batches - batchesBefore
      if (compressedBatches === 0) throw new Error(`${topic}: kcat wrote no ${codec}-compressed batch`)
      log(`ingest-codecs: ${codec} ceiling ${rate(n, ceiling1.afterJoinMs)} msg/s after join; ours`)
      const ours = await ingestRun(lake, broker, topic, n)
      log(`ingest-codecs: ${codec} ours ${rate(n, ours.afterJoinMs)} msg/s after join; ceiling (2/2)`)
      const ceiling2 = await ceilingRun(kafka, topic, n)
      const ceilingTotal = (ceiling1.totalMs + ceiling2.totalMs) / 2
      const ceilingAfterJoin = (ceiling1.afterJoinMs + ceiling2.afterJoinMs) / 2
      out[codec] = {
        messages: n,
        partitions: options.partitions,
        compressedBatches,
        ratio: round(ceilingTotal / ours.totalMs, 3),
        ratioAfterJoin: round(ceilingAfterJoin / ours.afterJoinMs, 3),
        ours: {
          messagesPerSecond: rate(n, ours.totalMs),
          messagesPerSecondAfterJoin: rate(n, ours.afterJoinMs),
          ms: { total: Math.round(ours.totalMs), afterJoin: Math.round(ours.afterJoinMs) },
        },
        ceiling: {
          messagesPerSecond: rate(n, ceilingTotal),
          messagesPerSecondAfterJoin: rate(n, ceilingAfterJoin),
          runs: [ceiling1, ceiling2].map((c) => ({ total: Math.round(c.totalMs), afterJoin: Math.round(c.afterJoinMs) })),
        },
      }
    }
  } finally {
    await broker.stop()
  }
  return { ingestCompressed: out }
}
