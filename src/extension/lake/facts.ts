/**
 * What the Lake view shows of a table, read from its Delta log alone (no DuckDB, no data files):
 * version, files, size and row count from the files' statistics, and whether the change data
 * feed is on. No vscode import; loaded lazily (it pulls in the Delta core).
 */
import * as path from 'node:path'
import { isChangeDataFeedEnabled, liveRowCount, readHistory, describeType, type HistoryEntry, type Snapshot } from '../../delta'
import type { LakeEngine } from '../../engine'
import type { TableFacts } from '../format'

export interface TableDetails extends TableFacts {
  partitionColumns: string[]
  lastCommitAt: number
  /** Delta's type names (`long`, `decimal(12,2)`, `struct<…>`), as Databricks shows them. */
  columns: { name: string; type: string; nullable: boolean; comment?: string }[]
}

export function factsOf(snapshot: Snapshot): TableDetails {
  let rows: number | undefined = 0
  let bytes = 0
  for (const file of snapshot.files) {
    bytes += file.add.size
    const n = liveRowCount(file.add)
    rows = n === undefined || rows === undefined ? undefined : rows + n
  }
  return {
    version: snapshot.version,
    rows,
    bytes,
    files: snapshot.files.length,
    changeDataFeed: isChangeDataFeedEnabled(snapshot.metadata),
    partitionColumns: snapshot.partitionColumns,
    lastCommitAt: snapshot.timestamp,
    columns: snapshot.schema.fields.map((f) => ({
      name: f.name,
      type: describeType(f.type),
      nullable: f.nullable,
      ...(typeof f.metadata?.comment === 'string' ? { comment: f.metadata.comment } : {}),
    })),
  }
}

export async function tableFacts(lake: LakeEngine, tablePath: string): Promise<TableDetails> {
  return factsOf(await lake.snapshot(tablePath))
}

export async function tableHistory(lake: LakeEngine, tablePath: string, limit: number): Promise<HistoryEntry[]> {
  return readHistory(lake.io, tablePath, { limit })
}

/**
 * Lake folders from the commit files found in the workspace: a table lives at
 * `<lake>/<zone>/<table>/_delta_log/`, so its lake is three levels above the log. Lakes outside
 * every root (a lone table not laid out as zone/table) are left out.
 */
export function lakeDirsFromLogFiles(logFiles: string[], roots: string[]): string[] {
  const lakes = new Set<string>()
  for (const file of logFiles) {
    const log = path.dirname(file)
    if (path.basename(log) !== '_delta_log') continue
    const lake = path.dirname(path.dirname(path.dirname(log)))
    if (roots.some((root) => lake === root || !path.relative(root, lake).startsWith('..'))) lakes.add(lake)
  }
  return [...lakes].sort()
}
