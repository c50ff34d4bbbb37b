/**
 * The change (CDF diff) panel in headless Chromium over a real table's change data feed (see
 * harness.ts for what stands in for VS Code's webview API): an update's images side by side with
 * the changed cells marked, counts per change type, switching versions and tables, the key filter,
 * a commit's operation and metrics, paging through a large diff, untrusted text, malformed
 * messages both ways, and a reload keeping the panel's choices.
 */
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { appendQuery, update } from '../../src/table'
import { createChangesHandler } from '../../src/extension/panels/changes-handler'
import { LakeCatalog } from '../../src/query'
import { ORDERS, writeOrders } from './fixtures'
import { hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, until, type OpenPanel, reportFirstPaint, closePanelTest } from './harness'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-changes-panel-'))
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const log = hostLog()
let browser: Browser
let server: PanelServer
let panel: OpenPanel
let handler: ReturnType<typeof createChangesHandler>

before(async () => {
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start(), writeOrders(lake, lakeDir)])
  // A larger diff: 1,500 inserts, then an update of 1,000 rows (2,000 images).
  const big = path.join(lakeDir, 'raw', 'big')
  await appendQuery(lake, big, `SELECT i::BIGINT AS id, 'row ' || i AS label, i::INTEGER AS n FROM range(1500) t(i)`, {
    create: { properties: { 'delta.enableChangeDataFeed': 'true' } },
  })
  await update(lake, big, 'id < 1000', { n: 'n + 1' })
  panel = await openPanel(
    browser,
    server,
    'changes',
    (post) => (handler = createChangesHandler({ lake, catalog, log }, { table: ORDERS, from: 2, to: 2, restore: { table: ORDERS, lake: lakeDir } }, post)),
  )
  await reportFirstPaint('changes', panel.page, '#diff tbody tr')
})

after(() => closePanelTest({ panel, browser, server, others: [lake], removeDir: lakeDir }))

type Row = { kind: string; version: string; before: string[]; after: string[]; changedBefore: string[]; changedAfter: string[] }

/** The diff's rows: kind, version, both sides' cell texts and the columns marked changed. */
const diffRows = (page: Page) =>
  page.$$eval('#diff tbody tr', (rows) =>
    rows.map((row) => {
      const cells = (which: string) => [...row.querySelectorAll(`td.${which}`)]
      return {
        kind: row.getAttribute('data-kind')!,
        version: row.getAttribute('data-version')!,
        before: cells('before').map((c) => c.textContent ?? ''),
        after: cells('after').map((c) => c.textContent ?? ''),
        changedBefore: cells('before')
          .filter((c) => c.classList.contains('changed'))
          .map((c) => c.getAttribute('data-column')!),
        changedAfter: cells('after')
          .filter((c) => c.classList.contains('changed'))
          .map((c) => c.getAttribute('data-column')!),
      }
    }),
  ) as Promise<Row[]>

const countTexts = (page: Page) => page.locator('#counts .count').evaluateAll((badges) => badges.map((b) => b.getAttribute('aria-label')))
const loads = () =>
  panel.toHost.filter((m): m is { type: 'load'; offset: number; limit: number; from: number; to: number } => (m as { type: string }).type === 'load')

/** Sets a vscode-single-select's value and fires its change, as picking an option does. */
async function choose(page: Page, id: string, value: string): Promise<void> {
  await page.$eval(
    `#${id}`,
    (select, v) => {
      const s = select as HTMLElement & { value: string }
      s.value = v
      s.dispatchEvent(new Event('change'))
    },
    value,
  )
}

/** Waits until the panel shows the answer to its latest request (it is busy from asking until then). */
async function settled(): Promise<void> {
  await panel.page.waitForFunction(() => document.getElementById('app')!.getAttribute('aria-busy') === 'false')
}

/**
 * Until the host has answered everything the page asked: every `ready` with an `init`, every
 * request with its answer (or error) of the same requestId. A reloaded panel paints from its state
 * and is settled before those answers arrive.
 */
async function answeredAll(): Promise<void> {
  const requestIds = (messages: unknown[]) => messages.flatMap((m) => (m as { requestId?: unknown }).requestId ?? [])
  const count = (messages: unknown[], type: string) => messages.filter((m) => (m as { type?: unknown }).type === type).length
  await until(() => {
    const answered = new Set(requestIds(panel.toPanel))
    return requestIds(panel.toHost).every((id) => answered.has(id)) && count(panel.toPanel, 'init') >= count(panel.toHost, 'ready')
  })
}

test('one commit: the update of id 2 side by side, status and amount marked changed, counts per type', async () => {
  const { page } = panel
  await settled()
  assert.equal(await page.locator('h1').textContent(), `Changes of ${ORDERS}`)
  const rows = await diffRows(page)
  assert.equal(rows.length, 1)
  assert.deepEqual(rows[0], {
    kind: 'update',
    version: '2',
    before: ['2', 'customer 2', '21.00', 'new'],
    after: ['2', 'customer 2', '22.00', 'shipped'],
    changedBefore: ['amount', 'status'],
    changedAfter: ['amount', 'status'],
  })
  assert.deepEqual(await countTexts(page), ['0 inserts', '0 deletes', '1 update'])
  assert.equal(await page.locator('#diff tbody tr').getAttribute('aria-label'), 'update of id 2 in version 2; changed: amount, status')
  // The changed cells look different from the unchanged ones (VS Code's diff colours).
  const [changed, unchanged] = await page.$$eval('#diff tbody tr td.after', (cells) => [cells[2], cells[1]].map((c) => getComputedStyle(c).backgroundColor))
  assert.notEqual(changed, unchanged)
  assert.deepEqual(panel.consoleErrors, [])
})

test('switching to versions 0..4: inserts, the delete, both updates, and markup shown as text', async () => {
  const { page } = panel
  await choose(page, 'from', '0')
  await settled()
  await choose(page, 'to', '4')
  await settled()
  assert.deepEqual(
    loads()
      .slice(-1)
      .map((l) => [l.from, l.to, l.offset, l.limit]),
    [[0, 4, 0, 200]],
  )
  assert.deepEqual(await countTexts(page), ['11 inserts', '1 delete', '2 updates'])
  const rows = await diffRows(page)
  assert.equal(rows.length, 14)
  assert.deepEqual(
    rows.map((r) => `${r.version}${r.kind[0]}`),
    [...Array(5).fill('0i'), ...Array(5).fill('1i'), '2u', '3d', '4u', '4i'],
  )
  const deleted = rows.find((r) => r.kind === 'delete')!
  assert.deepEqual([deleted.before[0], deleted.after], ['7', ['', '', '', '']])
  const merged = rows.find((r) => r.kind === 'update' && r.version === '4')!
  assert.deepEqual([merged.before[1], merged.after[1], merged.changedAfter], ['customer 3', XSS_SCRIPT, ['customer']])
  assert.equal(await page.locator('#diff img, #diff script').count(), 0)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
  assert.deepEqual(await page.locator('#commits .commit').evaluateAll((s) => s.map((e) => e.getAttribute('data-version'))), ['0', '1', '2', '3', '4'])
  assert.deepEqual(panel.state() as { from: number; to: number }, { ...(panel.state() as object), from: 0, to: 4 })
  await page.screenshot({ path: screenshotPath('changes'), fullPage: true })
})

test('the change, version and key columns stay at the left while the images scroll sideways', async () => {
  const { page } = panel
  assert.deepEqual(await page.$$eval('#diff tbody tr[data-kind="delete"] td.pin', (cells) => cells.map((c) => c.textContent)), ['− delete', 'v3', '7'])
  assert.equal(await page.locator('#diff thead th.pin-key').textContent(), 'id')
  const size = page.viewportSize()!
  await page.setViewportSize({ width: 520, height: size.height })
  try {
    const scroller = page.locator('.diff-scroll')
    await scroller.evaluate((s) => (s.scrollLeft = s.scrollWidth))
    await page.waitForFunction(() => document.querySelector('.diff-scroll')!.scrollLeft > 100)
    const [left, change, version, key, firstAfter] = await page.evaluate(() => {
      const box = (el: Element | null) => el!.getBoundingClientRect().left
      const row = document.querySelector('#diff tbody tr[data-kind="update"]')!
      return [
        box(document.querySelector('.diff-scroll')),
        box(row.querySelector('.pin-change')),
        box(row.querySelector('.pin-version')),
        box(row.querySelector('.pin-key')),
        box(row.querySelector('td.after')),
      ]
    })
    assert.ok(
      Math.abs(change - left) < 2 && Math.abs(version - (left + 96)) < 2 && Math.abs(key - (left + 164)) < 2,
      JSON.stringify({ left, change, version, key }),
    )
    assert.ok(firstAfter < left + 164, 'the images scrolled under the pinned columns')
  } finally {
    await page.setViewportSize(size)
  }
})

test("the key filter shows one row's history; clearing it shows all again", async () => {
  const { page } = panel
  await page.locator('#key-value').click()
  await page.keyboard.type('3')
  await page.keyboard.press('Enter')
  await settled()
  assert.deepEqual(loads().at(-1), { ...loads().at(-1), keyColumn: 'id', keyValue: '3', offset: 0 })
  const rows = await diffRows(page)
  assert.deepEqual(
    rows.map((r) => [r.kind, r.version, r.after[1]]),
    [
      ['insert', '0', 'customer 3'],
      ['update', '4', XSS_SCRIPT],
    ],
  )
  assert.deepEqual(await countTexts(page), ['1 insert', '0 deletes', '1 update'])
  await page.locator('#clear').click()
  await settled()
  assert.equal((await diffRows(page)).length, 14)
})

test("a change's version jumps to its commit's operation and metrics, by mouse and by keyboard", async () => {
  const { page } = panel
  await page.locator('#diff tbody tr[data-kind="delete"] button.version').click()
  const commit = page.locator('#commit-3')
  await page.waitForSelector('#commit-3.open')
  assert.match((await commit.locator('button.commit-toggle').textContent())!, /^v3 · DELETE · \d{4}-/)
  assert.equal(await commit.locator('button.commit-toggle').getAttribute('aria-expanded'), 'true')
  assert.equal(await page.evaluate(() => document.activeElement?.closest('section.commit')?.id), 'commit-3')
  const metrics = JSON.parse((await commit.locator('pre.metrics').textContent())!)
  assert.equal(Number(metrics.numDeletedRows), 1)
  assert.equal(await page.locator('#commit-2 pre.metrics').isVisible(), false)

  // Keyboard: the first row is the diff's tab stop; arrows move; Enter opens the row's commit.
  await page.locator('#diff tbody tr').first().focus()
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowDown')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-version')), '2')
  await page.keyboard.press('Enter')
  await page.waitForSelector('#commit-2.open')
  const parameters = JSON.parse((await page.locator('#commit-2 pre.parameters').textContent())!)
  // Decoded by the query layer (tableHistory), as in the history panel and `lakehouse history`: not JSON text in JSON.
  assert.deepEqual(parameters.predicate, ['id = 2'])
  // Markup in a commit's parameters is text too.
  await page.locator('#commit-1 button.commit-toggle').click()
  assert.equal(JSON.parse((await page.locator('#commit-1 pre.parameters').textContent())!).note, XSS_IMG)
  assert.equal(await page.locator('img').count(), 0)
})

test("a large diff comes a page at a time; pages never split an update's images", async () => {
  const { page } = panel
  await choose(page, 'table', 'raw.big')
  await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Changes of raw.big')
  await settled()
  // A new table opens at its latest commit: the update of 1,000 rows.
  assert.deepEqual(await countTexts(page), ['0 inserts', '0 deletes', '1,000 updates'])
  const sizes: number[] = []
  const seen = new Set<string>()
  for (let p = 0; p < 3; p++) {
    const message = panel.toPanel.filter((m) => (m as { type: string }).type === 'changes').at(-1) as { rows: unknown[]; offset: number; truncated: boolean }
    sizes.push(message.rows.length)
    const rows = await diffRows(page)
    for (const row of rows) {
      assert.equal(row.kind, 'update')
      assert.ok(row.before.length && row.after.length && row.before[0] === row.after[0], `row ${row.before[0]}/${row.after[0]} is whole`)
      assert.deepEqual(row.changedAfter, ['n'])
      seen.add(row.after[0])
    }
    assert.match((await page.locator('#page-status').textContent())!, new RegExp(`^Rows ${(message.offset + 1).toLocaleString('en-US')}–`))
    await page.locator('#next').click()
    await settled()
  }
  assert.ok(
    sizes.every((n) => n === 200 || n === 201),
    `page sizes ${sizes}`,
  )
  assert.equal(seen.size, 300)
  assert.ok(
    loads().every((l) => l.limit <= 200),
    'no request asks for more than a page',
  )
  await page.locator('#previous').click()
  await settled()
  assert.equal((loads().at(-1) as { offset: number }).offset, 400)
  // The whole range: 1,500 inserts as well.
  await choose(page, 'from', '0')
  await settled()
  assert.deepEqual(await countTexts(page), ['1,500 inserts', '0 deletes', '1,000 updates'])
  assert.match((await page.locator('#page-status').textContent())!, /^Rows 1–200 of 3,500/)
})

test('a reloaded panel keeps its table, versions, key filter and page', async () => {
  const { page } = panel
  await page.locator('#next').click()
  await settled()
  const before = (await diffRows(page)).map((r) => r.after[0])
  await panel.reload()
  await settled()
  const state = panel.state() as { table: string; from: number; to: number; offset: number }
  assert.deepEqual([state.table, state.from, state.to, state.offset], ['raw.big', 0, 1, 200])
  assert.deepEqual(
    (await diffRows(page)).map((r) => r.after[0]),
    before,
  )
  assert.deepEqual((state as { restore?: unknown }).restore, { table: 'raw.big', lake: lakeDir })
})

test("shown again while the host is busy, the panel repaints its page at once from its state, then the host's answer replaces it", async () => {
  const { page } = panel
  await settled()
  // The page's status line is written after the rows: wait for it too before taking what to compare.
  await page.waitForFunction(() => !/Loading/.test(document.getElementById('page-status')?.textContent ?? 'Loading'))
  // The previous test's reload may still have an answer on its way: it must not count as one to the held panel.
  await answeredAll()
  // An answer to a message without a request id (the reload's own asks) may still be in the host's hands.
  await panel.hostIdle()
  await settled()
  const before = await diffRows(page)
  const status = await page.locator('#page-status').textContent()
  const counts = await countTexts(page)
  const answered = panel.toPanel.length
  const release = panel.holdHost()
  try {
    const started = performance.now()
    await panel.reload()
    await page.waitForSelector('#diff tbody tr')
    console.log(`# restore changes: ${Math.round(performance.now() - started)} ms to the rows, the host not answering`)
    assert.deepEqual(
      panel.toPanel.slice(answered).map((m) => (m as { type?: unknown }).type),
      [],
      'nothing came from the host',
    )
    assert.deepEqual(await diffRows(page), before)
    assert.equal(await page.locator('#page-status').textContent(), status)
    assert.deepEqual(await countTexts(page), counts)
    assert.equal(await page.locator('#from').evaluate((s) => (s as HTMLElement & { value: string }).value), '0')
  } finally {
    // A failure above must not leave the host held for the tests that follow.
    release()
  }
  // The host's answer (init, then the page the state names) replaces the kept one.
  await until(() => panel.toPanel.filter((m, i) => i >= answered && (m as { type: string }).type === 'changes').length === 1)
  await settled()
  assert.deepEqual(await diffRows(page), before)
})

test('after a write, the panel gets the new version and keeps the range it shows', async () => {
  const { page } = panel
  const big = path.join(lakeDir, 'raw', 'big')
  const written = await update(lake, big, 'id = 1', { n: 'n + 100' })
  // What the glue does when a query panel announces a write (changes-panel.ts, onLakeWrites).
  await handler.receive({ type: 'ready' })
  await page.waitForFunction((v) => [...document.querySelectorAll('#to vscode-option')].some((o) => o.getAttribute('value') === String(v)), written.version)
  await settled()
  const state = panel.state() as { table: string; from: number; to: number }
  assert.deepEqual([state.table, state.from, state.to], ['raw.big', 0, 1], 'the range shown is kept')
})

test('malformed messages are rejected on both sides; a bad table name is an error, not a path', async () => {
  const { page } = panel
  const errorsBefore = log.errors.length
  await page.evaluate(async () => {
    const send = (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost
    await send({ type: 'load', requestId: 1, from: -1, to: 2 })
    await send({ type: 'load', requestId: 1, from: 0, to: 2, limit: 1_000_000 })
    await send({ type: 'load', requestId: 1, from: 0, to: 2, keyColumn: 'id', keyValue: "1' OR 1=1 --", sql: 'DROP TABLE x' })
    await send({ type: 'table', table: '../../etc' })
  })
  const errors = log.errors.slice(errorsBefore)
  assert.deepEqual(errors.slice(0, 3), [
    'changes panel: rejected a message: message.from: -1 is outside 0..9007199254740991',
    'changes panel: rejected a message: message.limit: 1000000 is outside 1..1000',
    "changes panel: rejected a message: message: unexpected property 'sql'",
  ])
  assert.match(errors[3], /^changes panel: 'table' failed: '\.\.\/\.\.\/etc' is not a table of the lake/)
  await page.waitForFunction(() => !document.getElementById('error')!.hidden)
  assert.match((await page.locator('#error').textContent())!, /is not a table of the lake/)

  const consoleBefore = panel.consoleErrors.length
  await panel.postToPanel({
    type: 'changes',
    requestId: 999,
    from: 0,
    to: 1,
    counts: { insert: 1, delete: 0, update_preimage: 0, update_postimage: 0 },
    columns: [],
    rows: [{ changeType: 'drop', version: 0, values: [] }],
    truncated: false,
    commits: [],
  })
  await panel.postToPanel({ type: 'init', table: XSS_IMG, versions: [], from: 0, to: 0, columns: [], restore: {}, tables: 'all' })
  await until(() => panel.consoleErrors.length >= consoleBefore + 2)
  assert.deepEqual(
    panel.consoleErrors.slice(consoleBefore).map((e) => e.replace(/^.*?rejected/, 'rejected')),
    [
      'rejected a message from the host: message.rows[0].changeType: expected "insert" or "delete" or "update_preimage" or "update_postimage", got "drop"',
      'rejected a message from the host: message.tables: expected an array, got string',
    ],
  )
  // A well-formed message with markup for a table name: shown as text.
  await panel.postToPanel({
    type: 'init',
    table: XSS_SCRIPT,
    versions: [{ version: 0, operation: XSS_IMG, timestamp: 0 }],
    from: 0,
    to: 0,
    columns: [],
    restore: {},
  })
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === `Changes of ${t}`, XSS_SCRIPT)
  assert.equal(await page.locator('img').count(), 0)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})
