/**
 * The ingest job for a Kafka source: consume the topic (or every topic matching topicPattern) into
 * the raw zone in micro-batches, exactly once.
 *
 * Where to read from is decided by the lake, never by the consumer group: on every group join the
 * consumer seeks each assigned partition to what the raw and dead-letter tables record (their
 * `txn` offsets, see offset-ledger.ts) + 1; with nothing recorded, `startingOffsets` decides (earliest:
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
 *
 * Where each part lives: the job's states and transitions in kafka-ingest-job.ts; where each
 * partition stands in partition-positions.ts; batching and back-pressure in open-batch.ts; the
 * offsets the tables record, and data-loss gaps, in offset-ledger.ts; writing a batch in
 * raw-batch.ts; everything that talks to Kafka (the group member, admin lookups, codecs) in
 * src/kafka.
 */
import { createDecoder } from '../decode'
import type { LakeEngine } from '../engine'
import { ensureCompressionCodecs, kafkaClient, schemaRegistryOptions, sourceGroupId } from '../kafka'
import type { LakeCatalog } from '../engine'
import type { IngestReport } from './ingest-report'
import { KafkaIngestJob } from './kafka-ingest-job'
import type { KafkaIngestOptions } from './kafka-ingest-options'
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_MESSAGES, DEFAULT_BATCH_MS } from './open-batch'
import type { Pipeline, SourceSpec } from './pipeline-file'
import { PipelineError } from './errors'

export type { KafkaBatchReport, KafkaIngestOptions } from './kafka-ingest-options'

export async function ingestKafka(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  source: SourceSpec,
  options: KafkaIngestOptions = {},
): Promise<IngestReport> {
  if (!source.topic && !source.topicPattern)
    throw new PipelineError(`source '${source.name}' is not a Kafka source (it has neither "topic" nor "topicPattern")`)
  const settings = pipeline.kafka
  if (!settings && !options.kafka) throw new PipelineError(`source '${source.name}' needs the pipeline's "kafka" section (brokers)`)
  const report: IngestReport = { source: source.name, messages: 0, rows: 0, tombstones: 0, deadLetters: 0, skipped: 0, batches: 0 }
  if (options.signal?.aborted) return report

  // Also for a client handed in (tests, the extension): kafkajs's codec registry is process-wide.
  ensureCompressionCodecs()
  const decoder = createDecoder(source.format, options.decoderOptions ?? { schemaRegistry: schemaRegistryOptions(settings, { env: options.client?.env }) })
  const client = options.kafka ?? kafkaClient(settings!, { ...options.client, password: options.password })
  const job = new KafkaIngestJob({
    lake,
    catalog,
    source,
    settings,
    client,
    clientHandedIn: options.kafka !== undefined,
    decoder,
    groupId: sourceGroupId(settings, source.name),
    limits: {
      maxMessages: Math.max(1, source.batch?.maxMessages ?? DEFAULT_BATCH_MESSAGES),
      maxMs: Math.max(1, source.batch?.maxMs ?? DEFAULT_BATCH_MS),
      maxBytes: Math.max(1, source.batch?.maxBytes ?? DEFAULT_BATCH_BYTES),
    },
    options,
    report,
  })
  return job.run()
}
