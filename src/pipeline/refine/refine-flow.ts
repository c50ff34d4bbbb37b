/**
 * Running a flow: batch after batch until the source has no new version, then (unless asked to
 * stop when caught up) waiting for its next commit. A batch that loses a commit race to another
 * writer (OPTIMIZE on the target, say) is computed again from the new state.
 */
import { snapshotOrNothing, type LakeEngine } from '../../engine'
import type { LakeCatalog } from '../../engine'
import type { FlowSpec } from '../pipeline-file'
import { COMMIT_RACE_POLICY, withRetries } from '../retry-policy'
import type { LakeTableReader } from './lake-tables'
import { refineBatch, type RefineBatchReport } from './refine-batch'
import { waitForCommit } from './table-watch'

export interface RefineOptions {
  /** Stop once the source versions that existed at the start are processed (like Spark's availableNow). */
  untilCaughtUp?: boolean
  fullRefresh?: boolean
  /** Lets the flow's `sql` transforms read other lake tables (see lake-tables.ts). */
  lakeTables?: LakeTableReader
  signal?: AbortSignal
  onBatch?: (report: RefineBatchReport) => void
}

export interface RefineReport {
  flow: string
  batches: number
  changes: number
  /** The last source version processed, when any. */
  sourceVersion?: number
}

export async function refineFlow(lake: LakeEngine, catalog: LakeCatalog, flow: FlowSpec, options: RefineOptions = {}): Promise<RefineReport> {
  const report: RefineReport = { flow: flow.name, batches: 0, changes: 0 }
  const sourcePath = catalog.pathOf(flow.from)
  const target = options.untilCaughtUp ? (await snapshotOrNothing(lake, sourcePath))?.version : undefined
  let fullRefresh = options.fullRefresh ?? false
  let seen = -1
  while (!options.signal?.aborted) {
    const batch = await withRetries(COMMIT_RACE_POLICY, () => refineBatch(lake, catalog, flow, { fullRefresh, lakeTables: options.lakeTables }))
    fullRefresh = false
    if (batch) {
      report.batches++
      report.changes += batch.changes
      report.sourceVersion = batch.toVersion
      seen = batch.sourceVersion
      options.onBatch?.(batch)
      if (target !== undefined && batch.toVersion >= target) break
      continue
    }
    if (options.untilCaughtUp) break
    seen = Math.max(seen, (await snapshotOrNothing(lake, sourcePath))?.version ?? -1)
    await waitForCommit(lake.io.storage, sourcePath, seen, options.signal)
  }
  return report
}
