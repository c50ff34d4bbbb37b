/**
 * Admin lookups: topics, each partition's log start and end (watermarks), and the offsets a
 * consumer group committed. The callers decide when to connect and disconnect (a browse call
 * that times out disconnects at once, so that a connect still hanging fails).
 */
import type { Admin } from 'kafkajs'
import type { KafkaClient } from './client'

export interface PartitionWatermarks {
  topic: string
  partition: number
  /** The log start: the first offset still retained. */
  low: number
  /** The high watermark: the offset the next message gets. */
  high: number
}

export interface CommittedOffset {
  topic: string
  partition: number
  /** -1: the group never committed on this partition. */
  offset: number
}

/** Internal topics (`__consumer_offsets`, `__transaction_state`) are never sampled nor ingested. */
const isInternal = (name: string) => name.startsWith('__')

export class ClusterAdmin {
  private readonly admin: Admin

  constructor(client: KafkaClient) {
    this.admin = client.admin()
  }

  connect(): Promise<void> {
    return this.admin.connect()
  }

  /** Never throws: the lookups are done, or failed with their own error. */
  async disconnect(): Promise<void> {
    await this.admin.disconnect().catch(() => {})
  }

  /** The topics (internal ones left out), sorted by name. */
  async topicNames(): Promise<string[]> {
    return (await this.admin.listTopics()).filter((name) => !isInternal(name)).sort()
  }

  /** The topics whose name the pattern finds (internal ones left out), sorted, from the cluster's metadata. */
  async topicsMatching(pattern: RegExp): Promise<string[]> {
    const metadata = await this.admin.fetchTopicMetadata()
    return metadata.topics
      .map((t) => t.name)
      .filter((name) => !isInternal(name) && pattern.test(name))
      .sort()
  }

  /** Each partition's log start and end, in the broker's order. */
  async watermarks(topic: string): Promise<PartitionWatermarks[]> {
    return (await this.admin.fetchTopicOffsets(topic)).map((p) => ({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) }))
  }

  /** Creates a topic; false when one of that name exists already (kafkajs reports it so). */
  createTopic(topic: { name: string; partitions: number; replicationFactor: number; configs: Record<string, string> }): Promise<boolean> {
    return this.admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: topic.replicationFactor,
          configEntries: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
        },
      ],
    })
  }

  deleteTopic(name: string): Promise<void> {
    return this.admin.deleteTopics({ topics: [name] })
  }

  /** What `groupId` committed on the topics' partitions (-1 where it never did). */
  async committedOffsets(groupId: string, topics: string[]): Promise<CommittedOffset[]> {
    const found = await this.admin.fetchOffsets({ groupId, topics })
    return found.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, partition: p.partition, offset: Number(p.offset) })))
  }
}

/**
 * Watermarks met mid-run (a job checking a fetch against the log): an admin client connected on
 * first need and kept until close.
 */
export class WatermarkReader {
  private admin?: Promise<ClusterAdmin>

  constructor(private readonly client: KafkaClient) {}

  async partition(topic: string, partition: number): Promise<PartitionWatermarks | undefined> {
    this.admin ??= (async () => {
      const admin = new ClusterAdmin(this.client)
      await admin.connect()
      return admin
    })()
    return (await (await this.admin).watermarks(topic)).find((p) => p.partition === partition)
  }

  async close(): Promise<void> {
    if (this.admin) await this.admin.then((a) => a.disconnect()).catch(() => {})
  }
}
