/**
 * Produce from the topic panel, in headless Chromium (harness.ts) with the real host handler, over
 * the real mock Kafka broker (test/kafka/broker.ts); what landed is read back with kcat
 * (librdkafka: a consumer that is not ours). The editor checks the value as it is typed (JSON
 * position, the inferred schema) and suggests field names; Send says where the message landed and
 * the list shows it selected; Produce again copies a sampled message; a tombstone; markup stays
 * text everywhere; a cluster not marked as dev is refused in the panel and by the host; malformed
 * messages are rejected both ways.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, test } from 'node:test'
import avro from 'avsc'
import type { Browser, Page } from 'playwright-core'
import { createTopicHandler, type KafkaTopicSource, type TopicHandler } from '../../src/extension/panels/topic-handler'
import { LocalRegistry } from '../helpers/schema-registry'
import { produceJson } from '../kafka/broker'
import { startIngestLake, type IngestLake } from '../kafka/ingest-lake'
import { closePanelTest, hostLog, launchBrowser, openPanel, PanelServer, screenshotPath, until, type OpenPanel } from './harness'
import { XSS_IMG, XSS_SCRIPT } from './payloads'

const TOPIC = 'shop.orders'
const GUARDED = 'shop.guarded'
const CLICKS = 'shop.clicks'
const CLICK_SCHEMA = {
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'page', type: 'string' },
    { name: 'ref', type: ['null', 'string'], default: null },
  ],
}
const clickType = avro.Type.forSchema(CLICK_SCHEMA as avro.Schema, { wrapUnions: true })
/** What Confluent's Avro serializer writes: magic byte, schema id, the Avro datum. */
const framedClick = (value: object) => {
  const header = Buffer.alloc(5)
  header.writeUInt32BE(8, 1)
  return Buffer.concat([header, clickType.toBuffer(value)])
}
const registry = new LocalRegistry()
const log = hostLog()
let env: IngestLake
let browser: Browser
let server: PanelServer
let panel: OpenPanel
let handler: TopicHandler
let source: KafkaTopicSource

interface KcatRecord {
  partition: number
  offset: number
  key: string | null
  payload: string | null
  headers: string[] | null
}

/** Every record of a topic as kcat reads it, in partition and offset order. */
function kcat(topic: string): KcatRecord[] {
  const out = execFileSync('kcat', ['-b', env.broker.brokers.join(','), '-C', '-J', '-e', '-q', '-t', topic], { timeout: 30_000 }).toString()
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as KcatRecord)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

const fieldValue = (page: Page, id: string) => page.$eval(`#${id}`, (f) => (f as HTMLElement & { value: string }).value)

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

const sendEnabled = (page: Page) => page.$eval('#produce-send', (b) => !b.hasAttribute('disabled'))

before(async () => {
  ;[browser, server, env] = await Promise.all([
    launchBrowser(),
    PanelServer.start(),
    startIngestLake({
      name: 'topic-produce',
      topics: [
        { name: TOPIC, partitions: 2 },
        { name: GUARDED, partitions: 1 },
        { name: CLICKS, partitions: 1 },
      ],
    }),
  ])
  await produceJson(env.kafka, TOPIC, [
    { key: 'o-1', value: { id: 1, customer: { name: 'Ann', city: 'Lyon' }, items: [{ sku: 'a', qty: 1 }], total: 12.5 }, partition: 0 },
    {
      key: 'o-2',
      value: { id: 2, customer: { name: 'Bo', city: 'Oslo' }, items: [], total: 3, [XSS_IMG]: 'hostile field name' },
      headers: { trace: 't-2' },
      partition: 1,
    },
  ])
  await produceJson(env.kafka, GUARDED, [{ key: 'g', value: { id: 1 }, partition: 0 }])
  source = { kafka: { ...env.pipeline.kafka!, dev: true }, topic: TOPIC, format: 'json', name: 'orders', pipelineFile: 'orders.lakehouse.json' }
  panel = await openPanel(
    browser,
    server,
    'topic',
    (post) => (handler = createTopicHandler({ lake: env.lake, catalog: env.catalog, log }, { source, restore: {} }, post)),
  )
  await panel.page.waitForSelector('#messages tbody tr')
})

after(() => closePanelTest({ panel, browser, server, others: [...(env ? [{ close: () => env.stop() }] : []), { close: () => registry.stop() }] }))

test("the editor checks the value as it is typed and suggests the schema's field names", async () => {
  const { page } = panel
  await page.waitForSelector('#produce-open:not([hidden])')
  await page.locator('#produce-open').click()
  await page.waitForSelector('#produce:not([hidden]) #produce-value')
  assert.equal(await page.locator('#produce-refusal').isHidden(), true)
  // Empty: nothing to send yet.
  assert.match((await page.locator('#produce-problem').textContent())!, /the value is empty/)
  assert.equal(await sendEnabled(page), false)

  await page.locator('#produce-fill').click()
  const skeleton = JSON.parse(await fieldValue(page, 'produce-value'))
  assert.deepEqual(skeleton, { id: 0, customer: { name: '', city: '' }, items: [{ sku: '', qty: 0 }], total: 0.5, [XSS_IMG]: '' })
  assert.equal(await page.locator('#produce-ok').textContent(), 'JSON; fits the inferred schema')
  assert.equal(await sendEnabled(page), true)

  // JSON that does not parse: where, and Send is off.
  await fill(page, 'produce-value', '{\n  "id": 1,\n  "total": }')
  assert.match((await page.locator('#produce-problem').textContent())!, /^the value is not JSON at line 3, column 12: /)
  assert.equal(await sendEnabled(page), false)

  // Against the inferred schema: a new field and a value of another type are said, not refused.
  await fill(page, 'produce-value', '{"id": "seven", "customer": {"name": "C", "zip": "69001"}, "coupon": null}')
  assert.deepEqual(await page.$$eval('#produce-notes li', (items) => items.map((i) => i.textContent)), [
    'id: text where the schema has long (ingest keeps it in _rescued_data)',
    'customer.zip: not in the inferred schema (ingest adds it as a new column)',
    'coupon: not in the inferred schema (ingest adds it as a new column)',
  ])
  assert.equal(await sendEnabled(page), true)
  await fill(page, 'produce-value', '[1, 2]')
  assert.match((await page.locator('#produce-notes').textContent())!, /the value is an array: the topic's messages are objects/)

  // Suggestions: typing a quote where a field name goes in `customer` offers its fields not yet there.
  await fill(page, 'produce-value', '')
  const value = page.locator('#produce-value')
  await value.focus()
  await page.keyboard.type('{"id": 3, "customer": {"name": "Di", ')
  await page.keyboard.type('"')
  await page.waitForSelector('#produce-suggestions:not([hidden])')
  assert.deepEqual(await page.$$eval('#produce-suggestions li', (items) => items.map((i) => i.getAttribute('data-name'))), ['city'])
  await page.keyboard.press('Enter')
  await page.keyboard.type('"Rome"}, ')
  // Ctrl+Space at the top level: the fields the value lacks; typing narrows them; a hostile name is text.
  await page.keyboard.press('Control+Space')
  await page.waitForSelector('#produce-suggestions:not([hidden])')
  const offered = await page.$$eval('#produce-suggestions li', (items) => items.map((i) => i.getAttribute('data-name')))
  assert.deepEqual(offered, ['items', 'total', XSS_IMG])
  assert.equal(await page.locator('#produce-suggestions img').count(), 0)
  await page.keyboard.type('"to')
  await page.waitForFunction(() => document.querySelectorAll('#produce-suggestions li').length === 1)
  await page.keyboard.press('Tab')
  await page.keyboard.type('9.75}')
  assert.equal(await fieldValue(page, 'produce-value'), '{"id": 3, "customer": {"name": "Di", "city": "Rome"}, "total": 9.75}')
  assert.equal(await page.locator('#produce-ok').textContent(), 'JSON; fits the inferred schema')
  assert.deepEqual(panel.consoleErrors, [])
})

test('Send: the message lands where the panel says, the list shows it selected, and kcat reads it as sent', async () => {
  const { page } = panel
  const value = `{"id": 4, "customer": {"name": "${XSS_IMG.replaceAll('"', '\\"')}", "city": "${XSS_SCRIPT}"}, "big": 12345678901234567890}`
  await fill(page, 'produce-value', value)
  await fill(page, 'produce-key', 'o-4')
  await fill(page, 'produce-headers', `trace=t-4\nnote=${XSS_SCRIPT}`)
  await fill(page, 'produce-partition', '1')
  await page.locator('#produce-send').click()
  await page.waitForFunction(() => /^Sent: /.test(document.getElementById('produce-status')?.textContent ?? ''))
  assert.equal(await page.locator('#produce-status').textContent(), 'Sent: partition 1, offset 1')
  // The fresh sample shows it, selected and decoded.
  await page.waitForSelector('#messages tbody tr.selected')
  const selected = await page.$eval('#messages tbody tr.selected', (row) => [...row.children].map((c) => c.textContent))
  assert.deepEqual([selected[0], selected[1], selected[3]], ['1', '1', 'o-4'])
  await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'Partition 1, offset 1')
  await page.waitForSelector('#decoded')
  assert.equal(JSON.parse((await page.locator('#decoded').textContent())!).customer.name, XSS_IMG)

  const landed = kcat(TOPIC).find((r) => r.partition === 1 && r.offset === 1)!
  assert.equal(landed.key, 'o-4')
  // As typed, on one line: every digit of the 64-bit number kept.
  assert.equal(landed.payload, `{"id":4,"customer":{"name":"${XSS_IMG.replaceAll('"', '\\"')}","city":"${XSS_SCRIPT}"},"big":12345678901234567890}`)
  assert.deepEqual(landed.headers, ['trace', 't-4', 'note', XSS_SCRIPT])
  // The panel's own script is the page's one script (inline, with the page's nonce): nothing else was injected.
  assert.equal(await page.locator('img, script:not([nonce])').count(), 0)
  assert.equal(await page.locator('script').count(), 1)
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined)
})

test('Produce again: an editable copy of a sampled message; a tombstone', async () => {
  const { page } = panel
  await page.locator('#messages tbody tr', { hasText: 'o-2' }).first().click()
  await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'Partition 1, offset 0')
  await page.locator('#produce-again').click()
  await page.waitForFunction(() => document.getElementById('produce-title')?.textContent === 'Produce again: a copy of partition 1, offset 0')
  assert.equal(await fieldValue(page, 'produce-key'), 'o-2')
  assert.equal(await fieldValue(page, 'produce-headers'), 'trace=t-2')
  assert.equal(await fieldValue(page, 'produce-partition'), '')
  const copy = JSON.parse(await fieldValue(page, 'produce-value'))
  assert.deepEqual(copy, { id: 2, customer: { name: 'Bo', city: 'Oslo' }, items: [], total: 3, [XSS_IMG]: 'hostile field name' })
  await fill(page, 'produce-value', JSON.stringify({ ...copy, total: 4 }, null, 2))
  await page.locator('#produce-send').click()
  await page.waitForFunction(() => /^Sent: /.test(document.getElementById('produce-status')?.textContent ?? ''))
  const [, partition, offset] = /^Sent: partition (\d+), offset (\d+)$/.exec((await page.locator('#produce-status').textContent())!)!
  const again = kcat(TOPIC).find((r) => r.partition === Number(partition) && r.offset === Number(offset))!
  assert.deepEqual([again.key, JSON.parse(again.payload!).total, again.headers], ['o-2', 4, ['trace', 't-2']])

  await page.locator('#produce-tombstone').check()
  assert.equal(await page.locator('#produce-value').isDisabled(), true)
  await page.locator('#produce-send').click()
  await page.waitForFunction((before) => {
    const text = document.getElementById('produce-status')?.textContent ?? ''
    return /^Sent: /.test(text) && text !== before
  }, `Sent: partition ${partition}, offset ${offset}`)
  const [, p2, o2] = /^Sent: partition (\d+), offset (\d+)$/.exec((await page.locator('#produce-status').textContent())!)!
  const tombstone = kcat(TOPIC).find((r) => r.partition === Number(p2) && r.offset === Number(o2))!
  assert.deepEqual([tombstone.key, tombstone.payload], ['o-2', null])
  await page.locator('#produce-cancel').click()
  assert.equal(await page.locator('#produce').isHidden(), true)
  assert.equal((panel.state() as { draft?: unknown }).draft, undefined)
})

test('a cluster not marked as dev: the panel explains which file to change, the host refuses, nothing is written', async () => {
  const guarded: KafkaTopicSource = { kafka: { ...env.pipeline.kafka!, dev: false }, topic: GUARDED, format: 'json', pipelineFile: 'shop.lakehouse.json' }
  let guardedHandler!: TopicHandler
  const other = await openPanel(
    browser,
    server,
    'topic',
    (post) => (guardedHandler = createTopicHandler({ lake: env.lake, catalog: env.catalog, log }, { source: guarded, restore: {} }, post)),
  )
  try {
    const { page } = other
    await page.waitForSelector('#messages tbody tr')
    await page.locator('#produce-open').click()
    await page.waitForSelector('#produce-refusal:not([hidden])')
    const refusal = (await page.locator('#produce-refusal').textContent())!
    assert.match(refusal, new RegExp(`^Producing is refused: ${env.broker.brokers[0]} is not marked as a dev cluster`))
    assert.match(refusal, /add "dev": true to the "kafka" section in shop\.lakehouse\.json/)
    assert.equal(await page.locator('.produce-form').isHidden(), true)
    // A forged produce (the panel is a web page) is refused by the host too.
    const errorsBefore = log.errors.length
    await page.evaluate(async () => {
      const send = (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost
      await send({ type: 'produce', requestId: 77, message: { key: 'x', headers: {}, value: '{"id": 9}' } })
    })
    assert.match(log.errors[errorsBefore], /^topic panel: 'produce' failed: Producing is refused: /)
    assert.deepEqual(
      kcat(GUARDED).map((r) => r.key),
      ['g'],
    )
    // The file is saved with "dev": true: the panel offers the form.
    await guardedHandler.setCluster({ ...guarded.kafka, dev: true })
    await page.waitForSelector('.produce-form:not([hidden])')
    assert.equal(await page.locator('#produce-refusal').isHidden(), true)
  } finally {
    await other.close()
  }
})

test('malformed messages are rejected both ways; a value that is not JSON is refused by the host', async () => {
  const { page } = panel
  const errorsBefore = log.errors.length
  const countBefore = kcat(TOPIC).length
  await page.evaluate(async () => {
    const send = (window as unknown as { __lakehouseToHost(m: unknown): Promise<void> }).__lakehouseToHost
    await send({ type: 'produce', requestId: 1, message: { key: null, headers: {}, value: '{}', partition: -1 } })
    await send({ type: 'produce', requestId: 1, message: { key: null, headers: { a: 1 }, value: '{}' } })
    await send({ type: 'produce', requestId: 1, message: { key: null, headers: {}, value: '{}', topic: 'elsewhere' } })
    await send({ type: 'produce', requestId: 1, message: { key: null, headers: {}, value: '{"id": 1,' } })
  })
  const errors = log.errors.slice(errorsBefore)
  assert.equal(errors[0], 'topic panel: rejected a message: message.message.partition: -1 is outside 0..9007199254740991')
  assert.equal(errors[1], 'topic panel: rejected a message: message.message.headers.a: expected text, got number')
  assert.equal(errors[2], "topic panel: rejected a message: message.message: unexpected property 'topic'")
  assert.match(errors[3], /^topic panel: 'produce' failed: the value is not JSON: /)
  assert.equal(kcat(TOPIC).length, countBefore)

  const consoleBefore = panel.consoleErrors.length
  await panel.postToPanel({ type: 'produced', requestId: 1, partition: -1, offset: '0' })
  await panel.postToPanel({ type: 'produceAccess', allowed: 'yes' })
  await until(() => panel.consoleErrors.length >= consoleBefore + 2)
  assert.deepEqual(
    panel.consoleErrors.slice(consoleBefore).map((e) => e.replace(/^.*?rejected/, 'rejected')),
    [
      'rejected a message from the host: message.partition: -1 is outside 0..9007199254740991',
      'rejected a message from the host: message.allowed: expected true or false, got string',
    ],
  )
  // The editor's draft survives a reload of the page (VS Code hides and shows panels).
  await page.locator('#produce-open').click()
  await fill(page, 'produce-key', 'kept')
  await panel.reload()
  await page.waitForSelector('#produce:not([hidden])')
  assert.equal(await fieldValue(page, 'produce-key'), 'kept')
  await handler.setFlow(undefined)
})

/** The raw value bytes of a partition's messages, as kcat reads them (they are binary). */
function kcatValues(topic: string, partition: number): Buffer[] {
  const out = execFileSync(
    'kcat',
    ['-b', env.broker.brokers.join(','), '-C', '-e', '-q', '-t', topic, '-p', String(partition), '-o', 'beginning', '-f', '%s\u0001\u0002\u0003'],
    { timeout: 30_000 },
  )
  const values: Buffer[] = []
  let at = 0
  for (let end = out.indexOf('\u0001\u0002\u0003'); end >= 0; end = out.indexOf('\u0001\u0002\u0003', at)) {
    values.push(out.subarray(at, end))
    at = end + 3
  }
  return values
}

test("Avro through the registry: Produce again copies the decoded value, Send encodes it as Confluent's serializer does, a value that does not fit is refused", async () => {
  const url = await registry.start()
  registry.register(8, `${CLICKS}-value`, 1, { schema: JSON.stringify(CLICK_SCHEMA) })
  await produceJson(env.kafka, CLICKS, [{ key: 'u1', value: framedClick({ id: 42, page: '/cart', ref: { string: 'ad' } }), partition: 0 }])
  const clicks: KafkaTopicSource = {
    kafka: { ...env.pipeline.kafka!, dev: true, schemaRegistry: { url } },
    topic: CLICKS,
    format: 'avro',
    schemaRegistry: { url },
    pipelineFile: 'clicks.lakehouse.json',
  }
  const other = await openPanel(browser, server, 'topic', (post) =>
    createTopicHandler({ lake: env.lake, catalog: env.catalog, log }, { source: clicks, restore: {} }, post),
  )
  try {
    const { page } = other
    await page.locator('#messages tbody tr').first().click()
    await page.waitForSelector('#decoded')
    await page.locator('#produce-again').click()
    await page.waitForSelector('#produce:not([hidden])')
    const copy = JSON.parse(await fieldValue(page, 'produce-value'))
    assert.deepEqual(copy, { id: 42, page: '/cart', ref: 'ad' })
    assert.equal(await page.locator('#produce-ok').textContent(), "JSON; encoded with the subject's latest avro schema when sent")
    await fill(page, 'produce-value', JSON.stringify({ ...copy, page: '/checkout' }))
    await page.locator('#produce-send').click()
    await page.waitForFunction(() => /^Sent: /.test(document.getElementById('produce-status')?.textContent ?? ''))
    assert.equal(await page.locator('#produce-status').textContent(), 'Sent: partition 0, offset 1')
    assert.deepEqual(kcatValues(CLICKS, 0), [
      framedClick({ id: 42, page: '/cart', ref: { string: 'ad' } }),
      framedClick({ id: 42, page: '/checkout', ref: { string: 'ad' } }),
    ])
    // The fresh sample shows it selected, decoded through the registry.
    await page.waitForFunction(() => document.querySelector('#detail h2')?.textContent === 'Partition 0, offset 1')
    await page.waitForSelector('#decoded')
    assert.equal(JSON.parse((await page.locator('#decoded').textContent())!).page, '/checkout')
    await page.screenshot({ path: screenshotPath('topic-produce'), fullPage: true })

    await fill(page, 'produce-value', '{"id": "x", "page": "/"}')
    await page.locator('#produce-send').click()
    await page.waitForFunction(() => /^Not sent: /.test(document.getElementById('produce-status')?.textContent ?? ''))
    assert.match((await page.locator('#produce-status').textContent())!, /^Not sent: the value does not fit Avro schema 8: id: "x" does not fit/)
    assert.equal(kcatValues(CLICKS, 0).length, 2)
    assert.deepEqual(other.consoleErrors, [])
  } finally {
    await other.close()
  }
})
