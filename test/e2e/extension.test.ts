/**
 * The extension in a real VS Code: the .vsix packaged from the current build is installed into
 * code-server, and headless chromium drives the workbench like a user on a workspace with a small
 * lake and pipeline files (a file source, so no broker). Screenshots of each step go to
 * .test-artifacts/e2e/. No timing thresholds: the activation time is printed, not judged.
 *
 * Needs code-server and chromium: `bash scripts/install-code-server.sh` (CI runs it). Without them
 * these tests fail with that instruction rather than skip.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Frame, Page } from 'playwright-core'
import { filesUnder, packageVsix, requireTools, startCodeServer, vsixEntries, type CodeServer } from './code-server'
import {
  answer,
  closeQuickInput,
  firstRowsAt,
  mouseDownAt,
  noteNextMouseDown,
  notification,
  openFile,
  openLakehouse,
  openWorkbench,
  pick,
  runCommand,
  runCommandAndPick,
  screenshot,
  treeRow,
  view,
  watchPanelShown,
  webview,
  type Workbench,
} from './workbench'
import { kafkaFor, produceJson, startBroker, type MockBroker } from '../kafka/broker'
import { lowestContrast, webviewFrame } from './contrast'
import { buildWorkspace, CLICKS_MESSAGES, CLICKS_TOPIC, E2E_KAFKA_USER, QUERY_MARKER, writeKafkaPipeline } from './workspace'

const CANARY = `canary-${Math.random().toString(36).slice(2)}-pw`

describe('the extension in a real VS Code (code-server)', { timeout: 170_000 }, () => {
  let home: string
  let workspace: string
  let vsix: string
  let server: CodeServer | undefined
  let broker: MockBroker | undefined
  let workbench: Workbench | undefined
  let page: Page

  const lakehouseLog = () => {
    const file = filesUnder(server!.userDataDir).find((f) => f.endsWith(`${path.sep}Lakehouse.log`))
    return file ? readFileSync(file, 'utf8') : ''
  }

  before(async () => {
    requireTools()
    home = mkdtempSync(path.join(tmpdir(), 'lakehouse-e2e-'))
    workspace = path.join(home, 'workspace')
    mkdirSync(workspace)
    vsix = path.join(home, 'local-lakehouse-linux-x64.vsix')
    packageVsix(vsix)
    await buildWorkspace(workspace)
    broker = await startBroker({ topics: [{ name: CLICKS_TOPIC, partitions: 2 }] })
    await produceJson(
      kafkaFor(broker),
      CLICKS_TOPIC,
      Array.from({ length: CLICKS_MESSAGES }, (_, i) => ({ key: `u${i % 7}`, value: { id: i, page: `/p/${i % 5}` } })),
      { partitions: 2 },
    )
    writeKafkaPipeline(workspace, broker.brokers)
    server = await startCodeServer(path.join(home, 'code-server'), vsix)
    workbench = await openWorkbench(server.url, workspace, path.join(home, 'chromium'))
    page = workbench.page
  })

  after(async () => {
    if (page) await screenshot(page, 'last')
    await workbench?.close().catch(() => undefined)
    await server?.stop()
    await broker?.stop()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  test('the .vsix holds the bundles, the webviews, the schema and DuckDB for linux-x64, and nothing else', () => {
    const entries = vsixEntries(vsix)
      .filter((e) => e.startsWith('extension/'))
      .map((e) => e.slice('extension/'.length))
    for (const needed of [
      'package.json',
      'dist/extension.cjs',
      'dist/cli.mjs',
      'schemas/pipeline.schema.json',
      'media/lakehouse.svg',
      'node_modules/@duckdb/node-api/package.json',
      'node_modules/@duckdb/node-bindings/duckdb.js',
      'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node',
      'node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so',
      'node_modules/detect-libc/lib/detect-libc.js',
    ]) {
      assert.ok(entries.includes(needed), `${needed} is in the .vsix`)
    }
    assert.ok(
      entries.some((e) => /^dist\/webview\/\w+\.js$/.test(e)),
      'a webview bundle is in the .vsix',
    )
    const unwanted = entries.filter((e) =>
      /^(src|test|bench|scripts|scratch|\.cache|\.ci|webview)\/|\.map$|\.d\.ts$|\.vsix$|^node_modules\/(?!@duckdb\/|detect-libc\/)/.test(e),
    )
    assert.deepEqual(unwanted, [])
  })

  test('the extension activates on the workspace and logs how long it took', async () => {
    await openLakehouse(page)
    let log = ''
    for (let i = 0; i < 100 && !/activated \{/.test(log); i++) {
      await page.waitForTimeout(200)
      log = lakehouseLog()
    }
    const match = /activated (\{.*\})/.exec(log)
    assert.ok(match, `the log says it activated:\n${log}`)
    const { ms, version } = JSON.parse(match[1]) as { ms: number; version: string }
    assert.equal(version, '0.1.0')
    assert.equal(typeof ms, 'number')
    console.log(`# activation took ${ms} ms (activate() in the extension host)`)
  })

  test('the Lake view shows zones and tables with rows, size, version and the change feed', async () => {
    await treeRow(page, 'Lake', /^raw/).waitFor({ timeout: 30_000 })
    await treeRow(page, 'Lake', /orders\s*15 rows · [\d.]+ (B|KB) · v1 · CDF/).waitFor()
    await treeRow(page, 'Lake', /customers\s*4 rows · .* · v0$/).waitFor()
    await treeRow(page, 'Lake', /^refined/).waitFor()
    // Listing tables opens DuckDB ahead, in the background, so the first panel does not wait for it.
    let opened: RegExpExecArray | null = null
    for (let i = 0; i < 150 && !opened; i++) {
      opened = /duckdb\.opened \{"ahead":true,"ms":(\d+)\}/.exec(lakehouseLog())
      if (!opened) await page.waitForTimeout(200)
    }
    assert.ok(opened, `the log says DuckDB was opened ahead:\n${lakehouseLog()}`)
    assert.doesNotMatch(lakehouseLog(), /duckdb\.open\.failed/)
    console.log(`# DuckDB opened ahead in ${opened[1]} ms, while the Lake view showed its tables`)
    // A table expands into its columns (Delta types) and versions, newest first.
    await treeRow(page, 'Lake', /^orders/)
      .locator('.monaco-tl-twistie')
      .click()
    await treeRow(page, 'Lake', /^v1\s*WRITE/).waitFor()
    await treeRow(page, 'Lake', /^v0\s*WRITE/).waitFor()
    await treeRow(page, 'Lake', /^Columns\s*3 columns/)
      .locator('.monaco-tl-twistie')
      .click()
    await treeRow(page, 'Lake', /^amount\s*double$/).waitFor()
    await treeRow(page, 'Lake', /^id\s*long$/).waitFor()
    await screenshot(page, 'lake-view')
  })

  test('a pipeline file with a problem: an error at its line and column, in the view too, with a "did you mean" fix', async () => {
    // The Pipelines view lists the problem under the file; the valid file's job is there too.
    await treeRow(page, 'Pipelines', /\$\.sources\[0\]\.format/).waitFor({ timeout: 30_000 })
    await treeRow(page, 'Pipelines', /^events\s*not started/).waitFor()
    assert.equal(await notification(page, 'broken.lakehouse.json').count(), 0, 'no notification: the Problems panel has it')
    await openFile(page, 'broken.lakehouse.json')
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 })
    await page.keyboard.press('Control+Shift+M')
    const problem = page
      .locator('.markers-panel .monaco-list-row', { hasText: /\$\.sources\[0\]\.format: "jsn" is not one of .*Did you mean 'json'\?/ })
      .first()
    await problem.waitFor({ timeout: 15_000 })
    assert.match(await problem.innerText(), /\[Ln 4, Col \d+\]/)
    await screenshot(page, 'problem-diagnostic')
    await page.keyboard.press('Control+Shift+M')
    // The quick fix, by keyboard: to the problem (F8), the fixes (Ctrl+.), the first one; then save.
    await page.locator('.monaco-editor .view-lines').first().click()
    await page.keyboard.press('F8')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Control+.')
    try {
      // The preferred fix is the focused entry: Enter applies it (a click meets the menu's pointer guard).
      await page.locator('.action-widget .monaco-list-row.focused', { hasText: 'Change to "json"' }).first().waitFor({ timeout: 15_000 })
      await page.keyboard.press('Enter')
    } finally {
      if (await page.locator('.action-widget').isVisible()) await page.keyboard.press('Escape')
    }
    await page.keyboard.press('Control+S')
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'detached', timeout: 30_000 })
    await treeRow(page, 'Pipelines', /^bad\s*not started/).waitFor({ timeout: 30_000 })
    assert.match(readFileSync(path.join(workspace, 'broken.lakehouse.json'), 'utf8'), /"format": "json"/)
  })

  test('Run Query runs the .sql file and the query panel shows the result', async () => {
    await openFile(page, 'orders.sql')
    await runCommand(page, 'Lakehouse: Run Query')
    await webview(page).getByText(QUERY_MARKER).first().waitFor({ timeout: 60_000 })
    await screenshot(page, 'query-panel')
    assert.match(lakehouseLog(), /query\.open \{"lake":".*lake","chars":\d+\}/)
  })

  test("query tabs are named by their table or query, and Query Table reuses a table's tab", async () => {
    await page
      .locator('.tab', { hasText: /^Query: SELECT 'e2e-orders-' \|\| count/ })
      .first()
      .waitFor({ timeout: 15_000 })
    // One click on a table in the Lake view opens it; a second click reveals the same tab.
    for (let i = 0; i < 2; i++) {
      const started = performance.now()
      await noteNextMouseDown(page)
      await treeRow(page, 'Lake', /^orders/)
        .locator('.label-name')
        .click()
      await page.locator('.tab.active', { hasText: /^raw\.orders/ }).waitFor({ timeout: 30_000 })
      if (i > 0) continue
      await webview(page).locator('.grid-row[aria-rowindex="2"]:not(.loading)').waitFor({ timeout: 60_000 })
      const seen = Math.round(performance.now() - started)
      // Reported, not judged: the machine's load decides it. From the browser's clocks: the click to the rows drawn in the panel.
      const firstRows = Math.round((await firstRowsAt(page)) - (await mouseDownAt(page)))
      console.log(`# open query: first rows ${firstRows} ms after the click on the table (${seen} ms as the test sees it, its round trips included)`)
    }
    assert.equal(await page.locator('.tab', { hasText: /^raw\.orders/ }).count(), 1, 'one tab for raw.orders')
    await webview(page).locator('.grid-row[aria-rowindex="2"]:not(.loading)').waitFor({ timeout: 60_000 })
    await screenshot(page, 'query-tabs')
  })

  test('switching back to a panel shows its rows at once (its page is kept while hidden)', async () => {
    // A mark on the panel's page: a page built again on the way back would not have it.
    await webview(page)
      .locator('body')
      .evaluate((body) => body.setAttribute('data-e2e-kept', 'yes'))
    const panel = await watchPanelShown(page)
    await page.locator('.tab', { hasText: 'orders.sql' }).first().click()
    await page.locator('.tab.active', { hasText: 'orders.sql' }).waitFor()
    await panel.armed()
    const started = performance.now()
    await noteNextMouseDown(page)
    await page
      .locator('.tab', { hasText: /^raw\.orders/ })
      .first()
      .click()
    await webview(page).locator('.grid-row[aria-rowindex="2"]:not(.loading)').waitFor({ timeout: 30_000 })
    const seen = Math.round(performance.now() - started)
    assert.equal(await webview(page).locator('body').getAttribute('data-e2e-kept'), 'yes', 'the same page, not one built again')
    // Reported, not judged: the machine's load decides it. From the browser's clocks: the tab's click to the panel's frame shown again, rows and all.
    const shown = Math.round((await panel.shownAt()) - (await mouseDownAt(page)))
    console.log(`# switch back query: shown ${shown} ms after the tab's click (${seen} ms as the test sees it, its round trips included)`)
  })

  test('the grid by keyboard alone inside VS Code: arrows, End, Enter opens the value, Ctrl+A selects the grid, Ctrl+F finds in the result', async () => {
    const frame = webview(page)
    await frame.locator('.grid-row[aria-rowindex="2"] .grid-cell').first().click()
    await page.keyboard.press('End')
    await page.keyboard.press('ArrowDown')
    await frame.locator('.grid-row[aria-rowindex="3"] .grid-cell.active[data-column="2"]').waitFor()
    await page.keyboard.press('Enter')
    await frame.locator('#grid-viewer .viewer-value').waitFor()
    assert.equal(await frame.locator('#grid-viewer h2').textContent(), 'amount, row 2')
    await page.keyboard.press('Escape')
    await frame.locator('#grid-viewer').waitFor({ state: 'detached' })
    await page.keyboard.press('Control+a')
    await frame.locator('.grid-cell.in-range').first().waitFor()
    // VS Code's own find widget stays closed: the grid's find searches the whole result.
    await page.keyboard.press('Control+f')
    await frame.locator('#grid-find-input').waitFor()
    await page.keyboard.type('c9')
    await page.keyboard.press('Enter')
    await frame.locator('#grid-find-status', { hasText: /^1 of 5 rows$/ }).waitFor({ timeout: 30_000 })
    assert.equal(await page.locator('.simple-find-part-wrapper.visible').count(), 0, "VS Code's webview find widget did not open")
    await page.keyboard.press('Escape')
    await screenshot(page, 'grid-keyboard')
  })

  test("a .sql file: completion of a zone's tables, hover with Delta types, an unknown table marked with a fix", async () => {
    await openFile(page, 'complete.sql')
    await page.locator('.monaco-editor .view-lines').first().click()
    await page.keyboard.press('Control+End')
    await page.keyboard.press('Control+Space')
    const suggestions = page.locator('.suggest-widget .monaco-list-row')
    await suggestions.filter({ hasText: 'orders' }).first().waitFor({ timeout: 30_000 })
    const labels = await suggestions.allInnerTexts()
    assert.ok(!labels.some((l) => /customers/.test(l)), `only raw's tables: ${labels.join(' | ')}`)
    await screenshot(page, 'sql-completion')
    await page.keyboard.press('Enter')
    await page.locator('.monaco-editor .view-lines', { hasText: 'SELECT * FROM raw.orders' }).first().waitFor()
    await openFile(page, 'typo.sql')
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 })
    await page.keyboard.press('Control+Shift+M')
    await page
      .locator('.markers-panel .monaco-list-row', { hasText: 'No table raw.ordrs in the lake. Did you mean raw.orders?' })
      .first()
      .waitFor({ timeout: 15_000 })
    await screenshot(page, 'sql-diagnostics')
    await page.keyboard.press('Control+Shift+M')
    // The CodeLens of each statement runs it.
    await page.locator('.codelens-decoration a', { hasText: 'Run statement' }).nth(1).click()
    await page.locator('.tab.active', { hasText: /^refined\.customers/ }).waitFor({ timeout: 30_000 })
    await webview(page).getByText('name 3').first().waitFor({ timeout: 60_000 })
  })

  test('Run file runs a .sql file statement by statement: a tab each, stopping at the first error with its line and column', async () => {
    await openFile(page, 'typo.sql')
    await page
      .locator('.codelens-decoration a', { hasText: /Run file \(2 statements\)/ })
      .first()
      .click()
    await page.locator('.tab.active', { hasText: /^Query: SELECT count\(\*\) FROM raw\.ordrs/ }).waitFor({ timeout: 30_000 })
    let frame: Frame | undefined
    for (let i = 0; i < 300 && !frame; i++) {
      frame = await webviewFrame(page, '#statement-tab-0.failed').catch(() => undefined)
      if (!frame) await page.waitForTimeout(200)
    }
    assert.ok(frame, 'the query panel shows the statements run')
    assert.deepEqual(await frame.locator('.statement-tab .statement-outcome').allTextContents(), ['failed', 'not run'])
    assert.match((await frame.locator('#error').textContent())!, /^Failed at statement 1 of 2, at line 1, column 1: .*ordrs/s)
    await screenshot(page, 'run-file')
  })

  test('Preview Source from the Pipelines view opens the topic panel: the raw row with its Kafka columns, through the flow', async () => {
    await treeRow(page, 'Pipelines', /^events\s*not started/).click({ button: 'right' })
    // Chosen by keyboard: VS Code's menu items take mouse clicks only 100 ms after the menu shows (so
    // the right-click's own mouse-up selects nothing), and a click before that is lost with the menu
    // left open, which is why this step once "did not open a panel".
    await page.locator('.monaco-menu .action-label', { hasText: 'Preview Source' }).first().waitFor()
    for (let i = 0; i < 8 && !(await page.locator('.monaco-menu .action-item.focused', { hasText: 'Preview Source' }).count()); i++)
      await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await page.locator('.tab.active', { hasText: /^Topic: events/ }).waitFor({ timeout: 30_000 })
    // The topic panel's own frame (other panels' frames are open too).
    let topic: Frame | undefined
    for (let i = 0; i < 300 && !topic; i++) {
      topic = await webviewFrame(page, '#messages tbody tr').catch(() => undefined)
      if (!topic) await page.waitForTimeout(200)
    }
    assert.ok(topic, "the topic panel shows the capture's messages")
    const frame = topic
    await frame.locator('#messages tbody tr').first().click()
    await frame.locator('#flattened-rows table').waitFor({ timeout: 60_000 })
    assert.match((await frame.locator('#flattened .preview-caption').first().textContent())!, /^Written to refined\.events \(flow events_refined\):/)
    const headers = await frame.locator('#flattened-rows th > span:first-child').allTextContents()
    for (const name of ['id', 'kind', 'at', '_topic', '_partition', '_offset', '_key']) assert.ok(headers.includes(name), `${name} in ${headers.join(', ')}`)
    await screenshot(page, 'topic-preview')
  })

  test('Preview Source from the palette asks which source, then opens it', async () => {
    await runCommand(page, 'View: Close Editor')
    await page.locator('.tab', { hasText: /^Topic: events/ }).waitFor({ state: 'detached', timeout: 15_000 })
    await runCommandAndPick(page, 'Lakehouse: Preview Source', /^events$/)
    await page.locator('.tab.active', { hasText: /^Topic: events/ }).waitFor({ timeout: 30_000 })
    await webview(page).locator('#messages tbody tr').first().waitFor({ timeout: 60_000 })
  })

  /** Every theme VS Code ships a variant of, ending on the default (the other tests' screenshots). */
  const THEMES = ['Light Modern', 'Dark High Contrast', 'Light High Contrast', 'Dark Modern']

  async function checkContrast(panelName: string, rowSelector: string, selectors: string[]): Promise<void> {
    const lowest: Record<string, number> = {}
    for (const theme of THEMES) {
      await runCommandAndPick(page, 'Preferences: Color Theme', new RegExp(`^${theme}$`))
      await page.waitForTimeout(500)
      const report = await lowestContrast(await webviewFrame(page, rowSelector), selectors)
      assert.ok(report.checked >= 5, `${theme}: text to check in the ${panelName} panel`)
      assert.ok(report.lowest.ratio >= 4.5, `${theme}: ${JSON.stringify(report.lowest)}`)
      lowest[theme] = report.lowest.ratio
      if (theme !== 'Dark Modern') await screenshot(page, `theme-${panelName}-${theme.toLowerCase().replaceAll(' ', '-')}`)
    }
    console.log(`# lowest text contrast in the ${panelName} panel: ${JSON.stringify(lowest)}`)
  }

  test('the query panel is readable in light, dark and high-contrast themes (WCAG AA contrast for its text)', async () => {
    // The query tab of the .sql tests, shown again (the topic panel is in front).
    await page
      .locator('.tab', { hasText: /^refined\.customers/ })
      .first()
      .click()
    await webview(page).locator('.grid-row[aria-rowindex="2"]:not(.loading)').waitFor({ timeout: 60_000 })
    await checkContrast('query', '.grid-row', ['.grid-row > *', '.grid-colname', '.grid-coltype', '[role="status"]', 'label', 'h1', 'h2'])
  })

  test('the changes panel is readable in every theme, changed cells included', async () => {
    await runCommandAndPick(page, 'Lakehouse: Show Changes', 'raw.orders')
    await webview(page).locator('#diff tbody tr').first().waitFor({ timeout: 30_000 })
    await checkContrast('changes', '#diff tbody tr', ['#diff td', '#diff th', 'label', 'h1', 'h2', '.counts *'])
  })

  test('Set Kafka Password stores the secret, and the password appears in no log, setting or file', async () => {
    await runCommand(page, 'Lakehouse: Set Kafka Password')
    await answer(page, CANARY)
    await notification(page, `Kafka password for '${E2E_KAFKA_USER}' stored`).waitFor({ timeout: 15_000 })
    await treeRow(page, 'Kafka', /SASL e2e-user · password set/).waitFor({ timeout: 15_000 })
    // Expanding the cluster connects with the password, to a port where nothing listens: an error
    // node, quickly, not a hang, and again nothing of the password in the log.
    await treeRow(page, 'Kafka', /127\.0\.0\.1:9/).click()
    await treeRow(page, 'Kafka', /Cannot reach the cluster/).waitFor({ timeout: 60_000 })
    await screenshot(page, 'kafka-password')
    assert.match(lakehouseLog(), /secret\.stored \{"kind":"kafka","user":"e2e-user"/)
    const everything = [...filesUnder(home)].filter((f) => !f.endsWith('.vsix') && !f.includes(`${path.sep}chromium${path.sep}`))
    const leaks = everything.filter((f) => readFileSync(f).includes(CANARY))
    assert.deepEqual(leaks, [], 'files holding the password')
    assert.ok(!(await page.locator('.monaco-workbench').innerText()).includes(CANARY), 'the workbench shows the password')
  })

  test('a pipeline runs in a child process: the views and the status bar follow it, and it stops when asked', async () => {
    await closeQuickInput(page)
    await runCommandAndPick(page, 'Lakehouse: Start Pipeline', /^lakehouse\.json$/)
    // The capture is replayed to its end and its job stops; the flow keeps running until stopped.
    await treeRow(page, 'Pipelines', /^events\s*stopped/).waitFor({ timeout: 90_000 })
    await treeRow(page, 'Pipelines', /^events_refined\s*running/).waitFor({ timeout: 30_000 })
    await page.locator('.statusbar-item', { hasText: /msg\/s/ }).waitFor({ timeout: 15_000 })
    await treeRow(page, 'Lake', /^events\s*25 rows/).waitFor({ timeout: 30_000 })
    await screenshot(page, 'pipeline-running')
    await runCommand(page, 'Lakehouse: Stop All Pipelines')
    await treeRow(page, 'Pipelines', /^events_refined\s*stopped/).waitFor({ timeout: 60_000 })
    await page.locator('.statusbar-item', { hasText: /msg\/s/ }).waitFor({ state: 'hidden', timeout: 15_000 })
    const log = lakehouseLog()
    assert.match(
      log,
      /pipeline\.start \{"file":"lakehouse\.json","pid":\d+,"args":\["run","--pipeline",".*lakehouse\.json","--source","events","--flow","events_refined","--events"\]\}/,
    )
    assert.match(log, /pipeline\.exit \{"file":"lakehouse\.json","pid":\d+,"jobs":\["source:events","flow:events_refined"\],"code":0/)
  })

  test('open dead letters: a count on the source in the Pipelines view and in the status bar; Show Dead Letters opens the panel on them', async () => {
    // The capture's two lines that are not JSON became dead letters in the run above.
    await treeRow(page, 'Pipelines', /^events\s*stopped.* · 2 dead letters · /).waitFor({ timeout: 60_000 })
    await page.locator('.statusbar-item', { hasText: /2 dead letters/ }).waitFor({ timeout: 15_000 })
    await runCommandAndPick(page, 'Lakehouse: Show Dead Letters', /^lakehouse\.json$/)
    const group = webview(page).locator('tr[data-source="events"][data-reason="invalid-json"]')
    await group.waitFor({ timeout: 60_000 })
    assert.equal(await group.locator('td:nth-child(3)').textContent(), '2')
    await webview(page).locator('tr[data-letter="events/file:events.jsonl/0/25"] button').click()
    await webview(page).locator('pre.caret').waitFor({ timeout: 30_000 })
    assert.equal(await webview(page).locator('.failure .position').textContent(), 'Line 1, column 24 (character 23)')
    await screenshot(page, 'dead-letters-panel')
  })

  test('Show source: a row in the query panel lists the message it came from (Alt+Enter); choosing it opens the topic panel at that message', async () => {
    // queries/source.sql reads raw.events, which the pipeline filled above.
    await openFile(page, 'source.sql')
    // The statement runs from its CodeLens (tested on its own above); when the lens is not drawn yet
    // (seen once after the Dead Letters panel had focus), the same command from the palette runs it.
    const lens = page.locator('.codelens-decoration a', { hasText: /Run statement/ }).first()
    if (
      await lens.waitFor({ timeout: 15_000 }).then(
        () => true,
        () => false,
      )
    )
      await lens.click()
    else await runCommand(page, 'Lakehouse: Run Statement at Cursor')
    await page.locator('.tab.active', { hasText: /^(Query: SELECT _partition|raw\.events)/ }).waitFor({ timeout: 30_000 })
    const frame = webview(page)
    const cell = frame.locator('.grid-row[aria-rowindex="2"]:not(.loading) .grid-cell[data-column="0"]')
    await cell.or(frame.locator('#error:not([hidden])')).first().waitFor({ timeout: 60_000 })
    assert.equal(await frame.locator('#error:not([hidden])').count(), 0, `the query ran: ${await frame.locator('#error').textContent()}`)
    await cell.click()
    await page.keyboard.press('Alt+Enter')
    const message = frame.locator('#source .source-message')
    await message.first().waitFor({ timeout: 60_000 })
    assert.deepEqual(await message.allTextContents(), ['file:events.jsonl/0/7'])
    await screenshot(page, 'show-source')
    await message.first().click()
    await page.locator('.tab.active', { hasText: /^Topic: events/ }).waitFor({ timeout: 30_000 })
    let topic: Awaited<ReturnType<typeof webviewFrame>> | undefined
    for (let i = 0; i < 300 && !topic; i++) {
      topic = await webviewFrame(page, '#messages tbody tr.selected').catch(() => undefined)
      if (!topic) await page.waitForTimeout(200)
    }
    assert.ok(topic, 'the topic panel opens with a message selected')
    assert.deepEqual(await topic.locator('#messages tbody tr.selected td').evaluateAll((cells) => cells.slice(0, 2).map((c) => c.textContent)), ['0', '7'])
    await screenshot(page, 'show-source-topic')
  })

  test('a broker-backed pipeline: the Kafka view shows its topic, ingest fills raw, and the lag drops to 0', async () => {
    const brokerRow = treeRow(page, 'Kafka', new RegExp(`^${broker!.brokers[0].replace(/[.]/g, '\\.')}`))
    await brokerRow.click()
    await treeRow(page, 'Kafka', new RegExp(`^shop\\.clicks\\s*2 partitions · ${CLICKS_MESSAGES} msgs · lag ${CLICKS_MESSAGES}`)).waitFor({ timeout: 60_000 })
    // The topic panel samples it from the broker: messages, decoded, with the source's format.
    await runCommandAndPick(page, 'Lakehouse: Preview Topic Messages', broker!.brokers[0])
    await answer(page, CLICKS_TOPIC)
    await webview(page).getByText('"/p/4"').first().waitFor({ timeout: 60_000 })
    await screenshot(page, 'topic-panel')
    // Writing is refused on a cluster the pipeline file does not mark as dev, saying which file to change.
    await webview(page).locator('#produce-open').click()
    await webview(page)
      .getByText(/is not marked as a dev cluster.*add "dev": true to the "kafka" section in clicks\.lakehouse\.json/)
      .waitFor({ timeout: 15_000 })
    await runCommandAndPick(page, 'Lakehouse: Delete Topic', broker!.brokers[0])
    await notification(page, /Deleting a topic is refused: .* is not marked as a dev cluster.*add "dev": true to "kafka" in clicks\.lakehouse\.json/).waitFor({
      timeout: 15_000,
    })
    await runCommandAndPick(page, 'Lakehouse: Start Pipeline', /^clicks\.lakehouse\.json$/)
    await treeRow(page, 'Pipelines', /^clicks\s*running/).waitFor({ timeout: 60_000 })
    await treeRow(page, 'Lake', new RegExp(`^clicks\\s*${CLICKS_MESSAGES} rows`)).waitFor({ timeout: 60_000 })
    await page.locator('.statusbar-item', { hasText: /msg\/s/ }).waitFor({ timeout: 15_000 })
    await screenshot(page, 'kafka-ingest')
    await runCommand(page, 'Lakehouse: Stop All Pipelines')
    await treeRow(page, 'Pipelines', /^clicks\s*stopped/).waitFor({ timeout: 60_000 })
    // The consumer group's commits follow the Delta commits: after a refresh the lag is 0.
    await runCommand(page, 'Lakehouse: Refresh')
    await treeRow(page, 'Kafka', /^shop\.clicks\s*2 partitions · .* · lag 0/).waitFor({ timeout: 60_000 })
  })

  test('Optimize and Vacuum run in a child process with progress; Vacuum asks first (a modal naming what it would delete; Cancel keeps it, Vacuum deletes it)', async () => {
    await runCommandAndPick(page, 'Lakehouse: Optimize Table', 'raw.orders')
    await notification(page, /raw\.orders: compacted 2 files .* in version 2/).waitFor({ timeout: 60_000 })
    await treeRow(page, 'Lake', /^orders\s*15 rows · .* · v2 · CDF/).waitFor({ timeout: 30_000 })
    // The files OPTIMIZE replaced are younger than the retention: nothing to delete, nothing asked.
    await runCommandAndPick(page, 'Lakehouse: Vacuum Table…', 'raw.orders')
    await notification(page, /raw\.orders: vacuum would delete 0 files .*: nothing to vacuum/).waitFor({ timeout: 60_000 })
    await screenshot(page, 'maintenance')
    assert.match(lakehouseLog(), /maintenance\.start \{"args":\["optimize","--lake",".*","raw\.orders"\]\}/)

    // A file no version names, a month old (left by a crashed writer): past the 7-day retention, so
    // the dry run lists it and a modal dialog asks before anything is deleted.
    const orphan = path.join(workspace, 'lake', 'raw', 'orders', 'part-00000-left-by-a-crashed-writer.snappy.parquet')
    writeFileSync(orphan, 'not a commit of any version')
    const monthAgo = new Date(Date.now() - 30 * 24 * 3600 * 1000)
    utimesSync(orphan, monthAgo, monthAgo)
    const dialog = page.locator('.monaco-dialog-box')
    const askToVacuum = async () => {
      await runCommandAndPick(page, 'Lakehouse: Vacuum Table…', 'raw.orders')
      await dialog.waitFor({ timeout: 60_000 })
      const text = await dialog.innerText()
      assert.match(text, /raw\.orders: vacuum would delete 1 file \(\d+ B\) that no version since .* needs/, text)
      assert.match(text, /Deleted files cannot be recovered/, text)
    }
    await askToVacuum()
    await screenshot(page, 'vacuum-confirm')
    // Cancel: nothing deleted.
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 })
    assert.ok(existsSync(orphan), 'cancelled: the file is still there')
    assert.doesNotMatch(lakehouseLog(), /vacuum\.done/, 'cancelled: no vacuum ran')
    // Confirm: the file goes, and the notification says what was deleted.
    await askToVacuum()
    await dialog.getByRole('button', { name: 'Vacuum', exact: true }).click()
    await notification(page, /raw\.orders: deleted 1 file \(\d+ B\) that no version since .* needs/).waitFor({ timeout: 60_000 })
    assert.equal(existsSync(orphan), false, 'vacuumed: the file is gone')
    assert.match(lakehouseLog(), /vacuum\.done \{"table":"raw\.orders","code":0/)
    await treeRow(page, 'Lake', /^orders\s*15 rows · .* · v2 · CDF/).waitFor({ timeout: 30_000 })
  })

  test('New Pipeline scaffolds a pipeline file from a topic and a format, and the views pick it up', async () => {
    await runCommandAndPick(page, 'Lakehouse: New Pipeline', 'Kafka topic')
    // The brokers of the workspace's pipeline are offered; nothing listens there, so the topic is typed.
    await answer(page, '127.0.0.1:9')
    await answer(page, 'shop.clicks')
    await pick(page, /^debezium$/)
    await page.locator('.tab', { hasText: 'shop_clicks.lakehouse.json' }).waitFor({ timeout: 30_000 })
    await treeRow(page, 'Pipelines', /^shop_clicks\.lakehouse\.json/).waitFor({ timeout: 30_000 })
    await treeRow(page, 'Pipelines', /^shop_clicks\s*not started/).waitFor()
    await treeRow(page, 'Pipelines', /^shop_clicks_refined\s*not started/).waitFor()
    const text = readFileSync(path.join(workspace, 'shop_clicks.lakehouse.json'), 'utf8')
    assert.deepEqual(JSON.parse(text).sources, [
      { name: 'shop_clicks', topic: 'shop.clicks', format: 'debezium', table: 'raw.shop_clicks', startingOffsets: 'earliest' },
    ])
    await screenshot(page, 'new-pipeline')
  })

  test('Show Pipeline Graph draws a pipeline defined in SQL; an error in a definition is a diagnostic at its line and column, gone when fixed', async () => {
    await runCommandAndPick(page, 'Lakehouse: Show Pipeline Graph', /^business\.lakehouse\.json$/)
    const graph = webview(page)
    await graph.locator('g.node[data-id="table:business.customer_totals"]').waitFor({ timeout: 60_000 })
    // The table's latest version as its log on disk has it (earlier tests OPTIMIZE it).
    const commits = readdirSync(path.join(workspace, 'lake', 'raw', 'orders', '_delta_log')).filter((f) => /^\d{20}\.json$/.test(f))
    const latest = Math.max(...commits.map((f) => Number(f.slice(0, 20))))
    assert.equal(await graph.locator('g.node[data-id="table:raw.orders"] text.stats').textContent(), `v${latest} · 15 rows`)
    await screenshot(page, 'pipeline-graph')
    // A statement that does not parse, saved: an error at its line and column.
    await openFile(page, 'totals.sql')
    await page.locator('.monaco-editor .view-lines').first().click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('CREATE MATERIALIZED business.broken AS SELECT 1;')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Control+S')
    await page.keyboard.press('Control+Shift+M')
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /expected MATERIALIZED VIEW, STREAMING TABLE or FLOW after CREATE/ }).first()
    await problem.waitFor({ timeout: 30_000 })
    assert.match(await problem.innerText(), /\[Ln 5, Col 8\]/)
    await screenshot(page, 'definition-diagnostic')
    // Fixed and saved: it goes.
    await page.locator('.monaco-editor .view-lines').first().click()
    await page.keyboard.press('Control+End')
    await page.keyboard.press('Home')
    for (let i = 0; i < 'CREATE MATERIALIZED '.length; i++) await page.keyboard.press('ArrowRight')
    await page.keyboard.type('VIEW ')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Control+S')
    await problem.waitFor({ state: 'detached', timeout: 30_000 })
    await page.keyboard.press('Control+Shift+M')
    assert.match(readFileSync(path.join(workspace, 'business', 'totals.sql'), 'utf8'), /CREATE MATERIALIZED VIEW business\.broken AS SELECT 1;/)
  })

  test('the extension host is still there: a command answers after all of the above', async () => {
    await runCommand(page, 'Lakehouse: Show Engine Version')
    await notification(page, 'Local Lakehouse 0.1.0').waitFor({ timeout: 15_000 })
    assert.ok(await view(page, 'Lake').isVisible())
    assert.doesNotMatch(lakehouseLog(), /\[error\].*(internal error|TypeError|ReferenceError)/)
  })
})
