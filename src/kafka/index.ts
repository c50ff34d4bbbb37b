/**
 * The Kafka layer's public surface: everything that talks to kafkajs (nothing outside src/kafka
 * imports it). Client and settings, admin lookups, a consumer-group member for the ingest job,
 * topic sampling and listing for `lakehouse sample`, the Kafka view and the topic panel, lag, and
 * the codecs kafkajs lacks.
 */
export {
  connectError,
  KafkaCredentialsError,
  kafkaClient,
  kafkaConfig,
  saslPassword,
  schemaRegistryOptions,
  type KafkaClient,
  type KafkaClientOptions,
} from './client'
export { sourceGroupId, type KafkaSettings, type SecretRef } from './settings'
export { ClusterAdmin, WatermarkReader, type CommittedOffset, type PartitionWatermarks } from './admin'
export { GroupConsumer, type FetchedBatch, type GroupListener, type Subscription } from './group-consumer'
export { lastHeaderValues, type ConsumedMessage, type MessageHeaders } from './messages'
export { partitionLag } from './lag'
export { listTopics, sourcesReading, type BrowseOptions, type PartitionOffsets, type TopicReader, type TopicSummary } from './topics'
export {
  browsingClient,
  sampleTopicMessages,
  withTimeout,
  type SampledMessage,
  type SampledPartition,
  type SampleTopicOptions,
  type TopicMessages,
} from './sample'
export { KafkaError } from './errors'
export { seedEmptyTopics, type SeedMessage, type SeedTopic } from './seed'
export { CompressedBatchError, codecFailureOf, ensureCompressionCodecs, registerCompressionCodecs, unreadableFetchError } from './codecs'
export {
  assertDevCluster,
  NotADevClusterError,
  produceMessages,
  type OutgoingMessage,
  type ProducedMessage,
  type ProduceOptions,
  type ProduceProgress,
  type ProduceSummary,
} from './produce'
export { createTopic, deleteTopic, parseTopicConfigs, topicNameProblem, type NewTopic, type TopicAdminOptions } from './topic-admin'
