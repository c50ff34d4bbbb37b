/**
 * Lineage on the demo pipeline, run from its capture files as `lakehouse demo` does: every row of
 * refined.orders, refined.order_items and refined.customers is traced back to raw rows, and the
 * answer is checked against an oracle that shares no code with the tracer: the raw tables' own
 * coordinate columns matched by key in SQL (for customers, every change of the document since its
 * last delete, in sequence order). Then the other direction (a message to the refined rows it
 * became), a row of a materialized view over two refined tables, and the CLI.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runDemo } from '../../src/demo'
import { writeCheckpoint } from '../../src/delta'
import { LakeEngine } from '../../src/engine'
import { traceMessage, type Pipeline, type ReplayedRow } from '../../src/pipeline'
import { refineFlow } from '../../src/pipeline/refine'
import { rowSource } from '../../src/extension/panels/row-source'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, pipelineDefinitions, refreshViews, runQuery, traceRows, type TracedRow } from '../../src/query'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-lineage-'))
const lake = new LakeEngine()
let catalog: LakeCatalog
let pipeline: Pipeline

before(async () => {
  const report = await runDemo({ dir })
  pipeline = loadPipeline(report.pipelineFile)
  catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
})
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows
const at = (o: ReplayedRow) => `${o.topic}/${o.partition}/${o.offset}`
const flowRows = (rows: TracedRow[]) =>
  rows.map((r) => {
    assert.equal(r.kind, 'flow')
    return r as Extract<TracedRow, { kind: 'flow' }>
  })

test("every refined order comes from the raw row with its order_id, at that row's own offset", async () => {
  const oracle = new Map(
    (await query(`SELECT order_id, _topic || '/' || _partition || '/' || _offset AS at FROM raw.orders`)).map((r) => [String(r.order_id), String(r.at)]),
  )
  const refined = new Map((await query('SELECT order_id, _offset FROM refined.orders')).map((r) => [String(r.order_id), String(r._offset)]))
  const traced = flowRows(await traceRows(lake, catalog, pipeline, 'refined.orders', 'true', { limit: 100_000 }))
  assert.equal(traced.length, refined.size)
  assert.ok(traced.length > 100)
  for (const row of traced) {
    const id = row.row.order_id!
    assert.equal(row.origins.length, 1, `${id}: one raw row`)
    const [origin] = row.origins
    assert.equal(at(origin), oracle.get(id), id)
    assert.equal(origin.offset, refined.get(id), `${id}: the offset the refined row carries itself`)
    assert.equal(origin.rawTable, 'raw.orders')
    assert.equal(origin.key, id, 'the demo keys orders by id')
    assert.match(origin.timestamp!, /^2026-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/)
  }
})

test("every order item comes from its order's raw row, and the raw row has that many items", async () => {
  const oracle = new Map(
    (await query(`SELECT order_id, _topic || '/' || _partition || '/' || _offset AS at, len(items) AS n FROM raw.orders`)).map((r) => [
      String(r.order_id),
      { at: String(r.at), n: Number(r.n) },
    ]),
  )
  const traced = flowRows(await traceRows(lake, catalog, pipeline, 'refined.order_items', 'true', { limit: 100_000 }))
  const [{ n }] = await query('SELECT count(*) AS n FROM refined.order_items')
  assert.equal(traced.length, Number(n))
  for (const row of traced) {
    const expected = oracle.get(row.row.order_id!)!
    assert.deepEqual(row.origins.map(at), [expected.at], JSON.stringify(row.row))
    assert.ok(Number(row.row.items_index) < expected.n)
  }
})

test('every refined customer resolves to the full chain of its changes since its last delete, in sequence order', async () => {
  // The oracle: the raw change events of the document, by the raw table's own columns.
  // The demo refines one raw version per batch, so a change is applied unless a later change of
  // the same document is in the same raw version.
  const events = await query(`SELECT key AS id, op, _topic || '/' || _partition || '/' || _offset AS at,
      row_number() OVER (PARTITION BY key, _commit_version ORDER BY coalesce(epoch_ms(source.ts_ms), epoch_ms(ts_ms), _timestamp) DESC, _partition DESC, _offset DESC) = 1 AS last
    FROM table_changes('raw.customers', 0)
    WHERE op IN ('c', 'r', 'u', 'd') ORDER BY _commit_version, coalesce(epoch_ms(source.ts_ms), epoch_ms(ts_ms), _timestamp), _partition, _offset`)
  const chains = new Map<string, string[]>()
  for (const e of events) {
    const id = String(e.id)
    if (e.op === 'd') chains.set(id, [])
    else chains.set(id, [...(chains.get(id) ?? []), `${e.at}${e.last ? '' : ' superseded'}`])
  }
  const traced = flowRows(await traceRows(lake, catalog, pipeline, 'refined.customers', 'true', { limit: 100_000 }))
  const [{ n }] = await query('SELECT count(*) AS n FROM refined.customers')
  assert.equal(traced.length, Number(n))
  let longest = 0
  for (const row of traced) {
    const id = row.row.customer_id!
    assert.deepEqual(
      row.origins.map((o) => `${at(o)}${o.applied ? '' : ' superseded'}`),
      chains.get(id),
      id,
    )
    assert.ok(row.origins.every((o) => o.change === 'upsert'))
    longest = Math.max(longest, row.origins.length)
  }
  assert.ok(longest >= 4, `some customer was updated several times (longest chain ${longest})`)
  // A customer updated several times: each refined version that touched it shows up in the chain.
  const many = traced.find((r) => r.origins.length === longest)!
  const versions = (
    await query(`SELECT DISTINCT _commit_version AS v FROM table_changes('refined.customers', 0) WHERE customer_id = '${many.row.customer_id}' ORDER BY 1`)
  ).map((r) => Number(r.v))
  assert.deepEqual([...new Set(many.origins.filter((o) => o.applied).map((o) => o.refinedVersion))], versions)
})

test('a message leads to the refined rows it became: an order to its row and items, a customer update to its row', async () => {
  const [order] = await query(`SELECT _topic, _partition, _offset, order_id, len(items) AS n FROM raw.orders ORDER BY _offset DESC, _partition LIMIT 1`)
  const fates = await traceMessage(lake, catalog, pipeline, { topic: String(order._topic), partition: Number(order._partition), offset: String(order._offset) })
  const row = fates.find((f) => f.kind === 'row')
  assert.ok(row && row.kind === 'row', JSON.stringify(fates))
  assert.deepEqual(
    row.refined.filter((r) => r.table === 'refined.orders').map((r) => r.row),
    [{ order_id: String(order.order_id) }],
  )
  assert.deepEqual(
    row.refined.filter((r) => r.table === 'refined.order_items').map((r) => r.row.items_index),
    Array.from({ length: Number(order.n) }, (_, i) => String(i)),
  )
  const [{ v }] = await query(`SELECT min(_commit_version) AS v FROM table_changes('refined.orders', 0) WHERE order_id = '${order.order_id}'`)
  assert.equal(row.refined[0].refinedVersion, Number(v))

  const [update] = await query(`SELECT _topic, _partition, _offset, key FROM raw.customers WHERE op = 'u' ORDER BY _offset DESC LIMIT 1`)
  const [fate] = (
    await traceMessage(lake, catalog, pipeline, { topic: String(update._topic), partition: Number(update._partition), offset: String(update._offset) })
  ).filter((f) => f.kind === 'row')
  assert.ok(fate.kind === 'row')
  assert.deepEqual(
    fate.refined.map((r) => [r.table, r.row.customer_id, r.change]),
    [['refined.customers', String(update.key), 'upsert']],
  )
})

test('a row of a materialized view over refined orders and customers traces to the source rows of its key, and on to their messages', async () => {
  mkdirSync(path.join(dir, 'views'), { recursive: true })
  writeFileSync(
    path.join(dir, 'views', 'spend.sql'),
    `CREATE MATERIALIZED VIEW refined.customer_spend AS
SELECT o.customer_id, count(*) AS orders, sum(o.total) AS spent
FROM refined.orders o JOIN refined.customers c ON o.customer_id = c.customer_id
GROUP BY o.customer_id;
`,
  )
  const spec = JSON.parse(readFileSync(pipeline.file, 'utf8'))
  writeFileSync(pipeline.file, JSON.stringify({ ...spec, definitions: ['views/*.sql'] }, null, 2))
  const withViews = loadPipeline(pipeline.file)
  const refreshed = await refreshViews(lake, catalog, withViews, await pipelineDefinitions(catalog, withViews))
  assert.deepEqual(refreshed.failed, [])
  const [busiest] = await query('SELECT customer_id, orders FROM refined.customer_spend ORDER BY orders DESC, customer_id LIMIT 1')
  const [row] = await traceRows(lake, catalog, withViews, 'refined.customer_spend', `customer_id = '${busiest.customer_id}'`)
  assert.equal(row.kind, 'view')
  if (row.kind !== 'view') return
  assert.deepEqual(row.row, { customer_id: String(busiest.customer_id) })
  const orders = row.sources.find((s) => s.table === 'refined.orders')!
  const customers = row.sources.find((s) => s.table === 'refined.customers')!
  assert.equal(orders.rows.length, Number(busiest.orders), 'one source row per order counted')
  const oracle = new Map(
    (await query(`SELECT order_id, _topic || '/' || _partition || '/' || _offset AS at FROM raw.orders WHERE customer_id = '${busiest.customer_id}'`)).map(
      (r) => [String(r.order_id), String(r.at)],
    ),
  )
  for (const r of flowRows(orders.rows)) assert.deepEqual(r.origins.map(at), [oracle.get(r.row.order_id!)])
  assert.equal(customers.rows.length, 1)
  const [customer] = flowRows(customers.rows)
  assert.equal(customer.row.customer_id, String(busiest.customer_id))
  assert.ok(customer.origins.length >= 1 && customer.origins.every((o) => o.topic === 'shop.customers'))
  assert.equal(orders.version, (await lake.snapshot(catalog.pathOf('refined.orders'))).version, 'read as of the version the view reflects')
})

test("a flow without a key: a row is named by all its columns; a panel row with a computed column and some of the table's traces the same", async () => {
  const copy = {
    name: 'orders_copy',
    from: 'raw.orders',
    to: 'refined.orders_copy',
    mode: 'append' as const,
    transforms: [{ op: 'select' as const, columns: ['order_id', 'status', '_offset', '_partition'] }],
  }
  const withCopy = { ...pipeline, flows: [...(pipeline.flows ?? []), copy] }
  await refineFlow(lake, catalog, copy, { untilCaughtUp: true })
  const [raw] = await query(`SELECT order_id, status, _topic || '/' || _partition || '/' || _offset AS at FROM raw.orders ORDER BY order_id LIMIT 1 OFFSET 5`)
  const [traced] = flowRows(await traceRows(lake, catalog, withCopy, 'refined.orders_copy', `order_id = '${raw.order_id}'`))
  assert.deepEqual(Object.keys(traced.row), ['_offset', '_partition', 'order_id', 'status'])
  assert.deepEqual(traced.origins.map(at), [raw.at])
  const panel = await rowSource(
    { lake, catalog, pipelines: async () => [withCopy] },
    { tables: ['refined.orders_copy'], columns: ['marker', 'order_id', 'status'], values: ['computed', String(raw.order_id), String(raw.status)] },
  )
  assert.equal(panel.table, 'refined.orders_copy')
  assert.deepEqual(
    panel.rows.map((r) => r.origins.map((o) => `${o.topic}/${o.partition}/${o.offset}`)),
    [[raw.at]],
  )
  const elsewhere = await rowSource({ lake, catalog, pipelines: async () => [withCopy] }, { tables: ['gold.nothing'], columns: ['x'], values: [1] })
  assert.match(elsewhere.note ?? '', /^The row comes from gold\.nothing, which no pipeline file of the workspace writes into /)
})

test('when the raw versions a refine commit read are gone from the log, the trace says which commit and why instead of failing', async () => {
  const copy = path.join(dir, 'lake-without-history')
  cpSync(pipeline.lakeDir, copy, { recursive: true })
  const other = new LakeEngine()
  try {
    const copyCatalog = new LakeCatalog(copy, other.io.storage)
    const raw = copyCatalog.pathOf('raw.orders')
    await writeCheckpoint(other.io, await other.snapshot(raw))
    rmSync(path.join(raw, '_delta_log', '00000000000000000000.json'))
    const [{ v: first }] = (await runQuery(other, copyCatalog, `SELECT min(_commit_version) AS v FROM table_changes('refined.orders', 0)`)).rows
    const [traced] = flowRows(await traceRows(other, copyCatalog, { ...pipeline, lakeDir: copy }, 'refined.orders', "order_id = 'ord-100001'"))
    assert.deepEqual(traced.origins, [])
    assert.match(
      traced.note ?? '',
      new RegExp(
        `^refined\\.orders version ${first} was refined from raw\\.orders versions 0\\.\\.\\d+, which cannot be read again \\(.+\\): its rows' sources are not listed$`,
      ),
    )
  } finally {
    await other.close()
  }
})

test("lakehouse trace TABLE --where prints each row's messages; a table the pipeline does not write and a bad predicate are refused plainly", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir })
  const orders = cli('trace', '--pipeline', pipeline.file, 'refined.orders', '--where', "order_id = 'ord-100001'")
  assert.equal(orders.status, 0, orders.stderr)
  assert.match(
    orders.stdout,
    /^refined\.orders order_id=ord-100001 {2}\(flow orders, append\)\n {2}raw\.orders v\d+ {2}shop\.orders\/\d+\/\d+ {2}key ord-100001 {2}2026-/,
  )
  const json = cli('trace', '--pipeline', pipeline.file, 'refined.customers', '--where', 'true', '--limit', '2', '--json')
  assert.equal(json.status, 0, json.stderr)
  const rows = JSON.parse(json.stdout) as { kind: string; origins: unknown[] }[]
  assert.equal(rows.length, 2)
  assert.ok(rows.every((r) => r.kind === 'flow' && r.origins.length > 0))
  const unknown = cli('trace', '--pipeline', pipeline.file, 'refined.nothing', '--where', 'true')
  assert.equal(unknown.status, 2)
  assert.match(unknown.stderr, /^lakehouse: refined\.nothing is not written by .*: it traces raw tables \(raw\.customers, raw\.orders\)/)
  const bad = cli('trace', '--pipeline', pipeline.file, 'refined.orders', '--where', 'no_such_column = 1')
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /^lakehouse: trace refined\.orders --where "no_such_column = 1": Binder Error/)
  assert.doesNotMatch(bad.stderr, /internal error|\n\s+at /)
  const message = cli('trace', '--pipeline', pipeline.file, '--message', 'shop.orders/1/0')
  assert.equal(message.status, 0, message.stderr)
  assert.match(
    message.stdout,
    /^orders: a row of raw\.orders, written by version \d+; key \S+, time [^\n]+\n {2}→ refined\.orders order_id=\S+, version \d+\n {2}→ refined\.order_items /,
  )
})
