/**
 * The history panel in headless Chromium over a real table's log (see harness.ts for what stands
 * in for VS Code's webview API): versions with operation, parameters, metrics and files; opening
 * a version's query and changes; untrusted parameters shown as text.
 */
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { createHistoryHandler } from '../../src/extension/panels/history-handler'
import { LakeCatalog, runQuery } from '../../src/query'
import { deleteRows } from '../../src/table'
import { ORDERS, writeOrders } from './fixtures'
import { hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, until, type OpenPanel, reportFirstPaint, closePanelTest } from './harness'
import { XSS_IMG } from './payloads'

const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-history-panel-'))
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const log = hostLog()
const opened: { query: string[]; changes: [string, number, number][] } = { query: [], changes: [] }
let browser: Browser
let server: PanelServer
let panel: OpenPanel

before(async () => {
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start(), writeOrders(lake, lakeDir)])
  panel = await openPanel(browser, server, 'history', (post) =>
    createHistoryHandler(
      {
        lake,
        catalog,
        openQuery: (sql) => void opened.query.push(sql),
        openChanges: (table, from, to) => void opened.changes.push([table, from, to]),
        log,
      },
      { table: ORDERS, restore: { table: ORDERS, lake: lakeDir } },
      post,
    ),
  )
  await reportFirstPaint('history', panel.page, 'tr[data-version]')
})

after(() => closePanelTest({ panel, browser, server, others: [lake], removeDir: lakeDir }))

const cellTexts = (version: number) => panel.page.locator(`tr[data-version="${version}"] td`).allTextContents()

test('lists every version, newest first, with operation, parameters, metrics and files added/removed', async () => {
  const { page } = panel
  await page.waitForSelector('tr[data-version="0"]')
  assert.equal(await page.locator('h1').textContent(), `History of ${ORDERS}`)
  const versions = await page.locator('tr[data-version]').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.version)))
  assert.deepEqual(versions, [4, 3, 2, 1, 0])
  const operations = await page.locator('tr[data-version] vscode-badge').allTextContents()
  assert.deepEqual(operations, ['MERGE', 'DELETE', 'UPDATE', 'WRITE', 'WRITE'])
  const update = await cellTexts(2)
  assert.match(update[2], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
  // The predicate as written, not as escaped JSON text inside JSON.
  assert.match(update[4], /predicate: id = 2/)
  assert.doesNotMatch(update[4], /\\"|\["/)
  assert.match(update[5], /numUpdatedRows: 1/)
  // The update marks id 2 deleted in a deletion vector (the file removed and added again with it) and adds a file with the new row.
  assert.equal(update[6], '+2 −1')
  assert.equal((await cellTexts(1))[6], '+1 −0')
  assert.equal(await page.locator('tr[data-version="2"] td.files').getAttribute('aria-label'), '2 files added, 1 removed')
  assert.equal(await page.getByRole('status').textContent(), '5 commits, latest version 4')
  assert.deepEqual(panel.consoleErrors, [])
})

test('a version expands to all its parameters and metrics; markup in them is text', async () => {
  const { page } = panel
  const toggle = page.locator('tr[data-version="1"] button.version')
  await toggle.click()
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true')
  const details = page.locator('#details-1')
  const parameters = JSON.parse((await details.locator('pre').first().textContent())!)
  assert.equal(parameters.note, XSS_IMG)
  assert.equal(parameters.mode, 'Append')
  // The Details button does the same as the version number.
  const details2 = page.locator('tr[data-version="2"] button.details-toggle')
  await details2.click()
  assert.equal(await details2.getAttribute('aria-expanded'), 'true')
  const update = JSON.parse((await page.locator('#details-2 pre').first().textContent())!)
  assert.deepEqual(update.predicate, ['id = 2'], 'a JSON parameter shown as JSON, not as an escaped string')
  assert.match((await cellTexts(1))[4], /note: <img src=x onerror=/)
  assert.equal(await page.locator('img').count(), 0)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
  await page.screenshot({ path: screenshotPath('history') })
})

test('Query opens the table as of the version; the SQL it asks for runs', async () => {
  await panel.page.locator('tr[data-version="1"]').getByRole('button', { name: 'Query' }).click()
  await until(() => opened.query.length === 1)
  assert.equal(opened.query[0], `SELECT * FROM ${ORDERS} VERSION AS OF 1`)
  const asOf = await runQuery(lake, catalog, opened.query[0])
  assert.equal(asOf.rows.length, 10)
})

test('Changes opens one commit against its parent; two ticked versions open the range', async () => {
  const { page } = panel
  await page.locator('tr[data-version="2"]').getByRole('button', { name: 'Changes' }).click()
  await until(() => opened.changes.length === 1)
  assert.deepEqual(opened.changes[0], [ORDERS, 2, 2])

  const compare = page.locator('#compare')
  assert.equal(await compare.evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), true)
  // By keyboard: the checkboxes are reachable and toggle with Space.
  await page.getByRole('checkbox', { name: 'Select version 3' }).press('Space')
  await page.getByRole('checkbox', { name: 'Select version 1' }).press('Space')
  await page.waitForFunction(() => !(document.getElementById('compare') as HTMLElement & { disabled: boolean }).disabled)
  await compare.click()
  await until(() => opened.changes.length === 2)
  assert.deepEqual(opened.changes[1], [ORDERS, 1, 3])
  assert.deepEqual((panel.state() as { selected: number[] }).selected.sort(), [1, 3])
})

test('a reloaded panel keeps its ticks and open details; a malformed request is rejected', async () => {
  const versions = await panel.page.locator('tr[data-version]').count()
  // Shown again while the host is busy: the commits are back from the panel's state, not from the host.
  const release = panel.holdHost()
  const started = performance.now()
  await panel.reload()
  await panel.page.waitForSelector('tr[data-version]')
  console.log(`# restore history: ${Math.round(performance.now() - started)} ms to the commits, the host not answering`)
  assert.equal(await panel.page.locator('tr[data-version]').count(), versions)
  assert.equal(panel.toPanel.filter((m) => (m as { type: string }).type === 'history').length, 1, 'the host sent the history once, before the reload')
  release()
  await panel.page.waitForSelector('#details-1')
  assert.equal(await panel.page.locator('tr.selected').count(), 2)
  await panel.page.evaluate(() =>
    (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost({ type: 'queryVersion', version: '1; DROP TABLE x' }),
  )
  assert.deepEqual(log.errors, ['history panel: rejected a message: message.version: expected a whole number, got string'])
  assert.equal(opened.query.length, 1)
})

test('Refresh reads the history again: a commit made since the panel opened is listed', async () => {
  const { page } = panel
  await deleteRows(lake, path.join(lakeDir, 'raw', 'orders'), 'id = 9')
  await page.getByRole('button', { name: 'Refresh' }).click()
  await page.waitForSelector('tr[data-version="5"]')
  assert.deepEqual(await page.locator('tr[data-version] vscode-badge').first().textContent(), 'DELETE')
  assert.equal(await page.getByRole('status').textContent(), '6 commits, latest version 5')
})
