/**
 * Browsing a cluster for the Kafka view: topics with their partitions, offsets and the lag of the
 * pipeline's consumer groups, and samples of a topic's latest messages, decoded. Every call is
 * bounded in time (a cluster that is down must not leave a tree spinning) and disconnects its
 * clients. No vscode import; loaded lazily (kafkajs).
 *
 * TODO(engine): topic metadata and sampling belong in src/kafka/ next to the client; they live here
 * until that layer offers them.
 */
import { randomUUID } from 'node:crypto'
import { logLevel, type Kafka } from 'kafkajs'
import { createDecoder, inferSchema, mergeInferred, type Decoded, type DecoderOptions, type Format } from '../../decode'
import type { StructType } from '../../delta/schema'
import { kafkaClient } from '../../kafka/client'
import type { KafkaSettings, SourceSpec } from '../../pipeline/pipeline-file'

export interface PartitionOffsets {
  partition: number
  low: number
  high: number
  /** What the pipeline's consumer group committed, when it has. */
  committed?: number
  lag?: number
}

export interface TopicSummary {
  name: string
  partitions: PartitionOffsets[]
  /** Messages still retained: high - low over the partitions. */
  messages: number
  /** Pipeline sources reading this topic. */
  sources: string[]
  /** Summed over partitions, when a source reads the topic. */
  lag?: number
}

export interface BrowseOptions {
  password?: string
  /** Upper bound of any one browse call. Default 20 s. */
  timeoutMs?: number
}

/** The consumer group a source's ingest job commits its offsets to (see src/pipeline/ingest-kafka.ts). */
export function sourceGroupId(kafka: KafkaSettings, source: SourceSpec): string {
  return kafka.consumer?.groupId ?? `lakehouse-${source.name}`
}

export function sourcesReading(topic: string, sources: SourceSpec[]): SourceSpec[] {
  return sources.filter((s) => s.topic === topic || (s.topicPattern !== undefined && safeRegExp(s.topicPattern)?.test(topic)))
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch {
    return undefined
  }
}

/** A client for browsing: short timeouts and few retries, so a dead cluster fails fast. */
export function browsingClient(kafka: KafkaSettings, options: BrowseOptions): Kafka {
  return kafkaClient(kafka, {
    password: options.password,
    logLevel: logLevel.NOTHING,
    config: { connectionTimeout: 3_000, requestTimeout: 10_000, retry: { retries: 1, initialRetryTime: 300, maxRetryTime: 2_000 } },
  })
}

export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Topics (internal ones left out), each with offsets and the lag of the sources that read it. */
export async function listTopics(kafka: KafkaSettings, sources: SourceSpec[], options: BrowseOptions = {}): Promise<TopicSummary[]> {
  const admin = browsingClient(kafka, options).admin()
  const work = (async () => {
    await admin.connect()
    const names = (await admin.listTopics()).filter((name) => !name.startsWith('__')).sort()
    const topics: TopicSummary[] = []
    // A few at a time: a cluster with hundreds of topics should not get hundreds of requests at once.
    for (let i = 0; i < names.length; i += 8) {
      topics.push(...(await Promise.all(names.slice(i, i + 8).map((name) => describeTopic(admin, kafka, name, sources)))))
    }
    return topics
  })()
  try {
    return await withTimeout(`the Kafka cluster ${kafka.brokers.join(',')}`, options.timeoutMs ?? 20_000, work)
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

type Admin = ReturnType<Kafka['admin']>

async function describeTopic(admin: Admin, kafka: KafkaSettings, name: string, sources: SourceSpec[]): Promise<TopicSummary> {
  const offsets = await admin.fetchTopicOffsets(name)
  const partitions: PartitionOffsets[] = offsets
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition)
  const readers = sourcesReading(name, sources)
  const summary: TopicSummary = { name, partitions, messages: partitions.reduce((n, p) => n + (p.high - p.low), 0), sources: readers.map((s) => s.name) }
  // With several readers (one group each) the largest lag is the one that matters.
  for (const groupId of new Set(readers.map((s) => sourceGroupId(kafka, s)))) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [name] })
    let lag = 0
    for (const c of committed?.partitions ?? []) {
      const p = partitions.find((x) => x.partition === c.partition)
      if (!p) continue
      const at = Number(c.offset)
      // -1: the group never committed on this partition; everything retained is still to read.
      const partitionLag = at < 0 ? p.high - p.low : Math.max(0, p.high - at)
      if (p.lag === undefined || partitionLag > p.lag) Object.assign(p, { lag: partitionLag, committed: at < 0 ? undefined : at })
      lag += partitionLag
    }
    summary.lag = Math.max(summary.lag ?? 0, lag)
  }
  return summary
}

export interface TopicSample {
  topic: string
  format: Format
  /** The Delta schema inferred from the decoded messages. */
  schema: StructType
  messages: { partition: number; offset: string; timestamp: string; key: string | null; decoded: Decoded }[]
}

export interface SampleOptions extends BrowseOptions {
  limit?: number
  decoder?: DecoderOptions
  /** Stop early (the user cancelled): what arrived so far is the sample. */
  signal?: AbortSignal
}

/** The latest `limit` messages of a topic (spread over its partitions), decoded, with the schema they infer. */
export async function sampleTopic(kafka: KafkaSettings, topic: string, format: Format, options: SampleOptions = {}): Promise<TopicSample> {
  const limit = options.limit ?? 20
  const client = browsingClient(kafka, options)
  const admin = client.admin()
  const collected: TopicSample['messages'] = []
  const decoder = createDecoder(format, options.decoder ?? {})
  // A throwaway group that never commits: the sample changes nobody's offsets.
  const consumer = client.consumer({ groupId: `lakehouse-preview-${randomUUID()}`, maxWaitTimeInMs: 500 })
  const work = (async () => {
    await admin.connect()
    const offsets = (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    const nonEmpty = offsets.filter((o) => o.high > o.low)
    if (nonEmpty.length === 0) return
    const perPartition = Math.max(1, Math.ceil(limit / nonEmpty.length))
    const starts = new Map(nonEmpty.map((o) => [o.partition, Math.max(o.low, o.high - perPartition)]))
    const expected = nonEmpty.reduce((n, o) => n + (o.high - starts.get(o.partition)!), 0)
    let done!: () => void
    const finished = new Promise<void>((resolve) => (done = resolve))
    if (options.signal?.aborted) return
    options.signal?.addEventListener('abort', () => done(), { once: true })
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: String(offset) })
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const start = starts.get(partition)
        if (start === undefined || Number(message.offset) < start || collected.length >= expected) return
        const input = { topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: {} }
        collected.push({ partition, offset: message.offset, timestamp: message.timestamp, key: message.key?.toString('utf8') ?? null, decoded: await decoder.decode(input) })
        if (collected.length >= expected) done()
      },
    })
    await finished
  })()
  try {
    await withTimeout(`sampling ${topic}`, options.timeoutMs ?? 30_000, work).catch((error: unknown) => {
      // A timeout after some messages arrived still gives a useful sample.
      if (collected.length === 0) throw error
    })
  } finally {
    await consumer.disconnect().catch(() => {})
    await admin.disconnect().catch(() => {})
  }
  collected.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))
  let schema = inferSchema([])
  for (const m of collected) if (m.decoded.kind === 'row') schema = mergeInferred(schema, m.decoded.schema)
  return { topic, format, schema, messages: collected }
}
