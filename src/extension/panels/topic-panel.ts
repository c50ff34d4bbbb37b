/**
 * The topic panel's glue: a captured topic, previewed through the flow of the pipeline file it
 * comes from. Edits to that file (saved or not) redo the preview of the selected message.
 */
import { readFile } from 'node:fs/promises'
import * as path from 'node:path'
import * as vscode from 'vscode'
import type { PanelEnv } from './panel-env'
import type { TopicArgs } from './panel-args'
import { flowForSource } from './topic-flow'
import { createTopicHandler, type TopicHandler } from './topic-handler'
import { attachPanel, createWebviewPanel } from './webview-panel'

export async function openTopicPanel(env: PanelEnv, args: TopicArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const { source, pipelineFile } = args
  const file = path.resolve(pipelineFile ? path.dirname(pipelineFile) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.'), source.file)
  const panel = existing ?? createWebviewPanel(env.context, 'topic', `Topic: ${source.name ?? path.basename(file)}`)
  let pending: NodeJS.Timeout | undefined
  const handler = attachPanel(env.context, panel, 'topic', async (post) => {
    const { engine } = await env.deps.lake(args.lake)
    const flow = pipelineFile ? flowForSource(await readFile(pipelineFile, 'utf8').catch(() => ''), source) : undefined
    return createTopicHandler({ lake: engine, log: env.deps.log }, { source: { ...source, file }, flow, restore: { ...args } }, post)
  }, env.deps.log) as Promise<TopicHandler>
  if (pipelineFile) {
    const target = path.resolve(pipelineFile)
    const watcher = vscode.workspace.onDidChangeTextDocument((event) => {
      if (path.resolve(event.document.uri.fsPath) !== target) return
      // Wait for a pause in typing: each preview runs the transforms in DuckDB.
      clearTimeout(pending)
      const text = event.document.getText()
      pending = setTimeout(() => void handler.then((h) => h.setFlow(flowForSource(text, source))).catch(() => undefined), 300)
    })
    panel.onDidDispose(() => {
      clearTimeout(pending)
      watcher.dispose()
    })
  }
  await handler.catch(() => undefined)
}
