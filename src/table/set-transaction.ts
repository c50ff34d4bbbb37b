/**
 * A commit that only moves application transaction versions (`txn` actions: Delta's
 * SetTransaction), with no data: how the offset ledger records an accepted gap in a Kafka
 * partition. Committed like every other write (optimistic concurrency, conflict checks against
 * other writers of the same appIds, the post-commit checkpoint).
 */
import type { Snapshot, Txn } from '../delta'
import { commitTable, type CommitResult } from './commit-table'
import type { LakeEngine } from '../engine'

export interface SetTransactionOptions {
  /** The snapshot the versions were decided from. */
  snapshot: Snapshot
  txns: Txn[]
  /** Why the versions move, as the commit's history shows it. */
  operationParameters?: Record<string, unknown>
}

export async function setTransactions(lake: LakeEngine, table: string, options: SetTransactionOptions): Promise<CommitResult> {
  const now = Date.now()
  return commitTable(lake, {
    table,
    snapshot: options.snapshot,
    actions: options.txns.map((txn) => ({ txn: { ...txn, lastUpdated: txn.lastUpdated ?? now } })),
    operation: 'SET TRANSACTION',
    operationParameters: options.operationParameters ?? {},
  })
}
