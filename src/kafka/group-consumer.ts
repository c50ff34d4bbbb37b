/**
 * A member of a consumer group, as the ingest job uses one: subscribe, hear about every join (to
 * seek), take fetched batches one at a time, commit offsets, leave. The group handling that is
 * kafkajs's business lives here, so that the job above sees only this interface:
 * - kafkajs restarts a crashed consumer on a timer of its own; `mayRestart` says whether the job
 *   still wants it (a restart after the stop would be a consumer nobody disconnects, holding
 *   partitions it never writes);
 * - a restart that began before `close` may join after it (kafkajs's disconnect does not stop a
 *   consumer that is still joining): such a join disconnects it again;
 * - heartbeats go on while a batch handler holds the fetch loop (a write in progress), so the
 *   membership does not expire under a long write.
 */
import type { Consumer } from 'kafkajs'
import type { KafkaClient } from './client'
import type { ConsumedMessage } from './messages'
import type { KafkaSettings } from './settings'

/** The records of one partition from one fetch. */
export interface FetchedBatch {
  topic: string
  partition: number
  highWatermark: string
  messages: ConsumedMessage[]
}

export interface GroupListener {
  /** After every join and sync, before the first fetch of the generation: the partitions this member holds now. */
  joined(assignment: Record<string, number[]>): void
  /** kafkajs gave up on the consumer: no restart follows. */
  crashed(error: Error): void
  /** A fetch whose records were all filtered (transaction markers, aborted records): the partition still advanced. */
  skipped(topic: string, partition: number, lastOffset: number): void
  /** One fetched batch; the next is not handed over until this resolves. */
  batch(batch: FetchedBatch): Promise<void>
}

export interface GroupConsumerOptions {
  groupId: string
  /** The pipeline's consumer timings and fetch size. */
  settings?: KafkaSettings['consumer']
  /** Whether kafkajs may still restart a crashed consumer. */
  mayRestart(): boolean
}

export type Subscription = { topics: string[] } | { pattern: RegExp }

export class GroupConsumer {
  private readonly consumer: Consumer
  private readonly heartbeatEvery: number
  /** close() was called: a late join must leave again. */
  private closed = false

  constructor(client: KafkaClient, options: GroupConsumerOptions) {
    const settings = options.settings
    this.heartbeatEvery = settings?.heartbeatInterval ?? 3_000
    this.consumer = client.consumer({
      groupId: options.groupId,
      retry: { retries: 5, restartOnFailure: async () => options.mayRestart() },
      ...(settings?.sessionTimeout !== undefined ? { sessionTimeout: settings.sessionTimeout } : {}),
      ...(settings?.heartbeatInterval !== undefined ? { heartbeatInterval: settings.heartbeatInterval } : {}),
      ...(settings?.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: settings.maxWaitTimeInMs } : {}),
      ...(settings?.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: settings.maxBytesPerPartition } : {}),
    })
  }

  /** Join the group and start fetching: resolves once the fetch loop runs (batches then arrive at the listener). */
  async start(subscription: Subscription, listener: GroupListener): Promise<void> {
    const consumer = this.consumer
    // Emitted synchronously after every join and sync, before the first fetch of the generation.
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (this.closed) {
        void consumer.disconnect().catch(() => {})
        return
      }
      listener.joined(event.payload.memberAssignment)
    })
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) listener.crashed(event.payload.error)
    })
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset } = event.payload
      if (batchSize === 0) listener.skipped(topic, partition, Number(lastOffset))
    })
    await consumer.connect()
    await consumer.subscribe({ topics: 'topics' in subscription ? subscription.topics : [subscription.pattern], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat }) => {
        // Keep the group membership alive while a write holds the fetch loop.
        const beat = setInterval(() => {
          heartbeat().catch(() => {})
        }, this.heartbeatEvery)
        try {
          await listener.batch(batch)
        } finally {
          clearInterval(beat)
        }
      },
    })
  }

  /** Where the partition's next fetch starts (only for a partition this member holds). */
  seek(topic: string, partition: number, offset: number): void {
    this.consumer.seek({ topic, partition, offset: String(offset) })
  }

  /** Commit the next offset to read per partition; throws when not a member right now (rebalance, stopping). */
  async commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })))
  }

  /** Leave the group; a join still under way leaves again once it lands. Never throws. */
  async close(): Promise<void> {
    this.closed = true
    await this.consumer.disconnect().catch(() => {})
  }
}
