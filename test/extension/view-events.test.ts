/**
 * The Pipelines view follows views: the events a real `run` of a pipeline with SQL definitions
 * emits, as the JSON lines `--events` writes, go through the extension's parser into the board.
 * Each view job (`view:<zone.table>`) ends up idle with its last refresh (which way, why, rows,
 * expectation counts); a view whose query fails is failed with the error.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { PipelineBoard } from '../../src/extension/pipelines/board'
import { parseEventLine } from '../../src/extension/pipelines/events'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { runWithDefinitions } from '../../src/query'
import { SHOP_FILE_JOBS, VIEWS_SQL, writeShopPipeline } from '../helpers/shop-definitions'
import { tempLake } from '../helpers/temp-lake'

const { dir, lake, catalog } = tempLake('view-events')
const shop = writeShopPipeline(dir)

async function runThroughParser(board: PipelineBoard): Promise<string[]> {
  const problems: string[] = []
  const pipeline = loadPipeline(shop.pipelineFile)
  await runWithDefinitions(lake, catalog, pipeline, {
    ...SHOP_FILE_JOBS,
    untilCaughtUp: true,
    onEvent: (event) => {
      const parsed = parseEventLine(JSON.stringify(event))
      if ('event' in parsed) board.apply(parsed.event)
      else problems.push(`${parsed.problem}: ${JSON.stringify(event)}`)
    },
  })
  return problems
}

test('every event of a run with views is understood; views end idle with their refresh and expectation counts', async () => {
  const board = new PipelineBoard()
  assert.deepEqual(await runThroughParser(board), [])
  const revenue = board.status('view:business.customer_revenue')
  assert.equal(revenue?.state, 'idle')
  assert.equal(revenue?.lastRefresh?.mode, 'full')
  assert.ok(revenue?.lastRefresh?.reason)
  assert.equal(revenue?.lastCommit?.table, 'business.customer_revenue')
  // Customer 3 has no name (kept, counted); customer 2's refund makes its revenue negative (dropped).
  assert.deepEqual(
    revenue?.lastRefresh?.expectations.map((e) => [e.name, e.passed, e.failed]),
    [
      ['named', 2, 1],
      ['no_refunds', 2, 1],
    ],
  )
  assert.equal(revenue?.lastRefresh?.inserted, 2)
  assert.equal(board.status('view:business.revenue_by_country')?.state, 'idle')
  assert.equal(board.status('flow:customers_cdc')?.state, 'stopped')
})

test('a view whose query fails is failed with the error; the run again with nothing new says unchanged', async () => {
  const board = new PipelineBoard()
  writeFileSync(shop.viewsSql, VIEWS_SQL.replace('sum(revenue) AS revenue FROM', 'sum(no_such_column) AS revenue FROM'))
  await runThroughParser(board)
  const failed = board.status('view:business.revenue_by_country')
  assert.equal(failed?.state, 'failed')
  assert.match(failed?.error ?? '', /no_such_column/)
  assert.equal(board.status('view:business.customer_revenue')?.lastRefresh?.mode, 'unchanged')
  writeFileSync(shop.viewsSql, VIEWS_SQL)
})
