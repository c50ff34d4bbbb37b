/**
 * Which source versions each commit of a flow's table consumed. A refine commit records, as its
 * `txn` (appId `lakehouse/flow/<name>`), the last source version it covers; the commit before it
 * recorded where it started. So lineage needs nothing written at refine time: a refined table's
 * versions map to source version ranges through its own log.
 */
import { txnHistory } from '../../delta'
import type { LakeEngine } from '../../engine'
import { flowAppId } from '../refine'

export interface RefineRange {
  /** The flow's table version that commit wrote. */
  refinedVersion: number
  /** The source versions it consumed, inclusive. */
  from: number
  to: number
}

/** Each commit of the table that the flow wrote, oldest first, with the source versions it consumed. */
export async function refineRanges(lake: LakeEngine, tablePath: string, flow: string): Promise<RefineRange[]> {
  const { commits, before } = await txnHistory(lake.io, tablePath, flowAppId(flow))
  const ranges: RefineRange[] = []
  let previous = before ?? -1
  for (const commit of commits) {
    // A full refresh resets the progress to -1, then rebuilds from the source's snapshot: 0..txn.
    if (commit.txnVersion > previous) ranges.push({ refinedVersion: commit.version, from: previous + 1, to: commit.txnVersion })
    previous = commit.txnVersion
  }
  return ranges
}
