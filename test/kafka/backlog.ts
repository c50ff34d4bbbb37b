/**
 * A Kafka backlog for the ingest benchmark and the resource-bounds test: realistic JSON events of
 * exactly 500 bytes, produced in large record batches.
 */
import { performance } from 'node:perf_hooks'
import { Partitioners, type Kafka } from 'kafkajs'

export const EVENT_BYTES = 500

const EVENTS = ['view', 'click', 'add-to-cart', 'purchase', 'refund', 'scroll']
const COUNTRIES = ['de', 'fr', 'us', 'br', 'in', 'jp', 'ng', 'au']
const PAD = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore '.repeat(4)

/**
 * Message `i`: a realistic event of EVENT_BYTES bytes of ASCII (nested struct, array of structs,
 * doubles that are never integral, a zoned timestamp, strings), the same shape for every i so
 * nothing is a dead letter; `id` is i.
 */
export function eventJson(i: number): string {
  const base = {
    id: i,
    ts: new Date(Date.UTC(2024, 0, 1) + i * 37).toISOString(),
    event: EVENTS[i % EVENTS.length],
    user: { id: `user-${String(i % 100_000).padStart(5, '0')}`, email: `user-${i % 100_000}@example.com`, country: COUNTRIES[i % COUNTRIES.length] },
    amount: (i % 10_000) + 0.25,
    currency: 'EUR',
    items: [0, 1, 2].map((k) => ({ sku: `SKU-${(i * 7 + k) % 10_000}`, qty: 1 + ((i + k) % 4), price: 4.5 + ((i + k) % 50) })),
    session: `s-${(i * 2654435761) % 4294967296}`,
    agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)',
    flags: { mobile: i % 3 === 0, returning: i % 5 === 0 },
    note: '',
  }
  const bare = JSON.stringify(base).length
  base.note = PAD.slice(0, Math.max(0, EVENT_BYTES - bare))
  return JSON.stringify(base)
}

export interface BacklogOptions {
  messages: number
  partitions: number
  /** Messages per produce request (one record batch, to one partition). */
  perSend: number
  /** Produce requests in flight. */
  inFlight: number
  /** Acknowledgements asked for (kafkajs's default, -1, when absent). */
  acks?: number
}

export interface Backlog {
  ms: number
  bytes: number
  sends: number
  /** Value bytes per partition. */
  partitionBytes: number[]
}

/**
 * Produces eventJson(0..messages-1), message i to partition i % partitions, in sends of up to
 * `perSend` messages to one partition: large record batches, since the mock answers a fetch with
 * at most one record batch per partition (small ones would cap every consumer, the ceiling
 * included, at ~1 batch per partition per fetch); partitions in turn, `inFlight` at a time.
 */
export async function produceBacklog(kafka: Kafka, topic: string, options: BacklogOptions): Promise<Backlog> {
  const { messages: n, partitions, perSend } = options
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  const perPartition = Math.ceil(n / partitions)
  const sends: { partition: number; from: number }[] = []
  for (let from = 0; from < perPartition; from += perSend) for (let p = 0; p < partitions; p++) sends.push({ partition: p, from })
  const partitionBytes = new Array<number>(partitions).fill(0)
  let next = 0
  const start = performance.now()
  try {
    await Promise.all(
      Array.from({ length: options.inFlight }, async () => {
        while (next < sends.length) {
          const { partition, from } = sends[next++]
          const batch = []
          for (let j = from; j < Math.min(from + perSend, perPartition); j++) {
            const i = j * partitions + partition
            if (i >= n) break
            const value = eventJson(i)
            partitionBytes[partition] += value.length
            batch.push({ key: `k${i}`, value, partition })
          }
          if (batch.length) await producer.send({ topic, messages: batch, ...(options.acks === undefined ? {} : { acks: options.acks }) })
        }
      }),
    )
  } finally {
    await producer.disconnect()
  }
  return { ms: performance.now() - start, bytes: partitionBytes.reduce((a, b) => a + b, 0), sends: sends.length, partitionBytes }
}
