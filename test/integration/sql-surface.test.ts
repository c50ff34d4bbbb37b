/**
 * The SQL surface over a real lake on disk: table names, Spark's time travel and change feed
 * syntax, DESCRIBE, file skipping, and errors that point at the problem.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { LakeEngine } from '../../src/engine'
import { appendQuery, merge } from '../../src/table'
import { LakeCatalog, runQuery } from '../../src/query'

const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-sql-'))
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const commitTimes: number[] = []

before(async () => {
  const orders = path.join(lakeDir, 'raw', 'orders')
  // Version 0..3: 4 appends of 100 ids each, partitioned by p (4 values): 16 files.
  for (let k = 0; k < 4; k++) {
    await appendQuery(
      lake,
      orders,
      `SELECT (100 * ${k} + i)::BIGINT AS id, (i % 4)::INTEGER AS p, (i * 1.5)::DOUBLE AS amount, 'c' || (i % 7) AS customer FROM range(100) t(i)`,
      {
        create: { partitionColumns: ['p'], properties: { 'delta.enableChangeDataFeed': 'true' } },
      },
    )
    commitTimes.push((await lake.snapshot(orders)).timestamp)
  }
  // Version 4: one update.
  await merge(lake, orders, `SELECT 5::BIGINT AS id, 999.0::DOUBLE AS amount`, { on: 't.id = s.id', whenMatchedUpdate: { set: { amount: 's.amount' } } })
  await appendQuery(lake, path.join(lakeDir, 'refined', 'customers'), `SELECT 'c' || i AS customer, 'Name ' || i AS name FROM range(7) t(i)`)
})
after(async () => {
  await lake.close()
  rmSync(lakeDir, { recursive: true, force: true })
})

const query = (sql: string) => runQuery(lake, catalog, sql)
const one = async (sql: string) => Object.values((await query(sql)).rows[0])

test('tables by name and joins across zones', async () => {
  assert.deepEqual(await one('SELECT count(*), sum(amount) FROM raw.orders'), [400, 30691.5])
  const joined = await query(`SELECT c.name, count(*) AS n FROM raw.orders o JOIN refined.customers c ON o.customer = c.customer GROUP BY 1 ORDER BY 1`)
  assert.equal(joined.rows.length, 7)
  assert.equal(
    joined.rows.reduce((sum, r) => sum + Number(r.n), 0),
    400,
  )
  assert.deepEqual(
    (await catalog.tables()).map((t) => t.name),
    ['raw.orders', 'refined.customers'],
  )
})

test('VERSION AS OF and TIMESTAMP AS OF', async () => {
  assert.deepEqual(await one('SELECT count(*) FROM raw.orders VERSION AS OF 1'), [200])
  assert.deepEqual(await one('SELECT amount FROM raw.orders VERSION AS OF 3 WHERE id = 5'), [7.5])
  assert.deepEqual(await one('SELECT amount FROM raw.orders WHERE id = 5'), [999])
  const at = new Date(commitTimes[2]).toISOString()
  assert.deepEqual(await one(`SELECT count(*) FROM raw.orders TIMESTAMP AS OF '${at}'`), [300])
  // Two versions of one table in one query.
  assert.deepEqual(await one('SELECT count(*) FROM raw.orders VERSION AS OF 0 a JOIN raw.orders b ON a.id = b.id'), [100])
  assert.deepEqual(await one(`SELECT count(*) FROM delta.\`raw/orders\` VERSION AS OF 2`), [300])
})

test('table_changes by versions and by timestamps', async () => {
  const changes = await query(`SELECT id, amount, _change_type, _commit_version FROM table_changes('raw.orders', 4) ORDER BY _change_type`)
  assert.deepEqual(changes.rows, [
    { id: 5, amount: 999, _change_type: 'update_postimage', _commit_version: 4 },
    { id: 5, amount: 7.5, _change_type: 'update_preimage', _commit_version: 4 },
  ])
  assert.deepEqual(await one(`SELECT count(*) FROM table_changes('raw.orders', 1, 2)`), [200])
  const from = new Date(commitTimes[3]).toISOString()
  assert.deepEqual(await one(`SELECT min(_commit_version) FROM table_changes('raw.orders', '${from}')`), [3])
  const typed = await query(`SELECT * FROM table_changes('raw.orders', 4) LIMIT 1`)
  assert.deepEqual(typed.columns.slice(-3), [
    { name: '_change_type', type: 'VARCHAR' },
    { name: '_commit_version', type: 'BIGINT' },
    { name: '_commit_timestamp', type: 'TIMESTAMP WITH TIME ZONE' },
  ])
})

test('DESCRIBE HISTORY and DESCRIBE DETAIL', async () => {
  const history = await query('DESCRIBE HISTORY raw.orders')
  assert.deepEqual(
    history.rows.map((r) => [r.version, r.operation]),
    [
      [4, 'MERGE'],
      [3, 'WRITE'],
      [2, 'WRITE'],
      [1, 'WRITE'],
      [0, 'WRITE'],
    ],
  )
  assert.equal((await query('DESCRIBE HISTORY raw.orders LIMIT 2')).rows.length, 2)
  const [detail] = (await query('DESCRIBE DETAIL raw.orders')).rows
  assert.equal(detail.format, 'delta')
  assert.equal(detail.version, 4)
  // The MERGE marked id 5 in its file's deletion vector and added a file with its new row.
  assert.equal(detail.numFiles, 17)
  assert.deepEqual(detail.partitionColumns, '["p"]')
  assert.equal(detail.minReaderVersion, 3, 'deletion vectors (on by default) need reader version 3')
})

test('filters on partition columns and on columns with statistics skip files', async () => {
  const byPartition = await query('SELECT count(*) AS n FROM raw.orders WHERE p = 1')
  assert.equal(byPartition.rows[0].n, 100)
  assert.deepEqual(
    byPartition.tables.map((t) => [t.filesRead, t.filesTotal]),
    [[5, 17]],
    "four appended files and the MERGE's new one",
  )
  const byStats = await query('SELECT count(*) AS n FROM raw.orders o WHERE o.id BETWEEN 100 AND 150 AND o.p IN (0, 1)')
  assert.equal(byStats.rows[0].n, 26)
  assert.deepEqual(
    byStats.tables.map((t) => [t.filesRead, t.filesTotal]),
    [[2, 17]],
    'the ids 100..199 files of partitions 0 and 1',
  )
  // OR and unknown shapes skip nothing; results stay right.
  const wide = await query('SELECT count(*) AS n FROM raw.orders WHERE p = 1 OR id = 3')
  assert.equal(wide.rows[0].n, 101)
  assert.equal(wide.tables[0].filesRead, 17)
  // A filter on the outer side of a join still gives the right answer.
  const outer = await query(
    `SELECT count(*) AS n FROM refined.customers c LEFT JOIN raw.orders o ON o.customer = c.customer AND o.p = 2 WHERE c.customer = 'c1'`,
  )
  assert.equal(outer.rows[0].n, (await query(`SELECT count(*) AS n FROM raw.orders WHERE p = 2 AND customer = 'c1'`)).rows[0].n)
})

test('column references that look like tables are left alone', async () => {
  const rows = await query(`SELECT raw.customer FROM raw.orders AS raw WHERE raw.id = 7`)
  assert.deepEqual(rows.rows, [{ customer: 'c0' }])
  assert.deepEqual(await one(`SELECT count(*) FROM raw.orders WHERE customer = 'raw.orders VERSION AS OF 1'`), [0])
})

test('errors point at the problem', async () => {
  await assert.rejects(
    query('SELECT * FROM raw.nope'),
    (e: unknown) => e instanceof DeltaError && /unknown table 'raw.nope'.*tables: raw.orders, refined.customers/.test(e.message),
  )
  await assert.rejects(
    query('SELECT * FROM raw.orders VERSION AS OF 9'),
    (e: unknown) => e instanceof DeltaError && /version 9 does not exist; the latest version is 4/.test(e.message),
  )
  await assert.rejects(query('SELEC 1'), /Parser Error: syntax error at or near "SELEC"/)
  await assert.rejects(
    query(`SELECT * FROM table_changes('raw.orders', 7)`),
    (e: unknown) => e instanceof DeltaError && /start version 7 is after the latest version 4/.test(e.message),
  )
  await assert.rejects(query(`SELECT * FROM "raw"."../../etc"`), (e: unknown) => e instanceof DeltaError && /not a table name/.test(e.message))
  assert.throws(() => catalog.pathOf('raw/../..'), DeltaError)
  assert.throws(() => catalog.pathOf('../x.y'), DeltaError)
})

test('a second engine in the same process gets its own schemas', async () => {
  // Regression: the schemas a query creates were once remembered per process, not per database,
  // so a second engine's first query failed with "Schema with name raw does not exist".
  const second = new LakeEngine()
  try {
    assert.deepEqual(Object.values((await runQuery(second, new LakeCatalog(lakeDir, second.io.storage), 'SELECT count(*) FROM raw.orders')).rows[0]), [400])
  } finally {
    await second.close()
  }
})
