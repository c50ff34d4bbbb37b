/** What a caller of the Kafka ingest job (ingest-kafka.ts) can ask of it, and what it reports per batch. */
import type { DecoderOptions } from '../decode'
import type { KafkaClient, KafkaClientOptions } from '../kafka'
import type { IngestReport } from './ingest-report'
import type { OffsetGap, PartitionOffset } from './offset-ledger'
import type { RawBatchResult } from './raw-batch'

export interface KafkaBatchReport extends RawBatchResult {
  /** Messages in this batch. */
  messages: number
  /** Per partition, the batch's last offset (now recorded in the tables). */
  offsets: PartitionOffset[]
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
  kafka?: KafkaClient
}
