/**
 * Contrast over every control of every panel in the four kinds of theme VS Code ships (Dark
 * Modern, Light Modern, Dark High Contrast, Light High Contrast), with the CSS variables and body
 * class VS Code itself gives a webview in each (captured from code-server into test/webview/themes
 * by scripts/capture-webview-themes.ts). Each panel shows real data with its states that colour
 * things differently (selected rows and cells, changed cells, an error, statement tabs); then every
 * visible text must reach 4.5:1 against what it is painted on, and every keyboard stop, reached
 * with Tab, must show a focus indicator of 3:1 and keep its text readable while focused. A failure
 * names the theme, the panel, the control, its text and both colours.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { createChangesHandler } from '../../src/extension/panels/changes-handler'
import { createDeadLettersHandler } from '../../src/extension/panels/dead-letters-handler'
import { createGraphHandler } from '../../src/extension/panels/graph-handler'
import { createHistoryHandler } from '../../src/extension/panels/history-handler'
import { createQueryHandler } from '../../src/extension/panels/query-handler'
import { createTopicHandler } from '../../src/extension/panels/topic-handler'
import { PipelineBoard } from '../../src/extension/pipelines/board'
import { parseEventLine } from '../../src/extension/pipelines/events'
import { ingestFile } from '../../src/pipeline/ingest-file'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, QuerySession, runWithDefinitions } from '../../src/query'
import { SHOP_FILE_JOBS, writeShopPipeline } from '../helpers/shop-definitions'
import { checkFocus, checkTexts, report, type ContrastFinding } from './contrast-check'
import { ORDERS, writeOrders } from './fixtures'
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, type OpenPanel } from './harness'

interface Theme {
  theme: string
  bodyClass: string
  variables: Record<string, string>
}

const THEMES_DIR = path.join(import.meta.dirname, 'themes')
const THEMES: Theme[] = readdirSync(THEMES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(THEMES_DIR, f), 'utf8')) as Theme)

const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-contrast-'))
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const log = hostLog()
let browser: Browser
let server: PanelServer
const panels: OpenPanel[] = []

before(async () => {
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start(), writeOrders(lake, lakeDir)])
})

after(async () => {
  for (const panel of panels.slice(1)) await panel.close().catch(() => undefined)
  await closePanelTest({ panel: panels[0], browser, server, others: [lake], removeDir: lakeDir })
})

/** What VS Code does on a theme change: its variables on <html>, its kind as the body's class. */
async function applyTheme(page: Page, theme: Theme): Promise<void> {
  await page.evaluate(({ variables, bodyClass }) => {
    const style = document.documentElement.style
    for (const name of [...style].filter((n) => n.startsWith('--vscode-'))) style.removeProperty(name)
    for (const [name, value] of Object.entries(variables)) style.setProperty(name, value)
    document.body.className = bodyClass
  }, theme)
  // Let custom elements and the grid repaint with the new colours.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
}

const describeFailure = (theme: string, panel: string, f: ContrastFinding) =>
  `${theme} · ${panel}: ${f.kind} of ${f.control}${f.text ? ` “${f.text}”` : ''}: ${f.color} on ${f.background} = ${f.ratio}:1 (needs ${f.needed}:1)`

/**
 * Measures the panel in every theme: the texts in each of `states` (a function that puts the
 * panel in that state), then the keyboard stops of the last state. Returns the failures as text.
 */
async function checkPanel(name: string, page: Page, states: (() => Promise<void>)[]): Promise<string[]> {
  const failures = new Set<string>()
  for (const theme of THEMES) {
    await applyTheme(page, theme)
    const findings: ContrastFinding[] = []
    for (const state of states) {
      await state()
      findings.push(...(await checkTexts(page)))
    }
    findings.push(...(await checkFocus(page)))
    const measured = report(findings)
    assert.ok(measured.checked >= 10, `${theme.theme} · ${name}: only ${measured.checked} things to measure`)
    const focusStops = findings.filter((f) => f.kind === 'focus indicator').length
    assert.ok(focusStops >= 2, `${theme.theme} · ${name}: ${focusStops} keyboard stops reached`)
    console.log(
      `# contrast ${name} in ${theme.theme}: ${measured.checked} measured (${focusStops} keyboard stops), lowest ${measured.lowest?.ratio}:1 (${measured.lowest?.kind} of ${measured.lowest?.control}, needs ${measured.lowest?.needed}:1)`,
    )
    for (const f of measured.failures) failures.add(describeFailure(theme.theme, name, f))
    await page.screenshot({ path: screenshotPath(`contrast-${name}-${theme.theme.toLowerCase().replaceAll(' ', '-')}`) })
  }
  return [...failures]
}

const assertNone = (failures: string[]) => assert.deepEqual(failures, [], `contrast failures:\n${failures.join('\n')}`)

test('the four themes are the ones VS Code gives a webview, captured from code-server', () => {
  assert.deepEqual(THEMES.map((t) => t.theme).sort(), ['Dark High Contrast', 'Dark Modern', 'Light High Contrast', 'Light Modern'])
  for (const t of THEMES) assert.ok(Object.keys(t.variables).length > 500, `${t.theme}: ${Object.keys(t.variables).length} variables`)
})

test('the check itself: low-contrast text, a focused control turning unreadable and a missing focus ring are all caught, in HTML and SVG', async () => {
  const page = await browser.newPage()
  try {
    // The SVG texts sit on a light box (dark text readable, the grey one not); node g1's stroke
    // turns bright when focused (seen), g2's stays the same (no indicator).
    await page.setContent(`<body style="background:#1f1f1f;color:#ccc">
      <p>readable</p><p style="color:#555">dim</p>
      <style>button { background:#0078d4; color:#fff; border:none } #b1:focus { background:#444; color:#555; outline:2px solid #fff; outline-offset:2px } #b2:focus { outline:none }
        svg g { outline: none } svg rect { fill: #eee; stroke: #333; stroke-width: 1 } #g1:focus rect { stroke: #fff; stroke-width: 2 }</style>
      <button id="b1">One</button><button id="b2">Two</button>
      <svg width="300" height="40"><g id="g1" tabindex="0"><rect width="140" height="40"/><text x="5" y="25" fill="#222">on the box</text></g>
        <g id="g2" tabindex="0" transform="translate(150 0)"><rect width="140" height="40"/><text x="5" y="25" fill="#aaa">faint</text></g></svg></body>`)
    const texts = await checkTexts(page)
    assert.deepEqual(
      texts.filter((f) => f.ratio < f.needed).map((f) => f.text),
      ['dim', 'faint'],
    )
    assert.ok(
      texts.some((f) => f.text === 'on the box' && f.background === 'rgb(238, 238, 238)'),
      'an SVG text measured on its box',
    )
    const focus = (await checkFocus(page)).filter((f) => f.ratio < f.needed).map((f) => `${f.kind} ${f.control}`)
    assert.deepEqual(focus, ['focused text button#b1', 'focus indicator button#b2', 'focused text text', 'focus indicator g#g2'])
  } finally {
    await page.close()
  }
})

test('query panel: SQL box, statement tabs, an error, the grid with a selection, every button', async () => {
  const panel = await openPanel(browser, server, 'query', (post) =>
    createQueryHandler(
      {
        session: new QuerySession(lake, catalog),
        chooseExportFile: async () => undefined,
        copyToClipboard: async () => undefined,
        log,
      },
      { sql: `SELECT * FROM ${ORDERS} ORDER BY id; -- every order\nSELECT nope FROM ${ORDERS}`, run: true, lake: lakeDir, restore: { lake: lakeDir } },
      post,
    ),
  )
  panels.push(panel)
  const { page } = panel
  await page.locator('#statement-tab-1.failed').waitFor()
  const failures = await checkPanel('query', page, [
    // The failed statement: its tab and the error.
    async () => {
      await page.locator('#statement-tab-1').click()
      await page.locator('#error').waitFor()
    },
    // The first statement's rows, all selected.
    async () => {
      await page.locator('#statement-tab-0').click()
      await page.locator('.grid-row[aria-rowindex="3"]:not(.loading)').waitFor()
      await page.locator('.grid').focus()
      await page.keyboard.press('Control+a')
      await page.waitForSelector('.grid-cell.in-range')
    },
  ])
  assertNone(failures)
})

test('changes panel: counts, inserts, deletes, updates with changed cells, pinned columns, commits', async () => {
  const panel = await openPanel(browser, server, 'changes', (post) =>
    createChangesHandler({ lake, catalog, log }, { table: ORDERS, from: 0, to: 4, restore: { table: ORDERS, lake: lakeDir } }, post),
  )
  panels.push(panel)
  const { page } = panel
  await page.locator('#diff td.changed').first().waitFor()
  const failures = await checkPanel('changes', page, [
    async () => {
      // A commit's details open, and a key typed in the filter (the Clear button then has work to do).
      const toggle = page.locator('button.commit-toggle').first()
      if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
      await page.locator('#key-value').evaluate((f) => ((f as HTMLElement & { value: string }).value = '2'))
    },
  ])
  assertNone(failures)
})

test('history panel: versions with ticked and open rows, parameters and metrics', async () => {
  const panel = await openPanel(browser, server, 'history', (post) =>
    createHistoryHandler(
      {
        lake,
        catalog,
        openQuery: () => undefined,
        openChanges: () => undefined,
        log,
      },
      { table: ORDERS, restore: { table: ORDERS, lake: lakeDir } },
      post,
    ),
  )
  panels.push(panel)
  const { page } = panel
  await page.locator('tr[data-version]').first().waitFor()
  const failures = await checkPanel('history', page, [
    async () => {
      for (const version of [1, 3]) {
        const box = page.getByRole('checkbox', { name: `Select version ${version}` })
        if ((await box.getAttribute('aria-checked')) !== 'true' && !(await box.isChecked().catch(() => false))) await box.press('Space')
      }
    },
  ])
  assertNone(failures)
})

test('topic panel: partitions, schema tree, messages with one selected, its raw and decoded value', async () => {
  const file = path.join(lakeDir, 'events.jsonl')
  writeFileSync(
    file,
    `${Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: i, kind: i % 2 ? 'click' : 'view', at: `2026-11-24T10:00:0${i}Z` })).join('\n')}\n`,
  )
  const panel = await openPanel(browser, server, 'topic', (post) =>
    createTopicHandler({ lake, catalog, log }, { source: { file, format: 'json' }, restore: {} }, post),
  )
  panels.push(panel)
  const { page } = panel
  await page.locator('#messages tbody tr').first().waitFor()
  const failures = await checkPanel('topic', page, [
    async () => {
      await page.locator('#messages tbody tr[data-index="1"]').click()
      await page.waitForSelector('#decoded')
    },
  ])
  assertNone(failures)
})

test('pipeline graph panel: nodes up to date, running, failed (its error in the details) and selected, edges, the details', async () => {
  const dir = path.join(lakeDir, 'graph')
  mkdirSync(dir)
  const shop = writeShopPipeline(dir, { topic: { name: 'clicks', brokers: ['localhost:9'] } })
  const pipeline = loadPipeline(shop.pipelineFile)
  const graphCatalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  const board = new PipelineBoard()
  board.setJobs(['source:customers', 'source:orders', 'source:clicks', 'flow:big_orders'], Date.now())
  await runWithDefinitions(lake, graphCatalog, pipeline, {
    ...SHOP_FILE_JOBS,
    untilCaughtUp: true,
    onEvent: (event) => {
      const parsed = parseEventLine(JSON.stringify(event))
      if ('event' in parsed) board.apply(parsed.event)
    },
  })
  // One job running, one view failed: each colours its node's state differently.
  board.apply({ type: 'job', job: 'flow:big_orders', state: 'running', at: Date.now() })
  board.apply({ type: 'job', job: 'view:business.revenue_by_country', state: 'failed', error: 'Binder Error: column "country" not found', at: Date.now() })
  const panel = await openPanel(
    browser,
    server,
    'graph',
    (post) =>
      createGraphHandler(
        {
          lake,
          catalog: graphCatalog,
          pipelineFile: shop.pipelineFile,
          jobStatus: (job) => board.status(job),
          relativePath: (file) => path.relative(dir, file),
          openQuery: () => undefined,
          openHistory: () => undefined,
          openDefinition: () => undefined,
          log,
        },
        { restore: { pipelineFile: shop.pipelineFile } },
        post,
      ),
    { viewport: { width: 1500, height: 820 } },
  )
  panels.push(panel)
  const { page } = panel
  await page.waitForSelector('g.node.state-failed[data-id="table:business.revenue_by_country"]')
  await page.waitForSelector('g.node.state-running[data-id="flow:big_orders"]')
  const failures = await checkPanel('graph', page, [
    // The failed view selected: its error in the details.
    async () => {
      await page.locator('g.node[data-id="table:business.revenue_by_country"]').click()
      await page.locator('aside.details pre.node-error').waitFor()
    },
    // A view with expectations selected: its counts in the details.
    async () => {
      await page.locator('g.node[data-id="table:business.customer_revenue"]').click()
      await page.locator('aside.details table.expectations').waitFor()
    },
  ])
  assertNone(failures)
})

test('dead letters panel: groups with one chosen, letters with one selected, its error with a caret, the value as text and as hex', async () => {
  const dir = path.join(lakeDir, 'dead-letters')
  mkdirSync(dir)
  const kcat = (offset: number, payload: string, key: string) =>
    JSON.stringify({
      topic: 'orders',
      partition: 1,
      offset,
      tstype: 'create',
      ts: Date.UTC(2026, 11, 7, 10, offset),
      broker: 0,
      headers: ['origin', 'shop-eu'],
      key,
      payload,
    })
  writeFileSync(
    path.join(dir, 'orders.jsonl'),
    `${[kcat(10, '{"id":1}', 'k10'), kcat(11, '{"id":2,\n "price":12,}', 'order-2'), kcat(12, '\u0001binary{', 'k12'), kcat(13, '[{"id":5}]', 'k13')].join('\n')}\n`,
  )
  const pipelineFile = path.join(dir, 'lakehouse.json')
  writeFileSync(pipelineFile, JSON.stringify({ lake: 'lake', sources: [{ name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' }] }))
  const pipeline = loadPipeline(pipelineFile)
  const lettersCatalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  const ingested = await ingestFile(lake, lettersCatalog, pipeline, pipeline.sources[0])
  assert.equal(ingested.deadLetters, 3)
  const panel = await openPanel(
    browser,
    server,
    'dead-letters',
    (post) =>
      createDeadLettersHandler(
        {
          lake,
          catalog: lettersCatalog,
          pipeline: () => loadPipeline(pipelineFile),
          decoderOptions: async () => ({}),
          confirm: async () => false,
          onLettersChanged: () => undefined,
          log,
        },
        { label: 'lakehouse.json', restore: { pipelineFile } },
        post,
      ),
    { viewport: { width: 1500, height: 900 } },
  )
  panels.push(panel)
  const { page } = panel
  await page.locator('tr[data-source]').first().waitFor()
  const openLetter = async (id: string) => {
    await page.locator(`tr[data-letter="${id}"]`).getByRole('button').click()
    await page.waitForFunction((wanted) => document.querySelector('#letter h2')?.textContent?.startsWith(wanted.replaceAll('/', ' / ')), id)
  }
  const hex = async (on: boolean) => {
    if (((await page.locator('#value').getAttribute('class')) ?? '').includes('hex') !== on) await page.locator('#hex').click()
    await page.waitForFunction((wanted) => document.querySelector('#value')?.classList.contains('hex') === wanted, on)
  }
  const failures = await checkPanel('dead-letters', page, [
    // A binary letter: its value in hex.
    async () => {
      await openLetter('orders/orders/1/12')
      await page.locator('#value.hex').waitFor()
    },
    // The group of invalid JSON chosen, its letter with the caret where parsing failed, as text then as hex.
    async () => {
      await page.locator('tr[data-source="orders"][data-reason="invalid-json"] td:nth-child(2) button').click()
      await page.waitForFunction(() => document.querySelector('#group:not([hidden]) h3')?.textContent === 'orders · invalid-json')
      await openLetter('orders/orders/1/11')
      await page.locator('pre.caret').waitFor()
      await hex(true)
    },
    async () => {
      await hex(false)
    },
  ])
  assertNone(failures)
})
