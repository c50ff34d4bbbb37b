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

describe('Kafka ingest of a drifting order stream', () => {
  let env: IngestLake
  before(async () => {
    env = await startIngestLake({
      name: 'number-drift-test',
      topics: [
        { name: 'orders-kcat', partitions: 1 },
        { name: 'orders-kafkajs', partitions: 1 },
      ],
    })
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
})
