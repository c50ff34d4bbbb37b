/**
 * Smoke test of the test Kafka broker (librdkafka's mock cluster, see broker.ts): kafkajs produces
 * and consumes over real sockets, keys/headers/tombstones survive, an injected Fetch error and a
 * broker outage are ridden out, and stop() leaves no process behind.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { logLevel, type Kafka } from 'kafkajs'
import {
  ApiKey,
  ErrorCode,
  consumeAll,
  freshGroupId,
  kafkaFor,
  produceJson,
  startBroker,
  type ConsumedMessage,
  type JsonMessage,
  type MockBroker,
} from './broker'

const TOPIC = 'smoke'
const PARTITIONS = 4
const COUNT = 1_000

function assertEveryOffsetOnce(messages: ConsumedMessage[], expectedPerPartition: Map<number, number>): void {
  const seen = new Set<string>()
  for (const m of messages) {
    const id = `${m.partition}:${m.offset}`
    assert.ok(!seen.has(id), `offset ${id} delivered twice`)
    seen.add(id)
  }
  for (const [partition, n] of expectedPerPartition) {
    for (let offset = 0; offset < n; offset++) assert.ok(seen.has(`${partition}:${offset}`), `offset ${partition}:${offset} missing`)
  }
  assert.equal(
    seen.size,
    [...expectedPerPartition.values()].reduce((a, b) => a + b, 0),
  )
}

describe('mock Kafka broker', () => {
  let broker: MockBroker
  let kafka: Kafka
  const perPartition = new Map<number, number>()

  before(async () => {
    broker = await startBroker({ brokers: 2, topics: [{ name: TOPIC, partitions: PARTITIONS }] })
    kafka = kafkaFor(broker, 'broker-smoke')
  })
  after(async () => {
    await broker?.stop()
  })

  test('answers commands with ok or error', async () => {
    assert.equal(broker.brokers.length, 2)
    for (const address of broker.brokers) assert.match(address, /^127\.0\.0\.1:\d+$/)
    assert.equal(await broker.command('rtt 1 0'), 'ok')
    assert.match(await broker.command('no such command'), /^error: /)
    await assert.rejects(broker.setLeader(TOPIC, 99, 1), /mockbroker 'leader smoke 99 1': error: .*Unknown topic or partition/)
    await broker.createTopic('outage', 1)
  })

  test('1,000 JSON messages with keys and headers, and a tombstone, arrive once each', async () => {
    const messages: JsonMessage[] = Array.from({ length: COUNT }, (_, i) => ({
      key: `k${i}`,
      value: { id: i, name: `row ${i}`, amount: i * 1.5, tags: ['a', 'b'] },
      headers: { source: 'smoke', seq: String(i) },
    }))
    messages.push({ key: 'gone', value: null, headers: { source: 'smoke', seq: 'tombstone' } })
    const metadata = await produceJson(kafka, TOPIC, messages, { partitions: PARTITIONS })
    assert.ok(metadata.every((m) => m.errorCode === 0))
    for (let i = 0; i < messages.length; i++) perPartition.set(i % PARTITIONS, (perPartition.get(i % PARTITIONS) ?? 0) + 1)

    const received = await consumeAll(kafka, TOPIC, freshGroupId('smoke'), messages.length, 20_000)
    assertEveryOffsetOnce(received, perPartition)
    const byKey = new Map(received.map((m) => [m.key, m]))
    for (let i = 0; i < COUNT; i++) {
      const m = byKey.get(`k${i}`)
      assert.ok(m, `key k${i} missing`)
      assert.deepEqual(m.value, { id: i, name: `row ${i}`, amount: i * 1.5, tags: ['a', 'b'] })
      assert.deepEqual(m.headers, { source: 'smoke', seq: String(i) })
      assert.equal(m.partition, i % PARTITIONS)
    }
    const tombstone = byKey.get('gone')
    assert.ok(tombstone, 'tombstone missing')
    assert.equal(tombstone.raw, null)
    assert.equal(tombstone.value, null)
    assert.deepEqual(tombstone.headers, { source: 'smoke', seq: 'tombstone' })
  })

  test('a consumer recovers from injected Fetch errors', async () => {
    // One NOT_LEADER_FOR_PARTITION (kafkajs refreshes metadata and rejoins the group: each join
    // costs the mock's fixed 3 s) then two dropped connections (kafkajs reconnects at once).
    await broker.injectErrors(ApiKey.Fetch, 1, ErrorCode.NotLeaderForPartition)
    await broker.injectErrors(ApiKey.Fetch, 2, ErrorCode.DropConnection)
    const logs: string[] = []
    const watched = kafkaFor(broker, 'broker-smoke-errors', {
      logLevel: logLevel.DEBUG,
      logCreator:
        () =>
        ({ log }) => {
          logs.push(log.message)
        },
    })
    let joins = 0
    const received = await consumeAll(watched, TOPIC, freshGroupId('fetch-errors'), COUNT + 1, 20_000, {
      onConsumer: (consumer) =>
        consumer.on(consumer.events.GROUP_JOIN, () => {
          joins++
        }),
    })
    assertEveryOffsetOnce(received, perPartition)
    assert.ok(joins >= 2, `expected a rejoin after NOT_LEADER_FOR_PARTITION, saw ${joins} join(s)`)
    const closed = logs.filter((m) => m.includes('Kafka server has closed connection')).length
    assert.ok(closed >= 2, `expected the two dropped connections to be seen, saw ${closed}`)
  })

  test('a producer and a consumer ride out a broker going down and up', async () => {
    await broker.setLeader('outage', 0, 2)
    await broker.down(2)
    let delivered = false
    const sent = produceJson(kafka, 'outage', [{ key: 'during', value: { outage: true } }]).then((m) => {
      delivered = true
      return m
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(delivered, false, 'the send should wait for the partition leader to come back')
    await broker.up(2)
    await sent
    const received = await consumeAll(kafka, 'outage', freshGroupId('outage'), 1, 20_000)
    assert.equal(received.length, 1)
    assert.deepEqual(received[0]!.value, { outage: true })
  })

  test('stop() ends the broker process', async () => {
    const pid = broker.pid
    process.kill(pid, 0) // running
    await broker.stop()
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' })
    await broker.stop() // idempotent
    await assert.rejects(broker.command('up 1'), /exited/)
  })
})
