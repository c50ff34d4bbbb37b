/**
 * The query panel in headless Chromium over a real lake (see harness.ts for what stands in for
 * VS Code's webview API): a 1M-row result scrolled to its end and to row 900,000 with pages
 * fetched on demand, sorting, copying, exporting, a chart, cancelling, hide/show and reload,
 * untrusted cell text, and malformed messages in both directions.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table'
import { createQueryHandler } from '../../src/extension/panels/query-handler'
import { LakeCatalog, QuerySession, runQuery } from '../../src/query'
import { firstPaint, hostLog, launchBrowser, until, openPanel, PanelServer, screenshotPath, type OpenPanel, reportFirstPaint, closePanelTest } from './harness'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-query-panel-'))
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const log = hostLog()
const clipboard: string[] = []
let browser: Browser
let server: PanelServer
let panel: OpenPanel
let exportCount = 0

before(async () => {
  await appendQuery(
    lake,
    path.join(lakeDir, 'raw', 'events'),
    `SELECT i::BIGINT AS id, 'c' || (i % 5) AS customer, ((i % 1000) * 1.5)::DECIMAL(12,2) AS amount,
    CASE WHEN i = 0 THEN '${XSS_IMG}' WHEN i = 1 THEN '${XSS_SCRIPT}' WHEN i % 7 = 0 THEN NULL ELSE 'note ' || i END AS note
    FROM range(1000000) t(i)`,
  )
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start()])
  panel = await openPanel(browser, server, 'query', (post) =>
    createQueryHandler(
      {
        session: new QuerySession(lake, catalog),
        chooseExportFile: async (format) => path.join(lakeDir, `export-${++exportCount}.${format}`),
        copyToClipboard: async (text) => void clipboard.push(text),
        log,
      },
      { sql: 'SELECT * FROM raw.events', run: true, lake: lakeDir, restore: { lake: lakeDir } },
      post,
    ),
  )
  // The first rows wait for the 1M-row query to be materialised in DuckDB.
  await reportFirstPaint('query', panel.page, '.grid-row[aria-rowindex="2"]:not(.loading)')
})

after(() => closePanelTest({ panel, browser, server, others: [lake], removeDir: lakeDir }))

const pageRequests = () => panel.toHost.filter((m): m is { type: 'page'; offset: number; limit: number } => (m as { type: string }).type === 'page')
/** The grid's rendered rows: row number and cell texts. */
const visibleRows = () =>
  panel.page.$$eval('.grid-row:not([hidden])', (rows) =>
    rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')).sort((a, b) => Number(a[0]) - Number(b[0])),
  )

test('runs the query from the command and shows the first rows, column types and the row count', async () => {
  const { page } = panel
  await page.getByRole('status').filter({ hasText: '1,000,000 rows' }).waitFor()
  const headers = await page.$$eval('.grid-colheader', (cells) =>
    cells.map((c) => [c.querySelector('.grid-colname')!.textContent, c.querySelector('.grid-coltype')!.textContent]),
  )
  assert.deepEqual(headers, [
    ['id', 'BIGINT'],
    ['customer', 'VARCHAR'],
    ['amount', 'DECIMAL(12,2)'],
    ['note', 'VARCHAR'],
  ])
  await page.waitForSelector('.grid-row[aria-rowindex="2"]:not(.loading)')
  const rows = await visibleRows()
  assert.deepEqual(rows[2], ['3', '2', 'c2', '3.00', 'note 2'])
  assert.equal(await page.getAttribute('.grid', 'aria-rowcount'), '1000001')
  assert.deepEqual(panel.consoleErrors, [])
  // The host started the run as the panel opened and sent the first rows with the result: the page asked for neither.
  assert.deepEqual(
    panel.toHost.filter((m) => (m as { type: string }).type === 'run'),
    [],
  )
  assert.deepEqual(
    pageRequests().filter((r) => r.offset === 0),
    [],
  )
  const sent = panel.toPanel.find((m) => (m as { type: string }).type === 'result') as { firstPage?: unknown[][] }
  assert.equal(sent.firstPage?.length, 200)
  const third = sent.firstPage?.[2] ?? []
  assert.deepEqual([String(third[0]), third[1], third[3]], ['2', 'c2', 'note 2'])
  await page.screenshot({ path: screenshotPath('query') })
})

test('scrolling to the end and to row 900,000 fetches only the pages in view', async () => {
  const { page } = panel
  const before = pageRequests().length
  await page.$eval('.grid', (grid) => (grid.scrollTop = grid.scrollHeight))
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.grid-row:not([hidden]):not(.loading)')].some((row) => row.children[0].textContent === '1000000'),
  )
  let rows = await visibleRows()
  assert.deepEqual(rows.at(-1)!.slice(0, 3), ['1000000', '999999', 'c4'])
  const scrollRequests = pageRequests().slice(before)
  assert.ok(scrollRequests.length >= 1 && scrollRequests.length <= 4, `pages asked for: ${JSON.stringify(scrollRequests)}`)
  for (const request of scrollRequests) {
    assert.ok(request.limit <= 200, `a page of ${request.limit} rows`)
    assert.ok(request.offset >= 999_000, `nothing between the top and the end was fetched (offset ${request.offset})`)
  }

  // Row 900,000 (index 899,999) to the top of the view: scrollTop is proportional beyond the browser's height limit.
  const mid = pageRequests().length
  await page.$eval('.grid', (grid) => {
    const view = grid.clientHeight - 40
    const range = 1_000_000 * 22 - view
    grid.scrollTop = ((899_999 * 22) / range) * (grid.scrollHeight - grid.clientHeight)
  })
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.grid-row:not([hidden]):not(.loading)')].some((row) => row.children[0].textContent === '900000'),
  )
  rows = await visibleRows()
  const row = rows.find((r) => r[0] === '900000')!
  assert.deepEqual(row, ['900000', '899999', 'c4', '1498.50', 'note 899999'])
  const midRequests = pageRequests().slice(mid)
  assert.ok(midRequests.length <= 3 && midRequests.every((r) => r.offset >= 899_000 && r.offset < 901_000 && r.limit <= 200), JSON.stringify(midRequests))
  assert.equal(await page.getAttribute('.grid-row[aria-rowindex="900001"]', 'aria-rowindex'), '900001')
})

test('clicking a header sorts (ascending, descending); the order reaches the pages and the export', async () => {
  const { page } = panel
  const header = page.getByRole('columnheader', { name: /^id/ })
  await header.getByRole('button').click()
  assert.equal(await header.getAttribute('aria-sort'), 'ascending')
  await header.getByRole('button').click()
  assert.equal(await header.getAttribute('aria-sort'), 'descending')
  // The ascending page may still be on screen, or the descending one loading ('…'): wait for the
  // first row to show the descending order, then compare (a wait that runs out shows what is there).
  await page
    .waitForFunction(() => document.querySelector('.grid-row[aria-rowindex="2"]:not(.loading)')?.children[1]?.textContent === '999999', null, {
      timeout: 15_000,
    })
    .catch(() => {})
  assert.deepEqual((await visibleRows())[0].slice(0, 2), ['1', '999999'])
  const last = pageRequests().at(-1)!
  assert.deepEqual((last as { sort?: unknown }).sort, { column: 'id', direction: 'desc' })

  await page.$eval('#format', (select) => ((select as HTMLElement & { value: string }).value = 'parquet'))
  await page.locator('#export').click()
  await page.getByRole('status').filter({ hasText: 'Exported 1,000,000 rows' }).waitFor()
  const file = path.join(lakeDir, `export-${exportCount}.parquet`)
  assert.deepEqual((await runQuery(lake, catalog, `SELECT count(*) AS n FROM read_parquet('${file}')`)).rows, [{ n: 1_000_000 }])
  assert.deepEqual((await runQuery(lake, catalog, `SELECT id FROM read_parquet('${file}') LIMIT 2`)).rows, [{ id: 999_999 }, { id: 999_998 }])
})

test('copying the active cell and rows goes to the host clipboard', async () => {
  const { page } = panel
  await page.locator('.grid-row[aria-rowindex="3"] .grid-cell').nth(1).click()
  await page.keyboard.press('Control+c')
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Copied'))
  assert.equal(clipboard.at(-1), 'c3')
  // Row numbers select rows; Shift extends; "Copy with header" adds the column names.
  await page.locator('.grid-row[aria-rowindex="2"] .grid-rownum').click()
  await page.locator('.grid-row[aria-rowindex="3"] .grid-rownum').click({ modifiers: ['Shift'] })
  await page.locator('#copy-rows').click()
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.includes('2 rows × 4 columns as TSV'))
  assert.equal(clipboard.at(-1), 'id\tcustomer\tamount\tnote\n999999\tc4\t1498.50\t\n999998\tc3\t1497.00\tnote 999998')
  // Arrow keys move the active cell, announced through aria-activedescendant.
  await page.locator('.grid').focus()
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowRight')
  const active = () => page.$eval('.grid', (grid) => document.getElementById(grid.getAttribute('aria-activedescendant') ?? '')?.textContent)
  await page.waitForFunction(() => document.querySelector('.grid-cell.active')?.textContent === '1495.50')
  assert.equal(await active(), '1495.50', 'row 999997, the column right of customer')
})

test('Ctrl+F finds in the whole result, in its order, run in the engine', async () => {
  const { page } = panel
  // The result is the 1M rows sorted by id descending (the sort test): the matches come in that order.
  const expected = (await runQuery(lake, catalog, `SELECT id FROM raw.events WHERE note ILIKE '%note 99999%' ORDER BY id DESC`)).rows.map((r) => Number(r.id))
  assert.ok(expected.length > 1)
  await page.locator('.grid').focus()
  await page.keyboard.press('Control+f')
  await page.waitForSelector('#grid-find-input:focus')
  await page.keyboard.type('NOTE 99999')
  await page.keyboard.press('Enter')
  await page.waitForFunction((n) => document.getElementById('grid-find-status')?.textContent === `1 of ${n} rows`, expected.length)
  const find = panel.toHost.filter((m) => (m as { type: string }).type === 'find').at(-1) as { sort?: unknown; text: string }
  assert.deepEqual([find.text, find.sort], ['note 99999', { column: 'id', direction: 'desc' }])
  const activeText = () => page.evaluate(() => document.querySelector('.grid-cell.active')?.textContent)
  await page.waitForFunction((id) => document.querySelector('.grid-cell.active')?.textContent === `note ${id}`, expected[0])
  const activeRow = () => page.evaluate(() => Number(document.querySelector('.grid-cell.active')?.closest('.grid-row')?.getAttribute('aria-rowindex')) - 2)
  assert.equal(await activeRow(), 999_999 - expected[0])
  assert.ok((await page.locator('.grid-cell.match').count()) >= 1, 'the matching cells on screen are marked')
  await page.keyboard.press('Enter')
  await page.waitForFunction((id) => document.querySelector('.grid-cell.active')?.textContent === `note ${id}`, expected[1])
  await page.keyboard.press('Shift+Enter')
  await page.waitForFunction((id) => document.querySelector('.grid-cell.active')?.textContent === `note ${id}`, expected[0])
  assert.equal(await activeText(), `note ${expected[0]}`)
  await page.keyboard.press('Escape')
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('grid')), true)
  assert.equal(await page.locator('.grid-find').isHidden(), true)
})

test('keyboard only: view values (JSON, JSON text, binary, whole rows), select all, copy in every format, columns sized, pinned and kept in view', async () => {
  const { page } = panel
  await page.locator('#sql').evaluate(
    (el) =>
      ((el as HTMLElement & { value: string }).value = `SELECT id, customer, note, {'a': id, 'b': [1, 2]} AS nested,
    '{"k": [1, 2], "s": "x"}' AS json_text, '\\xDE\\xAD\\x41'::BLOB AS bin, repeat('long text ', 60) AS long_text FROM raw.events WHERE id < 3 ORDER BY id`),
  )
  await page.locator('#run').click()
  await page
    .getByRole('status')
    .filter({ hasText: /^3 rows/ })
    .waitFor()
  await page.waitForSelector('.grid-row[aria-rowindex="4"]:not(.loading)')
  await page.locator('.grid').focus()
  await page.keyboard.press('Control+Home')
  await page.keyboard.press('Home')
  // Enter: the cell viewer; Escape returns to the grid.
  await page.keyboard.press('Enter')
  await page.waitForSelector('#grid-viewer')
  assert.equal(await page.locator('#grid-viewer h2').textContent(), 'id, row 1')
  assert.equal(await page.locator('#grid-viewer .viewer-value').textContent(), '0')
  await page.keyboard.press('Escape')
  assert.equal(await page.locator('#grid-viewer').count(), 0)
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('grid')), true)
  const viewed = async () => {
    await page.keyboard.press('Enter')
    await page.waitForSelector('#grid-viewer')
    const shown = [await page.locator('#grid-viewer .viewer-kind').textContent(), await page.locator('#grid-viewer .viewer-value').textContent()]
    await page.keyboard.press('Escape')
    return shown
  }
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight')
  assert.deepEqual(await viewed(), [`STRUCT("a" BIGINT, "b" INTEGER[]) · JSON, pretty-printed`, '{\n  "a": 0,\n  "b": [\n    1,\n    2\n  ]\n}'])
  await page.keyboard.press('ArrowRight')
  assert.deepEqual(await viewed(), ['VARCHAR · text holding JSON, pretty-printed', '{\n  "k": [\n    1,\n    2\n  ],\n  "s": "x"\n}'])
  await page.keyboard.press('ArrowRight')
  assert.deepEqual(await viewed(), ['BLOB · binary, 3 bytes, in hex', '00000000  de ad 41                                         |..A|'])
  await page.keyboard.press('ArrowRight')
  const [kind, long] = await viewed()
  assert.equal(kind, 'VARCHAR · 600 characters')
  assert.equal(long, 'long text '.repeat(60))
  // Shift+Enter: the whole row.
  await page.keyboard.press('Shift+Enter')
  await page.waitForSelector('#grid-viewer .viewer-row')
  assert.deepEqual(await page.$$eval('#grid-viewer .viewer-row th > span:first-child', (c) => c.map((e) => e.textContent)), [
    'id',
    'customer',
    'note',
    'nested',
    'json_text',
    'bin',
    'long_text',
  ])
  await page.keyboard.press('Escape')

  // The active cell stays in view sideways, in a narrow panel.
  const size = page.viewportSize()!
  await page.setViewportSize({ width: 560, height: size.height })
  try {
    const inView = () =>
      page.evaluate(() => {
        const grid = document.querySelector('.grid')!.getBoundingClientRect()
        const cell = document.querySelector('.grid-cell.active')!.getBoundingClientRect()
        const pinnedRight = Math.max(
          grid.left + 64,
          ...[...document.querySelectorAll('.grid-row:not([hidden]) .grid-cell.pinned')].map((c) => c.getBoundingClientRect().right),
        )
        // Whole, or (wider than the room right of the pinned columns) starting where that room starts.
        return cell.left >= pinnedRight - 1 && (cell.right <= grid.right + 1 || Math.abs(cell.left - pinnedRight) < 2)
      })
    await page.keyboard.press('End')
    await page.waitForFunction(() => document.querySelector('.grid-cell.active')?.getAttribute('data-column') === '6')
    assert.equal(await inView(), true, 'End shows the last column')
    assert.ok((await page.$eval('.grid', (g) => g.scrollLeft)) > 0)
    await page.keyboard.press('Home')
    await page.waitForFunction(() => document.querySelector('.grid')!.scrollLeft === 0)
    // Pinned through the first column (context menu by keyboard): it stays at the left edge.
    await page.keyboard.press('Shift+F10')
    await page.waitForSelector('#context-menu')
    await page.getByRole('menuitem', { name: /Pin columns through “id”/ }).focus()
    await page.keyboard.press('Enter')
    await page.keyboard.press('End')
    await page.waitForFunction(
      () => document.querySelector('.grid')!.scrollLeft > 0 && document.querySelector('.grid-cell.active')?.getAttribute('data-column') === '6',
    )
    const [gridLeft, idLeft] = await page.evaluate(() => [
      document.querySelector('.grid')!.getBoundingClientRect().left,
      document.querySelector('.grid-row:not([hidden]) .grid-cell[data-column="0"]')!.getBoundingClientRect().left,
    ])
    assert.ok(Math.abs(idLeft - (gridLeft + 1 + 64)) < 2, `the pinned id column stays right of the row numbers (${idLeft} vs ${gridLeft})`)
    assert.equal(await inView(), true)
    await page.screenshot({ path: screenshotPath('query-grid-pinned') })
  } finally {
    await page.setViewportSize(size)
  }

  // Column widths: Alt+Right widens the active column; the header's handle drags and double-click fits.
  await page.keyboard.press('Home')
  await page.keyboard.press('ArrowRight')
  const width = (column: number) => page.$eval(`.grid-colheader[aria-colindex="${column + 2}"]`, (c) => c.getBoundingClientRect().width)
  const before = await width(1)
  await page.keyboard.press('Alt+ArrowRight')
  await page.waitForFunction(([w]) => document.querySelector('.grid-colheader[aria-colindex="3"]')!.getBoundingClientRect().width === w + 16, [before])
  const handle = (await page.locator('.grid-colheader[aria-colindex="3"] .grid-resizer').boundingBox())!
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2)
  await page.mouse.down()
  await page.mouse.move(handle.x + handle.width / 2 + 60, handle.y + handle.height / 2, { steps: 4 })
  await page.mouse.up()
  assert.equal(Math.round(await width(1)), Math.round(before + 16 + 60))
  await page.locator('.grid-colheader[aria-colindex="3"] .grid-resizer').dblclick()
  const fitted = await width(1)
  assert.ok(fitted < before + 16 + 60, `'customer' (values c0…c2) fits narrower than dragged: ${fitted}`)
  assert.equal(await page.$eval('.grid-colheader[aria-colindex="3"] .grid-colname', (n) => n.scrollWidth <= n.clientWidth), true, 'its name is whole')

  // Ctrl+A selects every cell; Ctrl+C copies them as TSV.
  await page.locator('.grid').focus()
  await page.keyboard.press('Control+a')
  await page.waitForFunction(() => document.querySelectorAll('.grid-cell.in-range').length === 21)
  assert.equal(await page.evaluate(() => window.getSelection()?.toString() ?? ''), '', 'the page text is not selected')
  await page.keyboard.press('Control+c')
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Copied 3 row(s) × 7 column(s)'))
  assert.equal(clipboard.at(-1)!.split('\n').length, 3)
  assert.deepEqual(clipboard.at(-1)!.split('\n')[0].split('\t').slice(0, 3), ['0', 'c0', XSS_IMG])
  // The context menu's formats, chosen by keyboard.
  const copyAs = async (label: RegExp) => {
    const count = clipboard.length
    await page.locator('.grid').focus()
    await page.keyboard.press('Shift+F10')
    await page.waitForSelector('#context-menu')
    await page.getByRole('menuitem', { name: label }).focus()
    await page.keyboard.press('Enter')
    await until(() => clipboard.length > count)
    return clipboard.at(-1)!
  }
  const json = JSON.parse(await copyAs(/Copy as JSON/))
  assert.equal(json.length, 3)
  assert.deepEqual([json[1].id, json[1].customer, json[1].nested, json[1].bin], [1, 'c1', { a: 1, b: [1, 2] }, '3q1B'])
  const csv = await copyAs(/Copy as CSV/)
  assert.equal(csv.split('\r\n')[0], 'id,customer,note,nested,json_text,bin,long_text')
  assert.equal(csv.split('\r\n')[1].split(',').slice(0, 2).join(','), '0,c0')
  assert.match(csv, /"{""k"": \[1, 2\], ""s"": ""x""}"/)
  const markdown = await copyAs(/Copy as Markdown/)
  assert.equal(markdown.split('\n')[0], '| id | customer | note | nested | json_text | bin | long_text |')
  assert.equal(markdown.split('\n')[1], '| --- | --- | --- | --- | --- | --- | --- |')
  const sql = await copyAs(/Copy as SQL INSERT/)
  assert.equal(sql.split('\n').length, 3)
  assert.match(sql.split('\n')[1], /^INSERT INTO raw\.events \(id, customer, note, nested, json_text, bin, long_text\) VALUES \(1, 'c1', '<\/script><script>/)
  // Round trip: the INSERTs load into DuckDB as the rows they came from.
  const db = await lake.duckdb()
  await db.run(
    `CREATE SCHEMA IF NOT EXISTS raw_copy; CREATE OR REPLACE TABLE raw_copy.events (id BIGINT, customer VARCHAR, note VARCHAR, nested VARCHAR, json_text VARCHAR, bin VARCHAR, long_text VARCHAR)`,
  )
  await db.run(sql.replaceAll('INSERT INTO raw.events', 'INSERT INTO raw_copy.events'))
  assert.deepEqual(
    (await db.rows('SELECT id, customer, note FROM raw_copy.events ORDER BY id')).map((r) => r.note),
    [XSS_IMG, XSS_SCRIPT, 'note 2'],
  )
  await db.run('DROP TABLE raw_copy.events')
  assert.deepEqual(panel.consoleErrors, [])
})

test('timestamps read as in every panel, in the grid, its copies and the exports: UTC named, no T, the fraction when there is one', async () => {
  const { page } = panel
  await page
    .locator('#sql')
    .evaluate(
      (el) =>
        ((el as HTMLElement & { value: string }).value =
          `SELECT TIMESTAMPTZ '2026-11-24 10:00:03.25+00' AS tz, TIMESTAMP '2026-11-24 10:00:03' AS ntz, TIMESTAMPTZ '2026-11-24 10:00:03.123456+00' AS micro, NULL::TIMESTAMPTZ AS missing`),
    )
  await page.locator('#run').click()
  await page
    .getByRole('status')
    .filter({ hasText: /^1 row/ })
    .waitFor()
  await page.waitForSelector('.grid-row[aria-rowindex="2"]:not(.loading)')
  const shown = ['2026-11-24 10:00:03.250 UTC', '2026-11-24 10:00:03', '2026-11-24 10:00:03.123456 UTC']
  assert.deepEqual((await visibleRows())[0].slice(1, 4), shown)
  // Copied by keyboard (the active cell, then the row as TSV, CSV and JSON from the context menu).
  const copied = async (keys: string[], menuItem?: RegExp) => {
    const count = clipboard.length
    await page.locator('.grid').focus()
    for (const key of keys) await page.keyboard.press(key)
    if (menuItem) {
      await page.keyboard.press('Shift+F10')
      await page.getByRole('menuitem', { name: menuItem }).focus()
      await page.keyboard.press('Enter')
    }
    await until(() => clipboard.length > count)
    return clipboard.at(-1)!
  }
  assert.equal(await copied(['Home', 'Control+c']), shown[0])
  assert.equal((await copied(['Control+a', 'Control+c'])).split('\t').slice(0, 3).join('|'), shown.join('|'))
  assert.equal((await copied([], /Copy as CSV/)).split('\r\n')[1], `${shown.join(',')},`)
  assert.deepEqual(JSON.parse(await copied([], /Copy as JSON/)), [{ tz: shown[0], ntz: shown[1], micro: shown[2], missing: null }])
  assert.match(
    await copied([], /Copy as SQL INSERT/),
    /VALUES \('2026-11-24 10:00:03\.250 UTC', '2026-11-24 10:00:03', '2026-11-24 10:00:03\.123456 UTC', NULL\);$/,
  )
  // Exported files say it the same way (Parquet keeps its timestamp types).
  for (const format of ['csv', 'jsonl', 'parquet'] as const) {
    await page.$eval('#format', (select, f) => ((select as HTMLElement & { value: string }).value = f), format)
    const file = path.join(lakeDir, `export-${exportCount + 1}.${format}`)
    await page.locator('#export').click()
    await page
      .getByRole('status')
      .filter({ hasText: `to ${file}` })
      .waitFor()
    if (format === 'csv') assert.equal(readFileSync(file, 'utf8').split('\n')[1], `${shown.join(',')},`)
    if (format === 'jsonl') assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { tz: shown[0], ntz: shown[1], micro: shown[2], missing: null })
    if (format === 'parquet') {
      const [row] = (await runQuery(lake, catalog, `SELECT typeof(tz) AS tz, typeof(ntz) AS ntz FROM read_parquet('${file}')`)).rows
      assert.deepEqual(row, { tz: 'TIMESTAMP WITH TIME ZONE', ntz: 'TIMESTAMP' })
    }
  }
})

test('the query box is highlighted as typed: keywords, strings, numbers, comments; its text never becomes markup', async () => {
  const { page } = panel
  const box = page.locator('#sql')
  await box.evaluate((el) => ((el as HTMLTextAreaElement).value = ''))
  await box.focus()
  await page.keyboard.type('SELECT \'<img src=x onerror="window.__xss=9">\' AS note, 42 -- why\nFROM raw.events')
  const runs = () => page.locator('.sql-highlight span').evaluateAll((spans) => spans.map((s) => [s.className, s.textContent]))
  assert.deepEqual(await runs(), [
    ['sql-keyword', 'SELECT'],
    ['sql-string', `'<img src=x onerror="window.__xss=9">'`],
    ['sql-keyword', 'AS'],
    ['sql-number', '42'],
    ['sql-comment', '-- why'],
    ['sql-keyword', 'FROM'],
  ])
  // The copy behind the box holds exactly the box's text, laid out the same (same size, same first line).
  const copy = await page.evaluate(() => {
    const textarea = document.getElementById('sql') as HTMLTextAreaElement
    const highlight = document.querySelector('.sql-highlight') as HTMLElement
    const [a, b] = [textarea.getBoundingClientRect(), highlight.getBoundingClientRect()]
    return {
      text: highlight.textContent,
      value: textarea.value,
      same: [a.left, a.top, a.width, a.height].join() === [b.left, b.top, b.width, b.height].join(),
      hidden: highlight.getAttribute('aria-hidden'),
    }
  })
  await page.screenshot({ path: screenshotPath('query-highlight'), clip: (await page.locator('.sql-editor').boundingBox())! })
  assert.equal(copy.text, copy.value)
  assert.ok(copy.same, 'the highlighted copy lies exactly under the box')
  assert.equal(copy.hidden, 'true', 'screen readers read the box, not the copy')
  assert.equal(await page.locator('img').count(), 0)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
  // Text set by code (a command, the saved state) is highlighted too.
  await box.evaluate((el) => ((el as HTMLTextAreaElement).value = 'DELETE FROM raw.events'))
  assert.deepEqual(await runs(), [
    ['sql-keyword', 'DELETE'],
    ['sql-keyword', 'FROM'],
  ])
})

test('untrusted cell text is shown as text and runs nothing', async () => {
  const { page } = panel
  await page.locator('#sql').evaluate((el) => ((el as HTMLElement & { value: string }).value = 'SELECT id, note FROM raw.events WHERE id < 2 ORDER BY id'))
  await page.locator('#run').click()
  await page
    .getByRole('status')
    .filter({ hasText: /^2 rows/ })
    .waitFor()
  await page.waitForSelector('.grid-row[aria-rowindex="3"]:not(.loading)')
  const notes = (await visibleRows()).map((r) => r[2])
  assert.deepEqual(notes, [XSS_IMG, XSS_SCRIPT])
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
  // The panel's own script is the page's one script (inline, with the page's nonce): nothing else was injected.
  assert.equal(await page.locator('img, script:not([nonce])').count(), 0)
  assert.equal(await page.locator('script').count(), 1)
})

test('a chart of a small aggregate result', async () => {
  const { page } = panel
  await page
    .locator('#sql')
    .evaluate(
      (el) =>
        ((el as HTMLElement & { value: string }).value =
          'SELECT customer, sum(amount) AS total, count(*) AS n FROM raw.events GROUP BY customer ORDER BY customer'),
    )
  await page.locator('#sql').press('Control+Enter')
  await page
    .getByRole('status')
    .filter({ hasText: /^5 rows/ })
    .waitFor()
  await page.locator('#chart-toggle').click()
  await page.waitForSelector('svg.chart rect.chart-bar')
  assert.equal(await page.locator('svg.chart rect.chart-bar').count(), 5)
  assert.deepEqual(await page.locator('svg.chart text.chart-label').allTextContents(), ['c0', 'c1', 'c2', 'c3', 'c4'])
  assert.match((await page.locator('svg.chart').getAttribute('aria-label'))!, /Bar chart of total by customer/)
  await page.screenshot({ path: screenshotPath('query-chart') })
  await page.$eval('#chart-kind', (select) => {
    const s = select as HTMLElement & { value: string }
    s.value = 'line'
    s.dispatchEvent(new Event('change'))
  })
  await page.waitForSelector('svg.chart polyline.chart-line')
  await page.locator('#chart-toggle').click()
})

test('cancel stops a long query and the panel stays usable', async () => {
  const { page } = panel
  await page
    .locator('#sql')
    .evaluate((el) => ((el as HTMLElement & { value: string }).value = 'SELECT count(*) FROM range(1000000000) a CROSS JOIN range(1000000000) b'))
  await page.locator('#run').click()
  await page.getByRole('status').filter({ hasText: 'Running' }).waitFor()
  await page.locator('#cancel').click()
  await page.getByRole('status').filter({ hasText: 'Cancelled' }).waitFor()
  assert.equal(await page.locator('#run').evaluate((b) => (b as HTMLElement & { disabled: boolean }).disabled), false)
  // The grid still shows the previous result: said so, not passed off as this query's.
  assert.match((await page.locator('#stale').textContent())!, /^Previous result \(the last run was cancelled\): 5 rows/)
  assert.equal(await page.locator('.grid-container.stale').count(), 1)
})

test('a hidden and shown panel gets its SQL, result, order and scroll position back', async () => {
  const { page } = panel
  await page.locator('#sql').evaluate((el) => ((el as HTMLElement & { value: string }).value = 'SELECT id FROM raw.events'))
  await page.locator('#run').click()
  await page.getByRole('status').filter({ hasText: '1,000,000 rows' }).waitFor()
  assert.equal(await page.locator('#stale').isHidden(), true)
  assert.equal(await page.locator('.grid-container.stale').count(), 0)
  await page.getByRole('columnheader', { name: /^id/ }).getByRole('button').click()
  await page.$eval('.grid', (grid) => (grid.scrollTop = 220_000))
  await until(() => ((panel.state() as { firstRow?: number }).firstRow ?? 0) > 1000)
  const saved = panel.state() as { sql: string; firstRow: number; sort: unknown }
  assert.equal(saved.sql, 'SELECT id FROM raw.events')
  assert.deepEqual(saved.sort, { column: 'id', direction: 'asc' })
  assert.ok(saved.firstRow > 1000, `first row ${saved.firstRow}`)

  // The page in view is kept in the state once it has arrived.
  const cacheOf = () => panel.state() as { cache?: { offset: number; rows: unknown[][] }; firstRow: number }
  await until(() => {
    const { cache, firstRow } = cacheOf()
    return cache !== undefined && cache.offset <= firstRow && firstRow < cache.offset + cache.rows.length
  })
  const cached = cacheOf().cache!
  Object.assign(saved, { firstRow: cacheOf().firstRow })
  const pagesBefore = pageRequests().length
  await panel.reload()
  // Painted from the state: the rows in view are there before the host sends anything.
  const restore = await firstPaint(page, `.grid-row:not(.loading)[aria-rowindex="${saved.firstRow + 2}"]`)
  console.log(`# restore query: rows in view ${restore.rows} ms after navigation (from the panel's state)`)
  await page.getByRole('status').filter({ hasText: '1,000,000 rows' }).waitFor()
  assert.ok(
    pageRequests()
      .slice(pagesBefore)
      .every((request) => request.offset !== cached.offset),
    'the cached page is not asked for again',
  )
  assert.equal(await page.locator('#sql').evaluate((el) => (el as HTMLElement & { value: string }).value), 'SELECT id FROM raw.events')
  assert.equal(await page.getByRole('columnheader', { name: /^id/ }).getAttribute('aria-sort'), 'ascending')
  await page.waitForFunction(
    (first) => [...document.querySelectorAll('.grid-row:not([hidden]):not(.loading)')].some((row) => row.children[0].textContent === String(first + 1)),
    saved.firstRow,
  )
})

test('malformed messages are rejected and logged on both sides; nothing breaks', async () => {
  const { page } = panel
  const errorsBefore = log.errors.length
  await page.evaluate(async () => {
    const send = (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost
    await send({ type: 'page', requestId: 1, resultId: 'r1', offset: -5, limit: 10 })
    await send({ type: 'drop-tables' })
    await send({ type: 'run', sql: 42 })
    await send('run')
  })
  assert.deepEqual(log.errors.slice(errorsBefore), [
    'query panel: rejected a message: message.offset: -5 is outside 0..9007199254740991',
    'query panel: rejected a message: message: unknown message type "drop-tables"',
    'query panel: rejected a message: message.sql: expected text, got number',
    'query panel: rejected a message: message: expected a message object, got string',
  ])
  const consoleBefore = panel.consoleErrors.length
  await panel.postToPanel({ type: 'result', info: { id: 'x', columns: 'all', rowCount: 1, elapsedMs: 1, tables: [] } })
  await panel.postToPanel({ type: 'page', requestId: 1, resultId: 'r', offset: 0, rows: [[{ toString: null }]], rowCount: 1, extra: true })
  await panel.postToPanel({ type: 'init', sql: `<img src=x onerror="window.__xss=3">`, run: false, restore: {}, lake: 7 })
  await until(() => panel.consoleErrors.length >= consoleBefore + 3)
  assert.deepEqual(
    panel.consoleErrors.slice(consoleBefore).map((e) => e.replace(/^.*?rejected/, 'rejected')),
    [
      'rejected a message from the host: message.info.columns: expected an array, got string',
      "rejected a message from the host: message: unexpected property 'extra'",
      'rejected a message from the host: message.lake: expected text, got number',
    ],
  )
  // Still working.
  await page.locator('#run').click()
  await page.getByRole('status').filter({ hasText: '1,000,000 rows' }).waitFor()
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})

test('a panel opened on SQL that fails says why once its page is ready (the host ran it as the panel opened)', async () => {
  const failing = await openPanel(browser, server, 'query', (post) =>
    createQueryHandler(
      { session: new QuerySession(lake, catalog), chooseExportFile: async () => undefined, copyToClipboard: async () => {}, log },
      { sql: 'SELECT * FROM raw.nothing_here', run: true, lake: lakeDir, restore: { lake: lakeDir } },
      post,
    ),
  )
  try {
    await failing.page
      .locator('#error')
      .filter({ hasText: /nothing_here/ })
      .waitFor()
    assert.equal(await failing.page.getByRole('status').textContent(), 'Failed')
    assert.match(log.errors.at(-1) ?? '', /^query panel: the run it opened with failed: .*nothing_here/)
    assert.deepEqual(
      failing.toHost.filter((m) => (m as { type: string }).type === 'run'),
      [],
    )
  } finally {
    await failing.close()
  }
})
