/**
 * The topic panel's broker side: a topic's partitions (retained offsets, and the committed offset
 * and lag of the pipeline's consumer group) and a sample of its latest messages kept as they came
 * (key, value bytes, headers), so the panel can show the raw text next to the decoded value.
 * Loaded lazily by topic-handler.ts (kafkajs); bounded in time like the Kafka view's calls.
 */
import { randomUUID } from 'node:crypto'
import type { CapturedMessage } from '../../pipeline/file-source'
import type { KafkaSettings } from '../../pipeline/pipeline-file'
import { browsingClient, withTimeout } from '../kafka/browse'

export interface BrokerTopic {
  kafka: KafkaSettings
  topic: string
  /** The consumer group whose progress is the lag shown (the pipeline source's). */
  groupId?: string
  password?: string
  timeoutMs?: number
}

export interface BrokerPartition {
  partition: number
  low: string
  high: string
  committed?: string
  lag?: number
}

export interface BrokerSample {
  partitions: BrokerPartition[]
  messages: CapturedMessage[]
  /** The topic retains more messages than were sampled. */
  truncated: boolean
}

const headerText = (value: unknown): string | null =>
  value === null || value === undefined ? null : Buffer.isBuffer(value) ? value.toString('utf8') : Array.isArray(value) ? value.map(headerText).join(',') : String(value)

/** The latest `limit` messages of `topic` (spread over its partitions) and its partitions' offsets. */
export async function sampleBrokerTopic(source: BrokerTopic, limit: number): Promise<BrokerSample> {
  const client = browsingClient(source.kafka, { password: source.password })
  const admin = client.admin()
  const messages: CapturedMessage[] = []
  // A throwaway group that never commits: the sample changes nobody's offsets.
  const consumer = client.consumer({ groupId: `lakehouse-panel-${randomUUID()}`, maxWaitTimeInMs: 200, ...sessionSettings(source.kafka) })
  let partitions: BrokerPartition[] = []
  let expected = 0
  const work = (async () => {
    await admin.connect()
    const offsets = (await admin.fetchTopicOffsets(source.topic)).map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition)
    partitions = offsets.map((o) => ({ partition: o.partition, low: String(o.low), high: String(o.high) }))
    if (source.groupId) {
      const [committed] = await admin.fetchOffsets({ groupId: source.groupId, topics: [source.topic] })
      for (const c of committed?.partitions ?? []) {
        const p = partitions.find((x) => x.partition === c.partition)
        const o = offsets.find((x) => x.partition === c.partition)
        if (!p || !o) continue
        const at = Number(c.offset)
        // -1: the group never committed here; everything retained is still to read.
        p.lag = at < 0 ? o.high - o.low : Math.max(0, o.high - at)
        if (at >= 0) p.committed = String(at)
      }
    }
    const nonEmpty = offsets.filter((o) => o.high > o.low)
    if (nonEmpty.length === 0) return
    const perPartition = Math.max(1, Math.ceil(limit / nonEmpty.length))
    const starts = new Map(nonEmpty.map((o) => [o.partition, Math.max(o.low, o.high - perPartition)]))
    expected = nonEmpty.reduce((n, o) => n + (o.high - starts.get(o.partition)!), 0)
    let done!: () => void
    const finished = new Promise<void>((resolve) => (done = resolve))
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of starts) consumer.seek({ topic: source.topic, partition, offset: String(offset) })
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [source.topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const start = starts.get(partition)
        if (start === undefined || Number(message.offset) < start || messages.length >= expected) return
        if (messages.some((m) => m.partition === partition && m.offset === message.offset)) return
        messages.push({
          topic: source.topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key ? new Uint8Array(message.key) : null,
          value: message.value ? new Uint8Array(message.value) : null,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, headerText(v)])),
        })
        if (messages.length >= expected) done()
      },
    })
    await finished
  })()
  try {
    await withTimeout(`sampling ${source.topic}`, source.timeoutMs ?? 30_000, work).catch((error: unknown) => {
      // A timeout after some messages arrived still gives a useful sample.
      if (messages.length === 0 && (expected > 0 || partitions.length === 0)) throw error
    })
  } finally {
    await consumer.disconnect().catch(() => {})
    await admin.disconnect().catch(() => {})
  }
  messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
  const retained = partitions.reduce((n, p) => n + (Number(p.high) - Number(p.low)), 0)
  return { partitions, messages, truncated: retained > messages.length }
}

/** The pipeline's consumer timings, when it sets them (a broker that wants short sessions). */
function sessionSettings(kafka: KafkaSettings): { sessionTimeout?: number; heartbeatInterval?: number } {
  const { sessionTimeout, heartbeatInterval } = kafka.consumer ?? {}
  return { ...(sessionTimeout ? { sessionTimeout } : {}), ...(heartbeatInterval ? { heartbeatInterval } : {}) }
}
