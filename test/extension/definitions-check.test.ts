/**
 * What the editor reads from a pipeline's SQL definitions: the problems of each .sql file at its
 * line and column (syntax errors per file, then a missing table and a cycle across files, as
 * `lakehouse run` finds them), gone once fixed; and the flows and views they add as jobs.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { checkPipelineDefinitions, problemSpan } from '../../src/extension/pipelines/definitions-check'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { TABLES_SQL, VIEWS_SQL, writeShopPipeline } from '../helpers/shop-definitions'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-definitions-check-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const shop = writeShopPipeline(dir)
const check = () => checkPipelineDefinitions(loadPipeline(shop.pipelineFile), [])

test('good definitions: no problems; their flows and views are jobs', () => {
  const result = check()
  assert.deepEqual(result.problems, [])
  assert.deepEqual(result.files, [shop.tablesSql, shop.viewsSql])
  assert.deepEqual(result.jobs, ['flow:customers_cdc', 'flow:refined.orders', 'view:business.customer_revenue', 'view:business.revenue_by_country'])
})

test('a syntax error in each of two files: both reported at their line and column; fixed, they are gone', () => {
  writeFileSync(shop.tablesSql, TABLES_SQL.replace('KEYS (customer_id)', 'KEYS customer_id'))
  writeFileSync(shop.viewsSql, VIEWS_SQL.replace('CREATE MATERIALIZED VIEW business.revenue_by_country', 'CREATE MATERIALIZED business.revenue_by_country'))
  const result = check()
  assert.equal(result.problems.length, 2)
  const [tables, views] = result.problems
  assert.equal(tables.file, shop.tablesSql)
  assert.deepEqual([tables.line, tables.column], [5, 6])
  assert.match(tables.message, /\(/)
  assert.equal(views.file, shop.viewsSql)
  assert.deepEqual([views.line, views.column], [10, 8])
  assert.match(views.message, /expected MATERIALIZED VIEW/)
  // A file that does not parse adds no jobs.
  assert.deepEqual(result.jobs, [])
  writeFileSync(shop.tablesSql, TABLES_SQL)
  writeFileSync(shop.viewsSql, VIEWS_SQL)
  assert.deepEqual(check().problems, [])
})

test('a missing table and a cycle are found across files, at the name that is wrong', () => {
  writeFileSync(shop.viewsSql, VIEWS_SQL.replace('JOIN refined.orders o', 'JOIN refined.order o'))
  const [missing] = check().problems
  assert.equal(missing.file, shop.viewsSql)
  assert.deepEqual([missing.line, missing.column], [7, 6])
  assert.match(missing.message, /unknown table refined\.order\b/)
  const text = VIEWS_SQL.replace('JOIN refined.orders o', 'JOIN refined.order o')
  const span = problemSpan(text, missing.line, missing.column)
  assert.equal(text.slice(span.start, span.end), 'refined.order')

  writeFileSync(
    shop.viewsSql,
    VIEWS_SQL.replace(
      'JOIN refined.orders o ON o.customer_id = c.customer_id',
      'JOIN business.revenue_by_country r ON r.country = c.country JOIN refined.orders o ON o.customer_id = c.customer_id',
    ),
  )
  const [cycle] = check().problems
  assert.match(cycle.message, /cycle: business\.\w+ → business\.\w+ → business\.\w+/)
  assert.equal(cycle.file, shop.viewsSql)
  writeFileSync(shop.viewsSql, VIEWS_SQL)
  assert.deepEqual(check().problems, [])
})

test('a table the lake has already is not missing', () => {
  writeFileSync(shop.viewsSql, `${VIEWS_SQL}\nCREATE MATERIALIZED VIEW business.x AS SELECT * FROM archive.orders;\n`)
  assert.match(check().problems[0].message, /unknown table archive\.orders/)
  assert.deepEqual(checkPipelineDefinitions(loadPipeline(shop.pipelineFile), ['archive.orders']).problems, [])
  writeFileSync(shop.viewsSql, VIEWS_SQL)
})

test('the span of a problem: the name at its place, else one character, clamped to the text', () => {
  const text = 'SELECT *\nFROM raw.orders o\n'
  const at = problemSpan(text, 2, 6)
  assert.equal(text.slice(at.start, at.end), 'raw.orders')
  const comma = problemSpan('a ,b', 1, 3)
  assert.deepEqual(comma, { start: 2, end: 3 })
  assert.deepEqual(problemSpan('ab', 9, 9), { start: 2, end: 2 })
})
