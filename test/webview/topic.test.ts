/**
 * The topic panel in headless Chromium (see harness.ts for what stands in for VS Code's webview
 * API) over a real Kafka-protocol broker (the librdkafka mock cluster of test/kafka) and the lake's
 * DuckDB: partitions with offsets and the pipeline group's lag, the schema tree, the message list
 * and its filters, a selected message raw / decoded / flattened by the flow (and again when the
 * flow changes), untrusted text, malformed messages both ways; and a MongoDB capture file whose
 * Extended JSON is shown converted.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { createTopicHandler, type TopicHandler } from '../../src/extension/panels/topic-handler'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { FlowSpec, SourceSpec } from '../../src/pipeline/pipeline-file'
import type { TopicFlow } from '../../src/extension/panels/topic-handler'
import type { Transform } from '../../src/transform'
import { captureLines, mongoStream } from '../helpers/cdc-streams'
import { produceJson } from '../kafka/broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from '../kafka/ingest-lake'
import { hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, until, type OpenPanel, reportFirstPaint, closePanelTest } from './harness'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

const TOPIC = 'pg.shop.orders'
const source: SourceSpec = { name: 'orders', topic: TOPIC, format: 'debezium', table: 'raw.orders' }
const FLATTEN: Transform[] = [{ op: 'flatten' }]
/** The source as the pipeline file has it: a hint types source.lsn (the tree marks it). */
const hinted: SourceSpec = { ...source, schemaHints: { 'source.lsn': 'string' } }
const flowOf = (transforms: Transform[], more: Partial<FlowSpec> = {}): TopicFlow => ({
  source: hinted,
  flow: { name: 'orders', from: 'raw.orders', to: 'refined.orders', mode: 'append', transforms, ...more },
})
const log = hostLog()
let env: IngestLake
let browser: Browser
let server: PanelServer
let panel: OpenPanel
let handler: TopicHandler

const envelope = (op: string, before: unknown, after: unknown, lsn: number) => ({
  before,
  after,
  op,
  ts_ms: 1_764_000_000_000 + lsn,
  source: { connector: 'postgresql', db: 'shop', table: 'orders', lsn },
})
const ann = { id: 1, customer: { name: 'Ann', address: { city: 'Lyon' } }, items: [{ sku: 'a', qty: 1 }] }

before(async () => {
  ;[browser, server, env] = await Promise.all([
    launchBrowser(),
    PanelServer.start(),
    startIngestLake({ name: 'topic-panel', topics: [{ name: TOPIC, partitions: 2 }] }),
  ])
  await produceJson(env.kafka, TOPIC, [
    { key: '{"id":1}', value: envelope('c', null, ann, 1), headers: { trace: 't-1' }, partition: 0 },
    {
      key: '{"id":2}',
      value: envelope('c', null, { id: 2, customer: { name: XSS_IMG, address: { city: XSS_SCRIPT } }, items: [] }, 2),
      headers: { trace: XSS_IMG },
      partition: 1,
    },
  ])
  // The pipeline's group reads these two; what follows is its lag.
  await ingestKafka(env.lake, env.catalog, { ...env.pipeline, sources: [source] }, source, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })
  await produceJson(env.kafka, TOPIC, [
    { key: '{"id":1}', value: envelope('u', ann, { ...ann, customer: { ...ann.customer, name: 'Ann B' } }, 3), partition: 0 },
    { key: '{"id":3}', value: Buffer.from('{"op": "c", not json'), partition: 1 },
    { key: '{"id":2}', value: null, partition: 1 },
  ])
  panel = await openPanel(
    browser,
    server,
    'topic',
    (post) =>
      (handler = createTopicHandler(
        { lake: env.lake, catalog: env.catalog, log },
        {
          source: { kafka: env.pipeline.kafka!, topic: TOPIC, format: 'debezium', name: 'orders', groupId: 'lakehouse-orders' },
          flow: flowOf(FLATTEN),
          restore: { source: { topic: TOPIC, format: 'debezium', name: 'orders' }, pipelineFile: env.pipeline.file },
        },
        post,
      )),
  )
  await reportFirstPaint('topic', panel.page, '#messages tbody tr')
})

after(() => closePanelTest({ panel, browser, server, others: env ? [{ close: () => env.stop() }] : [] }))

const cellTexts = (page: Page, selector: string) => page.$$eval(selector, (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')))
const listed = (page: Page) => page.$$eval('#messages tbody tr', (rows) => rows.map((r) => `${r.children[0].textContent}:${r.children[1].textContent}`))

async function fill(page: Page, id: string, value: string): Promise<void> {
  await page.$eval(
    `#${id}`,
    (field, v) => {
      const f = field as HTMLElement & { value: string }
      f.value = v
      f.dispatchEvent(new Event('input'))
    },
    value,
  )
}

test("partitions show the broker's offsets and the pipeline group's lag", async () => {
  const { page } = panel
  assert.equal(await page.locator('h1').textContent(), 'Topic orders')
  assert.deepEqual(await cellTexts(page, '#partitions tbody tr'), [
    ['0', '0', '2', '2', '0', '1', '1', '1'],
    ['1', '0', '3', '3', '0', '2', '1', '2'],
  ])
  assert.equal(await page.locator('#facts .lag').getAttribute('aria-label'), 'lag 3')
  assert.match((await page.locator('#facts').textContent())!, /5 messages sampled from the broker/)
  assert.deepEqual(panel.consoleErrors, [])
})

test('the schema is a tree with types that opens and closes by keyboard', async () => {
  const { page } = panel
  assert.equal(await page.locator('#schema-source').textContent(), 'Inferred from the sampled debezium values')
  const top = await page.$$eval('#schema > ul > li', (items) => items.map((i) => i.getAttribute('aria-label')))
  assert.ok(top.includes('op: string') && top.includes('after: struct') && top.includes('source: struct'), JSON.stringify(top))
  // Top-level structs start open: after → customer is visible, customer's children are not.
  const customer = page.locator('li[data-path="after/customer"]')
  assert.equal(await customer.getAttribute('aria-expanded'), 'false')
  await customer.focus()
  await page.keyboard.press('ArrowRight')
  await page.waitForSelector('li[data-path="after/customer/address"]')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowDown')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-path')), 'after/customer/address')
  await page.keyboard.press('ArrowRight')
  assert.equal(await page.locator('li[data-path="after/customer/address/city"]').getAttribute('aria-label'), 'city: string')
  assert.equal(await page.locator('li[data-path="after/items"]').getAttribute('aria-label'), 'items: array<struct>')
  // The source's schemaHints type a column as ingest will: marked in the tree.
  assert.equal(await page.locator('li[data-path="source/lsn"]').getAttribute('aria-label'), 'lsn: string, from hint')
  assert.equal(await page.locator('li[data-path="source/lsn"] .hint-badge').textContent(), 'from hint')
  assert.equal(await page.locator('li[data-path="source/db"] .hint-badge').count(), 0)
  assert.deepEqual((panel.state() as { expanded: string[] }).expanded.sort(), ['after', 'after/customer', 'after/customer/address', 'before', 'source'])
})

test('the message list shows key, partition, offset, time, headers and size; markup stays text', async () => {
  const { page } = panel
  const rows = await cellTexts(page, '#messages tbody tr')
  assert.deepEqual(
    rows.map((r) => [r[0], r[1], r[3]]),
    [
      ['0', '0', '{"id":1}'],
      ['0', '1', '{"id":1}'],
      ['1', '0', '{"id":2}'],
      ['1', '1', '{"id":3}'],
      ['1', '2', '{"id":2}'],
    ],
  )
  assert.match(rows[0][2], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
  assert.equal(rows[0][4], 'trace=t-1')
  assert.equal(rows[2][4], `trace=${XSS_IMG}`)
  assert.match(rows[0][5], /^\d+ B$/)
  assert.deepEqual([rows[3][6].startsWith('⚠'), rows[4][5], rows[4][6]], [true, '0 B', 'tombstone'])
  // The panel's own script is the page's one script (inline, with the page's nonce): nothing else was injected.
  assert.equal(await page.locator('img, script:not([nonce])').count(), 0)
  assert.equal(await page.locator('script').count(), 1)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})

test('filters: key, partition, offset range, time range and text', async () => {
  const { page } = panel
  await fill(page, 'filter-key', '"id":2')
  assert.deepEqual(await listed(page), ['1:0', '1:2'])
  await fill(page, 'filter-key', '')
  await page.$eval('#filter-partition', (s) => {
    ;(s as HTMLElement & { value: string }).value = '0'
    s.dispatchEvent(new Event('change'))
  })
  assert.deepEqual(await listed(page), ['0:0', '0:1'])
  await page.locator('#clear-filters').click()
  await fill(page, 'filter-offset-from', '1')
  await fill(page, 'filter-offset-to', '1')
  assert.deepEqual(await listed(page), ['0:1', '1:1'])
  await fill(page, 'filter-offset-to', 'x')
  assert.match((await page.locator('#filter-status').textContent())!, /offset to: 'x' is not an offset/)
  await page.locator('#clear-filters').click()
  await fill(page, 'filter-time-from', '2100-01-01')
  assert.deepEqual(await listed(page), [])
  await fill(page, 'filter-time-from', '2000-01-01 00:00')
  assert.equal((await listed(page)).length, 5)
  await page.locator('#clear-filters').click()
  await fill(page, 'filter-text', 'ann b')
  assert.deepEqual(await listed(page), ['0:1'])
  assert.equal(await page.locator('#filter-status').textContent(), '1 of 5')
  assert.equal((panel.state() as { filters: { text: string } }).filters.text, 'ann b')
  await page.locator('#clear-filters').click()
  // A message the filters hide is not left in the detail.
  await page.locator('#messages tbody tr[data-index="2"]').click()
  await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'Partition 1, offset 0')
  await fill(page, 'filter-key', '"id":1')
  await page.waitForFunction(() => /hidden by the filters/.test(document.getElementById('detail')!.textContent!))
  await page.locator('#clear-filters').click()
})

test('selecting a message shows its raw text, the decoded envelope and what the flow writes; a new flow redoes it', async () => {
  const { page } = panel
  await page.locator('#messages tbody tr[data-index="0"]').click()
  await page.waitForSelector('#flattened-rows table')
  assert.equal(JSON.parse((await page.locator('#raw-text').textContent())!).after.customer.name, 'Ann')
  const decoded = JSON.parse((await page.locator('#decoded').textContent())!)
  assert.deepEqual([decoded.op, decoded.before, decoded.after.customer.address.city, decoded.source.lsn], ['c', null, 'Lyon', 1])
  // The flow runs on the raw row: the Kafka columns are there to flatten and select.
  const flatHeaders = await page.$$eval('#flattened-rows th > span:first-child', (cells) => cells.map((c) => c.textContent))
  for (const name of ['after_customer_name', 'after_customer_address_city', '_offset', '_partition', '_key'])
    assert.ok(flatHeaders.includes(name), `${name} in ${JSON.stringify(flatHeaders)}`)
  const flatRow = await cellTexts(page, '#flattened-rows tbody tr')
  assert.deepEqual(
    [flatRow[0][flatHeaders.indexOf('after_customer_name')], flatRow[0][flatHeaders.indexOf('_offset')], flatRow[0][flatHeaders.indexOf('_key')]],
    ['Ann', '0', '{"id":1}'],
  )
  assert.match((await page.locator('#flattened .preview-caption').first().textContent())!, /^Written to refined\.orders \(flow orders\):/)
  const rawHeaders = await page.$$eval('#raw-row th > span:first-child', (cells) => cells.map((c) => c.textContent))
  assert.deepEqual(
    rawHeaders.filter((n) => n!.startsWith('_')),
    ['_topic', '_partition', '_offset', '_timestamp', '_key', '_headers', '_tombstone'],
  )

  // By keyboard: the next row, Enter.
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'Partition 0, offset 1')
  await page.waitForSelector('#flattened-rows table')
  assert.equal(JSON.parse((await page.locator('#decoded').textContent())!).after.customer.name, 'Ann B')

  // The pipeline file's flow changes: the host sends the selected message again.
  await handler.setFlow(flowOf([...FLATTEN, { op: 'select', columns: ['after_id', 'after_customer_name', '_offset'] }]))
  await page.waitForFunction(() => document.querySelectorAll('#flattened-rows th').length === 3)
  assert.deepEqual(await cellTexts(page, '#flattened-rows tbody tr'), [['1', 'Ann B', '1']])
  // A cdc flow writes the change's after image, merged, keyed.
  await handler.setFlow(flowOf(FLATTEN, { mode: 'cdc', key: ['id'] }))
  await page.waitForFunction(() => [...document.querySelectorAll('#flattened-rows th > span:first-child')].some((c) => c.textContent === 'customer_name'))
  const cdcHeaders = await page.$$eval('#flattened-rows th > span:first-child', (cells) => cells.map((c) => c.textContent))
  assert.ok(!cdcHeaders.includes('_offset') && !cdcHeaders.includes('op'), JSON.stringify(cdcHeaders))
  assert.equal((await cellTexts(page, '#flattened-rows tbody tr'))[0][cdcHeaders.indexOf('customer_name')], 'Ann B')
  await handler.setFlow(flowOf([{ op: 'select', columns: ['no_such_column'] }]))
  await page.waitForSelector('#flattened.error')
  assert.match((await page.locator('#flattened').textContent())!, /flow 'orders' transforms\[0\]: .*no_such_column/)
  await handler.setFlow({ problem: 'the pipeline file has problems the jobs would stop at: $.flows[0].mode: "apend" is not one of "append", "cdc"' })
  await page.waitForFunction(() => /apend/.test(document.querySelector('#flattened.error')?.textContent ?? ''))
  await handler.setFlow(flowOf(FLATTEN))
  await page.waitForSelector('#flattened-rows table')
  assert.equal((panel.state() as { selected: number }).selected, 1)
  await page.screenshot({ path: screenshotPath('topic'), fullPage: true })
})

test('untrusted values, a malformed value and a tombstone in the detail', async () => {
  const { page } = panel
  await page.locator('#messages tbody tr[data-index="2"]').click()
  await page.waitForSelector('#flattened-rows table')
  assert.equal(JSON.parse((await page.locator('#decoded').textContent())!).after.customer.name, XSS_IMG)
  assert.match((await page.locator('#flattened').textContent())!, /<\/script><script>window.__xss=2<\/script>/)
  assert.match((await page.locator('.headers-line').textContent())!, /trace=<img src=x onerror=/)
  await page.locator('#messages tbody tr[data-index="3"]').click()
  await page.waitForSelector('#decoded.error')
  assert.match((await page.locator('#decoded').textContent())!, /^invalid-json/)
  assert.equal(await page.locator('#raw-text').textContent(), '{"op": "c", not json')
  await page.waitForSelector('#flattened.error')
  assert.match((await page.locator('#flattened').textContent())!, /^Ingest writes this message to raw\._dead_letters, not to the raw table: invalid-json/)
  await page.locator('#messages tbody tr[data-index="4"]').click()
  await page.waitForFunction(() => document.getElementById('decoded')?.textContent?.startsWith('A tombstone'))
  await page.waitForSelector('#flattened-note')
  assert.equal(await page.locator('#flattened-note').textContent(), 'No row: a tombstone: flows skip it.')
  // The panel's own script is the page's one script (inline, with the page's nonce): nothing else was injected.
  assert.equal(await page.locator('img, script:not([nonce])').count(), 0)
  assert.equal(await page.locator('script').count(), 1)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})

test('malformed messages are rejected on both sides; a reload keeps the filters and selection', async () => {
  const { page } = panel
  const errorsBefore = log.errors.length
  await page.evaluate(async () => {
    const send = (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost
    await send({ type: 'select', requestId: 1, index: -1 })
    await send({ type: 'select', requestId: 1, index: 99 })
    await send({ type: 'reload', topic: 'other' })
  })
  const errors = log.errors.slice(errorsBefore)
  assert.equal(errors[0], 'topic panel: rejected a message: message.index: -1 is outside 0..9007199254740991')
  assert.equal(errors[1], "topic panel: 'select' failed: there is no message #99 in the sample (it holds 5)")
  assert.equal(errors[2], "topic panel: rejected a message: message: unexpected property 'topic'")

  const consoleBefore = panel.consoleErrors.length
  await panel.postToPanel({
    type: 'message',
    requestId: 1,
    index: 0,
    text: null,
    hex: '',
    decoded: { type: 'row', value: { a: 1 } },
    flattened: { type: 'rows', columns: [], rows: 'x' },
  })
  await panel.postToPanel({
    type: 'topic',
    source: XSS_IMG,
    format: 'json',
    partitions: [{ partition: 0, messages: 1, firstOffset: '0', lastOffset: '0', lag: -1 }],
    schema: [],
    messages: [],
    truncated: false,
    restore: {},
  })
  await until(() => panel.consoleErrors.length >= consoleBefore + 2)
  assert.deepEqual(
    panel.consoleErrors.slice(consoleBefore).map((e) => e.replace(/^.*?rejected/, 'rejected')),
    [
      'rejected a message from the host: message.flattened.rows: expected an array, got string',
      'rejected a message from the host: message.partitions[0].lag: -1 is outside 0..9007199254740991',
    ],
  )

  await page.locator('#messages tbody tr[data-index="1"]').click()
  await page.waitForSelector('#flattened-rows table')
  await fill(page, 'filter-key', '"id":1')
  // Shown again while the host is busy: the sample is back from the panel's state at once.
  const release = panel.holdHost()
  const started = performance.now()
  await panel.reload()
  await page.waitForSelector('#messages tbody tr')
  console.log(`# restore topic: ${Math.round(performance.now() - started)} ms to the messages, the host not answering`)
  assert.deepEqual(await listed(page), ['0:0', '0:1'])
  release()
  await page.waitForSelector('#flattened-rows table')
  assert.equal(await page.locator('#filter-key').evaluate((f) => (f as HTMLElement & { value: string }).value), '"id":1')
  assert.deepEqual(await listed(page), ['0:0', '0:1'])
  assert.equal(await page.locator('#messages tbody tr.selected').getAttribute('data-index'), '1')
  assert.equal(await page.locator('li[data-path="after/customer/address"]').getAttribute('aria-expanded'), 'true')
})

test('a MongoDB capture file: Extended JSON shown converted', async () => {
  const file = path.join(env.lakeDir, 'mongo.jsonl')
  writeFileSync(file, captureLines(mongoStream({ seed: 3, keys: 3, changes: 6 }).messages))
  const mongo = await openPanel(browser, server, 'topic', (post) =>
    createTopicHandler({ lake: env.lake, catalog: env.catalog, log }, { source: { file, format: 'debezium-mongodb' }, restore: {} }, post),
  )
  try {
    const { page } = mongo
    await page.locator('#messages tbody tr[data-index="0"]').click()
    await page.waitForSelector('#decoded')
    const raw = JSON.parse((await page.locator('#raw-text').textContent())!)
    assert.match(raw.after, /"\$oid"/)
    const decoded = JSON.parse((await page.locator('#decoded').textContent())!)
    assert.match(decoded.after._id, /^[0-9a-f]{24}$/)
    assert.equal(typeof decoded.after.points, 'number')
    assert.match(decoded.after.since, /^\d{4}-\d\d-\d\dT/)
    assert.equal(await page.locator('#flattened').textContent(), 'No flow reads this source in the pipeline file.')
    assert.equal(await page.locator('#partitions thead th').count(), 4, 'no broker: no low/high/committed/lag columns')
    assert.deepEqual(mongo.consoleErrors, [])
    await page.screenshot({ path: screenshotPath('topic-mongo'), fullPage: true })
  } finally {
    await mongo.close()
  }
})
