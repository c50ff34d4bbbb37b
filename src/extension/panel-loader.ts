/**
 * The panels (src/extension/panels) load on first use, not at activation: their handlers import
 * the query layer, which loads DuckDB's native addon (~120 ms of a ~170 ms activation when
 * measured). Until then a stand-in command per panel command loads them and passes the call on.
 * Panels open in the last session come back through serializers, and VS Code waits for a
 * serializer to be registered before reviving, so when such tabs are open the panels load at once.
 */
import * as vscode from 'vscode'
import type { Log } from './log'
import type { PanelDeps } from './panels'

/** The commands `registerPanels` registers (PANEL_COMMANDS in panels/index.ts). */
export const PANEL_COMMAND_IDS = [
  'lakehouse.openQuery',
  'lakehouse.showHistory',
  'lakehouse.showChanges',
  'lakehouse.showTopic',
  'lakehouse.showPipelineGraph',
  'lakehouse.showDeadLetters',
]

/** Webview tabs of ours restored from the last session (their viewType ends with VIEW_TYPES' `lakehouse.<x>Panel`). */
function panelTabsOpen(): boolean {
  return vscode.window.tabGroups.all.some((group) =>
    group.tabs.some((tab) => tab.input instanceof vscode.TabInputWebview && /lakehouse\.\w+Panel$/.test(tab.input.viewType)),
  )
}

export function registerPanelsLazily(context: vscode.ExtensionContext, deps: PanelDeps, log: Log): void {
  let loading: Promise<void> | undefined
  const load = () => {
    loading ??= (async () => {
      const started = performance.now()
      const { registerPanels } = await import('./panels')
      for (const stand of standIns) stand.dispose()
      registerPanels(context, deps)
      log.info('panels.loaded', { ms: Math.round(performance.now() - started) })
    })()
    // A failed load (a broken build) is retried by the next call rather than remembered.
    loading.catch((error: unknown) => {
      loading = undefined
      log.error('panels.load', error)
    })
    return loading
  }
  const standIns = PANEL_COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      await load()
      return vscode.commands.executeCommand(id, ...args)
    }),
  )
  context.subscriptions.push(...standIns)
  if (panelTabsOpen()) void load().catch(() => undefined)
}
