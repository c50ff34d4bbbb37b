/**
 * Browsing a cluster for the Kafka view: topics with their partitions, offsets and the lag of the
 * pipeline's consumer groups, and samples of a topic's latest messages, decoded. Every call is
 * bounded in time (a cluster that is down must not leave a tree spinning) and disconnects its
 * clients. No vscode import; loaded lazily (kafkajs).
 * Sampling itself is src/kafka/sample.ts, shared with `lakehouse sample` and the topic panel.
 */
import type { Kafka } from 'kafkajs'
import { createDecoder, inferSchema, mergeInferred, type Decoded, type DecoderOptions, type Format } from '../../decode'
import type { StructType } from '../../delta/schema'
import { browsingClient, sampleTopicMessages, withTimeout } from '../../kafka/sample'
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

export { browsingClient, withTimeout }

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
  const sampled = await sampleTopicMessages(kafka, topic, { limit: options.limit, password: options.password, timeoutMs: options.timeoutMs, signal: options.signal })
  const decoder = createDecoder(format, options.decoder ?? {})
  const messages: TopicSample['messages'] = []
  for (const m of sampled.messages) {
    messages.push({ partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ? Buffer.from(m.key).toString('utf8') : null, decoded: await decoder.decode(m) })
  }
  let schema = inferSchema([])
  for (const m of messages) if (m.decoded.kind === 'row') schema = mergeInferred(schema, m.decoded.schema)
  return { topic, format, schema, messages }
}
