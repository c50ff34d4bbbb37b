/**
 * The one piece of glue every panel shares: give a `vscode.WebviewPanel` its page (strict CSP, a
 * fresh nonce, resources only from dist/webview) and connect its messages to a handler. Messages
 * that arrive while the handler is still being made (opening the lake's DuckDB) wait for it.
 */
import { readFileSync } from 'node:fs'
import * as vscode from 'vscode'
import type { PanelKind } from '../../../webview/shared/protocol'
import { errorText, type PanelHandler, type PanelLog } from './message-router'
import { newNonce, panelHtml } from './panel-html'

export const VIEW_TYPES: { [K in PanelKind]: string } = {
  query: 'lakehouse.queryPanel',
  history: 'lakehouse.historyPanel',
  changes: 'lakehouse.changesPanel',
  topic: 'lakehouse.topicPanel',
  graph: 'lakehouse.graphPanel',
  'dead-letters': 'lakehouse.deadLettersPanel',
}

function webviewRoot(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')
}

/** The panels' bundles as text, read once (the page carries them: see panel-html.ts). */
const bundles = new Map<string, string>()
function bundle(context: vscode.ExtensionContext, file: string): string {
  let text = bundles.get(file)
  if (text === undefined) {
    text = readFileSync(vscode.Uri.joinPath(webviewRoot(context), file).fsPath, 'utf8')
    bundles.set(file, text)
  }
  return text
}

/**
 * Options for a new panel: scripts on, nothing but the panel bundles readable. A hidden panel keeps
 * its page: rebuilding it from saved state on every switch took 150–330 ms (the page's scripts and
 * controls load again), against an aim of 100 ms; a kept page is back in the next frame. The cost
 * is the hidden page's memory, bounded by the grids' virtualisation (only the rows in view exist).
 * Saved state still restores panels after a window reload.
 */
export function panelOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(context)], enableFindWidget: true, retainContextWhenHidden: true }
}

export function createWebviewPanel(context: vscode.ExtensionContext, kind: PanelKind, title: string, column = vscode.ViewColumn.Active): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(VIEW_TYPES[kind], title, column, panelOptions(context))
}

/**
 * Loads the panel's page into `panel` and routes its messages to the handler `makeHandler`
 * builds. Used for new panels and for panels VS Code restores after a reload alike.
 */
export function attachPanel(
  context: vscode.ExtensionContext,
  panel: vscode.WebviewPanel,
  kind: PanelKind,
  makeHandler: (post: (message: unknown) => void) => Promise<PanelHandler>,
  log: PanelLog,
): Promise<PanelHandler> {
  const { webview } = panel
  // A restored panel keeps the options it was saved with; set them again so they stay strict.
  webview.options = panelOptions(context)
  const post = (message: unknown) => {
    webview.postMessage(message).then(undefined, (error: unknown) => log.error(`${kind} panel: could not post: ${errorText(error)}`))
  }
  const handler = makeHandler(post)
  const received = webview.onDidReceiveMessage(async (message: unknown) => {
    try {
      await (await handler).receive(message)
    } catch (error) {
      // The handler could not be made (no lake, a bad table name): the panel says so.
      post({ type: 'error', message: errorText(error) })
    }
  })
  panel.onDidDispose(() => {
    received.dispose()
    handler.then((h) => h.dispose()).catch((error) => log.error(`${kind} panel: ${errorText(error)}`))
  })
  webview.html = panelHtml({
    kind,
    title: panel.title,
    cspSource: webview.cspSource,
    script: bundle(context, `${kind}.js`),
    style: bundle(context, `${kind}.css`),
    nonce: newNonce(),
  })
  return handler
}
