/** The query panel's glue: a QuerySession per panel, the save dialog for exports, the clipboard. */
import * as path from 'node:path'
import * as vscode from 'vscode'
import { QuerySession } from '../../query'
import type { ExportFormat } from '../../../webview/shared/protocol'
import type { PanelEnv } from './panel-env'
import type { QueryArgs } from './panel-args'
import { queryTabKey, queryTitle } from './panel-titles'
import { announceLakeWrites } from './lake-writes'
import { createQueryHandler } from './query-handler'
import { sourceLookup } from './source-glue'
import { attachPanel, createWebviewPanel } from './webview-panel'

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  csv: { CSV: ['csv'] },
  parquet: { Parquet: ['parquet'] },
  jsonl: { 'JSON lines': ['jsonl', 'json'] },
}

/** Open query tabs that show one table, by queryTabKey: "Query Table" on that table again reveals the tab. */
const tableTabs = new Map<string, vscode.WebviewPanel>()

export async function openQueryPanel(env: PanelEnv, args: QueryArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const key = queryTabKey(args.sql, args.lake)
  const open = key === undefined || existing ? undefined : tableTabs.get(key)
  if (open) return open.reveal()
  const panel = existing ?? createWebviewPanel(env.context, 'query', queryTitle(args.sql))
  let tabKey = key
  const track = (next: string | undefined) => {
    if (tabKey !== undefined && tableTabs.get(tabKey) === panel) tableTabs.delete(tabKey)
    tabKey = next
    if (next !== undefined && !tableTabs.has(next)) tableTabs.set(next, panel)
  }
  track(key)
  panel.onDidDispose(() => track(undefined))
  await attachPanel(
    env.context,
    panel,
    'query',
    async (post) => {
      const { engine, catalog } = await env.deps.lake(args.lake)
      const session = new QuerySession(engine, catalog)
      const chooseExportFile = async (format: ExportFormat) => {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? catalog.lakeDir
        const uri = await vscode.window.showSaveDialog({
          defaultUri: vscode.Uri.file(path.join(folder, `result.${format}`)),
          filters: FILTERS[format],
          saveLabel: 'Export',
        })
        return uri?.fsPath
      }
      return createQueryHandler(
        {
          session,
          chooseExportFile,
          copyToClipboard: async (text) => vscode.env.clipboard.writeText(text),
          log: env.deps.log,
          // The tab is named by what it runs now, and is the table's tab only while it shows that table.
          onRun: (sql) => {
            panel.title = queryTitle(sql)
            track(queryTabKey(sql, catalog.lakeDir))
          },
          confirmDestructive: async (statements) => {
            const detail = statements.map((d) => `${d.position}  ${d.reason}`).join('\n')
            const title =
              statements.length === 1
                ? 'This statement destroys data or history. Run it?'
                : `${statements.length} statements destroy data or history. Run them?`
            return (await vscode.window.showWarningMessage(title, { modal: true, detail }, 'Run')) === 'Run'
          },
          openChanges: (table, from, to) => void env.openChanges({ table, from, to, lake: catalog.lakeDir }),
          source: sourceLookup(env.deps, engine, catalog),
          onWrite: (writes) => {
            const paths = writes.map((w) => w.path)
            env.deps.onLakeWrite?.(paths)
            announceLakeWrites(paths)
          },
        },
        // The panel saves its SQL itself; reopening needs only the lake.
        { sql: args.sql, run: args.run, lake: catalog.lakeDir, restore: { lake: catalog.lakeDir } },
        post,
      )
    },
    env.deps.log,
  ).catch(() => undefined)
}

/** The SQL of the active `.sql` editor (its selection, else all of it), for "open query" without arguments. */
export function activeSqlText(): string | undefined {
  const editor = vscode.window.activeTextEditor
  if (!editor || editor.document.languageId !== 'sql') return undefined
  const selected = editor.document.getText(editor.selection)
  return (selected.trim() ? selected : editor.document.getText()).trim() || undefined
}
