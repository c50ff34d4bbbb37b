/**
 * `lakehouse sample` on a Kafka source, run as users run it (the real CLI process) against the
 * mock broker: the latest N messages spread over the partitions, decoded, the schema inferred
 * from them (fields added mid-stream included) with the source's schema hints applied, and the
 * partitions' offsets and the source group's lag; the sample commits no offsets.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import { BIN } from '../reliability/cli-process'
import { kafkaFor, MOCK_CONSUMER_SETTINGS, produceJson, startBroker, type MockBroker } from './broker'

let broker: MockBroker
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-sample-kafka-'))
before(async () => {
  broker = await startBroker({ topics: [{ name: 'orders', partitions: 2 }] })
})
after(async () => {
  await broker.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function sample(
  source: string,
  limit: number,
): Promise<{
  schema: unknown
  inferredSchema?: unknown
  partitions: unknown
  messages: { partition: number; offset: string; key: string | null; decoded: { kind: string; row?: unknown } }[]
}> {
  const file = path.join(dir, 'lakehouse.json')
  writeFileSync(
    file,
    JSON.stringify({
      lake: './lake',
      kafka: {
        brokers: broker.brokers,
        consumer: { sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout, heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval },
      },
      sources: [{ name: 'orders', topic: 'orders', format: 'json', table: 'raw.orders', schemaHints: { total: 'double' } }],
    }),
  )
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'sample', '--pipeline', file, '--source', source, '--limit', String(limit)], {
    timeout: 120_000,
  })
  return JSON.parse(stdout)
}

const field = (name: string, type: unknown) => ({ name, type, nullable: true, metadata: {} })

test('lakehouse sample on a Kafka source prints the latest messages and the inferred schema, hints applied', async () => {
  const kafka = kafkaFor(broker, 'sample-test')
  // 6 per partition; the later ones gain customer.vip and items[].discount.
  const messages = Array.from({ length: 12 }, (_, i) => ({
    key: `o${i}`,
    partition: i % 2,
    headers: { trace: `t${i}` },
    value: {
      id: i,
      total: 10 + i,
      customer: { name: `c${i}`, ...(i >= 8 ? { vip: true } : {}) },
      items: [{ sku: `s${i}`, ...(i >= 10 ? { discount: 0.5 } : {}) }],
    },
  }))
  await produceJson(kafka, 'orders', messages)
  const result = await sample('orders', 4)
  assert.deepEqual(
    result.messages.map((m) => [m.partition, m.offset, m.key]),
    [
      [0, '4', 'o8'],
      [0, '5', 'o10'],
      [1, '4', 'o9'],
      [1, '5', 'o11'],
    ],
  )
  assert.deepEqual(
    result.messages.map((m) => m.decoded.row),
    [8, 10, 9, 11].map((i) => messages[i].value),
  )
  const items = { type: 'array', elementType: { type: 'struct', fields: [field('sku', 'string'), field('discount', 'double')] }, containsNull: false }
  const customer = { type: 'struct', fields: [field('name', 'string'), field('vip', 'boolean')] }
  assert.deepEqual(result.schema, {
    type: 'struct',
    fields: [field('id', 'long'), field('total', 'double'), field('customer', customer), field('items', items)],
  })
  assert.deepEqual(
    (result.inferredSchema as { fields: { name: string; type: unknown }[] }).fields.find((f) => f.name === 'total')?.type,
    'long',
    'the hint changed what inference gave',
  )
  assert.deepEqual(result.partitions, [
    { partition: 0, low: '0', high: '6', lag: 6 },
    { partition: 1, low: '0', high: '6', lag: 6 },
  ])

  // Sampling again commits nothing: the source's group still has read nothing.
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [committed] = await admin.fetchOffsets({ groupId: 'lakehouse-orders', topics: ['orders'] })
    assert.deepEqual(
      committed.partitions.map((p) => p.offset),
      ['-1', '-1'],
    )
  } finally {
    await admin.disconnect()
  }
})
