/**
 * The ingest job for a file source: replay a capture into the raw zone in micro-batches, resuming
 * after what the raw and dead-letter tables already record.
 */
import * as path from 'node:path'
import { createDecoder, type DecoderOptions } from '../decode'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import { readCapture } from './file-source'
import type { IngestMessage } from './ingest-message'
import { countBatch, type IngestReport } from './ingest-report'
import { OffsetLedger } from './offset-ledger'
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_MESSAGES, messageBytes } from './open-batch'
import type { Pipeline, SourceSpec } from './pipeline-file'
import { writeRawBatch } from './raw-batch'

export type { IngestReport } from './ingest-report'

export async function ingestFile(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  source: SourceSpec,
  decoderOptions: DecoderOptions = {},
): Promise<IngestReport> {
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
