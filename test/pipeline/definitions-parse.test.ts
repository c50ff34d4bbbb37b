/**
 * SQL definitions as Spark Declarative Pipelines and Lakeflow document them, parsed from files:
 * every form the pipeline accepts, what it maps onto (append and cdc flows, views in refresh
 * order), and each refused definition refused with file:line:column and a reason: syntax errors,
 * unknown tables, cycles between views, streams over views or over tables a cdc flow updates,
 * a table defined twice, a flow into a table that is not a streaming table.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import type { Pipeline } from '../../src/pipeline'
import { DefinitionError, loadDefinitions, parseDefinitions } from '../../src/query'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-definitions-'))
after(() => rmSync(dir, { recursive: true, force: true }))

function pipelineWith(files: Record<string, string>, globs = ['transformations/**/*.sql']): Pipeline & { definitions: string[] } {
  const root = mkdtempSync(path.join(dir, 'p-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), text)
  }
  return {
    file: path.join(root, 'lakehouse.json'),
    lake: 'lake',
    lakeDir: path.join(root, 'lake'),
    definitions: globs,
    sources: [
      { name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' },
      { name: 'customers', file: 'customers.jsonl', format: 'json', table: 'raw.customers' },
      { name: 'cdc', file: 'cdc.jsonl', format: 'debezium', table: 'raw.users_cdc' },
    ],
    flows: [{ name: 'users', from: 'raw.users_cdc', to: 'refined.users', mode: 'cdc', key: ['id'] }],
  }
}

// Written after the documented examples (Spark 4.1's programming guide, Lakeflow's SQL reference).
const TABLES = `-- Bronze to silver
CREATE OR REFRESH STREAMING TABLE silver.orders (
  CONSTRAINT valid_amount EXPECT (amount > 0) ON VIOLATION DROP ROW,
  CONSTRAINT has_customer EXPECT (customer_id IS NOT NULL) ON VIOLATION FAIL UPDATE
)
COMMENT 'orders as placed'
TBLPROPERTIES ('quality' = 'silver')
AS SELECT \`order_id\`, customer_id, amount * 1.0 AS amount FROM STREAM(raw.orders) WHERE status != 'test';

CREATE STREAMING TABLE silver.customers;

CREATE FLOW customers_flow
AS AUTO CDC INTO silver.customers
FROM STREAM(raw.customers)
KEYS (customer_id)
APPLY AS DELETE WHEN operation = "DELETE"
APPLY AS TRUNCATE WHEN operation = 'TRUNCATE'
SEQUENCE BY sequenceNum
COLUMNS * EXCEPT (operation, sequenceNum)
STORED AS SCD TYPE 2;

CREATE STREAMING TABLE silver.all_orders;
CREATE FLOW backfill AS INSERT INTO silver.all_orders BY NAME SELECT * FROM STREAM raw.orders o WHERE o.amount > 0;
`
const VIEWS = `CREATE MATERIALIZED VIEW gold.revenue AS
SELECT c.customer_id, sum(o.amount) AS revenue
FROM silver.orders o JOIN silver.customers c ON o.customer_id = c.customer_id
GROUP BY c.customer_id;

/* a view over a view: refreshed after it */
CREATE OR REFRESH PRIVATE MATERIALIZED VIEW gold.top AS SELECT * FROM gold.revenue WHERE revenue > 100;
APPLY CHANGES INTO silver.users2 FROM STREAM(refined.users) KEYS (id) SEQUENCE BY _commit_version STORED AS SCD TYPE 1;
CREATE STREAMING TABLE silver.users2;
`

test('the documented forms parse and map onto flows and views', () => {
  const loaded = loadDefinitions(
    pipelineWith({ 'transformations/tables.sql': TABLES, 'transformations/gold/views.sql': VIEWS, 'other/ignored.sql': 'not sql at all' }),
  )
  assert.deepEqual(
    loaded.files.map((f) => path.basename(f)),
    ['views.sql', 'tables.sql'],
  )
  const kinds = loaded.definitions.map((d) => `${d.kind} ${'name' in d ? d.name : ''}`)
  assert.ok(kinds.includes('materializedView gold.revenue') && kinds.includes('autoCdcFlow customers_flow') && kinds.includes('appendFlow backfill'))
  const orders = loaded.flows.find((f) => f.name === 'silver.orders')!
  assert.equal(orders.mode, 'append')
  assert.equal(orders.from, 'raw.orders')
  assert.deepEqual(
    orders.transforms?.slice(0, 2),
    [
      { op: 'sql', query: `SELECT "order_id", customer_id, amount * 1.0 AS amount FROM batch AS "orders" WHERE status != 'test'` },
      { op: 'filter', where: 'coalesce((amount > 0), false)' },
    ],
    'the query, then DROP ROW as a filter',
  )
  assert.match(JSON.stringify(orders.transforms?.[2]), /error\(.*has_customer/, 'then FAIL UPDATE as a step that raises')
  const backfill = loaded.flows.find((f) => f.name === 'backfill')!
  assert.deepEqual(backfill.transforms, [{ op: 'sql', query: 'SELECT * FROM batch o WHERE o.amount > 0' }])
  assert.equal(backfill.to, 'silver.all_orders')
  const cdc = loaded.flows.find((f) => f.name === 'customers_flow')!
  assert.deepEqual(
    { mode: cdc.mode, key: cdc.key, scd: cdc.scd, sequenceBy: cdc.sequenceBy, deleteWhen: cdc.deleteWhen, truncateWhen: cdc.truncateWhen },
    {
      mode: 'cdc',
      key: ['customer_id'],
      scd: 2,
      sequenceBy: 'sequenceNum',
      deleteWhen: 'operation = "DELETE"',
      truncateWhen: "operation = 'TRUNCATE'",
    },
  )
  assert.deepEqual(cdc.transforms, [{ op: 'sql', query: 'SELECT * EXCLUDE ("operation", "sequenceNum") FROM batch' }])
  const applyChanges = loaded.flows.find((f) => f.to === 'silver.users2')!
  assert.equal(applyChanges.from, 'refined.users', "APPLY CHANGES INTO reads another flow's table")
  assert.deepEqual(loaded.refreshOrder, ['gold.revenue', 'gold.top'])
  const silverOrders = loaded.streamingTables.find((t) => t.name === 'silver.orders')!
  assert.deepEqual(
    silverOrders.expectations.map((e) => [e.name, e.condition.sql, e.onViolation]),
    [
      ['valid_amount', 'amount > 0', 'drop'],
      ['has_customer', 'customer_id IS NOT NULL', 'fail'],
    ],
  )
})

/** The error a definition text gets, as `file:line:column: message` with the file's base name. */
function problem(files: Record<string, string>): string {
  try {
    loadDefinitions(pipelineWith(files))
  } catch (error) {
    assert.ok(error instanceof DefinitionError, String(error))
    return `${path.basename(error.file)}:${error.line}:${error.column}: ${error.problem}`
  }
  assert.fail('no error')
}

test('refused definitions name the file, line and column', () => {
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE MATERIALIZED VIEW gold.x AS\nSELECT * FROM raw.orderz' }),
    /^a\.sql:2:15: unknown table raw\.orderz: the pipeline does not make it/,
  )
  assert.match(
    problem({
      'transformations/a.sql': 'CREATE MATERIALIZED VIEW gold.a AS SELECT * FROM gold.b;\n\nCREATE MATERIALIZED VIEW gold.b AS\n  SELECT * FROM gold.a',
    }),
    /^a\.sql:1:1: the definitions form a cycle: gold\.a → gold\.b → gold\.a/,
  )
  assert.match(
    problem({
      'transformations/a.sql': 'CREATE MATERIALIZED VIEW gold.v AS SELECT * FROM raw.orders;\nCREATE STREAMING TABLE gold.s AS SELECT * FROM STREAM(gold.v)',
    }),
    /^a\.sql:2:55: STREAM\(gold\.v\) is not a streaming source: it is a MATERIALIZED VIEW/,
  )
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE STREAMING TABLE gold.s AS\nSELECT * FROM STREAM(refined.users)' }),
    /^a\.sql:2:22: STREAM\(refined\.users\) is not a streaming source: the cdc flow 'users' updates and deletes its rows/,
  )
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE MATERIALIZED VIEW raw.orders AS SELECT 1 AS x FROM raw.customers' }),
    /^a\.sql:1:1: raw\.orders is already defined \(the raw table of source 'orders'\)/,
  )
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE FLOW f AS INSERT INTO gold.t BY NAME SELECT * FROM STREAM(raw.orders)' }),
    /^a\.sql:1:1: flow 'f' writes gold\.t, which is not a STREAMING TABLE/,
  )
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE STREAMING TABLE gold.t;\nCREATE FLOW f AS INSERT INTO gold.t SELECT * FROM STREAM(raw.orders)' }),
    /^a\.sql:2:37: a flow inserts BY NAME/,
  )
  assert.match(
    problem({ 'transformations/a.sql': "CREATE MATERIALIZED VIEW gold.t AS SELECT 'unclosed FROM raw.orders" }),
    /^a\.sql:1:43: a string is never closed/,
  )
  assert.match(
    problem({
      'transformations/a.sql':
        'CREATE STREAMING TABLE gold.t;\nCREATE FLOW f AS AUTO CDC INTO gold.t FROM STREAM(raw.customers) KEYS (id) STORED AS SCD TYPE 2',
    }),
    /^a\.sql:2:.*: AUTO CDC needs SEQUENCE BY/,
  )
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE MATERIALIZED VIEW gold.t (CONSTRAINT c CHECK (x > 0)) AS SELECT 1 AS x FROM raw.orders' }),
    /^a\.sql:1:47: constraint 'c': only EXPECT constraints are supported/,
  )
  assert.match(problem({ 'transformations/a.sql': 'CREATE TEMPORARY VIEW v AS SELECT 1' }), /temporary views are not supported/)
  assert.match(
    problem({ 'transformations/a.sql': 'CREATE STREAMING TABLE gold.t AS SELECT * FROM raw.orders' }),
    /^a\.sql:1:1: a streaming table or flow reads one source as STREAM\(zone\.table\)/,
  )
})

test('a table the lake already has may be read; parse errors point into the right file', () => {
  const pipeline = pipelineWith({ 'transformations/a.sql': 'CREATE MATERIALIZED VIEW gold.x AS SELECT * FROM legacy.accounts' })
  assert.throws(() => loadDefinitions(pipeline), /unknown table legacy\.accounts/)
  assert.deepEqual(loadDefinitions(pipeline, { existingTables: ['legacy.accounts'] }).refreshOrder, ['gold.x'])
  const definitions = parseDefinitions(
    '/x/y.sql',
    '-- comment\nCREATE MATERIALIZED VIEW gold.x AS SELECT a.id FROM raw.a a JOIN raw.b b ON a.id = b.id, raw.c WHERE a.x = b.y',
  )
  assert.deepEqual(
    definitions[0].reads.map((r) => r.table),
    ['raw.a', 'raw.b', 'raw.c'],
    'a column a.x is never taken for a table',
  )
})
