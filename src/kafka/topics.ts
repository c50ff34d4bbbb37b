/**
 * A cluster's topics for the Kafka view: each with its partitions' offsets and the lag of the
 * consumer groups of the pipeline sources that read it. Every call is bounded in time (a cluster
 * that is down must not leave a tree spinning) and disconnects its client.
 */
import { ClusterAdmin } from './admin'
import { partitionLag } from './lag'
import { browsingClient, withTimeout } from './sample'
import { sourceGroupId, type KafkaSettings } from './settings'

export interface PartitionOffsets {
  partition: number
  low: number
  high: number
  /** What the pipeline's consumer group committed, when it has. */
  committed?: number
  lag?: number
}

export interface TopicSummary {
  name: string
  partitions: PartitionOffsets[]
  /** Messages still retained: high - low over the partitions. */
  messages: number
  /** Pipeline sources reading this topic. */
  sources: string[]
  /** Summed over partitions, when a source reads the topic. */
  lag?: number
}

export interface BrowseOptions {
  password?: string
  /** Upper bound of any one browse call. Default 20 s. */
  timeoutMs?: number
}

/** What the Kafka layer needs of a pipeline source: its name (for its group) and what it reads. */
export interface TopicReader {
  name: string
  topic?: string
  topicPattern?: string
}

/** The sources that read `topic`: by name, or by a pattern that matches the whole name. */
export function sourcesReading<S extends TopicReader>(topic: string, sources: S[]): S[] {
  return sources.filter((s) => s.topic === topic || (s.topicPattern !== undefined && safeRegExp(s.topicPattern)?.test(topic)))
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch {
    return undefined
  }
}

/** Topics (internal ones left out), each with offsets and the lag of the sources that read it. */
export async function listTopics(kafka: KafkaSettings, sources: TopicReader[], options: BrowseOptions = {}): Promise<TopicSummary[]> {
  const admin = new ClusterAdmin(browsingClient(kafka, options))
  const work = (async () => {
    await admin.connect()
    const names = await admin.topicNames()
    const topics: TopicSummary[] = []
    // A few at a time: a cluster with hundreds of topics should not get hundreds of requests at once.
    for (let i = 0; i < names.length; i += 8) {
      topics.push(...(await Promise.all(names.slice(i, i + 8).map((name) => describeTopic(admin, kafka, name, sources)))))
    }
    return topics
  })()
  try {
    return await withTimeout(`the Kafka cluster ${kafka.brokers.join(',')}`, options.timeoutMs ?? 20_000, work)
  } finally {
    await admin.disconnect()
  }
}

async function describeTopic(admin: ClusterAdmin, kafka: KafkaSettings, name: string, sources: TopicReader[]): Promise<TopicSummary> {
  const partitions: PartitionOffsets[] = (await admin.watermarks(name))
    .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
    .sort((a, b) => a.partition - b.partition)
  const readers = sourcesReading(name, sources)
  const summary: TopicSummary = { name, partitions, messages: partitions.reduce((n, p) => n + (p.high - p.low), 0), sources: readers.map((s) => s.name) }
  // With several readers (one group each) the largest lag is the one that matters.
  for (const groupId of new Set(readers.map((s) => sourceGroupId(kafka, s.name)))) {
    let lag = 0
    for (const c of await admin.committedOffsets(groupId, [name])) {
      const p = partitions.find((x) => x.partition === c.partition)
      if (!p) continue
      const partitionLagNow = partitionLag(c.offset, p.low, p.high)
      if (p.lag === undefined || partitionLagNow > p.lag) Object.assign(p, { lag: partitionLagNow, committed: c.offset < 0 ? undefined : c.offset })
      lag += partitionLagNow
    }
    summary.lag = Math.max(summary.lag ?? 0, lag)
  }
  return summary
}
