/**
 * Queries: "Run Query" (the selection, or the whole .sql file) and every "query this" action of
 * the Lake view end in the query panel, through the `lakehouse.openQuery` command of the panels.
 * When the panels cannot open (they failed to load), the CLI prints the result into the
 * "Lakehouse Results" output from a child process, so a query never goes unanswered.
 */
import * as vscode from 'vscode'
import { runCliProcess } from '../cli/process'
import { CliRunError } from '../errors'
import { setting, type Services } from '../services'
import { pickLake } from './pickers'

export interface OpenQueryArgs {
  sql: string
  /** The lake the query's zone.table names resolve in. */
  lake?: string
  /** Run it at once (else the panel opens with the SQL in its editor). */
  run?: boolean
}

let results: vscode.OutputChannel | undefined

export async function openQuery(services: Services, args: OpenQueryArgs): Promise<void> {
  services.log.info('query.open', { lake: args.lake, chars: args.sql.length })
  try {
    await vscode.commands.executeCommand('lakehouse.openQuery', args)
  } catch (error) {
    services.log.error('query.panel', error)
    await queryToOutput(services, args)
  }
}

/** The fallback: the CLI's table output in an output channel, with progress and cancel. */
async function queryToOutput(services: Services, args: OpenQueryArgs): Promise<void> {
  results ??= vscode.window.createOutputChannel('Lakehouse Results')
  const channel = results
  const cwd = args.lake ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd()
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Lakehouse: running query', cancellable: true },
    (_progress, token) => {
      const abort = new AbortController()
      token.onCancellationRequested(() => abort.abort())
      return runCliProcess(services.launch(), ['query', '--lake', cwd, '--format', 'table', args.sql], { cwd, signal: abort.signal })
    },
  )
  channel.appendLine(`-- ${new Date().toISOString()} ${args.lake ?? ''}`)
  channel.appendLine(args.sql)
  if (outcome.cancelled) channel.appendLine('(cancelled)')
  else if (outcome.code === 0) channel.append(outcome.stdout)
  else {
    const failure = new CliRunError(outcome)
    channel.appendLine(`error: ${failure.message}`)
    void services.notifier.error('Query failed', failure)
  }
  channel.show(true)
  services.log.info('query.output', { code: outcome.code, cancelled: outcome.cancelled, bytes: outcome.stdout.length })
}

/** "Run Query": the selection, else the whole document, of the active editor. */
export async function runQueryCommand(services: Services, uri?: vscode.Uri): Promise<void> {
  const editor = vscode.window.activeTextEditor
  let document = editor?.document
  if (uri && document?.uri.toString() !== uri.toString()) document = await vscode.workspace.openTextDocument(uri)
  if (!document) {
    const sql = await vscode.window.showInputBox({ prompt: 'SQL to run over the lake', placeHolder: 'SELECT * FROM raw.orders LIMIT 100' })
    if (!sql) return
    const lake = await pickLake(services)
    if (lake) await openQuery(services, { sql, lake: lake.dir, run: true })
    return
  }
  const selection = editor && editor.document === document && !editor.selection.isEmpty ? document.getText(editor.selection) : document.getText()
  const sql = selection.trim()
  if (!sql) {
    void vscode.window.showWarningMessage('Nothing to run: the selection (or the file) is empty.')
    return
  }
  const lake = await pickLake(services, document.uri)
  if (lake) await openQuery(services, { sql, lake: lake.dir, run: true })
}

export function rowLimit(): number {
  return Math.max(1, setting<number>('query.rowLimit', 1000))
}
