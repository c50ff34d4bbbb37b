/**
 * Log cleanup (`delta.enableExpiredLogCleanup`): after a checkpoint, commit and checkpoint files
 * older than `delta.logRetentionDuration` are deleted, but never one still needed to rebuild a
 * version from the newest checkpoint that is itself past the retention period.
 */
import type { Engine } from './engine'
import { completeCheckpoints, parseLogFileName, type LogFile } from './log-files'
import { DEFAULT_LOG_RETENTION_MS, tableDuration } from './retention'
import { logDirectory, type Snapshot } from './snapshot'

export async function cleanUpExpiredLogs(engine: Engine, snapshot: Snapshot, now = Date.now()): Promise<string[]> {
  const configuration = snapshot.metadata.configuration
  if (configuration['delta.enableExpiredLogCleanup'] === 'false') return []
  const retention = tableDuration(configuration, 'delta.logRetentionDuration', DEFAULT_LOG_RETENTION_MS)
  const cutoff = now - retention
  const { storage } = engine
  const logDir = logDirectory(engine, snapshot.table)
  const names = (await storage.list(logDir)) ?? []
  const files = names.map(parseLogFileName).filter((f): f is LogFile => f !== undefined)
  const times = new Map<string, number>()
  for (const file of files) times.set(file.name, (await storage.stat(storage.join(logDir, file.name)))?.modificationTime ?? now)
  // The newest checkpoint written before the cutoff: everything older than it can go.
  const boundary = completeCheckpoints(files).find((c) => c.files.every((f) => (times.get(f) ?? now) <= cutoff))
  if (!boundary) return []
  const deleted: string[] = []
  for (const file of files) {
    if (file.version >= boundary.version || (times.get(file.name) ?? now) > cutoff) continue
    await storage.delete(storage.join(logDir, file.name))
    deleted.push(file.name)
  }
  for (const name of names) {
    const crc = /^(\d{20})\.crc$/.exec(name)
    if (crc && Number(crc[1]) < boundary.version && deleted.includes(`${crc[1]}.json`)) await storage.delete(storage.join(logDir, name))
  }
  return deleted
}
