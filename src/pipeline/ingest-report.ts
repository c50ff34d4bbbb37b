/** What an ingest job (file or Kafka) reports: its totals, added up batch by batch. */
import type { OffsetGap } from './offset-ledger'
import type { RawBatchResult } from './raw-batch'

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

/** Add one written batch to a job's totals. */
export function countBatch(report: IngestReport, written: RawBatchResult): void {
  report.rows += written.rows
  report.tombstones += written.tombstones
  report.deadLetters += written.deadLetters
  report.skipped += written.skipped
  report.batches++
}
