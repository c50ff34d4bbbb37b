/**
 * The ingest job for a file source: replay a capture into the raw zone in micro-batches, resuming
 * after what the raw and dead-letter tables already record.
 */
import * as path from 'node:path'
import { createDecoder, type DecoderOptions } from '../decode'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../query/catalog'
import { readCapture } from './file-source'
import type { Pipeline, SourceSpec } from './pipeline-file'
import type { IngestMessage } from './ingest-message'
import { OffsetLedger, type OffsetGap } from './offset-ledger'
import { writeRawBatch, type RawBatchResult } from './raw-batch'

export interface IngestReport {
  source: string
  messages: number
  rows: number
  tombstones: number
  deadLetters: number
  /** Messages an earlier run already recorded. */
  skipped: number
  batches: number
  /** Gaps a source with `failOnDataLoss: false` skipped (Kafka; recorded in the raw table's history). */
  dataLoss?: OffsetGap[]
}

export const DEFAULT_BATCH_MESSAGES = 50_000
/**
 * A batch also closes at this many bytes of keys and values, so that a topic of large messages
 * (10 MB each) does not gather 50,000 of them in memory; 50,000 values of 500 B stay under it.
 */
export const DEFAULT_BATCH_BYTES = 32 * 2 ** 20

/** What a message weighs against `batch.maxBytes`: its key and value as received. */
export function messageBytes(message: { key: Uint8Array | null; value: Uint8Array | null }): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0)
}

/** Add one written batch to a job's totals. */
export function countBatch(report: IngestReport, written: RawBatchResult): void {
  report.rows += written.rows
  report.tombstones += written.tombstones
  report.deadLetters += written.deadLetters
  report.skipped += written.skipped
  report.batches++
}

export async function ingestFile(lake: LakeEngine, catalog: LakeCatalog, pipeline: Pipeline, source: SourceSpec, decoderOptions: DecoderOptions = {}): Promise<IngestReport> {
  const file = path.resolve(path.dirname(pipeline.file), source.file!)
  const decoder = createDecoder(source.format, decoderOptions)
  const report: IngestReport = { source: source.name, messages: 0, rows: 0, tombstones: 0, deadLetters: 0, skipped: 0, batches: 0 }
  // Resume after what both tables hold; writeRawBatch skips what either has.
  const ledger = await OffsetLedger.load(lake, catalog, source)
  const recorded = (topic: string, partition: number) => ledger.resumeAfter(topic, partition)
  const limit = source.batch?.maxMessages ?? DEFAULT_BATCH_MESSAGES
  const byteLimit = source.batch?.maxBytes ?? DEFAULT_BATCH_BYTES
  let batch: IngestMessage[] = []
  let batchBytes = 0
  const flush = async () => {
    if (batch.length === 0) return
    countBatch(report, await writeRawBatch(lake, catalog, source, batch))
    batch = []
    batchBytes = 0
  }
  for await (const message of readCapture(file)) {
    report.messages++
    if (Number(message.offset) <= recorded(message.topic, message.partition)) {
      report.skipped++
      continue
    }
    batch.push({ ...message, decoded: await decoder.decode(message) })
    batchBytes += messageBytes(message)
    if (batch.length >= limit || batchBytes >= byteLimit) await flush()
  }
  await flush()
  return report
}
