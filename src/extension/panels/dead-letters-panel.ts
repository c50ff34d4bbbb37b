/**
 * The Dead Letters panel's glue: one panel per pipeline file, revealed again (on the source asked
 * for) when asked twice. The handler and the pipeline layer behind it load when the panel opens.
 * Discarding and producing to a topic ask first in a modal; letters changed by a run (or another
 * panel) reload it.
 */
import * as vscode from 'vscode'
import type { Pipeline } from '../../pipeline'
import { loadPipelineFile } from '../lazy'
import type { DeadLettersHandler } from './dead-letters-handler'
import type { DeadLettersArgs } from './panel-args'
import type { PanelEnv } from './panel-env'
import { attachPanel, createWebviewPanel } from './webview-panel'

const open = new Map<string, { panel: vscode.WebviewPanel; handler: Promise<DeadLettersHandler> }>()

export async function openDeadLettersPanel(env: PanelEnv, args: DeadLettersArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const key = args.pipelineFile
  const shown = open.get(key)
  if (shown && !existing) {
    shown.panel.reveal()
    await shown.handler.then((h) => h.focus(args.source)).catch(() => undefined)
    return
  }
  const label = vscode.workspace.asRelativePath(args.pipelineFile)
  const panel = existing ?? createWebviewPanel(env.context, 'dead-letters', `Dead Letters: ${label}`)
  const handler = attachPanel(
    env.context,
    panel,
    'dead-letters',
    async (post) => {
      const { loadPipeline } = await loadPipelineFile()
      const { lakeDir } = loadPipeline(args.pipelineFile)
      const [{ engine, catalog }, { createDeadLettersHandler }, { schemaRegistryOptions }] = await Promise.all([
        env.deps.lake(lakeDir),
        import('./dead-letters-handler'),
        import('../../kafka'),
      ])
      const made = createDeadLettersHandler(
        {
          lake: engine,
          catalog,
          pipeline: () => loadPipeline(args.pipelineFile),
          async decoderOptions(pipeline: Pipeline) {
            if (!pipeline.kafka?.schemaRegistry) return {}
            const passwords = (await env.deps.kafkaPasswords?.(pipeline.kafka)) ?? {}
            const registry = schemaRegistryOptions(pipeline.kafka, passwords.registry !== undefined ? { password: passwords.registry } : {})
            return registry ? { schemaRegistry: registry } : {}
          },
          async kafkaClient(pipeline: Pipeline) {
            const passwords = pipeline.kafka ? ((await env.deps.kafkaPasswords?.(pipeline.kafka)) ?? {}) : {}
            return passwords.kafka !== undefined ? { password: passwords.kafka } : {}
          },
          confirm: async (question, action) => (await vscode.window.showWarningMessage(question, { modal: true }, action)) === action,
          onLettersChanged: () => env.deps.onDeadLettersChanged?.(),
          log: env.deps.log,
        },
        { label, ...(args.source ? { source: args.source } : {}), restore: { pipelineFile: args.pipelineFile } },
        post,
      )
      const changes = env.deps.deadLettersChanged?.(() => made.lettersChanged())
      panel.onDidDispose(() => changes?.dispose())
      return made
    },
    env.deps.log,
  ) as Promise<DeadLettersHandler>
  open.set(key, { panel, handler })
  panel.onDidDispose(() => open.get(key)?.panel === panel && open.delete(key))
  await handler.catch(() => undefined)
}

/**
 * The panel's arguments from what the command was given: a source or a pipeline item of the
 * Pipelines view, or arguments as they are (`{ pipelineFile, source? }`, checked by panelArgs);
 * undefined when nothing was given (the palette: pick a pipeline).
 */
export function deadLettersArgsFrom(args: unknown): unknown {
  if (typeof args !== 'object' || args === null) return args ?? undefined
  const node = args as { kind?: unknown; pipeline?: { file?: unknown }; job?: unknown; entry?: { uri?: { fsPath?: unknown } } }
  if (node.kind === 'job' && typeof node.pipeline?.file === 'string' && typeof node.job === 'string') {
    const source = node.job.startsWith('source:') ? node.job.slice('source:'.length) : undefined
    return { pipelineFile: node.pipeline.file, ...(source ? { source } : {}) }
  }
  if (node.kind === 'pipeline' && typeof node.entry?.uri?.fsPath === 'string') return { pipelineFile: node.entry.uri.fsPath }
  return args
}
