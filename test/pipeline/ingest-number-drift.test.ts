/**
 * Numbers that change spelling and documents that gain fields at every depth, through the file
 * source into the raw table, in one go and in many small batches: every message lands as a row
 * (no dead letters), the values read back through the query layer are exactly those produced,
 * and a value that does not fit an existing column's type is kept in `_rescued_data`.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, runQuery } from '../../src/query'
import { debeziumDir } from '../decode/fixtures'
import { orderStream, storedDocument } from '../helpers/number-drift'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-number-drift-'))
const lake = new LakeEngine()
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

const COUNT = 60
const stream = orderStream(COUNT)
writeFileSync(path.join(dir, 'orders.ndjson'), stream.texts.join('\n') + '\n')

async function ingest(name: string, extra: Partial<SourceSpec>, file = 'orders.ndjson') {
  const lakeDir = path.join(dir, name)
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const source: SourceSpec = { name: 'orders', file, format: 'json', table: 'raw.orders', ...extra }
  const pipeline: Pipeline = { file: path.join(dir, 'lakehouse.json'), lake: name, lakeDir, sources: [source] }
  const report = await ingestFile(lake, catalog, pipeline, source)
  const snapshot = await lake.snapshot(catalog.pathOf('raw.orders'))
  const rows = (await runQuery(lake, catalog, 'SELECT to_json(t)::VARCHAR AS j FROM raw.orders t ORDER BY _offset')).rows.map(
    (r) => JSON.parse(String(r.j)) as Record<string, unknown>,
  )
  const types = Object.fromEntries((await runQuery(lake, catalog, 'DESCRIBE raw.orders')).rows.map((r) => [r.column_name, r.column_type]))
  return { report, schema: snapshot.schema, rows, types, versions: snapshot.version + 1 }
}

/** `texts` as a capture file, ingested in one go and in batches of one, each into a lake of its own. */
async function inOneGoAndInOnes(
  name: string,
  texts: string[],
  extra: Partial<SourceSpec>,
  check: (run: Awaited<ReturnType<typeof ingest>>, lake: string) => Promise<void>,
) {
  writeFileSync(path.join(dir, `${name}.ndjson`), texts.join('\n') + '\n')
  for (const [mode, batch] of [
    ['one-go', {}],
    ['ones', { batch: { maxMessages: 1 } }],
  ] as const) {
    const lakeName = `${name}-${mode}`
    await check(await ingest(lakeName, { ...extra, ...batch }, `${name}.ndjson`), lakeName)
  }
}

test('a stream whose numbers change spelling and whose documents grow at every depth: one go and batches of 3 give the same table, exact values, no dead letters', async () => {
  const whole = await ingest('one-go', {})
  const small = await ingest('batches-of-3', { batch: { maxMessages: 3 } })
  for (const run of [whole, small]) {
    assert.equal(run.report.messages, COUNT)
    assert.equal(run.report.rows, COUNT, 'every message is a row')
    assert.equal(run.report.deadLetters, 0)
    assert.deepEqual(run.rows.map(storedDocument), stream.docs, 'the values read back are the ones produced')
    assert.ok(
      run.rows.every((r) => r._rescued_data === undefined || r._rescued_data === null),
      'nothing needed rescuing',
    )
  }
  assert.equal(small.versions, COUNT / 3, 'one table version per batch')
  assert.deepEqual(small.schema, whole.schema, 'the same table in one go and in small batches')
  // Seen whole and fractional (whole first, in the first batch): double, at every depth.
  assert.equal(whole.types.total, 'DOUBLE')
  assert.equal(whole.types.items, 'STRUCT(sku VARCHAR, price DOUBLE, qty BIGINT, discount DOUBLE)[]')
  assert.equal(whole.types.shipping, 'STRUCT(parcels STRUCT(weight DOUBLE, dims STRUCT(h DOUBLE, w DOUBLE))[])')
  assert.equal(whole.types.customer, 'STRUCT("name" VARCHAR, address STRUCT(city VARCHAR, zip VARCHAR), vip BOOLEAN)')
  assert.equal(whole.types.attrs, 'STRUCT(color VARCHAR, size DOUBLE)')
})

test('batches of one: a whole first value makes a long column; later fractions are rescued with their paths, nothing lost', async () => {
  const run = await ingest('batches-of-1', { batch: { maxMessages: 1 } })
  assert.equal(run.report.rows, COUNT)
  assert.equal(run.report.deadLetters, 0)
  // Message 0 spells total, parcels[].weight and parcels[].dims.h as whole numbers: the columns are long.
  assert.equal(run.types.total, 'BIGINT')
  assert.deepEqual(run.rows.map(storedDocument), stream.docs, 'column values and rescued values together are the documents produced')
  const rescued = run.rows.map((r) => (r._rescued_data ? JSON.parse(String(r._rescued_data)) : {}))
  assert.deepEqual(rescued[1], { total: 101.25, 'shipping.parcels[0].weight': 1.25, 'shipping.parcels[0].dims.h': 2.25 })
  assert.equal(run.rows[1].total, null, 'the column holds null where its value was rescued')
  assert.equal(run.rows[3].total, 103, 'a whole value still lands in the long column')
  assert.equal(run.types._rescued_data, 'VARCHAR')
})

test('schema hints type columns up front: whole-first streams land in double and decimal columns, exact, in batches of one', async () => {
  const hints = {
    total: 'double',
    'items.element.price': 'decimal(10,2)',
    'shipping.parcels.element.weight': 'double',
    'shipping.parcels.element.dims.h': 'double',
    'shipping.parcels.element.dims.w': 'double',
    'attrs.size': 'decimal(6,2)',
    'items.element.discount': 'DOUBLE',
  }
  const run = await ingest('hinted', { batch: { maxMessages: 1 }, schemaHints: hints })
  assert.equal(run.report.rows, COUNT)
  assert.equal(run.types.total, 'DOUBLE')
  assert.equal(run.types.items, 'STRUCT(sku VARCHAR, price DECIMAL(10,2), qty BIGINT, discount DOUBLE)[]')
  assert.equal(run.types.attrs, 'STRUCT(color VARCHAR, size DECIMAL(6,2))')
  assert.deepEqual(run.rows.map(storedDocument), stream.docs)
  assert.ok(
    run.rows.every((r) => r._rescued_data === undefined || r._rescued_data === null),
    'nothing needed rescuing',
  )
})

test('a decimal hint does not round: a value with more fraction digits than the scale is rescued exactly', async () => {
  writeFileSync(
    path.join(dir, 'prices.ndjson'),
    ['{"id":1,"price":19}', '{"id":2,"price":19.99}', '{"id":3,"price":19.999}', '{"id":4,"price":"n/a"}'].join('\n') + '\n',
  )
  const run = await ingest('decimal', { schemaHints: { price: 'decimal(10,2)' } }, 'prices.ndjson')
  assert.equal(run.report.rows, 4)
  assert.equal(run.types.price, 'DECIMAL(10,2)')
  assert.deepEqual(
    run.rows.map((r) => [r.price, r._rescued_data ?? null]),
    [
      [19, null],
      [19.99, null],
      [null, '{"price":19.999}'],
      [null, '{"price":"n/a"}'],
    ],
  )
})

test('numbers a double would change: every digit in a decimal column, a double past its range rescued, a 39-digit integer kept as text', async () => {
  // Amounts with 18 fraction digits (token amounts, wei to ether) need every digit; 1e400 and 1e-400
  // would be Infinity and zero in a double.
  const texts = [
    '{"id":1,"amount":1.234567890123456789,"ratio":0.5,"serial":1}',
    '{"id":2,"amount":0.000000000000000001,"ratio":1e400,"serial":2}',
    '{"id":3,"amount":123456789.123456789012345678,"ratio":-1E-400,"serial":123456789012345678901234567890123456789}',
    '{"id":4,"amount":1.2345678901234567891,"ratio":0.30000000000000000001,"serial":3}',
  ]
  await inOneGoAndInOnes('amounts', texts, { schemaHints: { amount: 'decimal(38,18)' } }, async (run, name) => {
    assert.equal(run.report.rows, 4, name)
    assert.equal(run.report.deadLetters, 0, name)
    assert.equal(run.types.amount, 'DECIMAL(38,18)', name)
    assert.equal(run.types.ratio, 'DOUBLE', name)
    const catalog = new LakeCatalog(path.join(dir, name), lake.io.storage)
    const rows = (
      await runQuery(lake, catalog, 'SELECT amount::VARCHAR AS amount, ratio, serial::VARCHAR AS serial, _rescued_data AS rescued FROM raw.orders ORDER BY id')
    ).rows
    assert.deepEqual(
      rows.map((r) => r.amount),
      ['1.234567890123456789', '0.000000000000000001', '123456789.123456789012345678', null],
      name,
    )
    assert.deepEqual(
      rows.map((r) => r.ratio),
      [0.5, null, null, 0.3],
      name,
    )
    const rescued = rows.map((r) => (r.rescued === null ? {} : (JSON.parse(String(r.rescued)) as Record<string, unknown>)))
    assert.equal(rescued[1].ratio, '1e400', name)
    assert.equal(rescued[2].ratio, '-1E-400', name)
    // More fraction digits than the scale: rescued whole, not rounded.
    assert.equal(rescued[3].amount, '1.2345678901234567891', name)
    // The serial column is long (its first values): a 39-digit integer is rescued as its text.
    assert.equal(run.types.serial, 'BIGINT', name)
    assert.equal(rows[2].serial, null, name)
    assert.equal(rescued[2].serial, '123456789012345678901234567890123456789', name)
  })
})

test('a whole double written as a float (5.0, 1e2: Python, Java, MongoDB relaxed JSON) makes a double column even in batches of one, so later fractions fit', async () => {
  const texts = ['{"id":1,"price":5.0,"ratio":1e2,"qty":3}', '{"id":2,"price":5.5,"ratio":0.25,"qty":4}', '{"id":3,"price":-0.0,"ratio":2E-1,"qty":5}']
  writeFileSync(path.join(dir, 'floats.ndjson'), texts.join('\n') + '\n')
  const run = await ingest('floats', { batch: { maxMessages: 1 } }, 'floats.ndjson')
  assert.equal(run.report.rows, 3)
  assert.deepEqual([run.types.price, run.types.ratio, run.types.qty], ['DOUBLE', 'DOUBLE', 'BIGINT'])
  assert.deepEqual(
    run.rows.map((r) => [r.price, r.ratio, r._rescued_data ?? null]),
    [
      [5, 100, null],
      [5.5, 0.25, null],
      [0, 0.2, null],
    ],
  )
})

test('map hints: objects whose keys are data land in one map column each, in one go and in batches of one; values that do not fit are rescued at their key', async () => {
  const texts = [
    '{"id":1,"stock":{"SKU-1":5,"SKU-2":0},"labels":{"en":"Shoe","fr":"Chaussure"},"prices":{"EUR":19.99}}',
    '{"id":2,"stock":{"SKU-3":12},"labels":{"de":"Schuh","en":null},"prices":{"USD":21,"GBP":"n/a"}}',
    '{"id":3,"stock":{},"labels":{"en":{"nested":true}},"prices":null}',
    '{"id":4,"stock":{"SKU-4":1.5,"SKU-5":2},"labels":"plain","prices":{"EUR":1.234}}',
  ]
  const schemaHints = { stock: 'map<string, long>', labels: 'MAP<STRING,STRING>', prices: 'map<string, decimal(10,2)>' }
  await inOneGoAndInOnes('maps', texts, { schemaHints }, async (run, name) => {
    assert.equal(run.report.rows, 4, name)
    // Six distinct keys, three columns: a key is a map entry, never a column.
    assert.deepEqual(
      [run.types.stock, run.types.labels, run.types.prices],
      ['MAP(VARCHAR, BIGINT)', 'MAP(VARCHAR, VARCHAR)', 'MAP(VARCHAR, DECIMAL(10,2))'],
      name,
    )
    const catalog = new LakeCatalog(path.join(dir, name), lake.io.storage)
    const rows = (
      await runQuery(
        lake,
        catalog,
        `SELECT id, to_json(stock)::VARCHAR AS stock, to_json(labels)::VARCHAR AS labels, prices::VARCHAR AS prices, _rescued_data AS rescued FROM raw.orders ORDER BY id`,
      )
    ).rows
    assert.deepEqual(
      rows.map((r) => [r.stock, r.labels, r.prices]),
      [
        ['{"SKU-1":5,"SKU-2":0}', '{"en":"Shoe","fr":"Chaussure"}', '{EUR=19.99}'],
        ['{"SKU-3":12}', '{"de":"Schuh","en":null}', '{USD=21.00, GBP=NULL}'],
        // A string map takes any value as its JSON text.
        ['{}', '{"en":"{\\"nested\\":true}"}', null],
        ['{"SKU-4":null,"SKU-5":2}', null, '{EUR=NULL}'],
      ],
      name,
    )
    assert.deepEqual(
      rows.map((r) => (r.rescued === null ? null : JSON.parse(String(r.rescued)))),
      [null, { 'prices.GBP': 'n/a' }, null, { 'stock.SKU-4': 1.5, labels: 'plain', 'prices.EUR': 1.234 }],
      name,
    )
  })
})

test("a real Debezium payload (MySQL, paimon's topic0) whose weight is sometimes whole: every event lands, exact", {
  skip: !debeziumDir && 'conformance data not found',
}, async () => {
  const { readFileSync } = await import('node:fs')
  const files = [0, 1, 2, 3].map((n) => path.join(debeziumDir!, `paimon/debezium-database-include-topic0-debezium-data-1-0${n}-value-op-c.json`))
  const events = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { after: { id: number; weight: number } })
  // The first event re-spelled as a serializer that prints 3.0 as 3 would: a whole weight first.
  const wholeFirst = structuredClone(events[1])
  wholeFirst.after.id = 100
  wholeFirst.after.weight = 8
  const all = [wholeFirst, ...events]
  writeFileSync(path.join(dir, 'dbz.ndjson'), all.map((e) => JSON.stringify(e)).join('\n') + '\n')
  for (const [name, extra] of [
    ['dbz-one-go', {}],
    ['dbz-hinted', { batch: { maxMessages: 1 }, schemaHints: { 'after.weight': 'double' } }],
  ] as const) {
    const lakeDir = path.join(dir, name)
    const catalog = new LakeCatalog(lakeDir, lake.io.storage)
    const source: SourceSpec = { name: 'dbz', file: 'dbz.ndjson', format: 'debezium', table: 'raw.products', ...extra }
    const report = await ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: name, lakeDir, sources: [source] }, source)
    assert.equal(report.rows, all.length, name)
    assert.equal(report.deadLetters, 0, name)
    const rows = (await runQuery(lake, catalog, 'SELECT after.id AS id, after.weight AS weight, typeof(after.weight) AS t FROM raw.products ORDER BY _offset'))
      .rows
    assert.deepEqual(
      rows.map((r) => [r.id, r.weight, r.t]),
      all.map((e) => [e.after.id, e.after.weight, 'DOUBLE']),
      name,
    )
  }
  // Without a hint, batches of one: the whole weight came first, so the column is long; the fractions are rescued.
  const lakeDir = path.join(dir, 'dbz-small')
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const source: SourceSpec = { name: 'dbz', file: 'dbz.ndjson', format: 'debezium', table: 'raw.products', batch: { maxMessages: 1 } }
  const report = await ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: 'dbz-small', lakeDir, sources: [source] }, source)
  assert.equal(report.rows, all.length)
  assert.equal(report.deadLetters, 0)
  const rows = (await runQuery(lake, catalog, 'SELECT after.weight AS weight, _rescued_data AS r FROM raw.products ORDER BY _offset')).rows
  assert.deepEqual(
    rows.map((r) => [r.weight, r.r]),
    [[8, null], ...events.map((e) => [null, JSON.stringify({ 'after.weight': e.after.weight })])],
  )
})
