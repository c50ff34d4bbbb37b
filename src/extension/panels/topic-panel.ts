/**
 * The topic panel's glue: a captured topic, previewed through the flow of the pipeline file it
 * comes from. Edits to that file (saved or not) redo the preview of the selected message.
 */
import { readFile } from 'node:fs/promises'
import * as path from 'node:path'
import * as vscode from 'vscode'
import type { Format } from '../../decode'
import type { PanelEnv } from './panel-env'
import type { TopicArgs } from './panel-args'
import { flowForSource } from './topic-flow'
import { createTopicHandler, type KafkaTopicSource, type TopicHandler, type TopicSource } from './topic-handler'
import { attachPanel, createWebviewPanel } from './webview-panel'
import { ExtensionError } from '../errors'

export async function openTopicPanel(env: PanelEnv, args: TopicArgs, existing?: vscode.WebviewPanel): Promise<void> {
  const { source, pipelineFile } = args
  const base = pipelineFile ? path.dirname(pipelineFile) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.')
  const file = source.file === undefined ? undefined : path.resolve(base, source.file)
  const panel = existing ?? createWebviewPanel(env.context, 'topic', `Topic: ${source.name ?? source.topic ?? path.basename(file ?? '')}`)
  let pending: NodeJS.Timeout | undefined
  const handler = attachPanel(
    env.context,
    panel,
    'topic',
    async (post) => {
      const { engine, catalog } = await env.deps.lake(args.lake)
      const flow = pipelineFile ? flowForSource(await readFile(pipelineFile, 'utf8').catch(() => ''), source) : undefined
      const { format, name } = source
      const topicSource: TopicSource =
        file !== undefined ? { file, format, ...(name ? { name } : {}) } : await kafkaSource(env, pipelineFile!, source.topic!, format, name)
      // Reopened after a reload, the panel keeps the user's own selection: `at` is not restored.
      const { at, ...restore } = args
      return createTopicHandler({ lake: engine, catalog, log: env.deps.log }, { source: topicSource, flow, restore, ...(at ? { at } : {}) }, post)
    },
    env.deps.log,
  ) as Promise<TopicHandler>
  if (pipelineFile) {
    const target = path.resolve(pipelineFile)
    const watcher = vscode.workspace.onDidChangeTextDocument((event) => {
      if (path.resolve(event.document.uri.fsPath) !== target) return
      // Wait for a pause in typing: each preview runs ingest and the flow on the message.
      clearTimeout(pending)
      const text = event.document.getText()
      pending = setTimeout(() => void handler.then((h) => h.setFlow(flowForSource(text, source))).catch(() => undefined), 300)
    })
    // Marking the cluster dev (or not) takes effect when the file is saved: the jobs read it from disk too.
    const saved =
      source.topic === undefined
        ? undefined
        : vscode.workspace.onDidSaveTextDocument(async (document) => {
            if (path.resolve(document.uri.fsPath) !== target) return
            const { loadPipeline } = await import('../../pipeline/pipeline-file')
            let kafka
            try {
              kafka = loadPipeline(target).kafka
            } catch {
              return // A file the jobs refuse keeps the panel's cluster as it was; its problems show as diagnostics.
            }
            if (kafka) await handler.then((h) => h.setCluster(kafka)).catch(() => undefined)
          })
    panel.onDidDispose(() => {
      clearTimeout(pending)
      watcher.dispose()
      saved?.dispose()
    })
  }
  await handler.catch(() => undefined)
}

/** A topic on the cluster the pipeline file names, read with its source's consumer group for the lag. */
async function kafkaSource(env: PanelEnv, pipelineFile: string, topic: string, format: Format, name: string | undefined): Promise<KafkaTopicSource> {
  const { loadPipeline } = await import('../../pipeline/pipeline-file')
  const { schemaRegistryOptions, sourceGroupId } = await import('../../kafka')
  const pipeline = loadPipeline(pipelineFile)
  if (!pipeline.kafka) throw new ExtensionError(`${pipelineFile} names no Kafka cluster ("kafka": { "brokers": [...] })`)
  const reader = pipeline.sources.find((s) => s.name === name) ?? pipeline.sources.find((s) => s.topic === topic)
  const passwords = (await env.deps.kafkaPasswords?.(pipeline.kafka)) ?? {}
  return {
    kafka: pipeline.kafka,
    topic,
    format,
    ...(name ? { name } : {}),
    ...(reader ? { groupId: sourceGroupId(pipeline.kafka, reader.name) } : {}),
    ...(passwords.kafka ? { password: passwords.kafka } : {}),
    pipelineFile: vscode.workspace.asRelativePath(pipelineFile),
    schemaRegistry: schemaRegistryOptions(pipeline.kafka, { password: passwords.registry }),
  }
}
