/**
 * Topic actions of the Kafka view: preview the latest messages (decoded), infer their schema, and
 * add the topic as a source of the pipeline file (an undoable edit); preview a pipeline's source.
 */
import * as vscode from 'vscode'
import type { Format } from '../../decode'
import type { StructType } from '../../delta'
import type { TopicSample } from '../kafka/browse'
import { loadKafkaBrowse } from '../lazy'
import { addSourceEdit, sourceNameFor } from '../scaffold'
import { setting, type Services } from '../services'
import { splitJobId } from '../pipelines/events'
import { sourcePicks } from './source-picks'
import { clustersOf, type Cluster, type KafkaNode } from '../views/kafka-tree'
import type { PipelineNode } from '../views/pipelines-tree'

type TopicNode = Extract<KafkaNode, { kind: 'topic' }>

export const FORMAT_PICKS: { label: Format; description: string }[] = [
  { label: 'json', description: 'one JSON object per message' },
  { label: 'debezium', description: 'Debezium change events (relational databases)' },
  { label: 'debezium-mongodb', description: 'Debezium MongoDB change events' },
  { label: 'avro', description: 'Confluent Avro with a schema registry' },
  { label: 'protobuf', description: 'Confluent Protobuf with a schema registry' },
  { label: 'json-schema', description: 'Confluent JSON Schema with a schema registry' },
]

export async function pickFormat(placeHolder = 'Message format', options: vscode.QuickPickOptions = {}): Promise<Format | undefined> {
  return (await vscode.window.showQuickPick(FORMAT_PICKS, { ...options, placeHolder }))?.label
}

/** The topic to act on: the tree node, else a cluster and topic picked from the palette. */
async function topicTarget(services: Services, node?: TopicNode): Promise<{ cluster: Cluster; topic: string } | undefined> {
  if (node?.kind === 'topic') return { cluster: node.cluster, topic: node.topic.name }
  const clusters = await clustersOf(services)
  if (clusters.length === 0) {
    void vscode.window.showWarningMessage('No pipeline file names a Kafka cluster ("kafka": { "brokers": [...] }).')
    return undefined
  }
  const cluster = clusters.length === 1 ? clusters[0] : (await vscode.window.showQuickPick(clusters.map((c) => ({ label: c.kafka.brokers.join(', '), c }))))?.c
  if (!cluster) return undefined
  const topic = await vscode.window.showInputBox({ prompt: `Topic on ${cluster.kafka.brokers.join(', ')}` })
  return topic ? { cluster, topic } : undefined
}

/** The format of the source that reads the topic, else the user's choice. */
async function formatFor(cluster: Cluster, topic: string): Promise<Format | undefined> {
  const source = cluster.sources.find((s) => s.topic === topic)
  return source?.format ?? pickFormat(`Format of the messages in ${topic}`)
}

async function sample(services: Services, cluster: Cluster, topic: string, format: Format): Promise<TopicSample | undefined> {
  const { sampleTopic } = await loadKafkaBrowse(services.log)
  const { schemaRegistryOptions } = await import('../../kafka')
  const password = await services.credentials.kafkaPassword(cluster.kafka)
  const registryPassword = await services.credentials.registryPassword(cluster.kafka)
  const limit = Math.max(1, setting<number>('kafka.previewMessages', 20))
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Lakehouse: reading the latest messages of ${topic}`, cancellable: true },
    async (_p, token) => {
      const abort = new AbortController()
      token.onCancellationRequested(() => abort.abort())
      try {
        const decoder = { schemaRegistry: schemaRegistryOptions(cluster.kafka, { password: registryPassword }) }
        const result = await sampleTopic(cluster.kafka, topic, format, { password, limit, decoder, signal: abort.signal })
        services.log.info('kafka.sample', { topic, format, messages: result.messages.length })
        return result
      } catch (error) {
        void services.notifier.error(`Reading ${topic}`, error, { pipelineUri: cluster.pipelineUri })
        return undefined
      }
    },
  )
}

async function showJson(value: unknown): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(value, null, 2) })
  await vscode.window.showTextDocument(document, { preview: false })
}

function columns(schema: StructType): Record<string, unknown> {
  return Object.fromEntries(schema.fields.map((f) => [f.name, f.type]))
}

/** The topic and the format its messages are decoded with. */
async function topicAndFormat(services: Services, node?: TopicNode): Promise<{ cluster: Cluster; topic: string; format: Format } | undefined> {
  const t = await topicTarget(services, node)
  const format = t && (await formatFor(t.cluster, t.topic))
  return t && format ? { ...t, format } : undefined
}

/** The topic panel on a topic: partitions and lag, schema, messages, and the source's flow preview. */
export async function previewTopic(services: Services, node?: TopicNode): Promise<void> {
  const t = await topicAndFormat(services, node)
  if (!t) return
  const source = t.cluster.sources.find((s) => s.topic === t.topic)
  const args = {
    source: { topic: t.topic, format: t.format, ...(source ? { name: source.name, table: source.table } : {}) },
    pipelineFile: t.cluster.pipelineUri.fsPath,
  }
  services.log.info('kafka.preview', { topic: t.topic, format: t.format })
  await vscode.commands.executeCommand('lakehouse.showTopic', args)
}

export async function inferTopicSchema(services: Services, node?: TopicNode): Promise<void> {
  const t = await topicAndFormat(services, node)
  const result = t && (await sample(services, t.cluster, t.topic, t.format))
  if (!t || !result) return
  const rows = result.messages.filter((m) => m.decoded.kind === 'row').length
  await showJson({
    topic: result.topic,
    format: t.format,
    inferredFrom: `${rows} of ${result.messages.length} sampled messages`,
    columns: columns(result.schema),
    deltaSchema: result.schema,
  })
}

export async function addTopicAsSource(services: Services, node?: TopicNode): Promise<void> {
  const t = await topicAndFormat(services, node)
  if (!t) return
  const { format } = t
  const document = await vscode.workspace.openTextDocument(t.cluster.pipelineUri)
  const entry = (await services.workspace.validPipelines()).find((e) => e.uri.toString() === t.cluster.pipelineUri.toString())
  const name = sourceNameFor(t.topic, entry?.pipeline.sources.map((s) => s.name) ?? [])
  const edit = addSourceEdit(document.getText(), { name, topic: t.topic, format, table: `raw.${name}` })
  if (!edit) {
    void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(document.uri)} has no "sources" array to add to.`)
    return
  }
  const workspaceEdit = new vscode.WorkspaceEdit()
  workspaceEdit.replace(document.uri, new vscode.Range(document.positionAt(edit.offset), document.positionAt(edit.offset + edit.length)), edit.text)
  await vscode.workspace.applyEdit(workspaceEdit)
  const start = document.positionAt(edit.offset + edit.text.indexOf('{'))
  await vscode.window.showTextDocument(document, { selection: new vscode.Range(start, start), preview: false })
  services.log.info('pipeline.sourceAdded', { file: vscode.workspace.asRelativePath(document.uri), source: name, topic: t.topic, format })
}

type JobNode = Extract<PipelineNode, { kind: 'job' }>

/**
 * "Preview" of a pipeline source: a captured file opens in the topic panel (messages through the
 * source's flow); a Kafka topic is sampled like the Kafka view's preview. From the Pipelines view
 * the command gets the source's node; from the palette it gets nothing (and VS Code may find no item
 * to pass when the view refreshed between the right-click and the choice): then the source is
 * picked, rather than nothing happening.
 */
export async function previewSource(services: Services, given?: unknown): Promise<void> {
  const node = isJobNode(given) ? given : await pickSource(services)
  if (!node) return
  const { kind, name } = splitJobId(node.job)
  const source = kind === 'source' ? node.pipeline.sources.find((s) => s.name === name) : undefined
  if (source?.file) {
    const args = {
      source: { file: source.file, format: source.format, name: source.name, table: source.table },
      pipelineFile: node.pipeline.file,
      lake: node.pipeline.lakeDir,
    }
    await vscode.commands.executeCommand('lakehouse.showTopic', args)
  } else if (source?.topic && node.pipeline.kafka) {
    const cluster: Cluster = { key: '', kafka: node.pipeline.kafka, sources: node.pipeline.sources, pipelineUri: node.uri }
    await previewTopic(services, { kind: 'topic', cluster, topic: { name: source.topic, partitions: [], messages: 0, sources: [name] } })
  } else void vscode.window.showInformationMessage(`${name} reads a topic pattern: preview one of its topics from the Kafka view.`)
}

function isJobNode(value: unknown): value is JobNode {
  const node = value as Partial<JobNode> | undefined
  return node?.kind === 'job' && typeof node.job === 'string' && typeof node.pipeline === 'object' && node.pipeline !== null
}

async function pickSource(services: Services): Promise<JobNode | undefined> {
  const picks = sourcePicks(await services.workspace.validPipelines(), (uri) => vscode.workspace.asRelativePath(uri))
  if (picks.length === 0) {
    void vscode.window.showInformationMessage('No pipeline file of the workspace has a source to preview (or its problems keep it from loading).')
    return undefined
  }
  return (await vscode.window.showQuickPick(picks, { title: 'Lakehouse: Preview Source', placeHolder: 'Which source?', matchOnDescription: true }))?.node
}
