/** The change panel's glue: a table's change data feed between two versions. */
import type * as vscode from 'vscode'
import { createChangesHandler } from './changes-handler'
import { onLakeWrites } from './lake-writes'
import type { PanelEnv } from './panel-env'
import type { ChangesArgs } from './panel-args'
import { sourceLookup } from './source-glue'
import { attachPanel, createWebviewPanel } from './webview-panel'

export async function openChangesPanel(env: PanelEnv, args: ChangesArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const range = args.from === undefined ? '' : args.to === undefined || args.to === args.from ? ` v${args.from}` : ` v${args.from}..v${args.to}`
  const panel = existing ?? createWebviewPanel(env.context, 'changes', `Changes: ${args.table}${range}`)
  await attachPanel(
    env.context,
    panel,
    'changes',
    async (post) => {
      const { engine, catalog } = await env.deps.lake(args.lake)
      // The panel's own choice of versions is in its saved state; reopening needs the table.
      const handler = createChangesHandler(
        { lake: engine, catalog, log: env.deps.log, source: sourceLookup(env.deps, engine, catalog) },
        { table: args.table, from: args.from, to: args.to, restore: { table: args.table, lake: catalog.lakeDir } },
        post,
      )
      // A write from a query panel brings new versions: the panel is sent them again and keeps the
      // range it shows (its state), so the new commit can be picked.
      const writes = onLakeWrites(() => void handler.receive({ type: 'ready' }))
      panel.onDidDispose(() => writes.dispose())
      return handler
    },
    env.deps.log,
  ).catch(() => undefined)
}
