/**
 * The versions of a table whose commits carry a `txn` of one application, with the txn's version,
 * oldest first. A writer that records its progress this way (a refine flow records the last source
 * version each commit covers) can be asked afterwards which source versions any commit of the table
 * consumed: the range after the previous such commit's txn, up to its own. Commits whose files
 * were cleaned up are not listed; `before` is the txn as of the version before the first listed
 * commit (from the snapshot, which a checkpoint keeps), so the first range is known too.
 */
import type { Action } from './actions'
import type { Engine } from './engine'
import { commitVersions, loadSnapshot, mapLimited, readCommit } from './snapshot'

export interface TxnCommit {
  /** The table's version. */
  version: number
  /** The txn's version recorded by that commit. */
  txnVersion: number
}

export async function txnHistory(engine: Engine, table: string, appId: string): Promise<{ commits: TxnCommit[]; before?: number }> {
  const versions = await commitVersions(engine, table)
  const found = await mapLimited(versions, 16, async (version) => {
    const txn = (await readCommit(engine, table, version, true)).find((a): a is Extract<Action, { txn: unknown }> => 'txn' in a && a.txn.appId === appId)
    return txn ? { version, txnVersion: txn.txn.version } : undefined
  })
  const commits = found.filter((c): c is TxnCommit => c !== undefined)
  const first = versions[0]
  const before =
    first !== undefined && first > 0 ? (await loadSnapshot(engine, table, { version: first - 1 }).catch(() => undefined))?.txns.get(appId)?.version : undefined
  return { commits, before }
}
