/**
 * Materialized views under random changes, against DuckDB. Two tables with the change data feed
 * on (customers, orders) get seeded random sequences of inserts, updates (names, regions, amounts,
 * an order moving to another customer) and deletes through Spark SQL; after each step every view
 * is refreshed and checked: its rows equal its query run from scratch, its change feed is the
 * difference of its states, and the way it refreshed is the one its shape allows. Every few steps
 * a copy refreshed whole must hold the same rows. The views: join + group-by aggregates (sum,
 * count, min, max, avg), a window function, a join projection, a filter over one table (all
 * incremental), and a group-by on a column only one side has, an outer join, DISTINCT across
 * tables (recomputed whole). Some orders have no customer (a null partition of the window view).
 *
 * Then exactly once under SIGKILL: a refresh in a child process is killed at random moments; the
 * next refresh finishes it, and the view's feed over the whole run still adds up to its states.
 * Seed: LAKEHOUSE_VIEW_SEED (default 19), sequences LAKEHOUSE_VIEW_SEQUENCES (2) of
 * LAKEHOUSE_VIEW_STEPS (10) steps.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parseDefinitions, refreshView, runScript, type MaterializedView } from '../../src/query'
import { random } from '../helpers/cdc-streams'
import { tempLake } from '../helpers/temp-lake'
import { viewChecks } from '../helpers/view-checks'

const here = path.dirname(fileURLToPath(import.meta.url))
const { lakeDir, lake, catalog } = tempLake('materialized-views')
const { query, sameRows, version, equalsQuery, feedMatchesStates } = viewChecks(lake, catalog)

const seed = Number(process.env.LAKEHOUSE_VIEW_SEED ?? 19)
const sequences = Number(process.env.LAKEHOUSE_VIEW_SEQUENCES ?? 2)
const steps = Number(process.env.LAKEHOUSE_VIEW_STEPS ?? 10)

const views = (zone: string) => `
CREATE MATERIALIZED VIEW ${zone}.per_customer AS
SELECT c.id, c.name, count(*) AS n, sum(o.amount) AS total, min(o.amount) AS smallest, max(o.amount) AS largest, avg(o.amount) AS mean
FROM ${zone}.customers c JOIN ${zone}.orders o ON c.id = o.cid
GROUP BY c.id, c.name HAVING count(*) > 0;

CREATE MATERIALIZED VIEW ${zone}.ranked AS
SELECT o.oid, o.cid, o.amount, rank() OVER (PARTITION BY o.cid ORDER BY o.amount DESC) AS r,
  sum(o.amount) OVER (PARTITION BY o.cid) AS customer_total
FROM ${zone}.orders o;

CREATE MATERIALIZED VIEW ${zone}.open_orders AS
SELECT o.oid, o.cid, o.amount, c.name, c.region FROM ${zone}.orders o, ${zone}.customers c
WHERE o.cid = c.id AND o.status = 'open';

CREATE MATERIALIZED VIEW ${zone}.large AS SELECT oid, amount * 2 AS doubled FROM ${zone}.orders WHERE amount > 50;

CREATE MATERIALIZED VIEW ${zone}.per_region AS
SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM ${zone}.customers c JOIN ${zone}.orders o ON c.id = o.cid GROUP BY c.region;

CREATE MATERIALIZED VIEW ${zone}.without_orders AS
SELECT c.id, c.name FROM ${zone}.customers c LEFT JOIN ${zone}.orders o ON o.cid = c.id WHERE o.oid IS NULL;

CREATE MATERIALIZED VIEW ${zone}.statuses AS
SELECT DISTINCT c.region, o.status FROM ${zone}.customers c JOIN ${zone}.orders o ON c.id = o.cid;
`
const INCREMENTAL = ['per_customer', 'ranked', 'open_orders', 'large']

for (let sequence = 0; sequence < sequences; sequence++) {
  test(`random changes (seed ${seed + sequence}): every view equals its query, its feed the difference of its states`, async () => {
    const zone = `s${sequence}`
    const next = random(seed + sequence)
    const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]
    await runScript(
      lake,
      catalog,
      `
      CREATE TABLE ${zone}.customers (id BIGINT, name STRING, region STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true);
      CREATE TABLE ${zone}.orders (oid BIGINT, cid BIGINT, amount DECIMAL(12,2), status STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true)`,
    )
    const definitions = parseDefinitions(`/${zone}.sql`, views(zone)) as MaterializedView[]
    const copies = definitions.map((v) => ({ ...v, name: `${v.name}_full` }))
    let customerId = 0
    let orderId = 0
    const log: string[] = []
    const versions = new Map<string, number>()
    const operations: (() => string)[] = [
      () =>
        `INSERT INTO ${zone}.customers VALUES ${Array.from({ length: 1 + Math.floor(next() * 3) }, () => `(${++customerId}, 'c${customerId}', '${pick(['EU', 'US', 'APAC'])}')`).join(', ')}`,
      () =>
        `INSERT INTO ${zone}.orders VALUES ${Array.from({ length: 1 + Math.floor(next() * 4) }, () => `(${++orderId}, ${next() < 0.1 ? 'NULL' : 1 + Math.floor(next() * (customerId + 1))}, ${Math.round(next() * 10000) / 100}, '${pick(['open', 'shipped'])}')`).join(', ')}`,
      () => `UPDATE ${zone}.customers SET name = name || '+' WHERE id % 3 = ${Math.floor(next() * 3)}`,
      () => `UPDATE ${zone}.customers SET region = '${pick(['EU', 'US', 'APAC'])}' WHERE id = ${1 + Math.floor(next() * customerId)}`,
      () => `UPDATE ${zone}.orders SET amount = amount + 7 WHERE oid % 4 = ${Math.floor(next() * 4)}`,
      () => `UPDATE ${zone}.orders SET cid = ${1 + Math.floor(next() * customerId)}, status = 'shipped' WHERE oid = ${1 + Math.floor(next() * orderId)}`,
      () => `DELETE FROM ${zone}.orders WHERE oid = ${1 + Math.floor(next() * orderId)}`,
      () => `DELETE FROM ${zone}.customers WHERE id = ${1 + Math.floor(next() * customerId)}`,
    ]
    await runScript(lake, catalog, `${operations[0]()}; ${operations[0]()}; ${operations[1]()}; ${operations[1]()}`)
    try {
      for (let step = 0; step < steps; step++) {
        const batch = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(operations)())
        log.push(...batch)
        if (step > 0) await runScript(lake, catalog, batch.join(';\n'))
        for (const view of definitions) {
          const report = await refreshView(lake, catalog, view)
          const short = view.name.split('.')[1]
          const expected =
            step === 0 ? 'full' : report.sources.every((s) => s.from === s.to) ? 'unchanged' : INCREMENTAL.includes(short) ? 'incremental' : 'full'
          assert.equal(report.mode, expected, `step ${step}: ${view.name} (${report.reason})`)
          await equalsQuery(view, view.name, `step ${step}: `)
          const now = await version(view.name)
          await feedMatchesStates(view.name, versions.get(view.name) ?? -1, now, `step ${step}: `)
          versions.set(view.name, now)
        }
        if (step % 3 === 2 || step === steps - 1) {
          for (const [i, copy] of copies.entries()) {
            await refreshView(lake, catalog, copy, { full: true })
            assert.deepEqual(
              await sameRows(`SELECT * FROM ${copy.name}`, `SELECT * FROM ${definitions[i].name}`),
              { missing: [], extra: [] },
              `step ${step}: incremental and full refresh give the same table`,
            )
          }
        }
      }
    } catch (error) {
      console.log(`# operations of seed ${seed + sequence}:\n# ${log.join(';\n# ')}`)
      throw error
    }
  })
}

function refreshInChild(definition: string, ready: (kill: () => void) => void): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'view-refresh-child.ts'), JSON.stringify({ lakeDir, definition })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"ready"')) ready(() => child.kill('SIGKILL'))
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed')
      else if (code === 0) resolve('done')
      else reject(new Error(`refresh child exited ${code}: ${stderr}`))
    })
  })
}

test('a refresh killed with SIGKILL at random moments loses and duplicates nothing', async () => {
  const zone = 'crash'
  await runScript(
    lake,
    catalog,
    `
    CREATE TABLE ${zone}.customers (id BIGINT, name STRING, region STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true);
    CREATE TABLE ${zone}.orders (oid BIGINT, cid BIGINT, amount DECIMAL(12,2), status STRING) TBLPROPERTIES (delta.enableChangeDataFeed = true);
    INSERT INTO ${zone}.customers SELECT range AS id, 'c' || range, 'EU' FROM range(1, 2001);
    INSERT INTO ${zone}.orders SELECT range AS oid, 1 + range % 2000, range % 97, 'open' FROM range(1, 20001)`,
  )
  const text = views(zone).split(';')[0]
  const [view] = parseDefinitions('/crash.sql', text) as MaterializedView[]
  await refreshView(lake, catalog, view)
  const start = await version(view.name)
  const next = random(seed + 100)
  let kills = 0
  for (let round = 0; round < 6; round++) {
    await runScript(
      lake,
      catalog,
      `UPDATE ${zone}.orders SET amount = amount + 1 WHERE oid % 50 = ${round}; DELETE FROM ${zone}.customers WHERE id = ${round * 7 + 1}; INSERT INTO ${zone}.orders VALUES (${30000 + round}, ${round + 2}, 5, 'open')`,
    )
    const delay = Math.floor(next() * 400)
    const outcome = await refreshInChild(text, (kill) => setTimeout(kill, delay))
    if (outcome === 'killed') kills++
    const report = await refreshView(lake, catalog, view)
    assert.ok(report.mode === 'incremental' || report.mode === 'unchanged', `round ${round}: ${report.mode} (${report.reason})`)
    await equalsQuery(view, view.name, `round ${round}: `)
    const [{ total }] = await query(`SELECT count(*) AS total FROM ${view.name}`)
    assert.ok(Number(total) > 0)
  }
  assert.ok(kills > 0, 'at least one refresh was killed')
  // Over the whole run, the view's feed adds up to its states: nothing applied twice or lost.
  await feedMatchesStates(view.name, start, await version(view.name))
  for (let v = start + 1; v <= (await version(view.name)); v++) await feedMatchesStates(view.name, v - 1, v, `version ${v}: `)
})
