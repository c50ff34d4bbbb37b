/**
 * The topic panel's broker side: a topic's partitions (retained offsets, and the committed offset
 * and lag of the pipeline's consumer group) and a sample of its latest messages kept as they came
 * (key, value bytes, headers), so the panel can show the raw text next to the decoded value.
 * Loaded lazily by topic-handler.ts (kafkajs); the sampling itself is src/kafka/sample.ts.
 */
import { sampleTopicMessages, type KafkaSettings, type SampledPartition, type TopicMessages } from '../../kafka'

export interface BrokerTopic {
  kafka: KafkaSettings
  topic: string
  /** The consumer group whose progress is the lag shown (the pipeline source's). */
  groupId?: string
  password?: string
  timeoutMs?: number
}

export type BrokerPartition = SampledPartition
export type BrokerSample = TopicMessages

/** The latest `limit` messages of `topic` (spread over its partitions) and its partitions' offsets. */
export function sampleBrokerTopic(source: BrokerTopic, limit: number): Promise<BrokerSample> {
  return sampleTopicMessages(source.kafka, source.topic, { limit, groupId: source.groupId, password: source.password, timeoutMs: source.timeoutMs })
}
