/**
 * Producing a fixed set of messages to topics that are still empty (the demo's capture on a real
 * broker): topics that do not exist are created; a topic that already holds messages is left as it
 * is, so a second run produces nothing twice.
 */
import { Kafka, logLevel } from 'kafkajs'

export interface SeedMessage {
  key: string | null
  value: string | null
  partition: number
  /** Milliseconds since the epoch. */
  timestamp: number
  headers: Record<string, string>
}

export interface SeedTopic {
  topic: string
  partitions: number
  messages: SeedMessage[]
}

/** Produce each topic's messages unless it already holds some; returns how many were produced. */
export async function seedEmptyTopics(broker: string, clientId: string, topics: SeedTopic[]): Promise<number> {
  const kafka = new Kafka({ clientId, brokers: [broker], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const wanted = topics.filter((t) => !existing.has(t.topic)).map((t) => ({ topic: t.topic, numPartitions: t.partitions }))
    if (wanted.length) await admin.createTopics({ topics: wanted, waitForLeaders: true })
    let produced = 0
    const producer = kafka.producer()
    await producer.connect()
    try {
      for (const { topic, messages } of topics) {
        const offsets = await admin.fetchTopicOffsets(topic)
        if (offsets.some((o) => Number(o.high) > 0)) continue
        for (let i = 0; i < messages.length; i += 500) {
          await producer.send({
            topic,
            messages: messages
              .slice(i, i + 500)
              .map((m) => ({ key: m.key, value: m.value, partition: m.partition, timestamp: String(m.timestamp), headers: m.headers })),
          })
        }
        produced += messages.length
      }
    } finally {
      await producer.disconnect()
    }
    return produced
  } finally {
    await admin.disconnect()
  }
}
