/**
 * The Kafka view: the clusters named by the workspace's pipeline files → topics (partitions,
 * retained messages, lag of the pipeline's consumer groups) → partitions. Connecting happens when
 * a cluster is expanded, with short timeouts; a cluster that is down or lacks its password shows
 * a node that says so (and offers the fix) rather than an error dialog per refresh.
 */
import * as vscode from 'vscode'
import type { KafkaSettings, SourceSpec } from '../../pipeline/pipeline-file'
import { formatCount, plural } from '../format'
import type { PartitionOffsets, TopicSummary } from '../kafka/browse'
import { loadKafkaBrowse } from '../lazy'
import type { Services } from '../services'

export interface Cluster {
  /** Stable identity: brokers and SASL user. */
  key: string
  kafka: KafkaSettings
  /** Sources of every pipeline file that names this cluster. */
  sources: SourceSpec[]
  pipelineUri: vscode.Uri
}

export type KafkaNode =
  | { kind: 'cluster'; cluster: Cluster }
  | { kind: 'topic'; cluster: Cluster; topic: TopicSummary }
  | { kind: 'partition'; topic: TopicSummary; partition: PartitionOffsets }
  | { kind: 'message'; text: string; tooltip?: string; command?: vscode.Command; icon?: string }

export async function clustersOf(services: Services): Promise<Cluster[]> {
  const clusters = new Map<string, Cluster>()
  for (const { pipeline, uri } of await services.workspace.validPipelines()) {
    if (!pipeline.kafka) continue
    const key = `${pipeline.kafka.sasl?.username ?? ''}@${[...pipeline.kafka.brokers].sort().join(',')}`
    const cluster = clusters.get(key)
    if (cluster) cluster.sources.push(...pipeline.sources)
    else clusters.set(key, { key, kafka: pipeline.kafka, sources: [...pipeline.sources], pipelineUri: uri })
  }
  return [...clusters.values()]
}

export class KafkaTreeProvider implements vscode.TreeDataProvider<KafkaNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<KafkaNode | undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private readonly subscriptions: vscode.Disposable[]
  /** Whether each cluster has its password stored, for the descriptions (getTreeItem is synchronous). */
  private readonly passwordSet = new Map<string, boolean>()

  constructor(private readonly services: Services) {
    this.subscriptions = [services.workspace.onDidChangePipelines(() => this.refresh()), services.credentials.onDidChange(() => this.refresh())]
  }

  refresh(): void {
    this.changed.fire(undefined)
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose()
    this.changed.dispose()
  }

  async getChildren(node?: KafkaNode): Promise<KafkaNode[]> {
    if (!node) {
      const clusters = await clustersOf(this.services)
      await Promise.all(clusters.map(async (c) => this.passwordSet.set(c.key, (await this.services.credentials.kafkaPassword(c.kafka)) !== undefined)))
      return clusters.map((cluster) => ({ kind: 'cluster', cluster }))
    }
    if (node.kind === 'cluster') return this.topics(node.cluster)
    if (node.kind === 'topic') return node.topic.partitions.map((partition) => ({ kind: 'partition', topic: node.topic, partition }))
    return []
  }

  getTreeItem(node: KafkaNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState
    switch (node.kind) {
      case 'cluster': {
        const { kafka } = node.cluster
        const item = new vscode.TreeItem(kafka.brokers.join(', '), C.Collapsed)
        item.id = `cluster:${node.cluster.key}`
        item.iconPath = new vscode.ThemeIcon('server-environment')
        const facts = kafka.dev ? ['dev'] : []
        if (kafka.sasl) {
          const stored = this.passwordSet.get(node.cluster.key)
          facts.push(`SASL ${kafka.sasl.username} · ${stored ? 'password set' : 'no password stored'}`)
        }
        if (facts.length) item.description = facts.join(' · ')
        item.contextValue = kafka.sasl ? 'lakehouse.cluster.sasl' : 'lakehouse.cluster'
        item.tooltip = `Kafka cluster of ${vscode.workspace.asRelativePath(node.cluster.pipelineUri)}${kafka.dev ? ' (a dev cluster: Produce, Create Topic… and Delete Topic may write to it)' : ''}`
        return item
      }
      case 'topic': {
        const { topic } = node
        const item = new vscode.TreeItem(topic.name, C.Collapsed)
        item.id = `topic:${node.cluster.key}:${topic.name}`
        item.iconPath = new vscode.ThemeIcon(topic.sources.length ? 'radio-tower' : 'symbol-event')
        const parts = [plural(topic.partitions.length, 'partition'), `${formatCount(topic.messages)} msgs`]
        if (topic.lag !== undefined) parts.push(`lag ${formatCount(topic.lag)}`)
        item.description = parts.join(' · ')
        item.tooltip = topic.sources.length ? `Read by ${topic.sources.join(', ')}` : 'No source of the pipeline reads this topic'
        item.contextValue = 'lakehouse.topic'
        return item
      }
      case 'partition': {
        const p = node.partition
        const item = new vscode.TreeItem(`partition ${p.partition}`, C.None)
        item.description = `offsets ${p.low}–${p.high}${p.lag !== undefined ? ` · lag ${formatCount(p.lag)}` : ''}`
        item.iconPath = new vscode.ThemeIcon('symbol-array')
        return item
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, C.None)
        item.iconPath = new vscode.ThemeIcon(node.icon ?? 'info')
        item.tooltip = node.tooltip
        item.command = node.command
        return item
      }
    }
  }

  private async topics(cluster: Cluster): Promise<KafkaNode[]> {
    const { log, credentials } = this.services
    try {
      const password = await credentials.kafkaPassword(cluster.kafka)
      const { listTopics } = await loadKafkaBrowse(log)
      const topics = await listTopics(cluster.kafka, cluster.sources, { password })
      log.info('kafka.topics', { brokers: cluster.kafka.brokers, topics: topics.length })
      if (topics.length === 0) return [{ kind: 'message', text: 'No topics' }]
      return topics.map((topic) => ({ kind: 'topic', cluster, topic }))
    } catch (error) {
      const message = (error as Error).message
      log.warn('kafka.unreachable', { brokers: cluster.kafka.brokers, error: message })
      if ((error as Error).name === 'KafkaCredentialsError') {
        return [
          {
            kind: 'message',
            text: 'No password: click to set it',
            icon: 'key',
            tooltip: message,
            command: { title: 'Set Kafka Password', command: 'lakehouse.setKafkaPassword', arguments: [{ kind: 'cluster', cluster }] },
          },
        ]
      }
      return [
        {
          kind: 'message',
          text: `Cannot reach the cluster: ${message}`,
          icon: 'warning',
          tooltip: message,
          command: { title: 'Show Log', command: 'lakehouse.showLog' },
        },
      ]
    }
  }
}
