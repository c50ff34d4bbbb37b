/** The query panel's glue: a QuerySession per panel, the save dialog for exports, the clipboard. */
import * as path from 'node:path'
import * as vscode from 'vscode'
import { QuerySession } from '../../query'
import type { ExportFormat } from '../../../webview/shared/protocol'
import type { PanelEnv } from './panel-env'
import type { QueryArgs } from './panel-args'
import { createQueryHandler } from './query-handler'
import { attachPanel, createWebviewPanel } from './webview-panel'

const FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  csv: { CSV: ['csv'] },
  parquet: { Parquet: ['parquet'] },
  jsonl: { 'JSON lines': ['jsonl', 'json'] },
}

export async function openQueryPanel(env: PanelEnv, args: QueryArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const panel = existing ?? createWebviewPanel(env.context, 'query', 'Lakehouse Query')
  await attachPanel(env.context, panel, 'query', async (post) => {
    const { engine, catalog } = await env.deps.lake(args.lake)
    const session = new QuerySession(engine, catalog)
    const chooseExportFile = async (format: ExportFormat) => {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? catalog.lakeDir
      const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(folder, `result.${format}`)), filters: FILTERS[format], saveLabel: 'Export' })
      return uri?.fsPath
    }
    return createQueryHandler(
      { session, chooseExportFile, copyToClipboard: async (text) => vscode.env.clipboard.writeText(text), log: env.deps.log },
      // The panel saves its SQL itself; reopening needs only the lake.
      { sql: args.sql, run: args.run, lake: catalog.lakeDir, restore: { lake: catalog.lakeDir } },
      post,
    )
  }, env.deps.log).catch(() => undefined)
}

/** The SQL of the active `.sql` editor (its selection, else all of it), for "open query" without arguments. */
export function activeSqlText(): string | undefined {
  const editor = vscode.window.activeTextEditor
  if (!editor || editor.document.languageId !== 'sql') return undefined
  const selected = editor.document.getText(editor.selection)
  return (selected.trim() ? selected : editor.document.getText()).trim() || undefined
}
