/**
 * The Kafka view's calls, loaded lazily (kafkajs): topic listing with offsets and lag, and samples
 * of a topic's latest messages, decoded. The Kafka work is src/kafka (topics.ts, sample.ts,
 * shared with `lakehouse sample` and the topic panel); this file only decodes the sample.
 */
import { createDecoder, inferSchema, mergeInferred, type Decoded, type DecoderOptions, type Format } from '../../decode'
import type { StructType } from '../../delta'
import { sampleTopicMessages, type BrowseOptions, type KafkaSettings } from '../../kafka'

export { listTopics, sourcesReading, type BrowseOptions, type PartitionOffsets, type TopicSummary } from '../../kafka'

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
  const sampled = await sampleTopicMessages(kafka, topic, {
    limit: options.limit,
    password: options.password,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  })
  const decoder = createDecoder(format, options.decoder ?? {})
  const messages: TopicSample['messages'] = []
  for (const m of sampled.messages) {
    messages.push({
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key ? Buffer.from(m.key).toString('utf8') : null,
      decoded: await decoder.decode(m),
    })
  }
  let schema = inferSchema([])
  for (const m of messages) if (m.decoded.kind === 'row') schema = mergeInferred(schema, m.decoded.schema)
  return { topic, format, schema, messages }
}
