/**
 * Refine's CDC rules case by case, with hand-written Debezium events: ordering within a batch,
 * truncates (current state and history), deletes of unknown keys, schema drift and type
 * conflicts, the 1.x MongoDB oplog patch, ExtractNewRecordState rows, and a flow reading another
 * flow's table (the next layer).
 */
import assert from 'node:assert/strict'
import { appendFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { FlowSpec, SourceSpec } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import { tempLake } from '../helpers/temp-lake'
import { captureLines, type Captured } from '../helpers/cdc-streams'

const { dir, lakeDir, lake, catalog, query } = tempLake('refine-cases')

let offset = 0
/** A relational change event (schemaless envelope) as the broker would hold it. */
function pg(op: string, id: number | null, row: Record<string, unknown> | null, ts: number, before: Record<string, unknown> | null = null): Captured {
  const payload = JSON.stringify({ before, after: row, op, ts_ms: ts, source: { ts_ms: ts, connector: 'postgresql' } })
  return { topic: 'pg', partition: 0, offset: offset++, ts, key: id === null ? null : JSON.stringify({ id }), payload, headers: [] }
}

async function ingest(name: string, messages: Captured[], format: SourceSpec['format'] = 'debezium') {
  const source: SourceSpec = { name, file: `${name}.jsonl`, format, table: `raw.${name}` }
  const file = path.join(dir, source.file!)
  appendFileSync(file, captureLines(messages))
  await ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }, source)
}
const cdc = (name: string, extra: Partial<FlowSpec> = {}): FlowSpec => ({
  name,
  from: `raw.${name}`,
  to: `refined.${name}`,
  mode: 'cdc',
  key: ['id'],
  ...extra,
})

test('within a batch changes are ordered by the source timestamp, not by arrival; deletes of unknown keys are harmless', async () => {
  await ingest('ordering', [
    pg('c', 1, { id: 1, v: 'first' }, 1000),
    pg('u', 1, { id: 1, v: 'third' }, 3000),
    pg('u', 1, { id: 1, v: 'second' }, 2000), // arrives last, happened in between
    pg('d', 99, null, 2500, { id: 99 }),
  ])
  await refineFlow(lake, catalog, cdc('ordering'), { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT id, v FROM refined.ordering'), [{ id: 1, v: 'third' }])
  const bySequence = await refineFlow(
    lake,
    catalog,
    cdc('ordering', { name: 'ordering_by_arrival', to: 'refined.ordering_by_arrival', sequenceBy: '_offset' }),
    { untilCaughtUp: true },
  )
  assert.equal(bySequence.batches, 1)
  assert.deepEqual(await query('SELECT id, v FROM refined.ordering_by_arrival'), [{ id: 1, v: 'second' }], 'sequenceBy decides the order')
})

test('a truncate empties the table; changes after it apply; SCD 2 closes the open versions', async () => {
  await ingest('trunc', [pg('c', 1, { id: 1, v: 'a' }, 1000), pg('c', 2, { id: 2, v: 'b' }, 1001), pg('c', 3, { id: 3, v: 'c' }, 1002)])
  await refineFlow(lake, catalog, cdc('trunc'), { untilCaughtUp: true })
  await refineFlow(lake, catalog, cdc('trunc', { name: 'trunc_history', to: 'refined.trunc_history', scd: 2 }), { untilCaughtUp: true })
  await ingest('trunc', [
    pg('u', 2, { id: 2, v: 'b2' }, 2000),
    pg('t', null, null, 3000),
    pg('c', 4, { id: 4, v: 'd' }, 4000),
    pg('u', 1, { id: 1, v: 'a2' }, 5000),
  ])
  await refineFlow(lake, catalog, cdc('trunc'), { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT id, v FROM refined.trunc ORDER BY id'), [
    { id: 1, v: 'a2' },
    { id: 4, v: 'd' },
  ])
  await refineFlow(lake, catalog, cdc('trunc', { name: 'trunc_history', to: 'refined.trunc_history', scd: 2 }), { untilCaughtUp: true })
  const history = await query(`SELECT id, v, epoch_ms(__start_at) AS s, epoch_ms(__end_at) AS e FROM refined.trunc_history ORDER BY id, s`)
  assert.deepEqual(history, [
    { id: 1, v: 'a', s: 1000, e: 3000 },
    { id: 1, v: 'a2', s: 5000, e: null },
    { id: 2, v: 'b', s: 1001, e: 3000 },
    { id: 3, v: 'c', s: 1002, e: 3000 },
    { id: 4, v: 'd', s: 4000, e: null },
  ])
})

test('schema drift: a new column appears in refined; a type conflict stops the flow naming the column and both types', async () => {
  await ingest('drift', [pg('c', 1, { id: 1, v: 'a' }, 1000)])
  await refineFlow(lake, catalog, cdc('drift'), { untilCaughtUp: true })
  await ingest('drift', [pg('u', 1, { id: 1, v: 'a', email: 'a@x' }, 2000), pg('c', 2, { id: 2, v: 'b' }, 2001)])
  await refineFlow(lake, catalog, cdc('drift'), { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT id, v, email FROM refined.drift ORDER BY id'), [
    { id: 1, v: 'a', email: 'a@x' },
    { id: 2, v: 'b', email: null },
  ])
  const conflicting = cdc('drift', { name: 'drift_cast', to: 'refined.drift_cast' })
  await refineFlow(lake, catalog, conflicting, { untilCaughtUp: true })
  await assert.rejects(
    refineFlow(lake, catalog, { ...conflicting, transforms: [{ op: 'cast', columns: { v: 'boolean' } }] }, { untilCaughtUp: true, fullRefresh: false }).then(
      async () => {
        await ingest('drift', [pg('u', 2, { id: 2, v: 'true' }, 3000)])
        return refineFlow(lake, catalog, { ...conflicting, transforms: [{ op: 'cast', columns: { v: 'boolean' } }] }, { untilCaughtUp: true })
      },
    ),
    /column 'v' has type string in the table but boolean in the data/,
  )
})

test('MongoDB 1.x oplog patches ($set / $unset) and ExtractNewRecordState rows', async () => {
  const key = JSON.stringify({ id: JSON.stringify({ $oid: '0000000000000000000000aa' }) })
  const mongo = (op: string, after: unknown, patch: unknown, ts: number): Captured => ({
    topic: 'm',
    partition: 0,
    offset: offset++,
    ts,
    key,
    headers: [],
    payload: JSON.stringify({
      after: after === null ? null : JSON.stringify(after),
      patch: patch === null ? null : JSON.stringify(patch),
      op,
      ts_ms: ts,
      source: { ts_ms: ts },
    }),
  })
  await ingest(
    'legacy',
    [
      mongo('c', { _id: { $oid: '0000000000000000000000aa' }, name: 'Ada', address: { city: 'Lyon' }, vip: true }, null, 1000),
      mongo('u', null, { $v: 1, $set: { 'address.city': 'Nice' }, $unset: { vip: true } }, 2000),
    ],
    'debezium-mongodb',
  )
  await refineFlow(lake, catalog, cdc('legacy', { key: ['_id'], transforms: [{ op: 'flatten' }] }), { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT _id, name, address_city, vip FROM refined.legacy'), [
    { _id: '0000000000000000000000aa', name: 'Ada', address_city: 'Nice', vip: null },
  ])

  const flat = (id: number, row: Record<string, unknown>, ts: number): Captured => ({
    topic: 'f',
    partition: 0,
    offset: offset++,
    ts,
    key: JSON.stringify({ id }),
    payload: JSON.stringify(row),
    headers: [],
  })
  await ingest('unwrapped', [
    flat(1, { id: 1, v: 'a', __op: 'c' }, 1000),
    flat(2, { id: 2, v: 'b', __op: 'c' }, 1001),
    flat(1, { id: 1, v: 'a2', __op: 'u' }, 1002),
    flat(2, { id: 2, v: 'b', __op: 'd', __deleted: 'true' }, 1003),
  ])
  await refineFlow(lake, catalog, cdc('unwrapped'), { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT id, v FROM refined.unwrapped'), [{ id: 1, v: 'a2' }])
})

test("the next layer: a cdc flow reads a refined table's change feed (inserts, post-images, deletes)", async () => {
  await ingest('layer', [pg('c', 1, { id: 1, v: 'a' }, 1000), pg('c', 2, { id: 2, v: 'b' }, 1001)])
  await refineFlow(lake, catalog, cdc('layer'), { untilCaughtUp: true })
  const gold: FlowSpec = {
    name: 'gold',
    from: 'refined.layer',
    to: 'gold.layer',
    mode: 'cdc',
    key: ['id'],
    transforms: [{ op: 'sql', query: 'SELECT id, upper(v) AS v FROM batch' }],
  }
  await refineFlow(lake, catalog, gold, { untilCaughtUp: true })
  await ingest('layer', [pg('u', 1, { id: 1, v: 'z' }, 2000), pg('d', 2, null, 2001, { id: 2 })])
  await refineFlow(lake, catalog, cdc('layer'), { untilCaughtUp: true })
  await refineFlow(lake, catalog, gold, { untilCaughtUp: true })
  assert.deepEqual(await query('SELECT id, v FROM gold.layer'), [{ id: 1, v: 'Z' }])
})
