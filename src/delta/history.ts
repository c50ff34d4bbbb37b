/**
 * Table history (DESCRIBE HISTORY): one entry per commit still in the log, newest first, from
 * each commit's commitInfo. Versions whose commit files were cleaned up are not listed.
 */
import type { CommitInfo } from './actions'
import type { Engine } from './engine'
import { commitFileName } from './log-files'
import { commitTimestamp, commitVersions, logDirectory, mapLimited, readCommit } from './snapshot'

export interface HistoryEntry {
  version: number
  /** ms since epoch: the in-commit timestamp, else commitInfo.timestamp, else the file's mtime. */
  timestamp: number
  operation: string
  operationParameters: Record<string, unknown>
  operationMetrics: Record<string, unknown>
  engineInfo?: string
  readVersion?: number
  isBlindAppend?: boolean
  /** Actions in the commit, by kind: how many files it added and removed, and so on. */
  actionCounts: Record<string, number>
}

export async function readHistory(engine: Engine, table: string, options: { limit?: number } = {}): Promise<HistoryEntry[]> {
  const versions = (await commitVersions(engine, table)).reverse().slice(0, options.limit ?? Infinity)
  return mapLimited(versions, 16, async (version) => {
    const actions = await readCommit(engine, table, version)
    const info: CommitInfo = actions.find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo ?? {}
    const actionCounts: Record<string, number> = {}
    for (const action of actions) {
      const kind = Object.keys(action)[0]
      if (kind !== 'commitInfo') actionCounts[kind] = (actionCounts[kind] ?? 0) + 1
    }
    const mtime = (await engine.storage.stat(engine.storage.join(logDirectory(engine, table), commitFileName(version))))?.modificationTime
    return {
      version,
      timestamp: commitTimestamp(actions) ?? mtime ?? 0,
      operation: info.operation ?? 'UNKNOWN',
      operationParameters: info.operationParameters ?? {},
      operationMetrics: info.operationMetrics ?? {},
      engineInfo: info.engineInfo,
      readVersion: info.readVersion,
      isBlindAppend: info.isBlindAppend,
      actionCounts,
    }
  })
}
