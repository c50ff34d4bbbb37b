/**
 * Sampling a topic: its partitions' offsets (and a consumer group's lag) and its latest messages,
 * kept as they came (key and value bytes, headers as text), for `lakehouse sample`, the Kafka
 * view and the topic panel. The latest N messages are spread over the non-empty partitions (the
 * newest N / partitions of each).
 *
 * kafkajs has no group-less consumer: the read goes through a throwaway group that seeks each
 * partition to its start when it joins and never commits, so the sample changes nobody's
 * offsets. Every call is bounded in time (a cluster that is down must not leave a caller
 * spinning); a timeout after some messages arrived still returns what came.
 */
import { randomUUID } from 'node:crypto'
import { logLevel, type Kafka } from 'kafkajs'
import type { KafkaSettings } from './settings'
import { ClusterAdmin } from './admin'
import { kafkaClient } from './client'
import { codecFailureOf } from './codecs'
import { partitionLag } from './lag'
import { KafkaError } from './errors'

export interface SampledPartition {
  partition: number
  low: string
  high: string
  /** What `groupId` committed here, when it has. */
  committed?: string
  lag?: number
}

/** One message as it came (the shape a capture file's message has too, and the ingest jobs carry). */
export interface SampledMessage {
  topic: string
  partition: number
  /** Kafka offsets are 64-bit: kept as decimal text. */
  offset: string
  /** Milliseconds since the epoch, as text (kafkajs's form). */
  timestamp: string
  key: Uint8Array | null
  value: Uint8Array | null
  /** Header values as text (the ingest jobs keep bytes that are not UTF-8 as `base64:…`). */
  headers: Record<string, string | null>
}

export interface TopicMessages {
  partitions: SampledPartition[]
  messages: SampledMessage[]
  /** The topic retains more messages than were sampled. */
  truncated: boolean
  /** Record batches in the sampled range that cannot be read (corrupt, or a codec no Kafka defines): what and where. */
  unreadable: string[]
}

export interface SampleTopicOptions {
  /** How many of the latest messages; default 20. */
  limit?: number
  /** The consumer group whose committed offsets and lag are reported (the pipeline source's). */
  groupId?: string
  /** The SASL password, when the caller holds it (VS Code SecretStorage); else from passwordEnv. */
  password?: string
  /** Upper bound of the whole call; default 30 s. */
  timeoutMs?: number
  /** Stop early (the user cancelled): what arrived so far is the sample. */
  signal?: AbortSignal
  /** Read only this partition, from this offset on (up to `limit` messages): a message asked for by its coordinates. */
  from?: { partition: number; offset: string }
}

/** A client for browsing: short timeouts and few retries, so a dead cluster fails fast. */
export function browsingClient(kafka: KafkaSettings, options: { password?: string } = {}): Kafka {
  return kafkaClient(kafka, {
    password: options.password,
    logLevel: logLevel.NOTHING,
    config: { connectionTimeout: 3_000, requestTimeout: 10_000, retry: { retries: 1, initialRetryTime: 300, maxRetryTime: 2_000 } },
  })
}

export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KafkaError(`${what} did not answer within ${Math.round(ms / 1000)} s`, { retriable: true })), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const headerText = (value: unknown): string | null =>
  value === null || value === undefined
    ? null
    : Buffer.isBuffer(value)
      ? value.toString('utf8')
      : Array.isArray(value)
        ? value.map(headerText).join(',')
        : String(value)

/** The latest `limit` messages of `topic` (spread over its partitions) and its partitions' offsets. */
export async function sampleTopicMessages(kafka: KafkaSettings, topic: string, options: SampleTopicOptions = {}): Promise<TopicMessages> {
  const limit = options.limit ?? 20
  const client = browsingClient(kafka, options)
  const admin = new ClusterAdmin(client)
  const messages: SampledMessage[] = []
  const unreadable = new Map<string, string>()
  // Each offset once: a seek after a rebalance may deliver a message twice.
  const seen = new Set<string>()
  const consumer = client.consumer({ groupId: `lakehouse-sample-${randomUUID()}`, maxWaitTimeInMs: 200, ...sessionSettings(kafka) })
  let partitions: SampledPartition[] = []
  let expected = 0
  const work = (async () => {
    await admin.connect()
    const offsets = (await admin.watermarks(topic)).sort((a, b) => a.partition - b.partition)
    partitions = offsets.map((o) => ({ partition: o.partition, low: String(o.low), high: String(o.high) }))
    if (options.groupId) await addLag(admin, options.groupId, topic, offsets, partitions)
    const from = options.from
    const nonEmpty = offsets.filter(
      (o) => o.high > o.low && (!from || (o.partition === from.partition && Number(from.offset) >= o.low && Number(from.offset) < o.high)),
    )
    if (nonEmpty.length === 0 || options.signal?.aborted) return
    const perPartition = Math.max(1, Math.ceil(limit / nonEmpty.length))
    const starts = new Map(nonEmpty.map((o) => [o.partition, from ? Number(from.offset) : Math.max(o.low, o.high - perPartition)]))
    expected = nonEmpty.reduce((n, o) => n + Math.min(from ? limit : Infinity, o.high - starts.get(o.partition)!), 0)
    let done!: () => void
    const finished = new Promise<void>((resolve) => (done = resolve))
    options.signal?.addEventListener('abort', () => done(), { once: true })
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: String(offset) })
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const start = starts.get(partition)
        if (start === undefined || Number(message.offset) < start || seen.size >= expected) return
        if (seen.has(`${partition}:${message.offset}`)) return
        seen.add(`${partition}:${message.offset}`)
        // A batch that cannot be read arrives as records that only say so (see codecs.ts).
        const failure = codecFailureOf(topic, partition, message)
        if (failure) {
          const offsets = failure.lastOffset === failure.firstOffset ? failure.firstOffset : `${failure.firstOffset}–${failure.lastOffset}`
          unreadable.set(
            `${partition}:${failure.firstOffset}`,
            `partition ${partition} offset ${offsets}: a record batch compressed with ${failure.codec} cannot be read: ${failure.reason}`,
          )
          if (seen.size >= expected) done()
          return
        }
        messages.push({
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key ? new Uint8Array(message.key) : null,
          value: message.value ? new Uint8Array(message.value) : null,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, headerText(v)])),
        })
        if (seen.size >= expected) done()
      },
    })
    await finished
  })()
  try {
    await withTimeout(`sampling ${topic}`, options.timeoutMs ?? 30_000, work).catch((error: unknown) => {
      // A timeout after some messages arrived still gives a useful sample.
      if (messages.length === 0 && (expected > 0 || partitions.length === 0)) throw error
    })
  } finally {
    await consumer.disconnect().catch(() => {})
    await admin.disconnect()
  }
  messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
  const retained = partitions.reduce((n, p) => n + (Number(p.high) - Number(p.low)), 0)
  return { partitions, messages, truncated: retained > messages.length, unreadable: [...unreadable.values()] }
}

async function addLag(
  admin: ClusterAdmin,
  groupId: string,
  topic: string,
  offsets: { partition: number; low: number; high: number }[],
  partitions: SampledPartition[],
): Promise<void> {
  for (const c of await admin.committedOffsets(groupId, [topic])) {
    const p = partitions.find((x) => x.partition === c.partition)
    const o = offsets.find((x) => x.partition === c.partition)
    if (!p || !o) continue
    p.lag = partitionLag(c.offset, o.low, o.high)
    if (c.offset >= 0) p.committed = String(c.offset)
  }
}

/** The pipeline's consumer timings, when it sets them (a broker that wants short sessions). */
function sessionSettings(kafka: KafkaSettings): { sessionTimeout?: number; heartbeatInterval?: number } {
  const { sessionTimeout, heartbeatInterval } = kafka.consumer ?? {}
  return { ...(sessionTimeout ? { sessionTimeout } : {}), ...(heartbeatInterval ? { heartbeatInterval } : {}) }
}
