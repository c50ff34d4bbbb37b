/**
 * The panels' public surface for the extension: `registerPanels` registers the four commands and
 * the serializers that bring panels back after a reload. Arguments are checked (panel-args.ts);
 * a command run without them (from the command palette) asks for what it needs.
 */
import * as vscode from 'vscode'
import type { PanelKind } from '../../../webview/shared/protocol'
import { openChangesPanel } from './changes-panel'
import { graphArgsFrom, openGraphPanel } from './graph-panel'
import { deadLettersArgsFrom, openDeadLettersPanel } from './dead-letters-panel'
import { openHistoryPanel } from './history-panel'
import { errorText } from './message-router'
import { panelArgs, type PanelArgs } from './panel-args'
import type { PanelDeps, PanelEnv } from './panel-env'
import { activeSqlText, openQueryPanel } from './query-panel'
import { openTopicPanel } from './topic-panel'
import { VIEW_TYPES } from './webview-panel'

export type { PanelDeps } from './panel-env'
export type { PanelLog } from './message-router'
export type { ChangesArgs, DeadLettersArgs, HistoryArgs, QueryArgs, TopicArgs } from './panel-args'
export { VIEW_TYPES } from './webview-panel'

export const PANEL_COMMANDS = {
  query: 'lakehouse.openQuery',
  history: 'lakehouse.showHistory',
  changes: 'lakehouse.showChanges',
  topic: 'lakehouse.showTopic',
  graph: 'lakehouse.showPipelineGraph',
  'dead-letters': 'lakehouse.showDeadLetters',
} as const satisfies { [K in PanelKind]: string }

type Opener<K extends PanelKind> = (env: PanelEnv, args: PanelArgs[K], existing?: vscode.WebviewPanel) => Promise<void>
const OPENERS: { [K in PanelKind]: Opener<K> } = {
  query: openQueryPanel,
  history: openHistoryPanel,
  changes: openChangesPanel,
  topic: openTopicPanel,
  graph: openGraphPanel,
  'dead-letters': openDeadLettersPanel,
}

export function registerPanels(context: vscode.ExtensionContext, deps: PanelDeps): void {
  const env: PanelEnv = {
    context,
    deps,
    openQuery: (args) => openQueryPanel(env, args),
    openChanges: (args) => openChangesPanel(env, args),
    openHistory: (args) => openHistoryPanel(env, args),
  }

  const open = async <K extends PanelKind>(kind: K, raw: unknown, existing?: vscode.WebviewPanel): Promise<void> => {
    const args = panelArgs(kind, raw)
    if (!args.ok) {
      deps.log.error(`${PANEL_COMMANDS[kind]}: ${args.error}`)
      void vscode.window.showErrorMessage(`${PANEL_COMMANDS[kind]}: ${args.error}`)
      return
    }
    await OPENERS[kind](env, args.value, existing)
  }

  context.subscriptions.push(
    vscode.commands.registerCommand(PANEL_COMMANDS.query, (args?: unknown) =>
      open('query', args ?? { sql: activeSqlText(), run: activeSqlText() !== undefined }),
    ),
    vscode.commands.registerCommand(PANEL_COMMANDS.history, async (args?: unknown) => {
      const table = args ?? (await pickTable(deps, 'Show the history of'))
      if (table !== undefined) await open('history', table)
    }),
    vscode.commands.registerCommand(PANEL_COMMANDS.changes, async (args?: unknown) => {
      const table = args ?? (await pickTable(deps, 'Show the changes of'))
      if (table !== undefined) await open('changes', table)
    }),
    vscode.commands.registerCommand(PANEL_COMMANDS.topic, (args?: unknown) => open('topic', args)),
    vscode.commands.registerCommand(PANEL_COMMANDS.graph, async (args?: unknown) => {
      // From the Pipelines view: its pipeline (or job) item; from the palette: pick a pipeline file.
      const file = graphArgsFrom(args) ?? (await deps.pipelines?.pick('Show the graph of which pipeline?'))
      if (file !== undefined) await open('graph', { pipelineFile: file })
    }),
    vscode.commands.registerCommand(PANEL_COMMANDS['dead-letters'], async (args?: unknown) => {
      const chosen = deadLettersArgsFrom(args) ?? (await deps.pickPipelineFile?.('Show the dead letters of which pipeline?'))
      if (chosen !== undefined) await open('dead-letters', chosen)
    }),
  )

  for (const kind of Object.keys(VIEW_TYPES) as PanelKind[]) {
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
        async deserializeWebviewPanel(panel, state: unknown) {
          // The state comes from the webview: it is checked like a command's arguments.
          const restore = typeof state === 'object' && state !== null ? (state as { restore?: unknown }).restore : undefined
          const args = panelArgs(kind, restore ?? {})
          if (!args.ok) {
            deps.log.error(`cannot restore the ${kind} panel: ${args.error}`)
            panel.dispose()
            return
          }
          await OPENERS[kind](env, args.value as never, panel)
        },
      }),
    )
  }
}

/** The command palette's way in: pick one of the lake's tables. */
async function pickTable(deps: PanelDeps, title: string): Promise<{ table: string } | undefined> {
  try {
    const { catalog } = await deps.lake()
    const tables = await catalog.tables()
    if (tables.length === 0) {
      void vscode.window.showInformationMessage(`The lake ${catalog.lakeDir} has no tables yet.`)
      return undefined
    }
    const picked = await vscode.window.showQuickPick(
      tables.map((t) => t.name),
      { title, placeHolder: 'zone.table' },
    )
    return picked === undefined ? undefined : { table: picked }
  } catch (error) {
    void vscode.window.showErrorMessage(errorText(error))
    return undefined
  }
}
