/**
 * The Dead Letters panel in headless Chromium (see harness.ts for what stands in for VS Code's
 * webview API) over a real lake whose letters the real ingest wrote: a kcat capture with keys,
 * headers and times in two hours, and a plain NDJSON file, both with values JSON cannot parse.
 * Grouping and counts per hour, one letter with its coordinates and a caret where parsing
 * failed, a binary value as hex, markup in keys, headers and values as text; replaying an edited
 * letter (its row lands in raw at its offset, the letter says replayed), a reason replayed
 * through a JSON Patch, discarding with a note after asking; malformed messages rejected on both
 * sides; a reload restoring the panel before the host answers; a fixed value produced back to its
 * topic on the mock broker (refused until the pipeline file marks the cluster as dev, asked
 * first), read back with kcat.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { LakeEngine } from '../../src/engine'
import { createDeadLettersHandler, type DeadLettersHandler } from '../../src/extension/panels/dead-letters-handler'
import { selectLetters } from '../../src/pipeline/dead-letter-replay'
import { ingestFile } from '../../src/pipeline/ingest-file'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, runQuery } from '../../src/query'
import { startBroker } from '../kafka/broker'
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, reportFirstPaint, screenshotPath, until, type OpenPanel } from './harness'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-dead-letters-panel-'))
const pipelineFile = path.join(dir, 'lakehouse.json')
const lake = new LakeEngine()
const log = hostLog()
const questions: string[] = []
let answers: boolean[] = []
let lettersChanged = 0
let catalog: LakeCatalog
let browser: Browser
let server: PanelServer
let panel: OpenPanel
let handler: DeadLettersHandler

const HOUR_10 = Date.UTC(2026, 11, 7, 10, 5)
const HOUR_11 = Date.UTC(2026, 11, 7, 11, 20)
const kcat = (offset: number, ts: number, payload: string, key: string | null = `k${offset}`, headers: string[] = []) =>
  JSON.stringify({ topic: 'orders', partition: 1, offset, tstype: 'create', ts, broker: 0, headers, key, payload })

/** orders: 2 rows, 3 invalid-json (one with markup everywhere, one binary), 2 not-an-object; clicks: 2 invalid-json. */
const ORDERS = [
  kcat(10, HOUR_10, '{"id":1,"price":10}'),
  kcat(11, HOUR_10, '{"id":2,\n "price":12,}', 'order-2', ['origin', 'shop-eu']),
  kcat(12, HOUR_10, `{"note":"${XSS_SCRIPT}",oops}`, XSS_IMG, ['x-markup', XSS_SCRIPT]),
  kcat(13, HOUR_11, '\u0001\u0002binary{'),
  kcat(14, HOUR_11, '[{"id":5,"price":50}]'),
  kcat(15, HOUR_11, '[{"id":6,"price":60}]'),
  kcat(16, HOUR_11, '{"id":7,"price":70}'),
]
const CLICKS = ['{"page":"/a"}', '{"page":', '{"page":"/b"}', 'not json']

const letterRow = (id: string) => panel.page.locator(`tr[data-letter="${id}"]`)

async function openLetter(id: string): Promise<void> {
  await letterRow(id).getByRole('button').click()
  await panel.page.waitForFunction((wanted) => document.querySelector('#letter h2')?.textContent?.startsWith(wanted.replaceAll('/', ' / ')), id)
}

async function chooseGroup(source: string, reason: string): Promise<void> {
  await panel.page.locator(`tr[data-source="${source}"][data-reason="${reason}"] td:nth-child(2) button`).click()
  await panel.page.waitForFunction((heading) => document.querySelector('#group:not([hidden]) h3')?.textContent === heading, `${source} · ${reason}`)
}

before(async () => {
  writeFileSync(path.join(dir, 'orders.jsonl'), ORDERS.join('\n') + '\n')
  writeFileSync(path.join(dir, 'clicks.ndjson'), CLICKS.join('\n') + '\n')
  writeFileSync(
    pipelineFile,
    JSON.stringify({
      lake: 'lake',
      sources: [
        { name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' },
        { name: 'clicks', file: 'clicks.ndjson', format: 'json', table: 'raw.clicks' },
      ],
    }),
  )
  const pipeline = loadPipeline(pipelineFile)
  catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  const reports = []
  for (const source of pipeline.sources) reports.push(await ingestFile(lake, catalog, pipeline, source))
  assert.deepEqual(
    reports.map((r) => [r.source, r.rows, r.deadLetters]),
    [
      ['orders', 2, 5],
      ['clicks', 2, 2],
    ],
  )
  ;[browser, server] = await Promise.all([launchBrowser(), PanelServer.start()])
  panel = await openPanel(
    browser,
    server,
    'dead-letters',
    (post) =>
      (handler = createDeadLettersHandler(
        {
          lake,
          catalog,
          pipeline: () => loadPipeline(pipelineFile),
          decoderOptions: async () => ({}),
          confirm: async (question) => {
            questions.push(question)
            return answers.shift() ?? false
          },
          onLettersChanged: () => void lettersChanged++,
          log,
        },
        { label: 'lakehouse.json', restore: { pipelineFile } },
        post,
      )),
    { viewport: { width: 1500, height: 900 } },
  )
  await reportFirstPaint('dead-letters', panel.page, 'tr[data-source]')
})

after(() => closePanelTest({ panel, browser, server, others: [lake], removeDir: dir }))

const groupCells = () =>
  panel.page.locator('tr[data-source]').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent)))

test('open letters grouped by source and reason with counts, and per hour', async () => {
  const { page } = panel
  assert.deepEqual(await groupCells(), [
    ['clicks', 'invalid-json', '2', '2'],
    ['orders', 'invalid-json', '3', '3'],
    ['orders', 'not-an-object', '2', '2'],
  ])
  assert.equal(await page.locator('button.chip[aria-pressed="true"]').textContent(), 'Open')
  assert.equal(await page.locator('tr[data-letter]').count(), 7)
  // Over time: orders' invalid JSON came in two hours, 2 letters at 10:00 and 1 at 11:00 (UTC).
  const bars = await page.locator('tr[data-source="orders"][data-reason="invalid-json"] svg.sparkline title').allTextContents()
  assert.deepEqual(bars, ['2026-12-07 10:00 UTC: 2 letters, 2 open', '2026-12-07 11:00 UTC: 1 letter, 1 open'])
  await chooseGroup('orders', 'invalid-json')
  const hours = await page.locator('table.hours tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)))
  assert.deepEqual(hours, [
    ['2026-12-07 10:00 UTC', '2', '2'],
    ['2026-12-07 11:00 UTC', '1', '1'],
  ])
  await page.waitForFunction(() => document.querySelectorAll('tr[data-letter]').length === 3)
  assert.deepEqual(await page.locator('tr[data-letter]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.letter)), [
    'orders/orders/1/11',
    'orders/orders/1/12',
    'orders/orders/1/13',
  ])
  assert.deepEqual(panel.consoleErrors, [])
})

test('a letter whole: Kafka coordinates, key, headers, the error with a caret where parsing failed, what it decodes to now', async () => {
  const { page } = panel
  await openLetter('orders/orders/1/11')
  const facts = (await page.locator('dl.facts').textContent())!
  assert.match(facts, /Topic\s*orders/)
  assert.match(facts, /Partition\s*1/)
  assert.match(facts, /Offset\s*11/)
  assert.match(facts, /Time\s*2026-12-07 10:05:00/)
  assert.match(facts, /Key\s*order-2/)
  assert.match(facts, /origin\s*shop-eu/)
  assert.equal(await page.locator('.failure .reason code').textContent(), 'invalid-json')
  // The value is two lines; the trailing comma's brace is the failure: line 2, column 13.
  assert.equal(await page.locator('.failure .position').textContent(), 'Line 2, column 13 (character 21)')
  const [context, caret] = (await page.locator('pre.caret').textContent())!.split('\n')
  assert.equal(context, '{"id":2,  "price":12,}')
  assert.equal(context[caret.indexOf('^')], '}')
  assert.equal(await page.locator('#value').textContent(), '{"id":2,\n "price":12,}')
  assert.match((await page.locator('#now').textContent())!, /^still fails: invalid-json/)
  // Hex on demand, and kept in the panel's state.
  await page.locator('#hex').click()
  assert.match((await page.locator('#value').textContent())!, /^0{8} {2}7b 22 69 64 22 3a 32 2c 0a 20 22 70 72 69 63 65 {2}\{"id":2,\. "price$/m)
  assert.equal((panel.state() as { hex?: boolean }).hex, true)
  await page.locator('#hex').click()
})

test('a binary value is shown as hex; markup in keys, headers and values is text', async () => {
  const { page } = panel
  await openLetter('orders/orders/1/13')
  assert.match((await page.locator('#letter h3').filter({ hasText: 'Value' }).textContent())!, /hex: not printable UTF-8 text/)
  assert.match((await page.locator('#value').textContent())!, /^0{8} {2}01 02 62 69 6e 61 72 79 7b {2,}\.\.binary\{$/)
  await openLetter('orders/orders/1/12')
  const facts = (await page.locator('dl.facts').textContent())!
  assert.ok(facts.includes(XSS_IMG), 'the key as text')
  assert.ok(facts.includes(XSS_SCRIPT), 'the header as text')
  assert.ok((await page.locator('#value').textContent())!.includes(XSS_SCRIPT))
  assert.equal(await page.locator('img, script:not([nonce])').count(), 0)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})

test("edit a letter's value, preview it, replay it: the row lands in raw at its offset and the letter says replayed", async () => {
  const { page } = panel
  await openLetter('orders/orders/1/11')
  const edit = page.locator('#edit-value textarea')
  await edit.fill('{"id":2,"price":12}')
  await page.locator('#preview').click()
  await page.waitForSelector('#preview-result:not([hidden])')
  assert.deepEqual(JSON.parse((await page.locator('#preview-result').textContent())!.replace('The edited value: ', '')), { id: 2, price: 12 })
  await page.screenshot({ path: screenshotPath('dead-letters') })
  await page.locator('#replay-edited').click()
  await page.waitForFunction(() => /replayed into raw\.orders/.test(document.getElementById('status')?.textContent ?? ''))
  assert.match((await page.locator('#status').textContent())!, /^Letter orders\/orders\/1\/11: 1 replayed into raw\.orders \(version \d+\)\.$/)
  const rows = (await runQuery(lake, catalog, 'SELECT id, price, _offset, _partition, _key FROM raw.orders WHERE _offset = 11')).rows
  assert.deepEqual(
    rows.map((r) => [Number(r.id), Number(r.price), Number(r._offset), Number(r._partition), r._key]),
    [[2, 12, 11, 1, 'order-2']],
  )
  const [letter] = await selectLetters(lake, catalog, { ids: ['orders/orders/1/11'] })
  assert.equal(letter.state, 'replayed')
  // The panel loads again: the letter shows replayed, and the open count of its group went down.
  await page.waitForFunction(() => document.getElementById('letter-state')?.textContent === 'replayed')
  await until(() => lettersChanged === 1)
  await page.waitForFunction(() => document.querySelector('tr[data-source="orders"][data-reason="invalid-json"] td:nth-child(3)')?.textContent === '2')
  assert.equal(await page.locator('#edit-value').count(), 0, 'a replayed letter has no fix controls')
})

test('replay every open letter of a reason through a JSON Patch', async () => {
  const { page } = panel
  await chooseGroup('orders', 'not-an-object')
  await page.locator('#group-patch textarea').fill('[{"op":"move","from":"/0","path":""}]')
  await page.locator('#replay-group').click()
  await page.waitForFunction(() => /Letters of orders \/ not-an-object: 2 replayed/.test(document.getElementById('status')?.textContent ?? ''))
  const rows = (await runQuery(lake, catalog, 'SELECT id, _offset FROM raw.orders WHERE _offset IN (14, 15) ORDER BY _offset')).rows
  assert.deepEqual(
    rows.map((r) => [Number(r.id), Number(r._offset)]),
    [
      [5, 14],
      [6, 15],
    ],
  )
  assert.equal((await selectLetters(lake, catalog, { source: 'orders', reason: 'not-an-object' }, ['replayed'])).length, 2)
  await page.waitForFunction(() => !document.querySelector('tr[data-source="orders"][data-reason="not-an-object"]'))
  // A patch that is not a JSON Patch is refused, saying why.
  await chooseGroup('orders', 'invalid-json')
  await page.locator('#group-patch textarea').fill('{"op":"x"}')
  await page.locator('#replay-group').click()
  await page.waitForFunction(() => /The JSON Patch must be a JSON array of operations/.test(document.getElementById('error')?.textContent ?? ''))
})

test('discard with a note asks first: Cancel keeps the letters, Discard keeps the note with them', async () => {
  const { page } = panel
  await chooseGroup('clicks', 'invalid-json')
  // No note: nothing is sent.
  await page.locator('#discard-group').click()
  await page.waitForFunction(() => /Write a note/.test(document.getElementById('error')?.textContent ?? ''))
  assert.equal(questions.length, 0)
  await page.locator('#group-note input').fill('test traffic from the load generator')
  answers = [false]
  await page.locator('#discard-group').click()
  await page.waitForFunction(() => /Discard cancelled/.test(document.getElementById('status')?.textContent ?? ''))
  assert.match(
    questions[0],
    /^Discard 2 open letters of clicks \/ invalid-json\? They stay in raw\._dead_letters, marked discarded with the note "test traffic from the load generator"/,
  )
  assert.equal((await selectLetters(lake, catalog, { source: 'clicks' }, ['open'])).length, 2)
  answers = [true]
  await page.locator('#discard-group').click()
  await page.waitForFunction(() => /2 letters discarded/.test(document.getElementById('status')?.textContent ?? ''))
  const discarded = await selectLetters(lake, catalog, { source: 'clicks' }, ['discarded'])
  assert.deepEqual(
    discarded.map((l) => [l.offset, l.note]),
    [
      ['1', 'test traffic from the load generator'],
      ['3', 'test traffic from the load generator'],
    ],
  )
  // The Discarded filter lists them with their note.
  await page.locator('button.chip[data-state="discarded"]').click()
  await page.waitForFunction(() => document.querySelectorAll('tr[data-letter]').length === 2)
  await openLetter('clicks/file:clicks.ndjson/0/1')
  assert.match((await page.locator('dl.facts').textContent())!, /State\s*discarded: test traffic from the load generator/)
  assert.equal((panel.state() as { state?: string }).state, 'discarded')
})

test('letters an ingest adds show when the host says letters changed; opened again from a source, the panel shows that source', async () => {
  const { page } = panel
  await page.locator('button.chip[data-state="open"]').click()
  await page.waitForFunction(() => document.querySelector('button.chip[aria-pressed="true"]')?.textContent === 'Open')
  writeFileSync(path.join(dir, 'clicks.ndjson'), [...CLICKS, '{"page":"/c"', '{"page":"/d"}'].join('\n') + '\n')
  const pipeline = loadPipeline(pipelineFile)
  const report = await ingestFile(lake, catalog, pipeline, pipeline.sources[1])
  assert.deepEqual([report.rows, report.deadLetters], [1, 1])
  handler.lettersChanged()
  await page.waitForFunction(() => document.querySelector('tr[data-source="clicks"][data-reason="invalid-json"] td:nth-child(3)')?.textContent === '1')
  handler.focus('orders')
  await page.waitForFunction(
    () =>
      document.getElementById('letters-note')?.textContent === '2 letters' &&
      document.querySelector('tr[data-letter]')?.getAttribute('data-letter') === 'orders/orders/1/12',
  )
  assert.equal((panel.state() as { source?: string }).source, 'orders')
  await page.locator('button.chip[data-state="discarded"]').click()
  await page.waitForFunction(() => document.getElementById('letters-note')?.textContent === 'None.')
  assert.equal(await page.locator('tr[data-letter]').count(), 0, 'no discarded letter of orders')
  await page.locator('tr[data-group="all"] button').click()
  await page.waitForFunction(() => document.querySelectorAll('tr[data-letter]').length === 2)
  await openLetter('clicks/file:clicks.ndjson/0/1')
})

test('a reloaded panel is back as it was before the host answers; malformed messages are rejected on both sides', async () => {
  const { page } = panel
  const release = panel.holdHost()
  await panel.reload()
  await page.waitForSelector('tr[data-letter="clicks/file:clicks.ndjson/0/1"].selected')
  assert.equal(await page.locator('button.chip[aria-pressed="true"]').textContent(), 'Discarded')
  assert.match((await page.locator('dl.facts').textContent())!, /State\s*discarded/)
  release()
  await until(() => panel.toHost.filter((m) => (m as { type: string }).type === 'ready').length === 2)

  // To the host: a wrong type is rejected before any handler sees it, and nothing is replayed.
  const errors = log.errors.length
  await page.evaluate(() => (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost({ type: 'replay', id: 11 }))
  await page.evaluate(() =>
    (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost({
      type: 'discard',
      id: 'orders/orders/1/12',
      note: 'x',
      extra: true,
    }),
  )
  assert.deepEqual(log.errors.slice(errors), [
    'dead-letters panel: rejected a message: message.id: expected text, got number',
    "dead-letters panel: rejected a message: message: unexpected property 'extra'",
  ])
  assert.equal((await selectLetters(lake, catalog, { ids: ['orders/orders/1/12'] }))[0].state, 'open')
  // To the panel: a letter with a negative partition is dropped, the panel keeps what it shows.
  const consoleErrors = panel.consoleErrors.length
  await panel.postToPanel({ type: 'letters', requestId: 0, state: 'open', groups: [], hours: [], letters: [{ id: 'x', partition: -1 }], truncated: false })
  await until(() => panel.consoleErrors.length > consoleErrors)
  assert.match(panel.consoleErrors.at(-1)!, /dead-letters panel: rejected a message from the host: message.letters\[0\]/)
  assert.equal(await page.locator('tr[data-letter]').count(), 2)
})

test("produce a fixed value to the letter's topic: refused on a cluster not marked as dev, asked first, then sent with its key and headers, and the letter says produced", async () => {
  const { page } = panel
  const broker = await startBroker({ topics: [{ name: 'orders', partitions: 2 }] })
  try {
    const sources = JSON.parse(readFileSync(pipelineFile, 'utf8')).sources
    writeFileSync(pipelineFile, JSON.stringify({ lake: 'lake', kafka: { brokers: broker.brokers }, sources }))
    await page.locator('button.chip[data-state="open"]').click()
    await page.waitForFunction(() => document.querySelector('tr[data-letter="orders/orders/1/12"]') !== null)
    await openLetter('orders/orders/1/12')
    await page.locator('#edit-value textarea').fill('{"id":3,"price":30}')
    const asked = questions.length
    await page.locator('#produce-edited').click()
    await page.waitForFunction(() =>
      /^Producing is refused: 127\.0\.0\.1:\d+ is not marked as a dev cluster\..*add "dev": true to the "kafka" section in .*lakehouse\.json/.test(
        document.getElementById('error')?.textContent ?? '',
      ),
    )
    assert.equal(questions.length, asked, 'refused before asking')

    writeFileSync(pipelineFile, JSON.stringify({ lake: 'lake', kafka: { brokers: broker.brokers, dev: true }, sources }))
    answers = [false]
    await page.locator('#produce-edited').click()
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Produce cancelled: nothing was sent.')
    assert.match(
      questions.at(-1)!,
      /^Produce the edited value of letter orders\/orders\/1\/12 to topic orders, partition 1, on 127\.0\.0\.1:\d+\? It is sent with the letter's key and headers/,
    )
    const changedBefore = lettersChanged
    answers = [true]
    await page.locator('#produce-edited').click()
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Letter orders/orders/1/12: produced to orders, partition 1, offset 0.')
    const records = execFileSync('kcat', ['-b', broker.brokers.join(','), '-C', '-J', '-e', '-q', '-t', 'orders'], { timeout: 30_000 })
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.deepEqual(
      records.map((m) => [m.partition, m.offset, m.key, m.payload, m.headers]),
      [[1, 0, XSS_IMG, '{"id":3,"price":30}', ['x-markup', XSS_SCRIPT, 'lakehouse-dead-letter', 'orders/orders/1/12']]],
    )
    const [letter] = await selectLetters(lake, catalog, { ids: ['orders/orders/1/12'] })
    assert.deepEqual([letter.state, letter.producedTo], ['produced', { topic: 'orders', partition: 1, offset: '0' }])
    // The panel loads again: the letter is no longer open, and says where it went.
    await until(() => lettersChanged === changedBefore + 1)
    await page.waitForFunction(() => !document.querySelector('tr[data-letter="orders/orders/1/12"]'))
    await page.locator('button.chip[data-state="produced"]').click()
    await page.waitForFunction(() => document.querySelector('tr[data-letter="orders/orders/1/12"]') !== null)
    await openLetter('orders/orders/1/12')
    assert.match((await page.locator('dl.facts').textContent())!, /State\s*produced to orders\/1\/0/)
    assert.equal(await page.locator('#produce-edited').count(), 0, 'a produced letter has no fix controls')
  } finally {
    await broker.stop()
  }
})
