/**
 * The Kafka view's Create Topic… and Delete Topic: on dev clusters only (the pipeline file's
 * `"kafka": { …, "dev": true }`), each asking first in a modal dialog. A cluster that is not dev
 * is refused with the file to change and a button that opens it. The work is src/kafka's
 * (topic-admin.ts), loaded when a command runs so activation stays free of kafkajs.
 */
import * as vscode from 'vscode'
import type { Services } from '../services'
import { clustersOf, type Cluster, type KafkaNode } from '../views/kafka-tree'

type ClusterOrTopic = Extract<KafkaNode, { kind: 'cluster' | 'topic' }>

async function pickCluster(services: Services, node?: ClusterOrTopic): Promise<Cluster | undefined> {
  if (node?.kind === 'cluster' || node?.kind === 'topic') return node.cluster
  const clusters = await clustersOf(services)
  if (clusters.length === 0) {
    void vscode.window.showWarningMessage('No pipeline file names a Kafka cluster ("kafka": { "brokers": [...] }).')
    return undefined
  }
  if (clusters.length === 1) return clusters[0]
  return (
    await vscode.window.showQuickPick(
      clusters.map((c) => ({ label: c.kafka.brokers.join(', '), description: c.kafka.dev ? 'dev' : undefined, c })),
      { placeHolder: 'Which cluster?' },
    )
  )?.c
}

/** A cluster not marked as dev is refused, saying which file to change (and offering to open it). */
async function refusedUnlessDev(cluster: Cluster, what: string): Promise<boolean> {
  if (cluster.kafka.dev === true) return false
  const file = vscode.workspace.asRelativePath(cluster.pipelineUri)
  const open = 'Open Pipeline File'
  const choice = await vscode.window.showWarningMessage(
    `${what} is refused: ${cluster.kafka.brokers.join(', ')} is not marked as a dev cluster. Topics are only created or deleted on a cluster whose pipeline file says so: add "dev": true to "kafka" in ${file}.`,
    open,
  )
  if (choice === open) await vscode.window.showTextDocument(cluster.pipelineUri, { preview: false })
  return true
}

const wholeNumberProblem = (text: string, what: string) => (/^\s*[1-9]\d*\s*$/.test(text) ? undefined : `${what}: a whole number of at least 1`)

export async function createTopicCommand(services: Services, node?: ClusterOrTopic): Promise<void> {
  const cluster = await pickCluster(services, node)
  if (!cluster || (await refusedUnlessDev(cluster, 'Creating a topic'))) return
  const { createTopic, parseTopicConfigs, topicNameProblem } = await import('../../kafka')
  const on = cluster.kafka.brokers.join(', ')
  const step = { title: `Lakehouse: Create Topic on ${on}`, ignoreFocusOut: true }
  const name = await vscode.window.showInputBox({ ...step, prompt: 'Topic name', placeHolder: 'shop.orders', validateInput: (v) => topicNameProblem(v.trim()) })
  if (name === undefined) return
  const partitions = await vscode.window.showInputBox({ ...step, prompt: 'Partitions', value: '1', validateInput: (v) => wholeNumberProblem(v, 'partitions') })
  if (partitions === undefined) return
  const replication = await vscode.window.showInputBox({
    ...step,
    prompt: 'Replication factor (at most the number of brokers)',
    value: '1',
    validateInput: (v) => wholeNumberProblem(v, 'replication factor'),
  })
  if (replication === undefined) return
  const configText = await vscode.window.showInputBox({
    ...step,
    prompt: 'Topic configs, key=value separated by commas (optional)',
    placeHolder: 'cleanup.policy=compact, retention.ms=86400000',
    validateInput: (v) => {
      try {
        parseTopicConfigs(v)
        return undefined
      } catch (error) {
        return (error as Error).message
      }
    },
  })
  if (configText === undefined) return
  const topic = { name: name.trim(), partitions: Number(partitions), replicationFactor: Number(replication), configs: parseTopicConfigs(configText) }
  const configs = Object.entries(topic.configs)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
  const create = 'Create'
  const confirmed = await vscode.window.showWarningMessage(
    `Create topic ${topic.name} on ${on}?`,
    {
      modal: true,
      detail: `${topic.partitions} partition${topic.partitions === 1 ? '' : 's'}, replication factor ${topic.replicationFactor}${configs ? `, ${configs}` : ''}.`,
    },
    create,
  )
  if (confirmed !== create) return
  const password = await services.credentials.kafkaPassword(cluster.kafka)
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Lakehouse: creating topic ${topic.name}` }, () =>
    createTopic(cluster.kafka, topic, { password }),
  )
  services.log.info('kafka.topicCreated', {
    brokers: cluster.kafka.brokers,
    topic: topic.name,
    partitions: topic.partitions,
    replicationFactor: topic.replicationFactor,
  })
  await vscode.commands.executeCommand('lakehouse.refresh')
  void vscode.window.showInformationMessage(`Topic ${topic.name} created on ${on}.`)
}

export async function deleteTopicCommand(services: Services, node?: Extract<KafkaNode, { kind: 'topic' }>): Promise<void> {
  const cluster = await pickCluster(services, node)
  if (!cluster || (await refusedUnlessDev(cluster, 'Deleting a topic'))) return
  const on = cluster.kafka.brokers.join(', ')
  const name = node?.kind === 'topic' ? node.topic.name : await vscode.window.showInputBox({ title: `Lakehouse: Delete Topic on ${on}`, prompt: 'Topic name' })
  if (!name) return
  const readers = node?.kind === 'topic' ? node.topic.sources : cluster.sources.filter((s) => s.topic === name).map((s) => s.name)
  const remove = 'Delete'
  const confirmed = await vscode.window.showWarningMessage(
    `Delete topic ${name} on ${on}?`,
    {
      modal: true,
      detail: `Every message it holds is deleted; this cannot be undone.${readers.length ? ` Read by ${readers.join(', ')}: their ingest finds no topic until it is created again.` : ''}`,
    },
    remove,
  )
  if (confirmed !== remove) return
  const { deleteTopic } = await import('../../kafka')
  const password = await services.credentials.kafkaPassword(cluster.kafka)
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Lakehouse: deleting topic ${name}` }, () =>
    deleteTopic(cluster.kafka, name, { password }),
  )
  services.log.info('kafka.topicDeleted', { brokers: cluster.kafka.brokers, topic: name })
  await vscode.commands.executeCommand('lakehouse.refresh')
  void vscode.window.showInformationMessage(`Topic ${name} deleted from ${on}.`)
}
