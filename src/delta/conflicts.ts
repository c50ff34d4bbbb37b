/**
 * Optimistic concurrency: when another writer committed the version we meant to write, decide
 * whether our transaction can simply move to the next version or really conflicts. The rules
 * follow Delta's (ConflictChecker), reduced to what our operations need.
 */
import type { Action } from './actions'
import { DeltaError } from './errors'

export interface ReadSet {
  /** Keys (see log-replay's fileKey) of the files the transaction read or rewrote. */
  files: Set<string>
  /** The transaction's outcome depends on the table's data (not a blind append): new files conflict. */
  readData: boolean
  /** appIds whose txn versions the transaction set (e.g. Kafka offsets). */
  appIds: Set<string>
}

export function emptyReadSet(): ReadSet {
  return { files: new Set(), readData: false, appIds: new Set() }
}

/**
 * Throw a COMMIT_CONFLICT when a commit that won the race invalidates what we read.
 * `fileKeyOf` resolves an add/remove to the same key used in the read set.
 */
export function checkConflicts(
  winner: Action[],
  winnerVersion: number,
  read: ReadSet,
  fileKeyOf: (file: { path: string; deletionVector?: unknown }) => string,
  table: string,
): void {
  const conflict = (why: string) => {
    throw new DeltaError('COMMIT_CONFLICT', `concurrent commit ${winnerVersion} conflicts with this transaction: ${why}`, { table, retriable: true })
  }
  for (const action of winner) {
    if ('protocol' in action) conflict('it changed the protocol')
    if ('metaData' in action) conflict('it changed the table metadata (schema, partitioning or properties)')
    if ('txn' in action && read.appIds.has(action.txn.appId)) {
      conflict(`it also committed for application id '${action.txn.appId}' (another writer is processing the same source)`)
    }
    if ('remove' in action && read.files.has(fileKeyOf(action.remove as { path: string; deletionVector?: unknown }))) {
      conflict(`it removed file ${action.remove.path}, which this transaction read`)
    }
    if ('add' in action && read.readData && action.add.dataChange) {
      conflict(`it added file ${action.add.path}, which this transaction could not have seen`)
    }
  }
}
