/**
 * A small orders table with a history worth looking at, written by the engine's own writers with
 * the change data feed on: appends, an UPDATE, a DELETE and a MERGE, with untrusted text in a
 * commit's parameters and in a row.
 */
import * as path from 'node:path'
import type { LakeEngine } from '../../src/engine'
import { appendQuery, deleteRows, merge, update } from '../../src/table'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

export const ORDERS = 'raw.orders'

/**
 * v0 create + 5 rows (ids 0–4) · v1 append ids 5–9 (parameters carry markup) · v2 UPDATE id 2
 * (status, amount) · v3 DELETE id 7 · v4 MERGE: id 3's customer becomes markup, id 10 inserted.
 */
export async function writeOrders(lake: LakeEngine, lakeDir: string): Promise<string> {
  const table = path.join(lakeDir, 'raw', 'orders')
  const rows = (from: number, to: number) =>
    `SELECT i::BIGINT AS id, 'customer ' || i AS customer, (i * 10.5)::DECIMAL(10,2) AS amount, 'new' AS status FROM range(${from}, ${to}) t(i)`
  await appendQuery(lake, table, rows(0, 5), { create: { properties: { 'delta.enableChangeDataFeed': 'true' } } })
  await appendQuery(lake, table, rows(5, 10), { operationParameters: { note: XSS_IMG } })
  await update(lake, table, 'id = 2', { status: `'shipped'`, amount: 'amount + 1' })
  await deleteRows(lake, table, 'id = 7')
  await merge(lake, table, `SELECT * FROM (VALUES (3::BIGINT, '${XSS_SCRIPT}'), (10::BIGINT, 'customer 10')) s(id, customer)`, {
    on: 't.id = s.id',
    whenMatchedUpdate: { set: { customer: 's.customer' } },
    whenNotMatchedInsert: { values: { id: 's.id', customer: 's.customer', amount: '0', status: `'new'` } },
  })
  return table
}
