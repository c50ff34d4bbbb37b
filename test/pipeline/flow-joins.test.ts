/**
 * A flow's `sql` transform joining another lake table (a stream–static join, as Spark's): each
 * batch sees the other table at its latest version when the batch starts. Rows refined before a
 * change of the other table keep what they saw; rows of later batches see the change. Before
 * issue 19 the same transform failed with `Catalog Error: Table with name "customers" does not
 * exist`.
 */
import assert from 'node:assert/strict'
import { appendFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import { lakeTableReader, runScript, runWithDefinitions } from '../../src/query'
import { tempLake } from '../helpers/temp-lake'

const { dir, lake, catalog, query } = tempLake('flow-joins')

test('a flow joins refined.customers as of each batch', async () => {
  await runScript(
    lake,
    catalog,
    `
    CREATE TABLE refined.customers (id BIGINT, name STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true);
    INSERT INTO refined.customers VALUES (1, 'Ada'), (2, 'Bob')`,
  )
  writeFileSync(
    path.join(dir, 'orders.jsonl'),
    `${[
      { order_id: 1, customer_id: 1 },
      { order_id: 2, customer_id: 2 },
      { order_id: 3, customer_id: 9 },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n')}\n`,
  )
  writeFileSync(
    path.join(dir, 'lakehouse.json'),
    JSON.stringify({
      lake: 'lake',
      sources: [{ name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' }],
      flows: [
        {
          name: 'orders',
          from: 'raw.orders',
          to: 'refined.orders',
          mode: 'append',
          transforms: [
            {
              op: 'sql',
              query: 'SELECT b.order_id, b.customer_id, c.name AS customer_name FROM batch b LEFT JOIN refined.customers c ON c.id = b.customer_id',
            },
          ],
        },
      ],
    }),
  )
  const pipeline = loadPipeline(path.join(dir, 'lakehouse.json'))
  const first = await runWithDefinitions(lake, catalog, pipeline, { untilCaughtUp: true })
  assert.deepEqual(first.failed, [])
  assert.deepEqual(await query('SELECT order_id, customer_name FROM refined.orders ORDER BY order_id'), [
    { order_id: 1, customer_name: 'Ada' },
    { order_id: 2, customer_name: 'Bob' },
    { order_id: 3, customer_name: null },
  ])

  await runScript(lake, catalog, "UPDATE refined.customers SET name = 'Robert' WHERE id = 2; INSERT INTO refined.customers VALUES (9, 'Nine')")
  appendFileSync(path.join(dir, 'orders.jsonl'), `${JSON.stringify({ order_id: 4, customer_id: 2 })}\n${JSON.stringify({ order_id: 5, customer_id: 9 })}\n`)
  const second = await runWithDefinitions(lake, catalog, pipeline, { untilCaughtUp: true })
  assert.deepEqual(second.failed, [])
  assert.deepEqual(
    await query('SELECT order_id, customer_name FROM refined.orders ORDER BY order_id'),
    [
      { order_id: 1, customer_name: 'Ada' },
      { order_id: 2, customer_name: 'Bob' },
      { order_id: 3, customer_name: null },
      { order_id: 4, customer_name: 'Robert' },
      { order_id: 5, customer_name: 'Nine' },
    ],
    'a batch sees the other table as of its start; earlier rows keep what they saw',
  )
})

test('without the lake reader the join fails as before, naming the table', async () => {
  await runScript(
    lake,
    catalog,
    `CREATE TABLE raw.more (order_id BIGINT, customer_id BIGINT) TBLPROPERTIES (delta.enableChangeDataFeed = true); INSERT INTO raw.more VALUES (1, 1)`,
  )
  const flow = {
    name: 'more',
    from: 'raw.more',
    to: 'refined.more',
    mode: 'append' as const,
    transforms: [{ op: 'sql' as const, query: 'SELECT b.*, c.name FROM batch b JOIN refined.customers c ON c.id = b.customer_id' }],
  }
  await assert.rejects(refineFlow(lake, catalog, flow, { untilCaughtUp: true }), /customers/)
  const report = await refineFlow(lake, catalog, flow, { untilCaughtUp: true, lakeTables: lakeTableReader(lake, catalog) })
  assert.equal(report.changes, 1)
  assert.deepEqual(await query('SELECT order_id, name FROM refined.more'), [{ order_id: 1, name: 'Ada' }])
})
