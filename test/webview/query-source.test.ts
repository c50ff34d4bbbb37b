/**
 * "Show source" in headless Chromium, on the demo pipeline run from its capture files: a row of the
 * query panel's result (from the context menu, and with Alt+Enter) shows the raw rows it came from
 * with their offsets, which are checked against the raw table's own columns; a refined customer
 * shows its chain of changes; a message's coordinates open it in the topic panel (the request the
 * glue receives). A row of the Changes panel does the same, as of its change's version. The topic
 * panel opened at a message past its sample's first thousand selects that message.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { runDemo } from '../../src/demo'
import { LakeEngine } from '../../src/engine'
import { createChangesHandler } from '../../src/extension/panels/changes-handler'
import { createQueryHandler } from '../../src/extension/panels/query-handler'
import { rowSource, type SourceLookup } from '../../src/extension/panels/row-source'
import { createTopicHandler } from '../../src/extension/panels/topic-handler'
import { loadPipeline, type Pipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, QuerySession, runQuery } from '../../src/query'
import type { OpenMessageRequest } from '../../webview/shared/protocol'
import { waitUntil } from '../helpers/waiting'
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, type OpenPanel } from './harness'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-show-source-'))
const lake = new LakeEngine()
const log = hostLog()
const opened: OpenMessageRequest[] = []
let catalog: LakeCatalog
let pipeline: Pipeline
let browser: Browser
let server: PanelServer
const panels: OpenPanel[] = []

before(async () => {
  const report = await runDemo({ dir })
  pipeline = loadPipeline(report.pipelineFile)
  catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start()])
})

after(async () => {
  for (const panel of panels.slice(1)) await panel.page.close().catch(() => undefined)
  await closePanelTest({ panel: panels[0], browser, server, others: [lake], removeDir: dir })
})

const source = (): SourceLookup => ({
  trace: (row) => rowSource({ lake, catalog, pipelines: async () => [pipeline] }, row),
  openMessage: (m) => void opened.push(m),
})
const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows
const originTexts = (panel: OpenPanel) => panel.page.$$eval('#source .source-message', (b) => b.map((e) => e.textContent))

async function openQuery(): Promise<OpenPanel> {
  const panel = await openPanel(browser, server, 'query', (post) =>
    createQueryHandler(
      {
        session: new QuerySession(lake, catalog),
        chooseExportFile: async () => undefined,
        copyToClipboard: async () => undefined,
        log,
        source: source(),
      },
      { lake: catalog.lakeDir, restore: { lake: catalog.lakeDir } },
      post,
    ),
  )
  panels.push(panel)
  return panel
}

/** Runs the SQL in the panel and waits for its rows' first cells to read `firsts`. */
async function run(panel: OpenPanel, sql: string, firsts: string[]) {
  await panel.page.locator('#sql').evaluate((el, text) => ((el as HTMLElement & { value: string }).value = text), sql)
  await panel.page.locator('#run').click()
  await panel.page.waitForFunction((expected) => {
    const shown = [...document.querySelectorAll('.grid-row:not([hidden])')].map((r) => r.querySelector('.grid-cell[data-column="0"]')?.textContent)
    return JSON.stringify(shown) === JSON.stringify(expected)
  }, firsts)
}

test('query panel: Show source from the context menu and with Alt+Enter gives the raw rows at their offsets; a message opens in the topic panel', async () => {
  const panel = await openQuery()
  const { page } = panel
  const orders = await query(
    `SELECT o.order_id, r._topic || '/' || r._partition || '/' || r._offset AS at FROM refined.orders o JOIN raw.orders r USING (order_id) ORDER BY o.order_id LIMIT 3`,
  )
  await run(
    panel,
    'SELECT order_id, customer_id, total FROM refined.orders ORDER BY order_id LIMIT 3',
    orders.map((o) => String(o.order_id)),
  )

  // The mouse: right-click the first row's cell, choose Show source.
  await page.locator('.grid-row:not([hidden]) .grid-cell[data-column="0"]').first().click({ button: 'right' })
  await page.getByRole('menuitem', { name: /Show source/ }).click()
  await page.waitForSelector('#source .source-message')
  assert.equal(await page.$eval('#source h3', (e) => e.textContent), `refined.orders order_id=${orders[0].order_id}`)
  assert.deepEqual(await originTexts(panel), [orders[0].at])
  assert.match(await page.$eval('#source .source-detail', (e) => e.textContent ?? ''), /raw\.orders v\d+ · key ord-\d+ · 2026-.* UTC → refined\.orders v\d+/)
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'source', 'the pane takes focus')
  await page.screenshot({ path: screenshotPath('query-show-source') })

  // The message opens in the topic panel (the glue is asked with its coordinates).
  await page.locator('#source .source-message').first().click()
  const [topic, partition, offset] = String(orders[0].at).split('/')
  await waitUntil(() => opened.length > 0, 'the glue is asked to open the message')
  assert.deepEqual(opened.at(-1), { type: 'openMessage', rawTable: 'raw.orders', topic, partition: Number(partition), offset })

  // The keyboard: Escape closes the pane and gives the focus back; down a row, Alt+Enter.
  await page.keyboard.press('Escape')
  await page.waitForSelector('#source', { state: 'hidden' })
  await page.locator('.grid').focus()
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Alt+Enter')
  await page.waitForFunction((id) => document.querySelector('#source h3')?.textContent === `refined.orders order_id=${id}`, String(orders[1].order_id))
  assert.deepEqual(await originTexts(panel), [orders[1].at])
})

test('query panel: a refined customer updated several times shows its chain of changes in sequence order', async () => {
  const panel = panels[0]
  const [busiest] =
    await query(`SELECT key, count(*) AS n FROM raw.customers WHERE op IN ('c', 'r', 'u') AND key NOT IN (SELECT key FROM raw.customers WHERE op = 'd')
    GROUP BY key ORDER BY n DESC, key LIMIT 1`)
  const chain = (
    await query(`SELECT _topic || '/' || _partition || '/' || _offset AS at FROM table_changes('raw.customers', 0) WHERE key = '${busiest.key}' AND op IN ('c', 'r', 'u')
    ORDER BY _commit_version, coalesce(epoch_ms(source.ts_ms), epoch_ms(ts_ms), _timestamp), _offset`)
  ).map((r) => r.at)
  assert.ok(chain.length >= 3, `a customer with several changes (${chain.length})`)
  await run(panel, `SELECT customer_id, name, loyalty_tier FROM refined.customers WHERE customer_id = '${busiest.key}'`, [String(busiest.key)])
  await panel.page.locator('.grid-row:not([hidden]) .grid-cell[data-column="0"]').first().click()
  await panel.page.keyboard.press('Alt+Enter')
  await panel.page.waitForFunction((id) => document.querySelector('#source h3')?.textContent === `refined.customers customer_id=${id}`, String(busiest.key))
  assert.deepEqual(await originTexts(panel), chain)
  assert.match(await panel.page.$eval('#source .source-detail', (e) => e.textContent ?? ''), / · upsert @ 2026-/)
})

test("Changes panel: Show source on a change row traces the row as of that change's version", async () => {
  const [update] = await query(
    `SELECT customer_id, _commit_version AS v FROM table_changes('refined.customers', 1) WHERE _change_type = 'update_postimage' ORDER BY _commit_version, customer_id LIMIT 1`,
  )
  const panel = await openPanel(browser, server, 'changes', (post) =>
    createChangesHandler(
      { lake, catalog, log, source: source() },
      { table: 'refined.customers', from: Number(update.v), to: Number(update.v), restore: { table: 'refined.customers' } },
      post,
    ),
  )
  panels.push(panel)
  const { page } = panel
  const row = page.locator(`#diff tbody tr[data-kind="update"]`).first()
  await row.waitFor()
  const key = await row.locator('td.key').textContent()
  await row.focus()
  await page.keyboard.press('Alt+Enter')
  await page.waitForFunction((id) => document.querySelector('#source h3')?.textContent === `refined.customers customer_id=${id}`, key)
  // As of that version: the chain ends with the change that version applied.
  const chain = (
    await query(`SELECT _topic || '/' || _partition || '/' || _offset AS at, _commit_version AS v FROM table_changes('raw.customers', 0) WHERE key = '${key}' AND op IN ('c', 'r', 'u')
    ORDER BY _commit_version, coalesce(epoch_ms(source.ts_ms), epoch_ms(ts_ms), _timestamp), _offset`)
  )
    .filter((r) => Number(r.v) <= Number(update.v))
    .map((r) => r.at)
  assert.deepEqual(await originTexts(panel), chain)
  // And from the row's context menu.
  await page.keyboard.press('Escape')
  await row.click({ button: 'right' })
  await page.getByRole('menuitem', { name: /Show source/ }).click()
  await page.waitForSelector('#source:not([hidden]) .source-message')
  assert.deepEqual(await originTexts(panel), chain)
})

test('topic panel opened at a message past the first thousand of its capture selects that message', async () => {
  const capture = path.join(dir, 'many.jsonl')
  writeFileSync(
    capture,
    Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({ topic: 'many', partition: 0, offset: i, ts: 1_795_510_800_000 + i, key: `k${i}`, payload: JSON.stringify({ n: i }) }),
    ).join('\n') + '\n',
  )
  const panel = await openPanel(browser, server, 'topic', (post) =>
    createTopicHandler(
      { lake, catalog, log },
      { source: { file: capture, format: 'json', name: 'many' }, at: { partition: 0, offset: '1150' }, restore: {} },
      post,
    ),
  )
  panels.push(panel)
  await panel.page.waitForSelector('#messages tbody tr.selected')
  const selected = await panel.page.$eval('#messages tbody tr.selected', (r) => [...r.children].slice(0, 2).map((c) => c.textContent))
  assert.deepEqual(selected, ['0', '1150'])
  await panel.page.waitForFunction(() => document.querySelector('#raw-text')?.textContent?.includes('"n":1150'))
})
