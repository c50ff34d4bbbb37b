/**
 * The change panel's host side: a table's change data feed (table_changes) between two versions,
 * optionally for one key, with the count of each change type and the commits' operations and
 * metrics. Rows go to the panel in commit and key order, so that an update's pre- and post-image
 * arrive together; the panel pairs them.
 */
import { quoteIdentifier, quoteString } from '../../delta'
import type { LakeEngine } from '../../engine'
import { runQuery, tableHistory, type LakeCatalog } from '../../query'
import type { ChangeRow, ChangesToHost, ChangesToPanel, ChangeType, Column, JsonValue } from '../../../webview/shared/protocol'
import { CHANGE_TYPES, changesToHost } from '../../../webview/shared/protocol'
import { ExtensionError } from '../errors'
import { HISTORY_LIMIT } from './history-handler'
import { routeMessages, type PanelHandler, type PanelLog } from './message-router'
import type { SourceLookup } from './row-source'
import { jsonRecord, tableRef } from './table-ref'

export interface ChangesHandlerDeps {
  lake: LakeEngine
  catalog: LakeCatalog
  log: PanelLog
  /** "Show source": the lineage of a change's row, and opening one of its messages in the topic panel. */
  source?: SourceLookup
}

export interface ChangesPanelInit {
  table: string
  /** Default: `to`, i.e. the changes of one commit. */
  from?: number
  /** Default: the latest version. */
  to?: number
  /** What reopens the panel after a reload (see the protocol's `restore`); `table` in it follows the table shown. */
  restore?: Record<string, JsonValue>
}

/** Change rows sent at most in one answer (a page the panel did not size); the counts always cover every row. */
export const CHANGE_ROWS_LIMIT = 2000

const META_COLUMNS = new Set(['_change_type', '_commit_version', '_commit_timestamp'])

export function createChangesHandler(deps: ChangesHandlerDeps, init: ChangesPanelInit, post: (message: ChangesToPanel) => void): PanelHandler {
  const { lake, catalog } = deps
  let table = init.table
  let ref = tableRef(catalog, table)
  // A table picked in the panel opens at its latest commit; the first one at the versions asked for.
  let versionsAsked: { from?: number; to?: number } = { from: init.from, to: init.to }
  const query = (sql: string) => runQuery(lake, catalog, sql)

  async function sendInit(): Promise<void> {
    const history = await tableHistory(lake, ref.path, { limit: HISTORY_LIMIT })
    const versions = history.map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp })).reverse()
    const latest = versions.at(-1)?.version ?? 0
    const to = versionsAsked.to ?? latest
    const from = versionsAsked.from ?? to
    const columns = (await query(`SELECT * FROM ${ref.from} LIMIT 0`)).columns.map((c): Column => ({ name: c.name, type: c.type }))
    const keyColumn = likelyKey(columns)
    const tables = (await catalog.tables().catch(() => [])).map((t) => t.name)
    post({
      type: 'init',
      table: ref.label,
      versions,
      from,
      to,
      columns,
      ...(keyColumn ? { keyColumn } : {}),
      restore: { ...(init.restore ?? {}), table },
      ...(tables.length ? { tables } : {}),
    })
  }

  const receive = routeMessages<ChangesToHost>(
    'changes',
    changesToHost,
    {
      ready: sendInit,
      async table(message) {
        // Only the lake's own tables are offered; the message is a web page's, so it is held to that.
        const known = message.table === init.table || (await catalog.tables()).some((t) => t.name === message.table)
        if (!known) throw new ExtensionError(`'${message.table}' is not a table of the lake ${catalog.lakeDir}`)
        ref = tableRef(catalog, message.table)
        table = message.table
        versionsAsked = {}
        await sendInit()
      },
      async showSource({ requestId, columns, values, version }) {
        if (!deps.source) throw new ExtensionError("Show source needs the workspace's pipeline files")
        post({ type: 'source', requestId, ...(await deps.source.trace({ tables: [table], columns, values, ...(version === undefined ? {} : { version }) })) })
      },
      openMessage(message) {
        deps.source?.openMessage(message)
      },
      async load({ requestId, from, to, keyColumn, keyValue, offset = 0, limit = CHANGE_ROWS_LIMIT }) {
        const low = Math.min(from, to)
        const high = Math.max(from, to)
        const feed = `table_changes(${ref.changesArgument}, ${low}, ${high})`
        const where =
          keyColumn && keyValue !== undefined && keyValue !== '' ? ` WHERE CAST(${quoteIdentifier(keyColumn)} AS VARCHAR) = ${quoteString(keyValue)}` : ''
        const order = `_commit_version, ${keyColumn ? `${quoteIdentifier(keyColumn)}, ` : ''}_change_type`
        // Two rows past the page: one that may complete an update pair cut by the page's end, one to know whether more follow.
        const [rows, counted, history] = [
          await query(`SELECT * FROM ${feed}${where} ORDER BY ${order} LIMIT ${limit + 2} OFFSET ${offset}`),
          await query(`SELECT _change_type AS change, count(*) AS n FROM ${feed}${where} GROUP BY 1`),
          await tableHistory(lake, ref.path, { limit: HISTORY_LIMIT }),
        ]
        const columns = rows.columns.filter((c) => !META_COLUMNS.has(c.name)).map((c): Column => ({ name: c.name, type: c.type }))
        const counts = Object.fromEntries(CHANGE_TYPES.map((t) => [t, 0])) as Record<ChangeType, number>
        for (const row of counted.rows) if ((CHANGE_TYPES as readonly string[]).includes(String(row.change))) counts[row.change as ChangeType] = Number(row.n)
        const take = pageEnd(rows.rows, limit, keyColumn)
        const changeRows: ChangeRow[] = rows.rows.slice(0, take).map((row) => ({
          changeType: row._change_type as ChangeType,
          version: Number(row._commit_version),
          values: columns.map((c) => row[c.name] ?? null),
        }))
        const commits = history
          .filter((h) => h.version >= low && h.version <= high)
          .reverse()
          .map((h) => ({
            version: h.version,
            timestamp: h.timestamp,
            operation: h.operation,
            operationParameters: jsonRecord(h.operationParameters),
            operationMetrics: jsonRecord(h.operationMetrics),
          }))
        const total = CHANGE_TYPES.reduce((n, t) => n + counts[t], 0)
        post({
          type: 'changes',
          requestId,
          from,
          to,
          counts,
          columns,
          rows: changeRows,
          truncated: rows.rows.length > take,
          commits,
          offset,
          next: offset + changeRows.length,
          total,
        })
      },
    },
    post,
    deps.log,
  )

  return { receive, dispose: async () => {} }
}

/**
 * Where a page of `limit` rows ends: one row later when the page would otherwise split an
 * update's two images (adjacent: same commit, same key, ordered post- then pre-image).
 */
function pageEnd(rows: Record<string, unknown>[], limit: number, keyColumn: string | undefined): number {
  if (rows.length <= limit) return rows.length
  const last = rows[limit - 1]
  const next = rows[limit]
  const isImage = (row: Record<string, unknown>) => row._change_type === 'update_preimage' || row._change_type === 'update_postimage'
  const sameRow = Number(last._commit_version) === Number(next._commit_version) && (!keyColumn || String(last[keyColumn]) === String(next[keyColumn]))
  return isImage(last) && isImage(next) && last._change_type !== next._change_type && sameRow ? limit + 1 : limit
}

/** `id`, else a column named like `<something>_id` or `<something>Id`, else the first column. */
export function likelyKey(columns: Column[]): string | undefined {
  const names = columns.map((c) => c.name)
  return names.find((n) => n.toLowerCase() === 'id') ?? names.find((n) => /(_id|Id|ID|_key)$/.test(n)) ?? names[0]
}
