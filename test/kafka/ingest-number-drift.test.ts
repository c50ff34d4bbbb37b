/**
 * The order stream of test/helpers/number-drift.ts (numbers that change spelling, fields added at
 * every depth) through the real mock broker: produced once with Debian's `kcat` (librdkafka, not
 * kafkajs) and once with kafkajs, ingested by ingestKafka in one go and in batches of 3. Every
 * message is a row, every offset is there once, the values read back through the query layer are
 * those produced, and the two batch settings give the same table. Plus an unreadable message in
 * the stream: the only dead letter.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery } from '../../src/query'
import { orderStream, storedDocument } from '../helpers/number-drift'
import { produceJson } from './broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const COUNT = 60
const stream = orderStream(COUNT)
const BAD = '{"id": 999, "total": 1.5'

/** Four events as Python's json.dumps writes them, one per line; the amounts as written by a decimal serializer. */
const PYTHON_EVENTS = `
import json
events = [
    ({"id": 1, "price": 5.0, "stock": {"SKU-1": 5}, "Sku": "a"}, "1.234567890123456789"),
    ({"id": 2, "price": 5.5, "stock": {"SKU-2": 7, "SKU-3": 1}, "Sku": "b", "sku": "B"}, "0.000000000000000001"),
    ({"id": 3, "price": 12.0, "stock": {}, "SKU": "c"}, "123456789.123456789012345678"),
    ({"id": 4, "price": 0.1 + 0.2, "stock": {"SKU-4": 2}, "Sku": "d"}, "2"),
]
for event, amount in events:
    print(json.dumps(dict(event, amount="@")).replace('"@"', amount))
`

describe('Kafka ingest of a drifting order stream', () => {
  let env: IngestLake
  before(async () => {
    env = await startIngestLake({
      name: 'number-drift-test',
      topics: [
        { name: 'orders-kcat', partitions: 1 },
        { name: 'orders-kafkajs', partitions: 1 },
        { name: 'python-kcat', partitions: 1 },
      ],
    })
    // Events as Python's json module writes them (whole floats as 5.0, 18-digit amounts, two
    // spellings of one name, objects keyed by SKU), produced by kcat.
    const python = spawnSync('python3', ['-c', PYTHON_EVENTS], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(python.status, 0, python.stderr)
    const kcat = spawnSync('kcat', ['-P', '-b', env.broker.brokers.join(','), '-t', 'python-kcat', '-p', '0'], {
      input: python.stdout,
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(kcat.status, 0, `kcat failed: ${kcat.stderr}`)
    // kcat reads one message per line from stdin: the documents, then one that is not JSON.
    const produced = spawnSync('kcat', ['-P', '-b', env.broker.brokers.join(','), '-t', 'orders-kcat', '-p', '0', '-K', '\t'], {
      input: [...stream.texts.map((t, i) => `k${i}\t${t}`), `bad\t${BAD}`].join('\n') + '\n',
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(produced.status, 0, `kcat failed: ${produced.stderr}`)
    await produceJson(env.kafka, 'orders-kafkajs', [...stream.docs.map((d, i) => ({ key: `k${i}`, value: d })), { key: 'bad', value: Buffer.from(BAD) }])
  })
  after(async () => {
    await env?.stop()
  })

  const query = async (sql: string) => (await runQuery(env.lake, env.catalog, sql)).rows

  async function ingest(topic: string, table: string, maxMessages: number) {
    const source: SourceSpec = { name: table.replace('raw.', ''), topic, format: 'json', table, batch: { maxMessages, maxMs: 200 } }
    const report = await ingestKafka(env.lake, env.catalog, env.pipeline, source, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })
    const rows = (await query(`SELECT to_json(t)::VARCHAR AS j FROM ${table} t ORDER BY _offset`)).map(
      (r) => JSON.parse(String(r.j)) as Record<string, unknown>,
    )
    const dead = await query(`SELECT _offset, reason FROM raw._dead_letters WHERE source = '${source.name}' ORDER BY _offset`)
    const snapshot = await env.lake.snapshot(env.catalog.pathOf(table))
    return { report, rows, dead, schema: snapshot.schema }
  }

  for (const topic of ['orders-kcat', 'orders-kafkajs']) {
    test(`${topic}: one go and batches of 3 give the same table; every good message lands exactly, the unreadable one is the only dead letter`, async () => {
      const suffix = topic.replace('orders-', '')
      const whole = await ingest(topic, `raw.whole_${suffix}`, 50_000)
      const small = await ingest(topic, `raw.small_${suffix}`, 3)
      for (const run of [whole, small]) {
        assert.equal(run.report.messages, COUNT + 1)
        assert.equal(run.report.rows + run.report.deadLetters, run.report.messages, 'good rows + dead letters = messages consumed')
        assert.equal(run.report.rows, COUNT)
        assert.deepEqual(
          run.dead.map((d) => [Number(d._offset), d.reason]),
          [[COUNT, 'invalid-json']],
          'only the unreadable message',
        )
        assert.deepEqual(
          run.rows.map((r) => Number(r._offset)),
          Array.from({ length: COUNT }, (_, i) => i),
          'every offset once',
        )
        assert.deepEqual(run.rows.map(storedDocument), stream.docs, 'the values read back are the ones produced')
        assert.ok(run.rows.every((r) => r._rescued_data === undefined || r._rescued_data === null))
      }
      assert.ok(small.report.batches >= COUNT / 3, `small batches: ${small.report.batches}`)
      assert.deepEqual(small.schema, whole.schema, 'the same table in one go and in batches of 3')
      const types = Object.fromEntries((await query(`DESCRIBE raw.whole_${suffix}`)).map((r) => [r.column_name, r.column_type]))
      assert.equal(types.total, 'DOUBLE')
      assert.equal(types.items, 'STRUCT(sku VARCHAR, price DOUBLE, qty BIGINT, discount DOUBLE)[]')
      assert.equal(types.shipping, 'STRUCT(parcels STRUCT(weight DOUBLE, dims STRUCT(h DOUBLE, w DOUBLE))[])')
    })
  }

  test("Python's json output through kcat, in batches of one: 5.0 makes a double column, 18-digit amounts land whole, SKU-keyed objects are one map, a second spelling of a name is rescued", async () => {
    const source: SourceSpec = {
      name: 'python',
      topic: 'python-kcat',
      format: 'json',
      table: 'raw.python',
      batch: { maxMessages: 1, maxMs: 200 },
      schemaHints: { amount: 'decimal(38,18)', stock: 'map<string, long>' },
    }
    const report = await ingestKafka(env.lake, env.catalog, env.pipeline, source, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })
    assert.equal(report.rows, 4)
    assert.equal(report.deadLetters, 0)
    const types = Object.fromEntries((await query('DESCRIBE raw.python')).map((r) => [r.column_name, r.column_type]))
    assert.deepEqual([types.price, types.amount, types.stock, types.Sku], ['DOUBLE', 'DECIMAL(38,18)', 'MAP(VARCHAR, BIGINT)', 'VARCHAR'])
    const rows = await query(
      'SELECT id, price, amount::VARCHAR AS amount, to_json(stock)::VARCHAR AS stock, "Sku" AS sku, _rescued_data AS rescued FROM raw.python ORDER BY _offset',
    )
    assert.deepEqual(rows, [
      { id: 1, price: 5, amount: '1.234567890123456789', stock: '{"SKU-1":5}', sku: 'a', rescued: null },
      { id: 2, price: 5.5, amount: '0.000000000000000001', stock: '{"SKU-2":7,"SKU-3":1}', sku: 'b', rescued: '{"sku":"B"}' },
      { id: 3, price: 12, amount: '123456789.123456789012345678', stock: '{}', sku: 'c', rescued: null },
      { id: 4, price: 0.30000000000000004, amount: '2.000000000000000000', stock: '{"SKU-4":2}', sku: 'd', rescued: null },
    ])
  })
})
