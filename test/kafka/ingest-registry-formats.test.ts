/**
 * Confluent-framed Protobuf and JSON Schema end to end: messages encoded by protobufjs's own
 * encoder (and JSON.stringify) from the schemas in test/decode/registry, produced to the real
 * mock broker, ingested by ingestKafka against the local HTTP schema registry, and read back from
 * the raw tables through DuckDB value by value. A Debezium envelope encoded in Protobuf lands as
 * op/before/after/source columns; bad frames land in raw._dead_letters with their reason.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Kafka } from 'kafkajs'
import type { LakeEngine } from '../../src/engine'
import { createTopicHandler } from '../../src/extension/panels/topic-handler'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery, type LakeCatalog } from '../../src/query'
import { encodeJsonSchema, encodeProtobuf, header, IDS, messageIndexes, producerRoot, registerAll } from '../decode/registry-fixtures'
import { LocalRegistry } from '../helpers/schema-registry'
import { produceJson, type JsonMessage } from './broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

describe('Kafka ingest of Confluent-framed Protobuf and JSON Schema', () => {
  let kafka: Kafka
  let lake: LakeEngine
  let catalog: LakeCatalog
  let pipeline: Pipeline
  let env: IngestLake | undefined
  let registryUrl: string
  const registry = new LocalRegistry()
  const producer = producerRoot(['money.proto', 'orders.proto', 'debezium.proto'])

  before(async () => {
    registryUrl = await registry.start()
    registerAll(registry)
    env = await startIngestLake({
      name: 'ingest-registry-formats',
      topics: ['proto-orders', 'proto-cdc', 'json-orders'].map((name) => ({ name, partitions: 1 })),
      schemaRegistryUrl: registryUrl,
    })
    ;({ kafka, lake, catalog, pipeline } = env)
  })
  after(async () => {
    await env?.stop()
    await registry.stop()
  })

  const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows
  const ingest = (source: SourceSpec) => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })
  const deadLetters = async (source: string) =>
    (await query(`SELECT _offset, reason FROM raw._dead_letters WHERE source = '${source}' ORDER BY _offset`)).map((r) => [Number(r._offset), r.reason])

  test('Protobuf orders: every scalar kind, enums, maps, repeated structs, well-known types and a reference land exactly', async () => {
    const order = (i: number) => ({
      id: i,
      big: i === 1 ? '9223372036854775807' : String(i * 1000),
      u64: i === 1 ? '18446744073709551615' : String(i),
      u32: 4294967295,
      ratio: 0.5,
      total: 100 + i + 0.25,
      paid: i % 2 === 0,
      customer: `c${i}`,
      raw: Buffer.from([i, 255]).toString('base64'),
      status: i % 2 ? 'PAID' : 'NEW',
      items: [{ sku: `s${i}`, price: 9.5, quantity: i }],
      counts: { a: String(i) },
      labels: { [i]: `l${i}` },
      placed_at: { seconds: 1_700_000_000 + i, nanos: 250_000_000 },
      maybe_long: i === 2 ? undefined : { value: String(i) },
      card: i === 1 ? 'visa' : undefined,
      price: { currency: 'EUR', units: String(i), nanos: 0 },
    })
    const messages: JsonMessage[] = [
      { key: 'o1', value: encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], order(1)) },
      { key: 'o2', value: encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], order(2), false) },
      { key: 'bad-index', value: Buffer.concat([header(IDS.orders), messageIndexes([7]), Buffer.from([8, 1])]) },
      { key: 'cut', value: encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], order(3)).subarray(0, 30) },
      { key: 'o1', value: null },
    ]
    await produceJson(kafka, 'proto-orders', messages)
    const source: SourceSpec = {
      name: 'proto_orders',
      topic: 'proto-orders',
      format: 'protobuf',
      table: 'raw.proto_orders',
      batch: { maxMessages: 100, maxMs: 200 },
    }
    assert.deepEqual(await ingest(source), { source: 'proto_orders', messages: 5, rows: 2, tombstones: 1, deadLetters: 2, skipped: 0, batches: 1 })
    assert.deepEqual(await deadLetters('proto_orders'), [
      [2, 'unknown-message-index'],
      [3, 'truncated-protobuf'],
    ])

    const types = Object.fromEntries((await query('DESCRIBE raw.proto_orders')).map((r) => [String(r.column_name), String(r.column_type)]))
    assert.deepEqual(
      [
        types.id,
        types.big,
        types.u64,
        types.u32,
        types.ratio,
        types.total,
        types.paid,
        types.raw,
        types.status,
        types.counts,
        types.labels,
        types.placed_at,
        types.maybe_long,
      ],
      // bytes: base64 text, as the raw tables keep every binary value; int32 and float at their
      // widest (BIGINT, DOUBLE), as raw tables keep every integer and float
      [
        'BIGINT',
        'BIGINT',
        'DECIMAL(20,0)',
        'BIGINT',
        'DOUBLE',
        'DOUBLE',
        'BOOLEAN',
        'VARCHAR',
        'VARCHAR',
        'MAP(VARCHAR, BIGINT)',
        'MAP(BIGINT, VARCHAR)',
        'TIMESTAMP WITH TIME ZONE',
        'BIGINT',
      ],
    )
    const rows = await query(`SELECT _offset, _key, id, big::VARCHAR AS big, u64::VARCHAR AS u64, u32, ratio, total, paid, customer, raw, status,
        items[1].sku AS sku, items[1].quantity AS quantity, counts['a'] AS a, labels[id] AS label, epoch_ms(placed_at) AS placed_ms, maybe_long, card, voucher, discount,
        price.currency AS currency, price.units AS units, tags
      FROM raw.proto_orders WHERE NOT _tombstone ORDER BY _offset`)
    assert.deepEqual(
      rows,
      [1, 2].map((i) => ({
        _offset: i - 1,
        _key: `o${i}`,
        id: i,
        big: i === 1 ? '9223372036854775807' : String(i * 1000),
        u64: i === 1 ? '18446744073709551615' : String(i),
        u32: 4294967295,
        ratio: 0.5,
        total: 100 + i + 0.25,
        paid: i % 2 === 0,
        customer: `c${i}`,
        raw: Buffer.from([i, 255]).toString('base64'),
        status: i % 2 ? 'PAID' : 'NEW',
        sku: `s${i}`,
        quantity: i,
        a: i,
        label: `l${i}`,
        placed_ms: (1_700_000_000 + i) * 1000 + 250,
        maybe_long: i === 2 ? null : i,
        card: i === 1 ? 'visa' : null,
        voucher: null,
        discount: null,
        currency: 'EUR',
        units: i,
        tags: [],
      })),
    )
    assert.deepEqual(await query(`SELECT _offset, _key FROM raw.proto_orders WHERE _tombstone`), [{ _offset: 4, _key: 'o1' }])
  })

  test('a Debezium envelope encoded in Protobuf is unwrapped into op/before/after/source columns', async () => {
    const source = {
      version: '2.7.0.Final',
      connector: 'mysql',
      name: 'dbserver1',
      ts_ms: '1700000000000',
      snapshot: 'false',
      db: 'shop',
      table: 'customers',
      pos: '154',
    }
    const events = [
      { after: { id: 1, first_name: 'Anne', email: 'a@x', balance: 5 }, source, op: 'c', ts_ms: '1700000000001' },
      {
        before: { id: 1, first_name: 'Anne', email: 'a@x', balance: 5 },
        after: { id: 1, first_name: 'Anne Marie', email: 'a@x' },
        source,
        op: 'u',
        ts_ms: '1700000000002',
      },
      { before: { id: 1, first_name: 'Anne Marie', email: 'a@x' }, source, op: 'd', ts_ms: '1700000000003' },
    ]
    await produceJson(kafka, 'proto-cdc', [
      ...events.map((e) => ({ key: '1', value: encodeProtobuf(producer, 'dbserver1.shop.customers.Envelope', IDS.debezium, [0], e) })),
      { key: '1', value: null },
    ])
    const spec: SourceSpec = { name: 'proto_cdc', topic: 'proto-cdc', format: 'protobuf', table: 'raw.proto_cdc', batch: { maxMessages: 100, maxMs: 200 } }
    assert.deepEqual(await ingest(spec), { source: 'proto_cdc', messages: 4, rows: 3, tombstones: 1, deadLetters: 0, skipped: 0, batches: 1 })
    const columns = (await query('DESCRIBE raw.proto_cdc')).map((r) => String(r.column_name)).filter((c) => !c.startsWith('_'))
    assert.deepEqual(columns, ['op', 'ts_ms', 'before', 'after', 'source', 'transaction'])
    const rows =
      await query(`SELECT op, ts_ms, before.first_name AS was, after.first_name AS now, after.balance AS balance, source.table AS tbl, source.pos AS pos
      FROM raw.proto_cdc WHERE NOT _tombstone ORDER BY _offset`)
    assert.deepEqual(rows, [
      { op: 'c', ts_ms: 1700000000001, was: null, now: 'Anne', balance: 5, tbl: 'customers', pos: 154 },
      { op: 'u', ts_ms: 1700000000002, was: 'Anne', now: 'Anne Marie', balance: null, tbl: 'customers', pos: 154 },
      { op: 'd', ts_ms: 1700000000003, was: 'Anne Marie', now: null, balance: null, tbl: 'customers', pos: 154 },
    ])
  })

  test('JSON Schema orders: typed by the registered schema (a referenced $ref included); a value against its schema is a dead letter', async () => {
    const order = (i: number) => ({
      id: i,
      total: i === 1 ? 133 : 133.5,
      paid: true,
      customer: `c${i}`,
      placed_at: `2024-01-0${i}T10:00:00+02:00`,
      ship_on: i === 1 ? null : '2024-02-29',
      status: 'NEW',
      items: [{ sku: `s${i}`, price: 2, quantity: i }],
      counts: { a: i },
      address: { city: 'Lyon', zip: '69001' },
      amount: i,
      extra: { i },
    })
    await produceJson(kafka, 'json-orders', [
      { key: 'j1', value: encodeJsonSchema(IDS.order, order(1)) },
      { key: 'j2', value: encodeJsonSchema(IDS.order, order(2)) },
      { key: 'bad', value: encodeJsonSchema(IDS.order, { ...order(3), id: 'three' }) },
    ])
    const spec: SourceSpec = {
      name: 'json_orders',
      topic: 'json-orders',
      format: 'json-schema',
      table: 'raw.json_orders',
      batch: { maxMessages: 100, maxMs: 200 },
    }
    assert.deepEqual(await ingest(spec), { source: 'json_orders', messages: 3, rows: 2, tombstones: 0, deadLetters: 1, skipped: 0, batches: 1 })
    assert.deepEqual(await deadLetters('json_orders'), [[2, 'schema-mismatch']])
    const types = Object.fromEntries((await query('DESCRIBE raw.json_orders')).map((r) => [String(r.column_name), String(r.column_type)]))
    assert.deepEqual(
      [types.id, types.total, types.placed_at, types.ship_on, types.amount, types.extra],
      ['BIGINT', 'DOUBLE', 'TIMESTAMP WITH TIME ZONE', 'DATE', 'DOUBLE', 'VARCHAR'],
    )
    const rows =
      await query(`SELECT id, total, customer, epoch_ms(placed_at) AS placed_ms, ship_on::VARCHAR AS ship_on, items[1].quantity AS quantity, counts['a'] AS a,
        address.city AS city, address.zip AS zip, amount, extra FROM raw.json_orders ORDER BY _offset`)
    assert.deepEqual(
      rows,
      [1, 2].map((i) => ({
        id: i,
        total: i === 1 ? 133 : 133.5,
        customer: `c${i}`,
        placed_ms: Date.parse(`2024-01-0${i}T08:00:00Z`),
        ship_on: i === 1 ? null : '2024-02-29',
        quantity: i,
        a: i,
        city: 'Lyon',
        zip: '69001',
        amount: i,
        extra: `{"i":${i}}`,
      })),
    )
  })

  test("the topic panel shows the schema's registry id, subject and version, and the typed tree, for both formats", async () => {
    for (const [topic, format, id, subject] of [
      ['proto-orders', 'protobuf', IDS.orders, 'orders-value'],
      ['json-orders', 'json-schema', IDS.order, 'json-orders-value'],
    ] as const) {
      const posted: Array<Record<string, unknown>> = []
      const handler = createTopicHandler(
        { lake, catalog, log: { info: () => {}, error: (m) => posted.push({ type: 'log-error', m }) } },
        { source: { kafka: pipeline.kafka!, topic, format, schemaRegistry: { url: registryUrl } }, restore: {} },
        (m) => posted.push(m as unknown as Record<string, unknown>),
      )
      await handler.receive({ type: 'ready' })
      await handler.dispose()
      const shown = posted.find((m) => m.type === 'topic')
      assert.ok(shown, JSON.stringify(posted).slice(0, 500))
      assert.deepEqual(shown.schemaSource, { kind: 'registry', id, subject, version: 1 })
      const nodes = shown.schema as Array<{ name: string; type: string }>
      assert.equal(nodes.find((n) => n.name === 'id')?.type, format === 'protobuf' ? 'integer' : 'long')
      assert.equal(nodes.find((n) => n.name === 'placed_at')?.type, 'timestamp')
    }
  })
})
