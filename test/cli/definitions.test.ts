/**
 * The CLI over a pipeline with SQL definitions: `lakehouse refine` runs the definition flows and
 * refreshes the views, `lakehouse refresh [--full]` says which way each view went, `lakehouse
 * graph` prints sources → tables → flows → views with their state (text, dot, JSON), a broken
 * definition is one line with file:line:column (no stack trace), and `export-spark` writes the
 * definitions unchanged as a Spark Declarative Pipelines project.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { main } from '../../src/cli/main'
import { tempLake } from '../helpers/temp-lake'

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = path.resolve(here, '../../bin/lakehouse.mjs')
const { dir } = tempLake('cli-definitions')
const pipelineFile = path.join(dir, 'shop.lakehouse.json')
const VIEWS = `CREATE MATERIALIZED VIEW business.order_totals AS
SELECT o.customer_id, count(*) AS orders, sum(o.amount) AS total FROM refined.orders o GROUP BY o.customer_id;
`
const TABLES = 'CREATE STREAMING TABLE refined.orders AS SELECT order_id, customer_id, amount FROM STREAM(raw.orders);\n'

async function cli(...args: string[]): Promise<string> {
  let text = ''
  const code = await main(args, (t) => {
    text += t
  })
  assert.equal(code, 0)
  return text
}

test('refine, refresh, graph and export-spark over SQL definitions', async () => {
  mkdirSync(path.join(dir, 'sql'))
  writeFileSync(path.join(dir, 'sql', 'tables.sql'), TABLES)
  writeFileSync(path.join(dir, 'sql', 'views.sql'), VIEWS)
  writeFileSync(path.join(dir, 'orders.jsonl'), [1, 2, 3].map((i) => JSON.stringify({ order_id: i, customer_id: i % 2, amount: i * 10 })).join('\n') + '\n')
  writeFileSync(
    pipelineFile,
    JSON.stringify({ lake: 'lake', sources: [{ name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' }], definitions: ['sql/*.sql'] }),
  )
  await cli('ingest', '--pipeline', pipelineFile)

  const graphBefore = await cli('graph', '--pipeline', pipelineFile)
  assert.match(graphBefore, /business\.order_totals \[materialized view, not created yet\]/)

  const refined = await cli('refine', '--pipeline', pipelineFile, '--until-caught-up')
  assert.match(refined, /refined\.orders: 1 batches, 3 changes/)
  assert.match(refined, /business\.order_totals: full refresh → version 0: \+2 ~0 -0 rows \(first refresh;/)

  const unchanged = await cli('refresh', '--pipeline', pipelineFile)
  assert.match(unchanged, /business\.order_totals: up to date \(no source has a new version;/)
  const full = await cli('refresh', '--pipeline', pipelineFile, '--full')
  assert.match(full, /business\.order_totals: full refresh, nothing changed: \+0 ~0 -0 rows \(full refresh asked for;/)

  writeFileSync(path.join(dir, 'orders.jsonl'), [1, 2, 3, 4].map((i) => JSON.stringify({ order_id: i, customer_id: i % 2, amount: i * 10 })).join('\n') + '\n')
  await cli('ingest', '--pipeline', pipelineFile)
  const again = await cli('refine', '--pipeline', pipelineFile, '--until-caught-up')
  assert.match(
    again,
    /business\.order_totals: incremental refresh → version 1: \+0 ~1 -0 rows \(groups by customer_id, refreshed by customer_id: 1 value\(s\) changed in refined\.orders v1\.\.1;/,
  )

  const text = await cli('graph', '--pipeline', pipelineFile)
  assert.match(text, /orders\.jsonl \[file\] → raw\.orders \[table, version \d+, 4 rows\]/)
  assert.match(text, /refined\.orders \(append\) \[flow\] → refined\.orders \[streaming table, version 1, 4 rows\]/)
  assert.match(
    text,
    /refined\.orders \[streaming table, version 1, 4 rows\] → business\.order_totals \[materialized view, version 1, 2 rows, last refresh incremental: groups by customer_id/,
  )
  const dot = await cli('graph', '--pipeline', pipelineFile, '--format', 'dot')
  assert.match(dot, /^digraph pipeline \{/)
  assert.match(dot, /"table:refined\.orders" -> "table:business\.order_totals";/)
  const json = JSON.parse(await cli('graph', '--pipeline', pipelineFile, '--format', 'json')) as {
    nodes: { id: string; kind: string; definedIn?: { line?: number } }[]
    edges: unknown[]
  }
  const view = json.nodes.find((n) => n.id === 'table:business.order_totals')!
  assert.equal(view.kind, 'view')
  assert.equal(view.definedIn?.line, 1)

  // The export bundles its Python files as text: it runs from the built CLI.
  const out = path.join(dir, 'spark')
  const exported = spawnSync(process.execPath, [bin, 'export-spark', '--pipeline', pipelineFile, '--out', out], { encoding: 'utf8' })
  assert.equal(exported.status, 0, exported.stderr)
  assert.equal(readFileSync(path.join(out, 'transformations', 'sql', 'views.sql'), 'utf8'), VIEWS, 'the definitions are copied unchanged')
  assert.equal(readFileSync(path.join(out, 'transformations', 'sql', 'tables.sql'), 'utf8'), TABLES)
  assert.match(readFileSync(path.join(out, 'spark-pipeline.yml'), 'utf8'), /^name: shop\nlibraries:\n {2}- glob:\n {6}include: transformations\/\*\*\n$/m)
})

test('a broken definition is one line naming file:line:column, exit code 1', () => {
  writeFileSync(path.join(dir, 'sql', 'broken.sql'), 'CREATE MATERIALIZED VIEW business.x AS\nSELECT * FROM refined.nope')
  const result = spawnSync(process.execPath, [bin, 'refresh', '--pipeline', pipelineFile], { encoding: 'utf8' })
  assert.equal(result.status, 1)
  assert.match(result.stderr, /^lakehouse: .*broken\.sql:2:15: unknown table refined\.nope: the pipeline does not make it and the lake does not have it/)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
})
