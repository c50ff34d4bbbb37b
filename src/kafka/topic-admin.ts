/**
 * Creating and deleting topics on a dev cluster (the Kafka view's Create Topic… and Delete Topic).
 * Like producing, only on a cluster the pipeline file marks `"dev": true`: the check comes before
 * anything connects. The name and the configs are checked here too, so a mistake is said in
 * Kafka's terms before the broker is asked.
 */
import { ClusterAdmin } from './admin'
import { KafkaError } from './errors'
import { assertDevCluster } from './produce'
import { browsingClient } from './sample'
import type { KafkaSettings } from './settings'

export interface NewTopic {
  name: string
  partitions: number
  replicationFactor: number
  /** Topic configs (`cleanup.policy`, `retention.ms`, …), as Kafka takes them: text. */
  configs: Record<string, string>
}

export interface TopicAdminOptions {
  /** The SASL password, when the caller holds it (VS Code SecretStorage); else from passwordEnv. */
  password?: string
}

/** Kafka's rule for topic names (kafka.common.internals.Topic.validate), or undefined when `name` follows it. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a topic needs a name'
  if (name === '.' || name === '..') return `'${name}' is not a topic name`
  if (name.length > 249) return `a topic name has at most 249 characters (this one has ${name.length})`
  const bad = /[^a-zA-Z0-9._-]/.exec(name)
  if (bad) return `'${bad[0]}' cannot be in a topic name: only letters, digits, '.', '_' and '-'`
  if (name.startsWith('__')) return "names starting with __ are Kafka's internal topics"
  return undefined
}

/** `key=value` entries separated by commas or new lines (`cleanup.policy=compact, retention.ms=60000`). */
export function parseTopicConfigs(text: string): Record<string, string> {
  const configs: Record<string, string> = {}
  for (const raw of text.split(/[,\n]/)) {
    const entry = raw.trim()
    if (!entry) continue
    const at = entry.indexOf('=')
    const key = at < 0 ? '' : entry.slice(0, at).trim()
    if (!/^[a-z][a-z0-9.]*$/.test(key)) throw new KafkaError(`'${entry}' is not a topic config: write key=value, e.g. retention.ms=60000`)
    configs[key] = entry.slice(at + 1).trim()
  }
  return configs
}

function checkNewTopic(topic: NewTopic): void {
  const problem = topicNameProblem(topic.name)
  if (problem) throw new KafkaError(problem)
  if (!Number.isSafeInteger(topic.partitions) || topic.partitions < 1)
    throw new KafkaError(`partitions must be a whole number of at least 1, not ${topic.partitions}`)
  if (!Number.isSafeInteger(topic.replicationFactor) || topic.replicationFactor < 1)
    throw new KafkaError(`the replication factor must be a whole number of at least 1, not ${topic.replicationFactor}`)
}

async function withAdmin<T>(settings: KafkaSettings, options: TopicAdminOptions, what: string, work: (admin: ClusterAdmin) => Promise<T>): Promise<T> {
  const admin = new ClusterAdmin(browsingClient(settings, options))
  try {
    await admin.connect()
    return await work(admin)
  } catch (error) {
    throw new KafkaError(`${what} on ${settings.brokers.join(', ')}: ${(error as Error).message}`, { cause: error })
  } finally {
    await admin.disconnect()
  }
}

/** Creates `topic` on a dev cluster; refuses a name the cluster has already. */
export async function createTopic(settings: KafkaSettings, topic: NewTopic, options: TopicAdminOptions = {}): Promise<void> {
  assertDevCluster(settings)
  checkNewTopic(topic)
  await withAdmin(settings, options, `creating topic ${topic.name}`, async (admin) => {
    if ((await admin.topicNames()).includes(topic.name)) throw new KafkaError('the cluster has a topic of that name already')
    if (!(await admin.createTopic(topic))) throw new KafkaError('the cluster has a topic of that name already')
  })
}

/** Deletes `name` from a dev cluster, with everything it holds. */
export async function deleteTopic(settings: KafkaSettings, name: string, options: TopicAdminOptions = {}): Promise<void> {
  assertDevCluster(settings)
  const problem = topicNameProblem(name)
  if (problem) throw new KafkaError(problem)
  await withAdmin(settings, options, `deleting topic ${name}`, async (admin) => {
    if (!(await admin.topicNames()).includes(name)) throw new KafkaError('the cluster has no topic of that name')
    await admin.deleteTopic(name)
  })
}
