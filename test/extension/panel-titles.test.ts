/** Query tabs are named by the table they look at (or the start of their SQL) and reused per table. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { queryTabKey, queryTitle, tableOfQuery } from '../../src/extension/panels/panel-titles'

test('a plain look at one table is named by the table, with its version', () => {
  assert.equal(queryTitle('SELECT * FROM raw.orders LIMIT 1000'), 'raw.orders')
  assert.equal(queryTitle('select *\n  from "refined"."my-table"'), 'refined.my-table')
  assert.equal(queryTitle('SELECT * FROM raw.orders VERSION AS OF 3 LIMIT 1000'), 'raw.orders @ v3')
  assert.equal(queryTitle("SELECT * FROM raw.orders TIMESTAMP AS OF '2026-11-24 10:00:00' LIMIT 10;"), 'raw.orders @ 2026-11-24 10:00:00')
  assert.deepEqual(tableOfQuery('SELECT * FROM raw.orders'), { table: 'raw.orders' })
})

test('any other query is named by the start of its text, on one line', () => {
  assert.equal(queryTitle('SELECT customer, count(*)\nFROM raw.orders GROUP BY 1'), 'Query: SELECT customer, count(*) FROM raw.orde…')
  assert.equal(queryTitle('SELECT id FROM raw.orders'), 'Query: SELECT id FROM raw.orders')
  assert.equal(queryTitle('SELECT * FROM raw.orders WHERE id = 1'), 'Query: SELECT * FROM raw.orders WHERE id = 1')
  assert.equal(queryTitle(undefined), 'Query')
  assert.equal(queryTitle('   '), 'Query')
})

test("a table's tab is reused in the same lake only, and only for a look at that table", () => {
  const key = queryTabKey('SELECT * FROM raw.orders LIMIT 1000', '/lake')
  assert.equal(queryTabKey('select * from raw.orders limit 50', '/lake'), key, 'another row limit: the same tab')
  assert.notEqual(queryTabKey('SELECT * FROM raw.orders LIMIT 1000', '/other'), key)
  assert.notEqual(queryTabKey('SELECT * FROM raw.orders VERSION AS OF 2', '/lake'), key)
  assert.equal(queryTabKey('SELECT count(*) FROM raw.orders', '/lake'), undefined)
})
