/**
 * Writing SQL in the query panel (headless Chromium, a real lake): a destructive statement asks
 * first and does nothing when declined; run, the status line says what each write did and its new
 * version, the grid shows the statement's answer, and the glue hears which tables changed.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { createQueryHandler } from '../../src/extension/panels/query-handler'
import { LakeCatalog, QuerySession, runScript, type DestructiveStatement } from '../../src/query'
import { waitUntil } from '../helpers/waiting'
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, type OpenPanel } from './harness'

const lakeDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'lakehouse-query-writes-')), 'lake')
mkdirSync(lakeDir)
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const log = hostLog()
const asked: DestructiveStatement[][] = []
const written: string[][] = []
const opened: [string, number, number][] = []
let answer = false
let browser: Browser
let server: PanelServer
let panel: OpenPanel

before(async () => {
  await runScript(lake, catalog, "CREATE TABLE gold.t (id INT, v STRING); INSERT INTO gold.t VALUES (1, 'a'), (2, 'b')")
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start()])
  panel = await openPanel(browser, server, 'query', (post) => createQueryHandler({
    session: new QuerySession(lake, catalog),
    chooseExportFile: async () => undefined,
    copyToClipboard: async () => undefined,
    log,
    confirmDestructive: async (statements) => {
      asked.push(statements)
      return answer
    },
    onWrite: (writes) => void written.push(writes.map((w) => w.path)),
    openChanges: (table, from, to) => void opened.push([table, from, to]),
  }, { lake: lakeDir, restore: { lake: lakeDir } }, post))
})

after(() => closePanelTest({ panel, browser, server, others: [lake], removeDir: path.dirname(lakeDir) }))

async function runInPanel(sql: string) {
  const { page } = panel
  await page.locator('#sql').evaluate((el, text) => ((el as HTMLElement & { value: string }).value = text), sql)
  await page.locator('#run').click()
}

const rows = async () => (await runScript(lake, catalog, 'SELECT id, v FROM gold.t ORDER BY id'))[0].rows

test('a DELETE without WHERE asks first; declined, nothing runs', async () => {
  answer = false
  await runInPanel('UPDATE gold.t SET v = upper(v) WHERE id = 1;\nDELETE FROM gold.t')
  await panel.page.getByRole('status').filter({ hasText: 'Cancelled' }).waitFor()
  assert.deepEqual(asked.at(-1)?.map((d) => [d.position, d.reason]), [['2:1', 'DELETE FROM gold.t without WHERE deletes every row']])
  assert.deepEqual(await rows(), [{ id: 1, v: 'a' }, { id: 2, v: 'b' }], 'not even the UPDATE before it ran')
  assert.equal(written.length, 0)
})

test('confirmed, the script runs; the status says what each write did, the grid shows the answer', async () => {
  answer = true
  await runInPanel("UPDATE gold.t SET v = upper(v) WHERE id = 1;\nDELETE FROM gold.t")
  await panel.page.getByRole('status').filter({ hasText: 'gold.t: DELETE (2 deleted) → v3' }).waitFor()
  const status = await panel.page.getByRole('status').textContent()
  assert.match(status ?? '', /^gold\.t: UPDATE \(1 updated\) → v2 · gold\.t: DELETE \(2 deleted\) → v3 · 1 row · /)
  await panel.page.locator('.grid-row[aria-rowindex="2"]:not(.loading)').waitFor()
  assert.deepEqual(await rows(), [])
  assert.deepEqual(written, [[catalog.pathOf('gold.t'), catalog.pathOf('gold.t')]])
  // Each commit the run made links to its changes: the Changes panel opens on that version.
  const links = panel.page.locator('#writes vscode-button')
  assert.deepEqual(await links.allTextContents(), ['Changes gold.t v2', 'Changes gold.t v3'])
  await links.filter({ hasText: 'v3' }).click()
  await waitUntil(() => opened.length === 1, 'the Changes panel asked for')
  assert.deepEqual(opened, [['gold.t', 3, 3]])
})

test('a statement that does not destroy anything runs without asking', async () => {
  const before = asked.length
  await runInPanel("INSERT INTO gold.t VALUES (7, 'x')")
  await panel.page.getByRole('status').filter({ hasText: 'gold.t: WRITE (1 inserted) → v4' }).waitFor()
  assert.equal(asked.length, before)
})
