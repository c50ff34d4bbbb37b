/**
 * Log replay: the protocol's reconciliation rules, written once. Actions are fed newest commit
 * first and the checkpoint last; the first word on anything wins:
 * - the newest protocol and metaData;
 * - per file (path + deletion vector id), the newest add or remove; a remove shadows older adds;
 * - per appId, the newest txn; per domain, the newest domainMetadata (removed ones are dropped).
 */
import type { Action, AddFile, DomainMetadata, Metadata, Protocol, RemoveFile, Txn } from './actions'
import { deletionVectorUniqueId } from './deletion-vectors'

export interface ReplayState {
  protocol?: Protocol
  metadata?: Metadata
  /** Live files keyed by `fileKey`. */
  files: Map<string, AddFile>
  /** Removes not shadowed by a newer add: kept for checkpoints (until their retention expires) and VACUUM. */
  tombstones: Map<string, RemoveFile>
  txns: Map<string, Txn>
  domains: Map<string, DomainMetadata>
}

export function emptyReplayState(): ReplayState {
  return { files: new Map(), tombstones: new Map(), txns: new Map(), domains: new Map() }
}

/** The identity of a file in the log: its path (resolved, so differently spelled paths match) and its DV. */
export function fileKey(resolvedPath: string, file: { deletionVector?: AddFile['deletionVector'] }): string {
  return file.deletionVector ? `${resolvedPath}\u0000${deletionVectorUniqueId(file.deletionVector)}` : resolvedPath
}

export class LogReplay {
  readonly state: ReplayState = emptyReplayState()
  private readonly seenFiles = new Set<string>()
  private readonly seenTxns = new Set<string>()
  private readonly seenDomains = new Set<string>()

  constructor(private readonly resolve: (logPath: string) => string) {}

  /**
   * Apply one commit's or checkpoint's actions. `fromCheckpoint`: removes in a checkpoint are
   * tombstones only and can shadow nothing older.
   */
  apply(actions: Iterable<Action>, fromCheckpoint = false): void {
    const { state } = this
    for (const action of actions) {
      if ('add' in action) {
        const key = fileKey(this.resolve(action.add.path), action.add)
        if (this.seenFiles.has(key)) continue
        this.seenFiles.add(key)
        state.files.set(key, action.add)
      } else if ('remove' in action) {
        const key = fileKey(this.resolve(action.remove.path), action.remove)
        if (this.seenFiles.has(key)) continue
        if (!fromCheckpoint) this.seenFiles.add(key)
        state.tombstones.set(key, action.remove)
      } else if ('protocol' in action) {
        state.protocol ??= action.protocol
      } else if ('metaData' in action) {
        state.metadata ??= action.metaData
      } else if ('txn' in action) {
        if (this.seenTxns.has(action.txn.appId)) continue
        this.seenTxns.add(action.txn.appId)
        state.txns.set(action.txn.appId, action.txn)
      } else if ('domainMetadata' in action) {
        const { domain } = action.domainMetadata
        if (this.seenDomains.has(domain)) continue
        this.seenDomains.add(domain)
        if (!action.domainMetadata.removed) state.domains.set(domain, action.domainMetadata)
      }
    }
  }
}
