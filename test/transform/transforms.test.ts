/**
 * Each transform on its own, in the real DuckDB: nested structs, arrays of structs, empty and
 * null arrays, name collisions, the SQL step, and errors that name the step and the column.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { StructType } from '../../src/delta/schema'
import { LakeEngine } from '../../src/engine'
import { applyTransforms, previewTransforms, TransformError, type Relation, type Transform } from '../../src/transform'
import { describeRelation } from '../../src/transform/apply'

const lake = new LakeEngine()
after(() => lake.close())

let tableCounter = 0
/** A temp table from a SELECT; returns it as the relation the transforms start from. */
async function input(select: string): Promise<Relation> {
  const db = await lake.duckdb()
  const name = `transform_input_${++tableCounter}`
  await db.run(`CREATE TEMP TABLE ${name} AS ${select}`)
  return { sql: name, columns: await describeRelation(db, name) }
}

async function run(relation: Relation, transforms: Transform[], key?: string[]) {
  const db = await lake.duckdb()
  const batch = await applyTransforms(db, relation, transforms, { key })
  try {
    const main = await db.rows(`SELECT * FROM ${batch.main.sql}`)
    const children = await Promise.all(
      batch.children.map(async (c) => ({ table: c.table, key: c.key, rows: await db.rows(`SELECT * FROM ${c.relation.sql} ORDER BY ALL`) })),
    )
    return { columns: batch.main.columns.map((c) => c.name), types: batch.main.columns.map((c) => c.type), main, children }
  } finally {
    await batch.dispose()
  }
}

const ORDERS = `SELECT * FROM (VALUES
  (1, {'name': 'Ada', 'address': {'city': 'Paris', 'geo': {'lat': 48.8, 'lon': 2.3}}}, [{'sku': 'a', 'qty': 2}, {'sku': 'b', 'qty': 1}], 5),
  (2, {'name': 'Bob', 'address': {'city': NULL, 'geo': NULL}}, [], 6),
  (3, NULL, NULL, 7)
) t(id, customer, items, customer_address_city)`

test('flatten expands nested structs to columns and keeps names unique', async () => {
  const result = await run(await input(ORDERS), [{ op: 'flatten' }])
  assert.deepEqual(result.columns, [
    'id',
    'customer_name',
    'customer_address_city_2',
    'customer_address_geo_lat',
    'customer_address_geo_lon',
    'items',
    'customer_address_city',
  ])
  const ada = result.main.find((r) => r.id === 1)!
  assert.equal(ada.customer_name, 'Ada')
  assert.equal(ada.customer_address_city_2, 'Paris')
  assert.equal(ada.customer_address_city, 5, 'the existing column keeps its name and value')
  const none = result.main.find((r) => r.id === 3)!
  assert.equal(none.customer_name, null, 'a null struct flattens to null fields')
})

test('flatten stops at maxDepth, uses the separator, and can be limited to some columns', async () => {
  const result = await run(await input(ORDERS), [{ op: 'flatten', separator: '.', maxDepth: 1, columns: ['customer'] }])
  assert.deepEqual(result.columns, ['id', 'customer.name', 'customer.address', 'items', 'customer_address_city'])
  assert.equal(typeof result.types[2], 'object', 'the second level stays a struct')
})

test('explode gives one row per element with its index; empty and null arrays drop, or stay with outer', async () => {
  const plain = await run(await input(ORDERS), [
    { op: 'explode', column: 'items', as: 'item' },
    { op: 'flatten', columns: ['item'] },
    { op: 'select', columns: ['id', 'items_index', 'item_sku', 'item_qty'] },
  ])
  assert.deepEqual(plain.main.map((r) => [r.id, r.items_index, r.item_sku, r.item_qty]).sort(), [
    [1, '0', 'a', 2],
    [1, '1', 'b', 1],
  ])
  const outer = await run(await input(ORDERS), [
    { op: 'explode', column: 'items', outer: true, index: 'pos' },
    { op: 'select', columns: ['id', 'pos', 'items'] },
  ])
  assert.deepEqual(outer.main.map((r) => [r.id, r.pos, r.items === null ? null : (r.items as Record<string, unknown>).sku]).sort(), [
    [1, '0', 'a'],
    [1, '1', 'b'],
    [2, null, null],
    [3, null, null],
  ])
})

test('explode into a child table keys the elements by the flow key and the index', async () => {
  const result = await run(await input(ORDERS), [{ op: 'explode', column: 'items', into: 'refined.order_items' }], ['id'])
  assert.deepEqual(result.columns, ['id', 'customer', 'customer_address_city'], 'the array leaves the main rows')
  assert.equal(result.main.length, 3)
  assert.deepEqual(result.children[0].key, ['id', 'items_index'])
  assert.deepEqual(result.children[0].rows, [
    { id: 1, items_index: '0', sku: 'a', qty: 2 },
    { id: 1, items_index: '1', sku: 'b', qty: 1 },
  ])
  await assert.rejects(run(await input(ORDERS), [{ op: 'explode', column: 'items', into: 'refined.x' }]), /needs the flow's "key"/)
})

test('nested arrays of structs explode level by level', async () => {
  const rel = await input(`SELECT 1 AS id, [{'name': 'x', 'tags': [{'t': 'p'}, {'t': 'q'}]}, {'name': 'y', 'tags': []}] AS groups`)
  const result = await run(rel, [
    { op: 'explode', column: 'groups', as: 'group' },
    { op: 'flatten' },
    { op: 'explode', column: 'group_tags', as: 'tag', outer: true },
    { op: 'flatten' },
    { op: 'select', columns: ['group_name', 'tag_t'] },
  ])
  assert.deepEqual(result.main.map((r) => [r.group_name, r.tag_t]).sort(), [
    ['x', 'p'],
    ['x', 'q'],
    ['y', null],
  ])
})

test('select, rename and cast; cast uses Delta type names', async () => {
  const rel = await input(`SELECT '42' AS amount, '2026-11-24T10:00:00Z' AS at, 'x' AS note, '12.50' AS price`)
  const result = await run(rel, [
    { op: 'rename', columns: { amount: 'qty' } },
    { op: 'cast', columns: { qty: 'long', at: 'timestamp', price: 'decimal(10,2)' } },
    { op: 'select', columns: ['qty', 'at', 'price'] },
  ])
  assert.deepEqual(result.types, ['long', 'timestamp', 'decimal(10,2)'])
  assert.equal(result.main[0].qty, '42')
  assert.match(String(result.main[0].at), /^2026-11-24 10:00:00/)
  await assert.rejects(
    run(rel, [{ op: 'cast', columns: { note: 'money' } }]),
    (e: unknown) => e instanceof TransformError && e.step === 0 && /note.*unknown type 'money'/.test(e.message),
  )
  await assert.rejects(run(rel, [{ op: 'select', columns: ['nope'] }]), /select: no column 'nope' \(columns: amount, at, note, price\)/)
  await assert.rejects(run(rel, [{ op: 'rename', columns: { amount: 'note' } }]), /two columns would be named 'note'/)
})

test('filter and sql read the rows so far; a WITH query gets batch added to its CTEs', async () => {
  const rel = await input(`SELECT * FROM range(10) r(n)`)
  const filtered = await run(rel, [
    { op: 'filter', where: 'n % 2 = 0' },
    { op: 'sql', query: 'SELECT n, n * n AS sq FROM batch WHERE n > 2;' },
  ])
  assert.deepEqual(
    filtered.main.map((r) => Number(r.sq)).sort((a, b) => a - b),
    [16, 36, 64],
  )
  const withQuery = await run(rel, [{ op: 'sql', query: 'WITH big AS (SELECT n FROM batch WHERE n >= 8) SELECT count(*) AS c FROM big' }])
  assert.equal(Number(withQuery.main[0].c), 2)
  await assert.rejects(run(rel, [{ op: 'filter', where: 'n >' }]), (e: unknown) => e instanceof TransformError && /filter: Parser Error/.test(e.message))
})

test('previewTransforms shows each step and stops at the failing one', async () => {
  const schema: StructType = {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      {
        name: 'profile',
        type: {
          type: 'struct',
          fields: [
            { name: 'email', type: 'string', nullable: true, metadata: {} },
            { name: 'since', type: 'timestamp', nullable: true, metadata: {} },
          ],
        },
        nullable: true,
        metadata: {},
      },
    ],
  }
  const rows = [{ id: '1', profile: { email: '<img src=x onerror=alert(1)>', since: '2026-01-02T03:04:05.000Z' } }, { id: '2' }]
  const preview = await previewTransforms(lake, { rows, schema }, [{ op: 'flatten' }, { op: 'select', columns: ['id', 'missing'] }])
  assert.deepEqual(
    preview.steps.map((s) => s.op),
    ['input', 'flatten'],
  )
  assert.deepEqual(
    preview.steps[1].columns.map((c) => c.name),
    ['id', 'profile_email', 'profile_since'],
  )
  assert.equal(preview.steps[1].rows[0].profile_email, '<img src=x onerror=alert(1)>')
  assert.match(String(preview.steps[1].rows[0].profile_since), /^2026-01-02 03:04:05/)
  assert.equal(preview.steps[1].rows[1].profile_email, null)
  assert.deepEqual(preview.error, { step: 1, message: "select: no column 'missing' (columns: id, profile_email, profile_since)" })
})
