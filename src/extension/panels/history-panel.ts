/** The history panel's glue: one panel per table, revealed again when asked for twice. */
import type * as vscode from 'vscode'
import { createHistoryHandler } from './history-handler'
import { onLakeWrites } from './lake-writes'
import { tableRef } from './table-ref'
import type { PanelEnv } from './panel-env'
import type { HistoryArgs } from './panel-args'
import { attachPanel, createWebviewPanel } from './webview-panel'

const open = new Map<string, vscode.WebviewPanel>()

export async function openHistoryPanel(env: PanelEnv, args: HistoryArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const key = `${args.lake ?? ''}\n${args.table}`
  const shown = open.get(key)
  if (shown && !existing) return shown.reveal()
  const panel = existing ?? createWebviewPanel(env.context, 'history', `History: ${args.table}`)
  open.set(key, panel)
  panel.onDidDispose(() => open.get(key) === panel && open.delete(key))
  await attachPanel(
    env.context,
    panel,
    'history',
    async (post) => {
      const { engine, catalog } = await env.deps.lake(args.lake)
      const handler = createHistoryHandler(
        {
          lake: engine,
          catalog,
          openQuery: (sql) => void env.openQuery({ sql, run: true, lake: catalog.lakeDir }),
          openChanges: (table, from, to) => void env.openChanges({ table, from, to, lake: catalog.lakeDir }),
          log: env.deps.log,
        },
        { table: args.table, restore: { table: args.table, lake: catalog.lakeDir } },
        post,
      )
      // A write from a query panel to this table shows as its new commit.
      const tablePath = tableRef(catalog, args.table).path
      const writes = onLakeWrites((paths) => {
        if (paths.has(tablePath)) void handler.receive({ type: 'refresh' })
      })
      panel.onDidDispose(() => writes.dispose())
      return handler
    },
    env.deps.log,
  ).catch(() => undefined)
}
