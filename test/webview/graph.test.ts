/**
 * The Pipeline Graph panel in headless Chromium over a real pipeline (see harness.ts for what
 * stands in for VS Code's webview API): capture files, a Kafka topic, raw tables, a JSON flow,
 * SQL definitions (AUTO CDC, a streaming table, two materialized views with expectations) run
 * for real, their events read by the extension's parser into the Pipelines view's board. The
 * panel draws the graph `lakehouse graph` builds, with states, rows and expectation counts; it
 * follows a run; nodes open their table or definition by mouse and keyboard; names with markup
 * are text; malformed messages are rejected both ways; a reload brings it back from its state.
 */
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { createGraphHandler, type DefinitionPlace, type GraphHandler } from '../../src/extension/panels/graph-handler'
import { PipelineBoard } from '../../src/extension/pipelines/board'
import { parseEventLine } from '../../src/extension/pipelines/events'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, pipelineDefinitions, pipelineGraph, runWithDefinitions } from '../../src/query'
import { SHOP_FILE_JOBS, writeShopPipeline } from '../helpers/shop-definitions'
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, reportFirstPaint, screenshotPath, until, type OpenPanel } from './harness'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-graph-panel-'))
const customersFile = `${XSS_IMG}.jsonl`
const shop = writeShopPipeline(dir, { customersFile, topic: { name: 'clicks', brokers: ['localhost:9'] } })
const pipeline = loadPipeline(shop.pipelineFile)
const lake = new LakeEngine()
const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
const board = new PipelineBoard()
const log = hostLog()
const opened: { query: string[]; history: string[]; definition: DefinitionPlace[] } = { query: [], history: [], definition: [] }
let browser: Browser
let server: PanelServer
let panel: OpenPanel
let handler: GraphHandler

/** Runs the file sources and every flow until caught up, the events going through the extension's parser. */
async function run(): Promise<void> {
  await runWithDefinitions(lake, catalog, pipeline, {
    ...SHOP_FILE_JOBS,
    untilCaughtUp: true,
    onEvent: (event) => {
      const parsed = parseEventLine(JSON.stringify(event))
      if ('event' in parsed) board.apply(parsed.event)
    },
  })
}

before(async () => {
  board.setJobs(['source:customers', 'source:orders', 'source:clicks', 'flow:big_orders'], Date.now())
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start(), run()])
  panel = await openPanel(
    browser,
    server,
    'graph',
    (post) =>
      (handler = createGraphHandler(
        {
          lake,
          catalog,
          pipelineFile: shop.pipelineFile,
          jobStatus: (job) => board.status(job),
          relativePath: (file) => path.relative(dir, file),
          openQuery: (table) => void opened.query.push(table),
          openHistory: (table) => void opened.history.push(table),
          openDefinition: (place) => void opened.definition.push(place),
          log,
        },
        { restore: { pipelineFile: shop.pipelineFile } },
        post,
      )),
    { viewport: { width: 1500, height: 820 } },
  )
  await reportFirstPaint('graph', panel.page, 'g.node')
})

after(() => closePanelTest({ panel, browser, server, others: [lake], removeDir: dir }))

const node = (id: string) => panel.page.locator(`g.node[data-id="${id}"]`)
const nodeTexts = (id: string) => node(id).locator('text').allTextContents()
const position = async (id: string) => {
  const transform = (await node(id).getAttribute('transform'))!
  const [x, y] = /translate\(([\d.]+) ([\d.]+)\)/.exec(transform)!.slice(1).map(Number)
  return { x, y }
}

test('draws the nodes and edges of the graph `lakehouse graph` builds, left to right by layer', async () => {
  const { page } = panel
  const expected = pipelineGraph(pipeline, await pipelineDefinitions(catalog, pipeline))
  const ids = await page.locator('g.node').evaluateAll((nodes) => nodes.map((n) => (n as SVGGElement).dataset.id))
  assert.deepEqual([...ids].sort(), expected.nodes.map((n) => n.id).sort())
  const edges = await page
    .locator('path.edge')
    .evaluateAll((paths) => paths.map((p) => `${(p as SVGPathElement).dataset.from}>${(p as SVGPathElement).dataset.to}`))
  assert.deepEqual(edges.sort(), expected.edges.map((e) => `${e.from}>${e.to}`).sort())
  // Sources → raw → flows → refined → views: each further right than what feeds it.
  const chain = [
    'source:orders',
    'table:raw.orders',
    'flow:refined.orders',
    'table:refined.orders',
    'table:business.customer_revenue',
    'table:business.revenue_by_country',
  ]
  const xs = await Promise.all(chain.map(async (id) => (await position(id)).x))
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], `${chain[i]} is right of ${chain[i - 1]}`)
  assert.match((await page.locator('h1').textContent())!, /^Pipeline graph: lakehouse\.json$/)
  assert.deepEqual(panel.consoleErrors, [])
})

test('each node shows its state, rows, last refresh and expectation counts', async () => {
  const view = await nodeTexts('table:business.customer_revenue')
  assert.equal(view[0], 'business.customer_revenue')
  assert.match(view[1], /materialized view · up to date/)
  // Customers 1 and 2 have orders; customer 2's refund makes its revenue negative: dropped.
  assert.match(view[2], /^v\d+ · 2 rows$/)
  assert.equal(view[3], '4 passed · 1 dropped · 1 warned')
  assert.equal(await node('table:business.customer_revenue').getAttribute('class'), 'node kind-view state-up-to-date')
  assert.match((await nodeTexts('source:orders'))[1], /capture file · stopped/)
  assert.match((await nodeTexts('table:raw.orders'))[2], /^v0 · 5 rows$/)
  // The topic never ran here: its job and its raw table are not started.
  assert.match((await nodeTexts('source:clicks'))[1], /Kafka topic · not started/)
  assert.match((await nodeTexts('table:raw.clicks'))[1], /not started/)
  assert.equal((await nodeTexts('table:raw.clicks'))[2], 'not created yet')
  // The details of a view: its refresh, when, and the counts per expectation.
  await node('table:business.customer_revenue').click()
  const details = panel.page.locator('aside.details')
  assert.match((await details.locator('dl').textContent())!, /Refreshfull: .+Defined insql\/views\.sql:1:1/)
  assert.deepEqual(await details.locator('table.expectations tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent))), [
    ['namedkeep (count)', '2', '1'],
    ['no_refundsdrop row', '2', '1 dropped'],
  ])
})

test('markup in names and errors is text: the capture file named like an <img> tag, a view failing with a </script>', async () => {
  const { page } = panel
  const label = (await nodeTexts('source:customers'))[0]
  assert.equal(label, `${XSS_IMG.slice(0, 25)}…`)
  assert.equal(await node('source:customers').locator('title').textContent(), `${XSS_IMG}.jsonl`)
  board.apply({ type: 'job', job: 'view:business.revenue_by_country', state: 'failed', error: `Binder Error: ${XSS_SCRIPT}`, at: Date.now() })
  handler.jobsChanged()
  await page.waitForSelector('g.node.state-failed[data-id="table:business.revenue_by_country"]')
  await node('table:business.revenue_by_country').click()
  assert.equal(await page.locator('aside.details pre.node-error').textContent(), `Binder Error: ${XSS_SCRIPT}`)
  assert.match((await page.getByRole('status').textContent())!, /1 failed/)
  assert.equal(await page.locator('img, script:not([nonce])').count(), 0)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})

test('follows a running pipeline: a job that runs shows running, new rows show after the next commit', async () => {
  const { page } = panel
  board.apply({ type: 'job', job: 'flow:big_orders', state: 'running', at: Date.now() })
  handler.jobsChanged()
  await page.waitForSelector('g.node.state-running[data-id="flow:big_orders"]')
  assert.equal(await page.locator('path.edge.active[data-to="flow:big_orders"]').count(), 1)
  appendFileSync(path.join(dir, 'orders.jsonl'), `${JSON.stringify({ order_id: 6, customer_id: 1, amount: 40 })}\n`)
  await run()
  await handler.lakeChanged()
  await page.waitForFunction(() => /6 rows/.test(document.querySelector('g.node[data-id="table:raw.orders"] text.stats')?.textContent ?? ''))
  assert.match((await nodeTexts('table:business.customer_revenue'))[1], /up to date/)
  assert.match((await nodeTexts('flow:big_orders'))[1], /stopped/)
  // The README's picture: the view with its expectations selected, the whole graph in view.
  await node('table:business.customer_revenue').click()
  await page
    .locator('g.node')
    .first()
    .evaluate((n) => n.closest('.canvas')!.scrollTo(0, 0))
  await page.screenshot({ path: screenshotPath('pipeline-graph') })
})

test('keyboard: arrows walk the graph, Enter opens a table in Query or a flow at its definition; the buttons open History', async () => {
  const { page } = panel
  await node('source:orders').click()
  await page.keyboard.press('ArrowRight')
  assert.equal(await page.evaluate(() => (document.activeElement as SVGGElement | null)?.dataset.id), 'table:raw.orders')
  await page.keyboard.press('Enter')
  await until(() => opened.query.length === 1)
  assert.deepEqual(opened.query, ['raw.orders'])
  await page.keyboard.press('ArrowRight')
  const flow = await page.evaluate(() => (document.activeElement as SVGGElement | null)?.dataset.id)
  assert.ok(flow === 'flow:big_orders' || flow === 'flow:refined.orders', flow)
  // Up and down stay in the layer; Tab leaves the graph from the one selected node (roving tabindex).
  await page.keyboard.press(flow === 'flow:big_orders' ? 'ArrowDown' : 'ArrowUp')
  const other = await page.evaluate(() => (document.activeElement as SVGGElement | null)?.dataset.id)
  assert.ok(other?.startsWith('flow:') && other !== flow, other)
  assert.equal(await page.locator('g.node[tabindex="0"]').count(), 1)
  await node('flow:refined.orders').focus()
  await page.keyboard.press('Enter')
  await until(() => opened.definition.length === 1)
  assert.deepEqual(opened.definition[0], { file: shop.tablesSql, line: 11, column: 1 })
  await node('table:refined.orders').click()
  await page.locator('aside.details vscode-button[data-target="history"]').click()
  await until(() => opened.history.length === 1)
  assert.deepEqual(opened.history, ['refined.orders'])
  // The JSON flow opens the pipeline file at its entry.
  await node('flow:big_orders').dblclick()
  await until(() => opened.definition.length === 2)
  assert.deepEqual(opened.definition[1], { file: shop.pipelineFile, path: '$.flows[0]' })
})

test('malformed messages are rejected on both sides; a reload restores the graph and the selection', async () => {
  const { page } = panel
  const toHost = (m: unknown) =>
    page.evaluate((message) => (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost(message), m)
  await toHost({ type: 'open', id: 5, target: 'query' })
  await toHost({ type: 'open', id: 'table:raw.orders', target: 'drop' })
  assert.deepEqual(log.errors.slice(0, 2), [
    'graph panel: rejected a message: message.id: expected text, got number',
    'graph panel: rejected a message: message.target: expected "query" or "history" or "definition", got "drop"',
  ])
  // A well-formed message naming no node of the graph opens nothing.
  const errors = panel.toPanel.length
  await toHost({ type: 'open', id: 'table:../../etc', target: 'query' })
  await until(() => panel.toPanel.length > errors)
  assert.match((panel.toPanel.at(-1) as { message: string }).message, /no node 'table:\.\.\/\.\.\/etc'/)
  assert.equal(opened.query.length, 1)
  const nodes = await page.locator('g.node').count()
  await panel.postToPanel({ type: 'graph', pipeline: 'x', nodes: 'all of them', edges: [], restore: {} })
  await panel.postToPanel({ type: 'graph', pipeline: 'x', nodes: [{ id: 'a', kind: 'table', label: 'a', onclick: 'x' }], edges: [], restore: {} })
  // Both are logged by the page (delivered after postMessage returns).
  await until(() => panel.consoleErrors.filter((e) => /graph panel: rejected a message from the host/.test(e)).length === 2)
  assert.match(panel.consoleErrors.at(-1)!, /message\.nodes\[0\]: unexpected property 'onclick'/)
  assert.equal(await page.locator('g.node').count(), nodes)

  await node('table:refined.customers').click()
  const release = panel.holdHost()
  await panel.reload()
  await page.waitForSelector('g.node')
  assert.equal(await page.locator('g.node').count(), nodes)
  assert.equal(await page.locator('g.node.selected').getAttribute('data-id'), 'table:refined.customers')
  assert.deepEqual((panel.state() as { restore: unknown }).restore, { pipelineFile: shop.pipelineFile })
  release()
})
