/**
 * What the Kafka view shows, against a real Kafka-protocol broker (the mock cluster of test/kafka):
 * topics with partitions, retained messages and the lag of the pipeline's consumer group before
 * and after an ingest; a sample of the latest messages, decoded; a dead cluster fails fast.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { listTopics, sampleTopic, sourcesReading } from '../../src/extension/kafka/browse'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { produceJson } from '../kafka/broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from '../kafka/ingest-lake'

let env: IngestLake
const orders: SourceSpec = { name: 'orders', topic: 'orders', format: 'json', table: 'raw.orders' }

before(async () => {
  env = await startIngestLake({
    name: 'browse',
    topics: [
      { name: 'orders', partitions: 2 },
      { name: 'quiet', partitions: 1 },
    ],
  })
  await produceJson(
    env.kafka,
    'orders',
    Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: { id: i, amount: i * 1.5 } })),
    { partitions: 2 },
  )
})

after(() => env?.stop())

test('a topic is read by the sources that name it or match its pattern', () => {
  const sources: SourceSpec[] = [
    orders,
    { name: 'all', topicPattern: 'ord.*', format: 'json', table: 'raw.all' },
    { name: 'bad', topicPattern: '(', format: 'json', table: 'raw.x' },
  ]
  assert.deepEqual(
    sourcesReading('orders', sources).map((s) => s.name),
    ['orders', 'all'],
  )
  assert.deepEqual(
    sourcesReading('order', sources).map((s) => s.name),
    ['all'],
  )
  assert.deepEqual(
    sourcesReading('xorders', sources).map((s) => s.name),
    [],
  )
})

test("topics list partitions, retained messages, and the lag of the pipeline's group before and after ingest", async () => {
  const kafka = env.pipeline.kafka!
  const before = await listTopics(kafka, [orders])
  const topic = before.find((t) => t.name === 'orders')!
  assert.deepEqual(
    topic.partitions.map((p) => [p.partition, p.low, p.high]),
    [
      [0, 0, 15],
      [1, 0, 15],
    ],
  )
  assert.equal(topic.messages, 30)
  assert.deepEqual(topic.sources, ['orders'])
  // The group never committed: everything retained is still to read.
  assert.equal(topic.lag, 30)
  const quiet = before.find((t) => t.name === 'quiet')!
  assert.equal(quiet.messages, 0)
  assert.equal(quiet.lag, undefined)
  assert.ok(before.every((t) => !t.name.startsWith('__')))

  await ingestKafka(env.lake, env.catalog, { ...env.pipeline, sources: [orders] }, orders, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })
  await produceJson(
    env.kafka,
    'orders',
    Array.from({ length: 4 }, (_, i) => ({ value: { id: 100 + i, amount: 1 } })),
    { partitions: 2 },
  )
  const later = (await listTopics(kafka, [orders])).find((t) => t.name === 'orders')!
  assert.equal(later.messages, 34)
  assert.equal(later.lag, 4)
  assert.deepEqual(
    later.partitions.map((p) => [p.committed, p.lag]),
    [
      [15, 2],
      [15, 2],
    ],
  )
})

test('a sample is the latest messages of each partition, decoded, with the schema they infer', async () => {
  const sample = await sampleTopic(env.pipeline.kafka!, 'orders', 'json', { limit: 6 })
  assert.equal(sample.messages.length, 6)
  assert.deepEqual(
    sample.messages.map((m) => [m.partition, m.offset]),
    [
      [0, '14'],
      [0, '15'],
      [0, '16'],
      [1, '14'],
      [1, '15'],
      [1, '16'],
    ],
  )
  assert.ok(sample.messages.every((m) => m.decoded.kind === 'row'))
  assert.deepEqual(
    sample.schema.fields.map((f) => [f.name, f.type]),
    [
      ['id', 'long'],
      ['amount', 'double'],
    ],
  )
  const empty = await sampleTopic(env.pipeline.kafka!, 'quiet', 'json')
  assert.deepEqual(empty.messages, [])
})

test('a cluster that is not there fails within the time limit, with the brokers in the message', async () => {
  const started = Date.now()
  await assert.rejects(listTopics({ brokers: ['127.0.0.1:9'] }, [], { timeoutMs: 8_000 }), /127\.0\.0\.1:9|ECONNREFUSED|Connection/)
  assert.ok(Date.now() - started < 15_000)
})
