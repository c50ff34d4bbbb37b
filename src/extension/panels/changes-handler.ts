/**
 * The change panel's host side: a table's change data feed (table_changes) between two versions,
 * optionally for one key, with the count of each change type and the commits' operations and
 * metrics. Rows go to the panel in commit and key order, so that an update's pre- and post-image
 * arrive together; the panel pairs them.
 */
import { quoteIdentifier, quoteString, readHistory } from '../../delta'
import type { LakeEngine } from '../../engine'
import { runQuery, type LakeCatalog } from '../../query'
import type { ChangeRow, ChangesToHost, ChangesToPanel, ChangeType, Column, JsonValue } from '../../../webview/shared/protocol'
import { CHANGE_TYPES, changesToHost } from '../../../webview/shared/protocol'
import { HISTORY_LIMIT } from './history-handler'
import { routeMessages, type PanelHandler, type PanelLog } from './message-router'
import { jsonRecord, tableRef } from './table-ref'

export interface ChangesHandlerDeps {
  lake: LakeEngine
  catalog: LakeCatalog
  log: PanelLog
}

export interface ChangesPanelInit {
  table: string
  /** Default: `to`, i.e. the changes of one commit. */
  from?: number
  /** Default: the latest version. */
  to?: number
  /** What reopens the panel after a reload (see the protocol's `restore`). */
  restore?: Record<string, JsonValue>
}

/** Change rows sent at most; the counts always cover every row. */
export const CHANGE_ROWS_LIMIT = 2000

const META_COLUMNS = new Set(['_change_type', '_commit_version', '_commit_timestamp'])

export function createChangesHandler(deps: ChangesHandlerDeps, init: ChangesPanelInit, post: (message: ChangesToPanel) => void): PanelHandler {
  const { lake, catalog } = deps
  const ref = tableRef(catalog, init.table)
  const query = (sql: string) => runQuery(lake, catalog, sql)

  const receive = routeMessages<ChangesToHost>('changes', changesToHost, {
    async ready() {
      const history = await readHistory(lake.io, ref.path, { limit: HISTORY_LIMIT })
      const versions = history.map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp })).reverse()
      const latest = versions.at(-1)?.version ?? 0
      const to = init.to ?? latest
      const from = init.from ?? to
      const columns = (await query(`SELECT * FROM ${ref.from} LIMIT 0`)).columns.map((c): Column => ({ name: c.name, type: c.type }))
      const keyColumn = likelyKey(columns)
      post({ type: 'init', table: ref.label, versions, from, to, columns, ...(keyColumn ? { keyColumn } : {}), restore: init.restore ?? {} })
    },
    async load({ requestId, from, to, keyColumn, keyValue }) {
      const feed = `table_changes(${ref.changesArgument}, ${Math.min(from, to)}, ${Math.max(from, to)})`
      const where = keyColumn && keyValue !== undefined && keyValue !== '' ? ` WHERE CAST(${quoteIdentifier(keyColumn)} AS VARCHAR) = ${quoteString(keyValue)}` : ''
      const order = `_commit_version, ${keyColumn ? `${quoteIdentifier(keyColumn)}, ` : ''}_change_type`
      const [rows, counted, history] = [
        await query(`SELECT * FROM ${feed}${where} ORDER BY ${order} LIMIT ${CHANGE_ROWS_LIMIT + 1}`),
        await query(`SELECT _change_type AS change, count(*) AS n FROM ${feed}${where} GROUP BY 1`),
        await readHistory(lake.io, ref.path, { limit: HISTORY_LIMIT }),
      ]
      const columns = rows.columns.filter((c) => !META_COLUMNS.has(c.name)).map((c): Column => ({ name: c.name, type: c.type }))
      const counts = Object.fromEntries(CHANGE_TYPES.map((t) => [t, 0])) as Record<ChangeType, number>
      for (const row of counted.rows) if ((CHANGE_TYPES as readonly string[]).includes(String(row.change))) counts[row.change as ChangeType] = Number(row.n)
      const changeRows: ChangeRow[] = rows.rows.slice(0, CHANGE_ROWS_LIMIT).map((row) => ({
        changeType: row._change_type as ChangeType,
        version: Number(row._commit_version),
        values: columns.map((c) => row[c.name] ?? null),
      }))
      const commits = history
        .filter((h) => h.version >= Math.min(from, to) && h.version <= Math.max(from, to))
        .reverse()
        .map((h) => ({ version: h.version, timestamp: h.timestamp, operation: h.operation, operationParameters: jsonRecord(h.operationParameters), operationMetrics: jsonRecord(h.operationMetrics) }))
      post({ type: 'changes', requestId, from, to, counts, columns, rows: changeRows, truncated: rows.rows.length > CHANGE_ROWS_LIMIT, commits })
    },
  }, post, deps.log)

  return { receive, dispose: async () => {} }
}

/** `id`, else a column named like `<something>_id` or `<something>Id`, else the first column. */
export function likelyKey(columns: Column[]): string | undefined {
  const names = columns.map((c) => c.name)
  return names.find((n) => n.toLowerCase() === 'id') ?? names.find((n) => /(_id|Id|ID|_key)$/.test(n)) ?? names[0]
}
