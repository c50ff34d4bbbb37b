/**
 * The history panel's host side: a table's commits (DESCRIBE HISTORY's data, newest first), and
 * the two ways on from a version: query the table as of it, or see its changes.
 */
import type { LakeEngine } from '../../engine'
import { tableHistory, type LakeCatalog, type TableCommit } from '../../query'
import type { HistoryEntry, HistoryToHost, JsonValue, HistoryToPanel } from '../../../webview/shared/protocol'
import { historyToHost } from '../../../webview/shared/protocol'
import { routeMessages, type PanelHandler, type PanelLog } from './message-router'
import { jsonRecord, tableRef } from './table-ref'

export interface HistoryHandlerDeps {
  lake: LakeEngine
  catalog: LakeCatalog
  /** Open a query panel on this SQL and run it. */
  openQuery(sql: string): void
  /** Open the change panel on versions from..to of the table. */
  openChanges(table: string, from: number, to: number): void
  log: PanelLog
}

/** Commits shown at most: a table with a longer log shows its latest ones. */
export const HISTORY_LIMIT = 1000

export interface HistoryPanelInit {
  table: string
  /** What reopens the panel after a reload (see the protocol's `restore`). */
  restore?: Record<string, JsonValue>
}

export function createHistoryHandler(deps: HistoryHandlerDeps, init: HistoryPanelInit, post: (message: HistoryToPanel) => void): PanelHandler {
  const { table } = init
  const ref = tableRef(deps.catalog, table)
  const readHistory = () => tableHistory(deps.lake, ref.path, { limit: HISTORY_LIMIT })
  // Read as the panel opens, while VS Code loads its page: the page's first `ready` takes this read
  // (a failure then answers it, as a read on `ready` would); later ones read again.
  let opening: Promise<TableCommit[]> | undefined = readHistory()
  opening.catch(() => undefined)

  async function sendHistory(): Promise<void> {
    const read = opening ?? readHistory()
    opening = undefined
    const entries = await read
    post({ type: 'history', table: ref.label, entries: entries.map(historyEntry), restore: init.restore ?? {} })
  }

  const receive = routeMessages<HistoryToHost>(
    'history',
    historyToHost,
    {
      ready: sendHistory,
      refresh: sendHistory,
      queryVersion({ version }) {
        deps.openQuery(`SELECT * FROM ${ref.from} VERSION AS OF ${version}`)
      },
      showChanges({ from, to }) {
        deps.openChanges(table, Math.min(from, to), Math.max(from, to))
      },
    },
    post,
    deps.log,
  )

  return { receive, dispose: async () => {} }
}

function historyEntry(entry: TableCommit): HistoryEntry {
  return {
    version: entry.version,
    timestamp: entry.timestamp,
    operation: entry.operation,
    operationParameters: jsonRecord(entry.operationParameters),
    operationMetrics: jsonRecord(entry.operationMetrics),
    ...(typeof entry.engineInfo === 'string' ? { engineInfo: entry.engineInfo } : {}),
    ...(Number.isSafeInteger(entry.readVersion) && entry.readVersion! >= 0 ? { readVersion: entry.readVersion } : {}),
    ...(typeof entry.isBlindAppend === 'boolean' ? { isBlindAppend: entry.isBlindAppend } : {}),
    actionCounts: { ...entry.actionCounts },
  }
}
