/**
 * Classic single-file checkpoints: the reconciled state of a version as one Parquet file, plus
 * `_last_checkpoint` pointing at it. The file is complete before `_last_checkpoint` names it, so a
 * crash half-way leaves at worst an unused file.
 */
import type { Action } from './actions'
import type { Engine } from './engine'
import { classicCheckpointFileName } from './log-files'
import { DEFAULT_DELETED_FILE_RETENTION_MS, tableDuration } from './retention'
import { logDirectory, type Snapshot } from './snapshot'

/** The actions a checkpoint of `snapshot` holds. Expired tombstones are dropped. */
export function checkpointActions(snapshot: Snapshot, now = Date.now()): Action[] {
  const retention = tableDuration(snapshot.metadata.configuration, 'delta.deletedFileRetentionDuration', DEFAULT_DELETED_FILE_RETENTION_MS)
  const actions: Action[] = [{ protocol: snapshot.protocol }, { metaData: snapshot.metadata }]
  for (const txn of snapshot.txns.values()) actions.push({ txn })
  for (const domainMetadata of snapshot.domains.values()) actions.push({ domainMetadata })
  for (const { add } of snapshot.files) actions.push({ add: { ...add, dataChange: false } })
  for (const remove of snapshot.tombstones) {
    if ((remove.deletionTimestamp ?? 0) >= now - retention) actions.push({ remove: { ...remove, dataChange: false } })
  }
  return actions
}

export interface CheckpointResult {
  version: number
  path: string
  actions: number
  sizeInBytes: number
}

export async function writeCheckpoint(engine: Engine, snapshot: Snapshot): Promise<CheckpointResult | undefined> {
  if (!engine.checkpointWriter) return undefined
  const { storage } = engine
  const logDir = logDirectory(engine, snapshot.table)
  const actions = checkpointActions(snapshot)
  const path = storage.join(logDir, classicCheckpointFileName(snapshot.version))
  const sizeInBytes = await engine.checkpointWriter.writeActions(path, actions)
  const numOfAddFiles = snapshot.files.length
  const hint = { version: snapshot.version, size: actions.length, sizeInBytes, numOfAddFiles }
  const hintPath = storage.join(logDir, '_last_checkpoint')
  // A slower concurrent writer must not point readers back at an older checkpoint.
  if ((await lastCheckpointVersion(engine, hintPath)) < snapshot.version) {
    await storage.put(hintPath, new TextEncoder().encode(JSON.stringify(hint)))
  }
  return { version: snapshot.version, path, actions: actions.length, sizeInBytes }
}

async function lastCheckpointVersion(engine: Engine, hintPath: string): Promise<number> {
  const bytes = await engine.storage.read(hintPath)
  if (!bytes) return -1
  try {
    const version = (JSON.parse(new TextDecoder().decode(bytes)) as { version?: unknown } | null)?.version
    return typeof version === 'number' ? version : -1
  } catch {
    return -1
  }
}
