/**
 * The topic panel's preview (previewFlowWrite) against the jobs themselves: message after message
 * of the demo's two sources, the preview is taken on the lake as it stands, then the message is
 * ingested and the flows run; the raw row and what each flow wrote for that message must equal
 * the preview, in every flow mode (append with a child table, cdc, cdc with history), including
 * MongoDB updates that carry only an update description, deletes and tombstones. The lake itself
 * must be untouched by a preview.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { createDecoder } from '../../src/decode'
import { dropScan } from '../../src/engine'
import { demoData } from '../../src/demo'
import { filePipeline } from '../../src/demo/demo-pipeline'
import { readCapture } from '../../src/pipeline/file-source'
import { previewFlowWrite, type FlowPreview } from '../../src/pipeline/flow-preview'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { FlowSpec, Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import type { IngestMessage } from '../../src/pipeline/ingest-message'
import { END_AT, refineFlow } from '../../src/pipeline/refine'
import { tempLake } from '../helpers/temp-lake'

const { dir, lake, catalog } = tempLake('flow-preview')
const demo = filePipeline()
const data = demoData({ customers: 3, changes: 24, orders: 6 })
const lines = (messages: unknown[]) => messages.map((m) => JSON.stringify(m)).join('\n') + '\n'

function pipeline(source: SourceSpec, flows: FlowSpec[]): Pipeline {
  return { ...demo, file: path.join(dir, 'lakehouse.json'), lakeDir: path.join(dir, 'lake'), sources: [source], flows }
}

/** Every row of a lake table (undefined when it does not exist), read as the preview reads its tables. */
async function rowsOf(table: string, where = 'true'): Promise<Record<string, unknown>[]> {
  const db = await lake.duckdb()
  const scan = await lake.scan(catalog.pathOf(table))
  try {
    return await db.rows(`SELECT * FROM ${scan.sql} WHERE ${where}`)
  } finally {
    await dropScan(db, scan)
  }
}

async function versions(tables: string[]): Promise<Record<string, number | undefined>> {
  const out: Record<string, number | undefined> = {}
  for (const table of tables)
    out[table] = await lake.snapshot(catalog.pathOf(table)).then(
      (s) => s.version,
      () => undefined,
    )
  return out
}

/**
 * Walks the capture message by message: preview, then ingest the message and run the flows, then
 * hand both to `check`. Returns the previews, for the test to see that every kind of message came by.
 */
async function walk(
  sourceName: string,
  messages: unknown[],
  flows: FlowSpec[],
  check: (message: IngestMessage, previews: FlowPreview[]) => Promise<void>,
): Promise<FlowPreview[]> {
  const spec = demo.sources.find((s) => s.name === sourceName)!
  const source: SourceSpec = { ...spec, file: `${sourceName}.jsonl` }
  const file = path.join(dir, source.file!)
  writeFileSync(file, lines(messages))
  const decoder = createDecoder(source.format)
  const all: IngestMessage[] = []
  for await (const message of readCapture(file)) all.push({ ...message, decoded: await decoder.decode(message) })
  const seen: FlowPreview[] = []
  const tables = [source.table, ...flows.flatMap((f) => [f.to, ...(f.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))])]
  for (let i = 0; i < all.length; i++) {
    const before = await versions(tables)
    const previews = []
    for (const flow of flows) previews.push(await previewFlowWrite(lake, catalog, source, flow, all[i]))
    assert.deepEqual(await versions(tables), before, 'a preview must not write to the lake')
    writeFileSync(file, lines(messages.slice(0, i + 1)))
    await ingestFile(lake, catalog, pipeline(source, flows), source)
    for (const flow of flows) await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
    await check(all[i], previews)
    seen.push(...previews)
  }
  return seen
}

test('the orders (json, append, exploded into a child table): each preview is the raw row and the rows the flow appends for that message', async () => {
  const flow = demo.flows!.find((f) => f.name === 'orders')!
  const previews = await walk('orders', data.orders, [flow], async (message, [preview]) => {
    const at = `"_partition" = ${message.partition} AND "_offset" = ${message.offset}`
    assert.deepEqual(preview.raw!.rows, await rowsOf('raw.orders', at))
    assert.ok(preview.raw!.columns.some((c) => c.name === '_offset') && preview.raw!.columns.some((c) => c.name === '_headers'))
    const [target, items] = preview.tables
    assert.equal(target.rows.length, 1)
    const orderId = String(target.rows[0].order_id)
    assert.deepEqual(target.rows, await rowsOf('refined.orders', `order_id = '${orderId}'`))
    assert.equal(items.table, 'refined.order_items')
    assert.ok(items.rows.length >= 1)
    assert.deepEqual(items.rows, await rowsOf('refined.order_items', `order_id = '${orderId}'`))
    assert.deepEqual(
      target.columns.map((c) => c.name),
      [
        'order_id',
        'customer_id',
        'status',
        'placed_at',
        'currency',
        'total',
        'shipping_method',
        'shipping_address_city',
        'shipping_address_country',
        '_offset',
      ],
    )
  })
  assert.equal(previews.length, data.orders.length)
})

test('the customers (debezium-mongodb, cdc and cdc with history): each preview is the merged document the flow writes, update descriptions applied', async () => {
  const latest = demo.flows!.find((f) => f.name === 'customers')!
  const history: FlowSpec = { ...latest, name: 'customers_history', to: 'refined.customers_history', scd: 2 }
  const kinds = new Set<string>()
  await walk('customers', data.customers, [latest, history], async (message, [current, versioned]) => {
    assert.deepEqual(current.raw!.rows, await rowsOf('raw.customers', `"_offset" = ${message.offset}`))
    const id = JSON.parse(JSON.parse(new TextDecoder().decode(message.key!)).id).$oid as string
    const value = message.value === null ? null : JSON.parse(new TextDecoder().decode(message.value))
    const kind = value === null ? 'tombstone' : value.op === 'u' && value.after === null ? 'update description' : value.op
    kinds.add(kind)
    const real = await rowsOf('refined.customers', `customer_id = '${id}'`)
    const open = await rowsOf('refined.customers_history', `customer_id = '${id}' AND "${END_AT}" IS NULL`)
    if (kind === 'tombstone') {
      assert.match(current.note!, /tombstone/)
      return
    }
    if (kind === 'd') {
      assert.deepEqual([current.tables[0].rows, real, versioned.tables[0].rows, open], [[], [], [], []])
      assert.match(current.note!, /a delete/)
      return
    }
    assert.equal(current.tables[0].rows.length, 1, `${kind} at offset ${message.offset}: ${current.note}`)
    assert.deepEqual(current.tables[0].rows, real, `${kind} at offset ${message.offset}`)
    assert.deepEqual(versioned.tables[0].rows, open, `${kind} at offset ${message.offset} (history)`)
  })
  for (const kind of ['r', 'c', 'u', 'update description', 'd', 'tombstone'])
    assert.ok(kinds.has(kind), `the demo stream has no ${kind}: ${[...kinds].join(', ')}`)
})

test("a message that cannot be decoded previews as the dead letter ingest writes, and a broken transform as the flow's error", async () => {
  const source: SourceSpec = { name: 'bad', file: 'bad.jsonl', format: 'json', table: 'raw.bad' }
  const message: IngestMessage = {
    topic: 'file:bad.jsonl',
    partition: 0,
    offset: '0',
    timestamp: '0',
    key: null,
    value: new TextEncoder().encode('{"a": '),
    headers: {},
    decoded: await createDecoder('json').decode({
      topic: 'file:bad.jsonl',
      partition: 0,
      offset: '0',
      timestamp: '0',
      key: null,
      value: new TextEncoder().encode('{"a": '),
      headers: {},
    }),
  }
  const flow: FlowSpec = { name: 'bad', from: 'raw.bad', to: 'refined.bad', mode: 'append', transforms: [] }
  const dead = await previewFlowWrite(lake, catalog, source, flow, message)
  assert.equal(dead.raw, undefined)
  assert.match(dead.deadLetter!.reason, /\w/)
  const good = {
    ...message,
    value: new TextEncoder().encode('{"a": 1}'),
    decoded: await createDecoder('json').decode({ ...message, value: new TextEncoder().encode('{"a": 1}') }),
  }
  await assert.rejects(previewFlowWrite(lake, catalog, source, { ...flow, transforms: [{ op: 'rename', columns: { b: 'c' } }] }, good), /transforms\[0\]: .*b/)
})
