/**
 * Log cleanup (`delta.enableExpiredLogCleanup`): after a checkpoint, commit and checkpoint files
 * older than `delta.logRetentionDuration` are deleted, but never one still needed to rebuild a
 * version from the newest checkpoint that is itself past the retention period.
 *
 * Cost: one directory listing, a binary search over the checkpoints' modification times (they
 * grow with the version), and one stat per file actually deleted, so a long log does not make
 * every checkpoint commit slower.
 */
import type { Engine } from './engine'
import { completeCheckpoints, parseLogFileName, type Checkpoint, type LogFile } from './log-files'
import { DEFAULT_LOG_RETENTION_MS, tableDuration } from './retention'
import { logDirectory, type Snapshot } from './snapshot'

export async function cleanUpExpiredLogs(engine: Engine, snapshot: Snapshot, now = Date.now()): Promise<string[]> {
  const configuration = snapshot.metadata.configuration
  if (configuration['delta.enableExpiredLogCleanup'] === 'false') return []
  const cutoff = now - tableDuration(configuration, 'delta.logRetentionDuration', DEFAULT_LOG_RETENTION_MS)
  const { storage } = engine
  const logDir = logDirectory(engine, snapshot.table)
  const mtime = async (name: string) => (await storage.stat(storage.join(logDir, name)))?.modificationTime ?? now
  const names = (await storage.list(logDir)) ?? []
  const files = names.map(parseLogFileName).filter((f): f is LogFile => f !== undefined)
  const boundary = await newestExpiredCheckpoint(completeCheckpoints(files).reverse(), cutoff, async (c) =>
    Math.max(...(await Promise.all(c.files.map(mtime)))),
  )
  if (!boundary) return []
  const deleted: string[] = []
  const candidates = files.filter((f) => f.version < boundary.version).sort((a, b) => a.version - b.version)
  for (const file of candidates) {
    // Versions are committed in time order: the first file still inside the retention ends it.
    if ((await mtime(file.name)) > cutoff) break
    await storage.delete(storage.join(logDir, file.name))
    deleted.push(file.name)
  }
  const deletedCommits = new Set(deleted.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, 20)))
  for (const name of names) {
    if (/^\d{20}\.crc$/.test(name) && deletedCommits.has(name.slice(0, 20))) await storage.delete(storage.join(logDir, name))
  }
  return deleted
}

/** Binary search, oldest first: the newest checkpoint whose files were all written by `cutoff`. */
async function newestExpiredCheckpoint(
  oldestFirst: Checkpoint[],
  cutoff: number,
  writtenAt: (c: Checkpoint) => Promise<number>,
): Promise<Checkpoint | undefined> {
  let lo = 0
  let hi = oldestFirst.length - 1
  let found: Checkpoint | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if ((await writtenAt(oldestFirst[mid])) <= cutoff) {
      found = oldestFirst[mid]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}
