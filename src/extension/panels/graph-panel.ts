/**
 * The Pipeline Graph panel's glue: one panel per pipeline file, revealed again when asked for
 * twice. It follows the pipeline: the jobs' events re-send the graph with their states, a commit
 * in the lake or a change to the pipeline's files reads it again. A node opens its table in a
 * query or history panel, or its definition in the editor at its line.
 */
import * as path from 'node:path'
import * as vscode from 'vscode'
import { openAtJsonPath } from '../notify'
import { createGraphHandler, type DefinitionPlace, type GraphHandler } from './graph-handler'
import type { GraphArgs } from './panel-args'
import type { PanelEnv } from './panel-env'
import { attachPanel, createWebviewPanel } from './webview-panel'

const open = new Map<string, vscode.WebviewPanel>()

/** The pipeline file a Pipelines view item (a pipeline or one of its jobs) or a `{ pipelineFile }` names. */
export function graphArgsFrom(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null) return undefined
  const a = args as { pipelineFile?: unknown; entry?: { uri?: { fsPath?: unknown } }; pipeline?: { file?: unknown } }
  const file = a.pipelineFile ?? a.entry?.uri?.fsPath ?? a.pipeline?.file
  return typeof file === 'string' ? file : undefined
}

/** `raw.orders`, or `raw."my-table"`: a part that is not a plain identifier is quoted. */
function sqlName(table: string): string {
  return table
    .split('.')
    .map((part) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? part : `"${part.replaceAll('"', '""')}"`))
    .join('.')
}

async function openDefinition(place: DefinitionPlace): Promise<void> {
  const uri = vscode.Uri.file(place.file)
  if (place.line === undefined) return openAtJsonPath(uri, place.path ?? '$')
  const at = new vscode.Position(Math.max(0, place.line - 1), Math.max(0, (place.column ?? 1) - 1))
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(at, at), preview: false })
}

export async function openGraphPanel(env: PanelEnv, args: GraphArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const file = path.resolve(args.pipelineFile)
  const shown = open.get(file)
  if (shown && !existing) return shown.reveal()
  const panel = existing ?? createWebviewPanel(env.context, 'graph', `Graph: ${path.basename(file)}`)
  open.set(file, panel)
  panel.onDidDispose(() => open.get(file) === panel && open.delete(file))
  const subscriptions: { dispose(): void }[] = []
  panel.onDidDispose(() => subscriptions.forEach((s) => s.dispose()))
  await attachPanel(
    env.context,
    panel,
    'graph',
    async (post) => {
      const { loadPipeline } = await import('../../pipeline/pipeline-file')
      const { engine, catalog } = await env.deps.lake(loadPipeline(file).lakeDir)
      const pipelines = env.deps.pipelines
      const handler: GraphHandler = createGraphHandler(
        {
          lake: engine,
          catalog,
          pipelineFile: file,
          jobStatus: (job) => pipelines?.jobStatus(file, job),
          relativePath: (p) => vscode.workspace.asRelativePath(p),
          openQuery: (table) =>
            void env.openQuery({
              sql: `SELECT * FROM ${sqlName(table)} LIMIT ${vscode.workspace.getConfiguration('lakehouse').get<number>('query.rowLimit', 1000)}`,
              run: true,
              lake: catalog.lakeDir,
            }),
          openHistory: (table) => void env.openHistory({ table, lake: catalog.lakeDir }),
          openDefinition: (place) => void openDefinition(place).catch((error: unknown) => env.deps.log.error(`graph panel: ${String(error)}`)),
          log: env.deps.log,
        },
        { restore: { pipelineFile: file } },
        post,
      )
      if (pipelines) {
        subscriptions.push(
          pipelines.onDidChangeJobs(() => handler.jobsChanged()),
          pipelines.onDidChangeLake(() => void handler.lakeChanged()),
        )
      }
      // A saved definition changes the graph too.
      subscriptions.push(vscode.workspace.onDidSaveTextDocument((d) => d.uri.fsPath.toLowerCase().endsWith('.sql') && void handler.lakeChanged()))
      return handler
    },
    env.deps.log,
  ).catch(() => undefined)
}
