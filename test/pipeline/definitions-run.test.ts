/**
 * A pipeline defined in Spark Declarative Pipelines SQL, run for real: NDJSON captures of
 * customer change events (AUTO CDC, SCD 1, deletes by a condition) and of orders (a STREAMING
 * TABLE), materialized views that join, aggregate, window and read another view, and one that is
 * not incremental (an outer join). After every step (initial load, upserts, deletes, late orders
 * with a row an expectation drops) the pipeline runs until caught up, and each view is checked:
 *   - its rows equal its query run from scratch by DuckDB on the lake (less DROP ROW failures);
 *   - its change feed for the step equals the difference of its states before and after;
 *   - a copy refreshed with --full after every step has the same rows and the same change feed;
 *   - the refresh went the expected way (incremental or full), and said why in its commit.
 * A refresh with no new input writes no commit; a refresh order is respected (a view reading a
 * view sees its new state in the same run).
 */
import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import type { Pipeline } from '../../src/pipeline/pipeline-file'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { pipelineDefinitions, refreshView, runQuery, runWithDefinitions, type MaterializedView, type ViewRefreshReport } from '../../src/query'
import { tempLake } from '../helpers/temp-lake'
import { viewChecks } from '../helpers/view-checks'

const { dir, lake, catalog } = tempLake('definitions-run')
const { query, fromScratch, sameRows, version, feedMatchesStates } = viewChecks(lake, catalog)

const DEFINITIONS = `-- Customers: change events applied by key (Lakeflow's AUTO CDC, SCD type 1).
CREATE OR REFRESH STREAMING TABLE refined.customers
COMMENT 'one row per customer, as of the latest event';

CREATE FLOW customers_cdc AS AUTO CDC INTO refined.customers
FROM STREAM(raw.customer_events)
KEYS (customer_id)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY seq
COLUMNS * EXCEPT (operation, seq)
STORED AS SCD TYPE 1;

-- Orders: appended as they come.
CREATE OR REFRESH STREAMING TABLE refined.orders
AS SELECT order_id, customer_id, amount, status FROM STREAM(raw.orders);
`

const VIEWS = `CREATE OR REFRESH MATERIALIZED VIEW business.customer_revenue (
  CONSTRAINT named EXPECT (name IS NOT NULL),
  CONSTRAINT no_refunds EXPECT (revenue >= 0) ON VIOLATION DROP ROW
)
COMMENT 'revenue per customer'
AS SELECT c.customer_id, c.name, c.country, count(*) AS orders, sum(o.amount) AS revenue, max(o.amount) AS largest
FROM refined.customers c
JOIN refined.orders o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.name, c.country;

CREATE MATERIALIZED VIEW business.revenue_by_country AS
SELECT country, count(*) AS customers, sum(revenue) AS revenue
FROM business.customer_revenue
GROUP BY country;

CREATE MATERIALIZED VIEW business.ranked_orders AS
SELECT o.order_id, o.customer_id, o.amount,
  row_number() OVER (PARTITION BY o.customer_id ORDER BY o.amount DESC, o.order_id) AS rank_in_customer
FROM refined.orders o
WHERE o.status <> 'cancelled';

CREATE MATERIALIZED VIEW business.customers_without_orders AS
SELECT c.customer_id, c.name FROM refined.customers c
LEFT JOIN refined.orders o ON o.customer_id = c.customer_id
WHERE o.order_id IS NULL;
`

let seq = 0
const customer = (id: number, name: string | null, country: string, operation = 'UPSERT') =>
  JSON.stringify({ customer_id: id, name, country, operation, seq: ++seq })
let orderId = 0
const order = (customerId: number, amount: number, status = 'placed') => JSON.stringify({ order_id: ++orderId, customer_id: customerId, amount, status })

const pipelineFile = path.join(dir, 'lakehouse.json')
mkdirSync(path.join(dir, 'sql'))
writeFileSync(path.join(dir, 'sql', 'tables.sql'), DEFINITIONS)
writeFileSync(path.join(dir, 'sql', 'views.sql'), VIEWS)
writeFileSync(path.join(dir, 'customers.jsonl'), '')
writeFileSync(path.join(dir, 'orders.jsonl'), '')
writeFileSync(
  pipelineFile,
  JSON.stringify({
    lake: 'lake',
    sources: [
      { name: 'customers', file: 'customers.jsonl', format: 'json', table: 'raw.customer_events' },
      { name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' },
    ],
    definitions: ['sql/*.sql'],
  }),
)

const expectedMode: Record<string, 'incremental' | 'full'> = {
  'business.customer_revenue': 'incremental',
  'business.revenue_by_country': 'incremental',
  'business.ranked_orders': 'incremental',
  'business.customers_without_orders': 'full',
}

test('definitions run: views joined, aggregated and windowed stay equal to their queries through upserts, deletes and late orders', async () => {
  const pipeline: Pipeline = loadPipeline(pipelineFile)
  const steps: { name: string; customers: string[]; orders: string[] }[] = [
    {
      name: 'initial load',
      customers: [customer(1, 'Ada', 'UK'), customer(2, 'Bob', 'US'), customer(3, 'Chen', 'CN'), customer(4, 'Dee', 'US'), customer(5, null, 'FR')],
      orders: [order(1, 10), order(1, 25), order(2, 7.5), order(3, 100), order(3, 1, 'cancelled'), order(5, 3)],
    },
    {
      name: 'upserts',
      customers: [customer(2, 'Bobby', 'US'), customer(4, 'Dee', 'CA'), customer(6, 'Eve', 'UK'), customer(1, 'Ada L.', 'UK')],
      orders: [order(6, 42)],
    },
    {
      name: 'deletes',
      customers: [customer(3, 'Chen', 'CN', 'DELETE'), customer(6, 'Eve', 'UK', 'DELETE')],
      orders: [],
    },
    {
      name: 'late orders',
      customers: [customer(7, 'Fay', 'DE')],
      orders: [order(2, 12), order(3, 50), order(4, -80), order(7, 5), order(1, 25)],
    },
  ]
  const fullCopies = new Map<string, MaterializedView>()
  const seen = new Map<string, number>()
  const previous = new Map<string, number>()
  for (const step of steps) {
    if (step.customers.length) appendFileSync(path.join(dir, 'customers.jsonl'), `${step.customers.join('\n')}\n`)
    if (step.orders.length) appendFileSync(path.join(dir, 'orders.jsonl'), `${step.orders.join('\n')}\n`)
    const run = await runWithDefinitions(lake, catalog, pipeline, { untilCaughtUp: true })
    assert.deepEqual(run.failed, [], `${step.name}: nothing failed`)
    const loaded = await pipelineDefinitions(catalog, pipeline)
    assert.deepEqual(
      run.views.map((r) => r.view),
      loaded.refreshOrder,
      `${step.name}: every view refreshed, in order`,
    )
    assert.ok(loaded.refreshOrder.indexOf('business.revenue_by_country') > loaded.refreshOrder.indexOf('business.customer_revenue'))

    for (const view of loaded.views) {
      const report = run.views.find((r) => r.view === view.name) as ViewRefreshReport
      const untouched = report.sources.every((s) => s.from === s.to)
      const expected = !seen.has(view.name) ? 'full' : untouched ? 'unchanged' : expectedMode[view.name]
      assert.equal(report.mode, expected, `${step.name}: ${view.name} refreshed ${expected} (${report.reason})`)
      const diff = await sameRows(`SELECT * FROM ${view.name}`, fromScratch(view))
      assert.deepEqual(diff, { missing: [], extra: [] }, `${step.name}: ${view.name} equals its query from scratch`)
      const now = await version(view.name)
      await feedMatchesStates(view.name, seen.get(view.name) ?? -1, now)
      previous.set(view.name, seen.get(view.name) ?? -1)
      seen.set(view.name, now)

      // The same view under another name, always recomputed whole: same rows, same change feed.
      const copy = fullCopies.get(view.name) ?? {
        ...view,
        name: `${view.name}_full`,
        query: { ...view.query, sql: view.query.sql.replaceAll('business.customer_revenue', 'business.customer_revenue_full') },
      }
      fullCopies.set(view.name, copy)
    }
    for (const name of ['business.customer_revenue', 'business.revenue_by_country', 'business.ranked_orders', 'business.customers_without_orders']) {
      const copy = fullCopies.get(name)!
      const before = await lake.snapshot(catalog.pathOf(copy.name)).then(
        (s) => s.version,
        () => -1,
      )
      const report = await refreshView(lake, catalog, copy, { full: true })
      assert.equal(report.mode, 'full')
      const diff = await sameRows(`SELECT * FROM ${copy.name}`, `SELECT * FROM ${name}`)
      assert.deepEqual(diff, { missing: [], extra: [] }, `${step.name}: ${name} refreshed incrementally equals its full recompute`)
      const now = await version(copy.name)
      // Both wrote this step's difference in one commit (or none): the two feeds are the same rows.
      const changesOf = (table: string, from: number, to: number) =>
        to > from
          ? `SELECT * EXCLUDE (_commit_version, _commit_timestamp) FROM table_changes('${table}', ${from + 1}, ${to})`
          : `SELECT * EXCLUDE (_commit_version, _commit_timestamp) FROM table_changes('${table}', 0, 0) WHERE false`
      if (before >= 0) {
        assert.equal(now - before, seen.get(name)! - previous.get(name)!, `${step.name}: ${name} and its full copy committed alike`)
        const feeds = await sameRows(changesOf(copy.name, before, now), changesOf(name, previous.get(name)!, seen.get(name)!))
        assert.deepEqual(feeds, { missing: [], extra: [] }, `${step.name}: ${name}'s change feed equals its full recompute's`)
      }
    }
  }

  // The dropped row was counted; the warned one kept and counted.
  const history = await query('DESCRIBE HISTORY business.customer_revenue LIMIT 1')
  assert.match(JSON.stringify(history), /incremental/)
  const revenue = await query('SELECT * FROM business.customer_revenue WHERE customer_id = 4')
  assert.deepEqual(revenue, [], 'customer 4 (revenue below zero) was dropped by no_refunds')
  const unnamed = await query('SELECT * FROM business.customer_revenue WHERE customer_id = 5')
  assert.equal(unnamed.length, 1, 'customer 5 (no name) fails a warn-only expectation and is kept')

  // No new input: no view writes a commit.
  const versions = await Promise.all(Object.keys(expectedMode).map(version))
  const again = await runWithDefinitions(lake, catalog, pipeline, { untilCaughtUp: true })
  assert.deepEqual(
    again.views.map((r) => r.mode),
    again.views.map(() => 'unchanged'),
  )
  assert.deepEqual(await Promise.all(Object.keys(expectedMode).map(version)), versions, 'a refresh with no new input writes no commit')
  const full = await runWithDefinitions(lake, catalog, pipeline, { untilCaughtUp: true, fullViews: true })
  assert.deepEqual(
    full.views.map((r) => r.mode),
    full.views.map(() => 'full'),
  )
  assert.deepEqual(await Promise.all(Object.keys(expectedMode).map(version)), versions, 'a full refresh that changes nothing writes no commit')
  const rows = await runQuery(lake, catalog, 'SELECT count(*) AS n FROM business.ranked_orders')
  assert.ok(Number(rows.rows[0].n) > 0)
})

test('lakehouse run (not until caught up) refreshes a view again on each new version of a table it reads', async () => {
  const { dir: liveDir, lake: liveLake, catalog: liveCatalog } = tempLake('definitions-live')
  const { runScript } = await import('../../src/query')
  await runScript(
    liveLake,
    liveCatalog,
    `
    CREATE TABLE refined.payments (id BIGINT, account BIGINT, amount DECIMAL(10,2)) TBLPROPERTIES (delta.enableChangeDataFeed = true);
    INSERT INTO refined.payments VALUES (1, 1, 5.00), (2, 2, 7.00)`,
  )
  mkdirSync(path.join(liveDir, 'sql'))
  writeFileSync(
    path.join(liveDir, 'sql', 'balances.sql'),
    'CREATE MATERIALIZED VIEW business.balances AS SELECT account, sum(amount) AS balance FROM refined.payments GROUP BY account',
  )
  const live: Pipeline = {
    file: path.join(liveDir, 'lakehouse.json'),
    lake: 'lake',
    lakeDir: path.join(liveDir, 'lake'),
    sources: [],
    definitions: ['sql/*.sql'],
  }
  const stop = new AbortController()
  const refreshes: string[] = []
  let wrote = false
  const done = runWithDefinitions(liveLake, liveCatalog, live, {
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type !== 'refresh') return
      refreshes.push(event.mode)
      // The first refresh creates the view; then a payment arrives, and its refresh ends the run.
      if (!wrote) {
        wrote = true
        // A failed write ends the run too (the assertions below then fail instead of the test hanging).
        runScript(liveLake, liveCatalog, 'INSERT INTO refined.payments VALUES (3, 1, 10.00)').catch(() => stop.abort())
      } else if (event.mode === 'incremental') stop.abort()
    },
  })
  const report = await done
  assert.deepEqual(report.failed, [])
  assert.equal(refreshes[0], 'full')
  assert.equal(refreshes.at(-1), 'incremental')
  const { query: liveQuery } = viewChecks(liveLake, liveCatalog)
  assert.deepEqual(await liveQuery('SELECT account, balance::VARCHAR AS balance FROM business.balances ORDER BY account'), [
    { account: 1, balance: '15.00' },
    { account: 2, balance: '7.00' },
  ])
})

test("a streaming table's expectations: DROP ROW leaves rows out, FAIL UPDATE stops the flow and writes nothing", async () => {
  const { dir: qDir, lake: qLake, catalog: qCatalog } = tempLake('definitions-expect')
  const { runScript } = await import('../../src/query')
  await runScript(
    qLake,
    qCatalog,
    `
    CREATE TABLE raw.payments (id BIGINT, amount DECIMAL(10,2)) TBLPROPERTIES (delta.enableChangeDataFeed = true);
    INSERT INTO raw.payments VALUES (1, 5.00), (2, -3.00), (NULL, 4.00)`,
  )
  mkdirSync(path.join(qDir, 'sql'))
  writeFileSync(
    path.join(qDir, 'sql', 'checked.sql'),
    `
CREATE STREAMING TABLE refined.clean (CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION DROP ROW)
AS SELECT * FROM STREAM(raw.payments);
CREATE STREAMING TABLE refined.strict (CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION FAIL UPDATE)
AS SELECT * FROM STREAM(raw.payments);`,
  )
  const checked: Pipeline = { file: path.join(qDir, 'lakehouse.json'), lake: 'lake', lakeDir: path.join(qDir, 'lake'), sources: [], definitions: ['sql/*.sql'] }
  const report = await runWithDefinitions(qLake, qCatalog, checked, { untilCaughtUp: true })
  assert.deepEqual(
    report.failed.map((f) => f.job),
    ['flow:refined.strict'],
  )
  assert.match(report.failed[0].error, /refined\.strict: expectation 'has_id' \(id IS NOT NULL\) failed; ON VIOLATION FAIL UPDATE: nothing was written/)
  const { query: q } = viewChecks(qLake, qCatalog)
  assert.deepEqual(await q('SELECT id, amount::VARCHAR AS amount FROM refined.clean ORDER BY id NULLS LAST'), [
    { id: 1, amount: '5.00' },
    { id: null, amount: '4.00' },
  ])
  assert.equal(
    (await qCatalog.tables()).some((t) => t.name === 'refined.strict'),
    false,
    'the failed flow wrote nothing',
  )
})
