/**
 * Producing test messages to a dev cluster (`lakehouse produce`, later the topic panel's Produce).
 * Values are bytes already encoded by the caller (the decode layer frames registry formats); sent
 * uncompressed, in order, at most `rate` messages a second, each acknowledged by all in-sync
 * replicas before it counts as produced. Where each message landed is reported back.
 */
import type { KafkaClientOptions } from './client'
import { connectError, kafkaClient } from './client'
import type { KafkaSettings } from './settings'
import { KafkaError } from './errors'

export interface OutgoingMessage {
  key: Uint8Array | string | null
  value: Uint8Array | string | null
  headers?: Record<string, string>
  /** A partition of the topic; default: kafkajs's partitioner (murmur2 of the key, as Java's). */
  partition?: number
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number
}

export interface ProducedMessage {
  partition: number
  offset: string
}

export interface ProduceProgress {
  produced: number
  /** Where the last message landed. */
  last: ProducedMessage
}

export interface ProduceSummary {
  topic: string
  produced: number
  /** Per partition: how many messages, the first and last offset. */
  partitions: { partition: number; messages: number; firstOffset: string; lastOffset: string }[]
  durationMs: number
}

export interface ProduceOptions {
  /** At most this many messages per second (default: as fast as the broker acknowledges). */
  rate?: number
  onProgress?: (progress: ProduceProgress) => void
  signal?: AbortSignal
  client?: KafkaClientOptions
}

/** A cluster that the pipeline file does not mark as a dev cluster is never written to. */
export class NotADevClusterError extends KafkaError {
  constructor(brokers: string[]) {
    super(
      `refusing to write to ${brokers.join(', ')}: the pipeline file does not mark this cluster as a dev cluster. Producing test messages is only allowed on clusters marked "dev": true in the pipeline file's "kafka" section, so that a pipeline pointed at a shared or production cluster is never written to by mistake`,
    )
    this.name = 'NotADevClusterError'
  }
}

export function assertDevCluster(settings: KafkaSettings): void {
  if (settings.dev !== true) throw new NotADevClusterError(settings.brokers)
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })

const bytes = (value: Uint8Array | string | null) =>
  value === null || typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)

/**
 * Send `messages` to `topic` one by one (so a rate is kept and each one's offset is known).
 * Refuses a cluster not marked as dev. Stops early, between messages, when `signal` aborts.
 */
export async function produceMessages(
  settings: KafkaSettings,
  topic: string,
  messages: AsyncIterable<OutgoingMessage> | Iterable<OutgoingMessage>,
  options: ProduceOptions = {},
): Promise<ProduceSummary> {
  assertDevCluster(settings)
  const began = Date.now()
  const producer = kafkaClient(settings, options.client).producer({ allowAutoTopicCreation: false, idempotent: false })
  try {
    await producer.connect()
  } catch (error) {
    throw connectError(settings, error as Error)
  }
  const partitions = new Map<number, { partition: number; messages: number; firstOffset: string; lastOffset: string }>()
  let produced = 0
  try {
    for await (const message of messages) {
      if (options.signal?.aborted) break
      if (options.rate) await sleep(began + (produced * 1000) / options.rate - Date.now(), options.signal)
      const [metadata] = await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            key: bytes(message.key),
            value: bytes(message.value),
            ...(message.headers ? { headers: message.headers } : {}),
            ...(message.partition !== undefined ? { partition: message.partition } : {}),
            ...(message.timestamp !== undefined ? { timestamp: String(message.timestamp) } : {}),
          },
        ],
      })
      const landed = { partition: metadata.partition, offset: String(metadata.baseOffset ?? metadata.offset) }
      const entry = partitions.get(landed.partition)
      if (entry) {
        entry.messages++
        entry.lastOffset = landed.offset
      } else partitions.set(landed.partition, { partition: landed.partition, messages: 1, firstOffset: landed.offset, lastOffset: landed.offset })
      produced++
      options.onProgress?.({ produced, last: landed })
    }
  } finally {
    await producer.disconnect()
  }
  return { topic, produced, partitions: [...partitions.values()].sort((a, b) => a.partition - b.partition), durationMs: Date.now() - began }
}
