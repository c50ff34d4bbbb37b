/**
 * The one way a table is written. Every write of every layer (appends, MERGE, UPDATE/DELETE,
 * OPTIMIZE, DDL, refine batches, offset-ledger gaps, dead-letter states) commits here, so that
 * the conflict checks, the commitInfo, the retries on a lost race and the post-commit checkpoint
 * are the same for all; only the engine imports the Delta core's `commit` (test/architecture holds it).
 */
import { commit, type CommitRequest, type CommitResult } from '../delta'
import type { LakeEngine } from '../engine'

export type { CommitRequest, CommitResult }

export function commitTable(lake: LakeEngine, request: CommitRequest): Promise<CommitResult> {
  return commit(lake.io, request)
}
