/**
 * Writing SQL in the query panel (headless Chromium, a real lake): a destructive statement asks
 * first and does nothing when declined; run, the status line says what each write did and its new
 * version, the grid shows the statement's answer, and the glue hears which tables changed. A text
 * of several statements ("Run file") gives a tab per statement with its own result; the first error
 * stops it there, with its line and column, and the statements before it stay viewable.
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
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, type OpenPanel } from './harness'

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
  panel = await openPanel(browser, server, 'query', (post) =>
    createQueryHandler(
      {
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
      },
      { lake: lakeDir, restore: { lake: lakeDir } },
      post,
    ),
  )
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
  assert.deepEqual(
    asked.at(-1)?.map((d) => [d.position, d.reason]),
    [['2:1', 'DELETE FROM gold.t without WHERE deletes every row']],
  )
  assert.deepEqual(
    await rows(),
    [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ],
    'not even the UPDATE before it ran',
  )
  assert.equal(written.length, 0)
})

const outcomes = () => panel.page.locator('.statement-tab .statement-outcome').allTextContents()
const status = async () => (await panel.page.getByRole('status').textContent()) ?? ''

test("confirmed, the script runs: a tab per statement with what it wrote, the grid shows the chosen one's answer", async () => {
  answer = true
  await runInPanel('UPDATE gold.t SET v = upper(v) WHERE id = 1;\nDELETE FROM gold.t')
  await panel.page.locator('#statement-tab-1[aria-selected="true"]', { hasText: 'DELETE → v3' }).waitFor()
  assert.deepEqual(await outcomes(), ['UPDATE → v2', 'DELETE → v3'])
  assert.match(await status(), /^gold\.t: DELETE \(2 deleted\) → v3 · 1 row · /)
  assert.equal(await panel.page.locator('#statement-text').textContent(), 'DELETE FROM gold.t')
  assert.equal(await panel.page.locator('.statement-where').textContent(), 'Statement 2 of 2, at line 2, column 1')
  await panel.page.locator('#statement-tab-0').click()
  await panel.page
    .getByRole('status')
    .filter({ hasText: /^gold\.t: UPDATE \(1 updated\) → v2 · 1 row · / })
    .waitFor()
  assert.equal(await panel.page.locator('#statement-text').textContent(), 'UPDATE gold.t SET v = upper(v) WHERE id = 1')
  await panel.page.locator('.grid-row[aria-rowindex="2"]:not(.loading)').waitFor()
  assert.deepEqual(await rows(), [])
  // The glue hears of each statement's commit as it lands (the Lake view follows a long file).
  assert.deepEqual(written, [[catalog.pathOf('gold.t')], [catalog.pathOf('gold.t')]])
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

test('a script stops at its first error, which says where; the statements before it stay viewable, by keyboard too', async () => {
  await runScript(lake, catalog, "INSERT INTO gold.t VALUES (1, 'a'), (2, 'b')")
  await runInPanel("SELECT id, v FROM gold.t ORDER BY id;\n\n  SELECT nope FROM gold.t;\nINSERT INTO gold.t VALUES (9, 'z')")
  const { page } = panel
  await page.locator('#statement-tab-1.failed[aria-selected="true"]').waitFor()
  assert.deepEqual(await outcomes(), ['3 rows', 'failed', 'not run'])
  const error = (await page.locator('#error').textContent()) ?? ''
  assert.match(error, /^Failed at statement 2 of 3, at line 3, column 3: .*nope/s)
  // The README's picture of a file run whole: a tab per statement, the failed one chosen.
  await page.screenshot({ path: screenshotPath('query-statements') })
  assert.equal(await page.locator('#statement-tab-2').getAttribute('aria-disabled'), 'true')
  assert.ok(!(await rows()).some((r) => r.id === 9), 'the INSERT after the error did not run')
  // The first statement's result, by keyboard: Left from the failed tab.
  await page.locator('#statement-tab-1').focus()
  await page.keyboard.press('ArrowLeft')
  await page.locator('#statement-tab-0[aria-selected="true"]').waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'statement-tab-0')
  assert.equal(await page.locator('#error').isVisible(), false)
  await page.locator('.grid-row[aria-rowindex="4"]:not(.loading)').waitFor()
  assert.deepEqual(await page.locator('.grid-row[aria-rowindex="2"] [role="gridcell"]').allTextContents(), ['1', 'a'])
  // A disabled tab is skipped: End goes to the failed one, not to the one that did not run.
  await page.keyboard.press('End')
  await page.locator('#statement-tab-1[aria-selected="true"]').waitFor()
  // Shown again (VS Code reloads the page): the tabs and the chosen statement come back.
  await page.locator('#statement-tab-0').click()
  await page.locator('.grid-row[aria-rowindex="4"]:not(.loading)').waitFor()
  await panel.reload()
  await page.locator('#statement-tab-0[aria-selected="true"]').waitFor()
  assert.deepEqual(await outcomes(), ['3 rows', 'failed', 'not run'])
  await page.locator('.grid-row[aria-rowindex="4"]:not(.loading)').waitFor()
  // A single statement afterwards replaces the tabs.
  await runInPanel('SELECT 42 AS answer')
  await page.locator('#statements').waitFor({ state: 'hidden' })
  await page
    .getByRole('status')
    .filter({ hasText: /^1 row/ })
    .waitFor()
})
