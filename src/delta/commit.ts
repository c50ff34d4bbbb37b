/**
 * Committing a transaction: write `_delta_log/<version>.json` exclusively (put-if-absent), and on
 * a lost race read the winning commits, check them for real conflicts, and try the next version.
 * After a commit, every `delta.checkpointInterval` versions, a checkpoint and log cleanup follow.
 */
import { serializeCommit, type Action, type CommitInfo, type Metadata, type Protocol } from './actions'
import { writeCheckpoint } from './checkpoint'
import { checkConflicts, emptyReadSet, type ReadSet } from './conflicts'
import type { Engine } from './engine'
import { DeltaError } from './errors'
import { checkWritable } from './features'
import { commitFileName } from './log-files'
import { cleanUpExpiredLogs } from './log-cleanup'
import { fileKey } from './log-replay'
import { resolveLogPath } from './paths'
import { DEFAULT_CHECKPOINT_INTERVAL } from './retention'
import { loadSnapshot, logDirectory, readCommit, type Snapshot } from './snapshot'

export const ENGINE_INFO = 'local-lakehouse/0.1.0'

export interface CommitRequest {
  /** The snapshot the transaction read; `undefined` when creating the table. */
  snapshot?: Snapshot
  table: string
  actions: Action[]
  operation: string
  operationParameters?: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  /** What the transaction depended on, for conflict checks. Default: a blind append. */
  readSet?: ReadSet
  /** How many lost races to absorb before giving up. */
  maxAttempts?: number
  /** Skip the post-commit checkpoint (tests and benchmarks that write checkpoints themselves). */
  skipCheckpoint?: boolean
}

export interface CommitResult {
  version: number
  /** Versions other writers committed first, which this transaction was checked against. */
  attempts: number
  checkpointed: boolean
  /** The commit is durable even when its checkpoint fails; the next one will try again. */
  checkpointError?: string
}

export async function commit(engine: Engine, request: CommitRequest): Promise<CommitResult> {
  const { table, snapshot } = request
  const protocol = findAction(request.actions, 'protocol') ?? snapshot?.protocol
  const metadata = findAction(request.actions, 'metaData') ?? snapshot?.metadata
  if (!protocol || !metadata) throw new DeltaError('INVALID_ARGUMENT', 'a new table needs a protocol and a metaData action', { table })
  checkWritable(protocol, metadata, table)
  checkAppendOnly(request.actions, metadata, table)

  const given = request.readSet ?? emptyReadSet()
  const readSet: ReadSet = { files: new Set(given.files), readData: given.readData, appIds: new Set(given.appIds) }
  const keyOf = (file: { path: string; deletionVector?: unknown }) =>
    fileKey(resolveLogPath(table, file.path, engine.storage.join, table), file as { deletionVector?: null })
  // A transaction depends on the files it removes and the appIds it records, whatever the caller said.
  for (const action of request.actions) {
    if ('txn' in action) readSet.appIds.add(action.txn.appId)
    if ('remove' in action) readSet.files.add(keyOf(action.remove))
  }

  const logDir = logDirectory(engine, table)
  const maxAttempts = request.maxAttempts ?? 50
  let version = (snapshot?.version ?? -1) + 1
  let previousTimestamp = snapshot?.timestamp ?? 0
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const info = commitInfo(request, metadata, version, previousTimestamp)
    const body = new TextEncoder().encode(serializeCommit([{ commitInfo: info }, ...request.actions]))
    if (await engine.storage.putIfAbsent(engine.storage.join(logDir, commitFileName(version)), body)) {
      if (request.skipCheckpoint) return { version, attempts: attempt, checkpointed: false }
      try {
        return { version, attempts: attempt, checkpointed: await afterCommit(engine, table, version, metadata) }
      } catch (error) {
        return { version, attempts: attempt, checkpointed: false, checkpointError: (error as Error).message }
      }
    }
    if (version === 0) throw new DeltaError('TABLE_EXISTS', 'a table already exists here (version 0 was committed by another writer)', { table })
    const winner = await readCommit(engine, table, version)
    checkConflicts(winner, version, readSet, keyOf, table)
    previousTimestamp = Math.max(previousTimestamp, timestampOf(winner))
    version++
  }
  throw new DeltaError('COMMIT_CONFLICT', `gave up after ${maxAttempts} attempts: other writers kept committing first`, { table, retriable: true })
}

function findAction<K extends 'protocol' | 'metaData'>(actions: Action[], kind: K): (K extends 'protocol' ? Protocol : Metadata) | undefined {
  const found = actions.find((a) => kind in a) as Record<string, unknown> | undefined
  return found?.[kind] as (K extends 'protocol' ? Protocol : Metadata) | undefined
}

function checkAppendOnly(actions: Action[], metadata: Metadata, table: string): void {
  if (metadata.configuration['delta.appendOnly'] !== 'true') return
  const removal = actions.find((a) => 'remove' in a && a.remove.dataChange)
  if (removal) throw new DeltaError('INVALID_ARGUMENT', 'the table is append-only (delta.appendOnly = true): rows cannot be deleted or updated', { table })
}

function timestampOf(actions: Action[]): number {
  const info = actions.find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo
  return info?.inCommitTimestamp ?? info?.timestamp ?? 0
}

/** commitInfo for the version being attempted. Timestamps never go backwards, so time travel by timestamp stays well defined. */
function commitInfo(request: CommitRequest, metadata: Metadata, version: number, previousTimestamp: number): CommitInfo {
  const timestamp = Math.max(Date.now(), previousTimestamp + 1)
  const info: CommitInfo = {}
  if (metadata.configuration['delta.enableInCommitTimestamps'] === 'true') info.inCommitTimestamp = timestamp
  info.timestamp = timestamp
  info.operation = request.operation
  info.operationParameters = request.operationParameters ?? {}
  if (request.operationMetrics) info.operationMetrics = request.operationMetrics
  if (version > 0) info.readVersion = version - 1
  info.isBlindAppend = !(request.readSet?.readData ?? false) && request.actions.every((a) => !('remove' in a))
  info.engineInfo = ENGINE_INFO
  info.txnId = crypto.randomUUID()
  return info
}

/** Checkpoint every `delta.checkpointInterval` versions, then drop expired log files. */
async function afterCommit(engine: Engine, table: string, version: number, metadata: Metadata): Promise<boolean> {
  const interval = Number(metadata.configuration['delta.checkpointInterval'] ?? DEFAULT_CHECKPOINT_INTERVAL)
  if (!engine.checkpointWriter || version === 0 || !(interval > 0) || version % interval !== 0) return false
  const snapshot = await loadSnapshot(engine, table, { version })
  await writeCheckpoint(engine, snapshot)
  await cleanUpExpiredLogs(engine, snapshot)
  return true
}
