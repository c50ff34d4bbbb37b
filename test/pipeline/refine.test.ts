/**
 * Refine end to end on real tables: Debezium PostgreSQL and MongoDB streams replayed through the
 * file source into raw, then flows into refined; the refined tables must equal the state the
 * generators kept, and their change feeds must show the update pre/post images. (The same flows
 * through the real broker are in test/kafka/refine-kafka.test.ts.)
 */
import assert from 'node:assert/strict'
import { appendFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { vacuum } from '../../src/table'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { FlowSpec, Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { documentStateTable, FlowError, refineFlow } from '../../src/pipeline/refine'
import { tempLake } from '../helpers/temp-lake'
import { captureLines, mongoStream, postgresStream } from '../helpers/cdc-streams'

const { dir, lake, catalog, query } = tempLake('refine')

function pipeline(sources: SourceSpec[], flows: FlowSpec[]): Pipeline {
  return { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir: path.join(dir, 'lake'), sources, flows }
}

async function ingest(source: SourceSpec, lines: string, append = false) {
  const file = path.join(dir, source.file!)
  if (append) appendFileSync(file, lines)
  else writeFileSync(file, lines)
  return ingestFile(lake, catalog, pipeline([source], []), source)
}

test("PostgreSQL: creates, updates, deletes, tombstones and re-sent duplicates give the source table's final state", async () => {
  const stream = postgresStream({ seed: 7, keys: 40, changes: 400 })
  assert.ok(stream.counts.duplicate > 5 && stream.counts.delete > 5 && stream.counts.update > 50 && stream.counts.read > 0, JSON.stringify(stream.counts))
  const source: SourceSpec = { name: 'pg', file: 'pg.jsonl', format: 'debezium', table: 'raw.pg_customers', batch: { maxMessages: 100 } }
  // Two halves, refined in between, so the second batch updates rows the first one wrote.
  const half = Math.floor(stream.messages.length / 2)
  await ingest(source, captureLines(stream.messages.slice(0, half)))
  const flow: FlowSpec = { name: 'pg_customers', from: 'raw.pg_customers', to: 'refined.pg_customers', mode: 'cdc', key: ['id'] }
  const first = await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  assert.ok(first.batches >= 1)
  const afterFirst = (await lake.snapshot(catalog.pathOf('refined.pg_customers'))).version
  await ingest(source, captureLines(stream.messages.slice(half)), true)
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true })

  const rows = await query('SELECT id, name, tier, balance, tags FROM refined.pg_customers ORDER BY id')
  const expected = [...stream.final.values()].sort((a, b) => a.id - b.id).map((r) => ({ ...r }))
  assert.deepEqual(rows, expected)

  // The change feed of the second batch: updates as pre/post image pairs, deletes with the old row.
  const feed = await query(`SELECT id, balance, _change_type FROM table_changes('refined.pg_customers', ${afterFirst + 1}) ORDER BY id, _change_type`)
  const types = new Set(feed.map((r) => r._change_type))
  assert.ok(types.has('update_preimage') && types.has('update_postimage') && types.has('delete'), [...types].join(','))
  const pre = feed.filter((r) => r._change_type === 'update_preimage').map((r) => r.id)
  const post = feed.filter((r) => r._change_type === 'update_postimage').map((r) => r.id)
  assert.deepEqual(pre, post)

  // Running again finds nothing new and commits nothing.
  const version = (await lake.snapshot(catalog.pathOf('refined.pg_customers'))).version
  const again = await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  assert.equal(again.batches, 0)
  assert.equal((await lake.snapshot(catalog.pathOf('refined.pg_customers'))).version, version)
})

test("a table without a primary key (Debezium sends null message keys): the flow's key columns in the row images say which row each change is", async () => {
  // REPLICA IDENTITY FULL / MySQL's full row image: the before images carry the key. No tombstones: they need a key.
  const stream = postgresStream({ seed: 13, keys: 30, changes: 300, topic: 'pg.public.visits' })
  const unkeyed = stream.messages.filter((m) => m.payload !== null).map((m) => ({ ...m, key: null }))
  assert.ok(stream.counts.delete > 5 && stream.counts.update > 50 && stream.counts.duplicate > 5, JSON.stringify(stream.counts))
  const source: SourceSpec = { name: 'visits', file: 'visits.jsonl', format: 'debezium', table: 'raw.visits', batch: { maxMessages: 80 } }
  await ingest(source, captureLines(unkeyed))
  const flow: FlowSpec = { name: 'visits', from: 'raw.visits', to: 'refined.visits', mode: 'cdc', key: ['id'], batch: { maxVersions: 2 } }
  const report = await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  assert.ok(report.batches > 1)
  const rows = await query('SELECT id, name, tier, balance, tags FROM refined.visits ORDER BY id')
  assert.deepEqual(
    rows,
    [...stream.final.values()].sort((a, b) => a.id - b.id).map((r) => ({ ...r })),
  )
  // A key the images do not have leaves only the message key, and there is none: refused, saying so.
  const other: FlowSpec = { name: 'visits_by_email', from: 'raw.visits', to: 'refined.visits_by_email', mode: 'cdc', key: ['email'] }
  await assert.rejects(
    refineFlow(lake, catalog, other, { untilCaughtUp: true }),
    /\d+ change events have no key \(the Kafka message key, or the flow's key columns in the row images\)/,
  )
})

test('source columns widened mid-stream (Debezium after ALTER COLUMN: qty INT to BIGINT, price FLOAT to DOUBLE, amount DECIMAL(5,2) to DECIMAL(12,2)): raw and refined keep every value', async () => {
  const decimal = (precision: number) => ({
    type: 'bytes',
    name: 'org.apache.kafka.connect.data.Decimal',
    parameters: { scale: '2', 'connect.decimal.precision': String(precision) },
  })
  const image = (qty: string, price: string) => ({
    type: 'struct',
    optional: true,
    fields: [
      { type: 'int32', field: 'id' },
      { type: qty, optional: true, field: 'qty' },
      { type: price, optional: true, field: 'price' },
      { ...decimal(qty === 'int64' ? 12 : 5), optional: true, field: 'amount' },
    ],
  })
  // Connect's Decimal: the unscaled value's big-endian two's complement, base64.
  const unscaled = (cents: bigint) => {
    let hex = cents.toString(16)
    if (hex.length % 2) hex = `0${hex}`
    if (Number.parseInt(hex[0], 16) >= 8) hex = `00${hex}`
    return Buffer.from(hex, 'hex').toString('base64')
  }
  const event = (id: number, qty: number, price: number, wide: boolean, op = 'c') => ({
    topic: 'pg.public.stock',
    partition: 0,
    offset: 0,
    ts: 1_700_000_000_000 + id,
    key: JSON.stringify({ id }),
    payload: JSON.stringify({
      schema: {
        type: 'struct',
        fields: [
          { ...image(wide ? 'int64' : 'int32', wide ? 'double' : 'float'), field: 'before' },
          { ...image(wide ? 'int64' : 'int32', wide ? 'double' : 'float'), field: 'after' },
          { type: 'string', field: 'op' },
          { type: 'int64', optional: true, field: 'ts_ms' },
        ],
      },
      payload: { before: null, after: { id, qty, price, amount: unscaled(BigInt(qty) * 100n + 25n) }, op, ts_ms: 1_700_000_000_000 + id },
    }),
    headers: [],
  })
  const messages = [event(1, 5, 1.5, false), event(2, 7, 2.25, false), event(3, 5_000_000_000, 0.1, true), event(1, 6_000_000_000, 1e300, true, 'u')]
  messages.forEach((m, i) => Object.assign(m, { offset: i }))
  // Batches of one: each batch sees one schema, so the narrow one makes the columns.
  const source: SourceSpec = { name: 'stock', file: 'stock.jsonl', format: 'debezium', table: 'raw.stock', batch: { maxMessages: 1 } }
  const report = await ingest(source, captureLines(messages))
  assert.equal(report.rows, 4)
  // Nothing rescued (no _rescued_data column at all): the narrow batches made BIGINT and DOUBLE columns.
  const columns = await query('SELECT column_name, column_type FROM (DESCRIBE raw.stock)')
  assert.ok(!columns.some((c) => c.column_name === '_rescued_data'), JSON.stringify(columns))
  assert.deepEqual(columns.find((c) => c.column_name === 'after')?.column_type, 'STRUCT(id BIGINT, qty BIGINT, price DOUBLE, amount DECIMAL(18,2))')
  await refineFlow(lake, catalog, { name: 'stock', from: 'raw.stock', to: 'refined.stock', mode: 'cdc', key: ['id'] }, { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT id, qty, price, amount::VARCHAR AS amount FROM refined.stock ORDER BY id'), [
    { id: 1, qty: 6_000_000_000, price: 1e300, amount: '6000000000.25' },
    { id: 2, qty: 7, price: 2.25, amount: '7.25' },
    { id: 3, qty: 5_000_000_000, price: 0.1, amount: '5000000000.25' },
  ])
})

test('MongoDB: Extended JSON, full updates and update-description-only updates applied to nested fields and arrays', async () => {
  const stream = mongoStream({ seed: 11, keys: 25, changes: 300 })
  assert.ok(stream.counts.partialUpdate > 30 && stream.counts.fullUpdate > 10 && stream.counts.delete > 5, JSON.stringify(stream.counts))
  const source: SourceSpec = { name: 'mongo', file: 'mongo.jsonl', format: 'debezium-mongodb', table: 'raw.mongo_customers', batch: { maxMessages: 60 } }
  await ingest(source, captureLines(stream.messages))
  const flow: FlowSpec = {
    name: 'mongo_customers',
    from: 'raw.mongo_customers',
    to: 'refined.mongo_customers',
    mode: 'cdc',
    key: ['_id'],
    transforms: [{ op: 'flatten' }],
    batch: { maxVersions: 2 },
  }
  const report = await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  assert.ok(report.batches > 1, 'several batches, so documents carry over between them through the document state')
  const rows = await query('SELECT _id, name, address_city, address_zip, tags, points, "since", nickname FROM refined.mongo_customers ORDER BY _id')
  const expected = [...stream.final.values()]
    .sort((a, b) => a._id.localeCompare(b._id))
    .map((d) => ({
      _id: d._id,
      name: d.name,
      address_city: d.address.city,
      address_zip: d.address.zip,
      tags: d.tags,
      points: String(d.points),
      since: d.since,
      nickname: d.nickname ?? null,
    }))
  assert.deepEqual(
    rows.map((r) => ({ ...r, points: String(r.points), since: new Date(String(r.since)).toISOString() })),
    expected,
  )
  const types = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT points, "since" FROM refined.mongo_customers)`)
  assert.deepEqual(
    types.map((t) => t.column_type),
    ['BIGINT', 'TIMESTAMP WITH TIME ZONE'],
  )
  const state = await query(`SELECT count(*) AS n FROM ${documentStateTable('refined.mongo_customers', 'mongo_customers')}`)
  assert.equal(Number(state[0].n), stream.final.size)
})

test('append flow: nested JSON events flattened, line items exploded into a child table, exactly once across runs', async () => {
  const orders = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => {
      const id = from + i
      return JSON.stringify({
        order_id: id,
        customer: { id: `c${id % 3}`, country: 'FR' },
        items: Array.from({ length: id % 3 }, (_, j) => ({ sku: `s${j}`, qty: j + 1 })),
      })
    }).join('\n') + '\n'
  const source: SourceSpec = { name: 'orders', file: 'orders.ndjson', format: 'json', table: 'raw.orders', batch: { maxMessages: 10 } }
  await ingest(source, orders(0, 30))
  const flow: FlowSpec = {
    name: 'orders',
    from: 'raw.orders',
    to: 'refined.orders',
    mode: 'append',
    key: ['order_id'],
    transforms: [
      { op: 'explode', column: 'items', into: 'refined.order_items' },
      { op: 'flatten' },
      { op: 'select', columns: ['order_id', 'customer_id', 'customer_country'] },
      { op: 'filter', where: 'order_id <> 13' },
    ],
  }
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  await ingest(source, orders(30, 45), true)
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  const main = await query('SELECT count(*) AS n, count(DISTINCT order_id) AS d, max(order_id) AS top FROM refined.orders')
  assert.deepEqual(main, [{ n: 44, d: 44, top: 44 }])
  const items = await query('SELECT count(*) AS n, sum(qty) AS qty FROM refined.order_items')
  // order i has i % 3 items with quantities 1..(i % 3); the filter drops order 13 from the main table only.
  let count = 0
  let qty = 0
  for (let i = 0; i < 45; i++)
    for (let j = 0; j < i % 3; j++) {
      count++
      qty += j + 1
    }
  assert.deepEqual(
    items.map((r) => ({ n: Number(r.n), qty: Number(r.qty) })),
    [{ n: count, qty }],
  )
  const columns = await query(`SELECT column_name FROM (DESCRIBE SELECT * FROM refined.order_items)`)
  assert.deepEqual(
    columns.map((c) => c.column_name),
    ['order_id', 'items_index', 'sku', 'qty'],
  )
})

test('a cdc flow whose change data was vacuumed away stops with a message; --full-refresh rebuilds it', async () => {
  const stream = postgresStream({ seed: 3, keys: 10, changes: 60, topic: 'pg.public.accounts' })
  const source: SourceSpec = { name: 'acc', file: 'acc.jsonl', format: 'debezium', table: 'raw.accounts', batch: { maxMessages: 20 } }
  await ingest(source, captureLines(stream.messages.slice(0, 30)))
  const flow: FlowSpec = { name: 'accounts', from: 'raw.accounts', to: 'refined.accounts', mode: 'cdc', key: ['id'] }
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  await ingest(source, captureLines(stream.messages.slice(30)), true)
  // Compact raw and vacuum with zero retention: the files of the versions the flow still needs are gone.
  const { optimize } = await import('../../src/table')
  await optimize(lake, catalog.pathOf('raw.accounts'), {})
  await vacuum(lake, catalog.pathOf('raw.accounts'), { retentionHours: 0, force: true })
  await assert.rejects(
    refineFlow(lake, catalog, flow, { untilCaughtUp: true }),
    (error: unknown) =>
      error instanceof FlowError &&
      error.code === 'RANGE_UNAVAILABLE' &&
      /--full-refresh/.test(error.message) &&
      /raw\.accounts versions \d+\.\.\d+/.test(error.message),
  )
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true, fullRefresh: true })
  const rows = await query('SELECT id, name, tier, balance, tags FROM refined.accounts ORDER BY id')
  assert.deepEqual(
    rows,
    [...stream.final.values()].sort((a, b) => a.id - b.id).map((r) => ({ ...r })),
  )
  const history = await query('DESCRIBE HISTORY refined.accounts')
  assert.ok(
    history.some((h) => h.operation === 'DELETE'),
    'the refresh empties the table in a commit of its own',
  )
})
