/**
 * `lakehouse dead-letters produce` as users run it (real processes) against the mock broker and
 * the test schema registry, read back with kcat (a consumer that is not ours). Letters of a JSON
 * topic fixed by an edited value and by a JSON Patch go back to their topic and partition with
 * their key, headers and the lineage header; their state says produced and where; a letter that
 * would fail again is not sent; a produced letter is not produced again; an Avro letter's edited
 * value is encoded through the registry; `trace --message` on the new message names the letter.
 * A cluster not marked as dev is refused before anything connects. A process killed after the
 * send and before the state commit leaves the letter open: producing it again sends a second
 * copy, and the state names that one (at least once, as documented).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import avro from 'avsc'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog, runQuery } from '../../src/query'
import { MOCK_CONSUMER_SETTINGS, startBroker, type MockBroker } from '../kafka/broker'
import { LocalRegistry } from '../helpers/schema-registry'
import { COMMIT_TEMP, describeOutcome, runCli } from '../reliability/cli-process'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-letters-produce-'))
const registry = new LocalRegistry()
let broker: MockBroker
const file = path.join(dir, 'lakehouse.json')
const prodFile = path.join(dir, 'prod.lakehouse.json')
const SCHEMA = {
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'page', type: 'string' },
  ],
}

before(async () => {
  broker = await startBroker({
    topics: [
      { name: 'orders', partitions: 2 },
      { name: 'clicks', partitions: 1 },
    ],
  })
  const url = await registry.start()
  registry.register(3, 'clicks-value', 1, { schema: JSON.stringify(SCHEMA) })
  const { sessionTimeout, heartbeatInterval, maxWaitTimeInMs } = MOCK_CONSUMER_SETTINGS
  const sources = [
    { name: 'orders', topic: 'orders', format: 'json', table: 'raw.orders', batch: { maxMs: 200 } },
    { name: 'clicks', topic: 'clicks', format: 'avro', table: 'raw.clicks', batch: { maxMs: 200 } },
  ]
  writeFileSync(
    file,
    JSON.stringify({
      lake: 'lake',
      kafka: { brokers: broker.brokers, dev: true, schemaRegistry: { url }, consumer: { sessionTimeout, heartbeatInterval, maxWaitTimeInMs } },
      sources,
    }),
  )
  // The same lake, a cluster not marked as dev, at an address where nothing listens: a connection attempt would fail differently.
  writeFileSync(prodFile, JSON.stringify({ lake: 'lake', kafka: { brokers: ['127.0.0.1:1'], schemaRegistry: { url } }, sources }))
  // orders, partition 1: a row, then three letters (invalid JSON, an array, a string), keyed and with headers.
  kcatProduce('orders', 1, 'k1', [], '{"id":1,"price":10}')
  kcatProduce('orders', 1, 'k2', ['origin=shop-eu', 'trace=t-2'], '{"id":2,"price":oops}')
  kcatProduce('orders', 1, 'k3', [], '[{"id":3,"price":30}]')
  kcatProduce('orders', 1, 'k4', [], '"just a string"')
  // clicks: an Avro value cut short (schema id right, body missing).
  execFileSync('kcat', ['-b', broker.brokers.join(','), '-P', '-t', 'clicks', '-p', '0'], { input: Buffer.from([0, 0, 0, 0, 3, 2]) })
  // One source at a time: two sources creating raw._dead_letters at once conflict (a known gap of ingest, not of this test).
  for (const source of ['orders', 'clicks']) {
    const ingest = await cli('ingest', '--pipeline', file, '--source', source, '--until-caught-up')
    assert.equal(ingest.code, 0, ingest.stderr)
  }
  const letters = JSON.parse((await cli('dead-letters', 'list', '--pipeline', file, '--letters', '--format', 'json')).stdout)
  assert.deepEqual(
    letters.map((l: { letter: string; state: string }) => [l.letter, l.state]),
    [
      ['clicks/clicks/0/0', 'open'],
      ['orders/orders/1/1', 'open'],
      ['orders/orders/1/2', 'open'],
      ['orders/orders/1/3', 'open'],
    ],
  )
})
after(async () => {
  await broker.stop()
  await registry.stop()
  rmSync(dir, { recursive: true, force: true })
})

function kcatProduce(topic: string, partition: number, key: string, headers: string[], value: string) {
  execFileSync('kcat', ['-b', broker.brokers.join(','), '-P', '-t', topic, '-p', String(partition), '-K', '\t', ...headers.flatMap((h) => ['-H', h])], {
    input: `${key}\t${value}\n`,
  })
}

const cli = async (...args: string[]) => {
  const r = await runCli(args, { cwd: dir })
  return { code: r.code, stdout: r.stdout, stderr: r.stderr }
}

interface KcatRecord {
  partition: number
  offset: number
  key: string | null
  payload: string | null
  headers?: string[]
}

function kcatRecords(topic: string): KcatRecord[] {
  const text = execFileSync('kcat', ['-b', broker.brokers.join(','), '-C', '-J', '-e', '-q', '-t', topic], { timeout: 30_000 }).toString()
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as KcatRecord)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

async function states(): Promise<Record<string, unknown>[]> {
  const lake = new LakeEngine()
  try {
    return (
      await runQuery(
        lake,
        new LakeCatalog(path.join(dir, 'lake'), lake.io.storage),
        'SELECT source, _offset, state, fix, produced_topic, produced_partition, produced_offset FROM raw._dead_letter_states ORDER BY changed_at, _offset',
      )
    ).rows
  } finally {
    await lake.close()
  }
}

test('a cluster not marked as dev is refused before anything connects; the letters stay open', async () => {
  const r = await cli('dead-letters', 'produce', '--pipeline', prodFile, 'orders/orders/1/1', '--value', '{"id":2,"price":20}')
  assert.equal(r.code, 1, r.stdout + r.stderr)
  assert.match(
    r.stderr,
    /^lakehouse: refusing to write to 127\.0\.0\.1:1: the pipeline file does not mark this cluster as a dev cluster.*add "dev": true to "kafka" in .*prod\.lakehouse\.json\n$/s,
  )
  assert.doesNotMatch(r.stderr, /connect|ECONNREFUSED/i, 'refused before connecting')
  const open = JSON.parse((await cli('dead-letters', 'list', '--pipeline', file, '--letters', '--state', 'open', '--format', 'json')).stdout)
  assert.equal(open.length, 4)
})

test("an edited value goes back to the letter's topic and partition with its key, headers and the lineage header; the state says where", async () => {
  const r = await cli('dead-letters', 'produce', '--pipeline', file, 'orders/orders/1/1', '--value', '{"id":2,"price":20}')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '1 letter produced, 0 not (still failing)\n  orders/orders/1/1 → orders/1/4\n')
  const sent = kcatRecords('orders').find((m) => m.partition === 1 && m.offset === 4)
  assert.deepEqual(sent && { key: sent.key, payload: sent.payload, headers: sent.headers }, {
    key: 'k2',
    payload: '{"id":2,"price":20}',
    headers: ['origin', 'shop-eu', 'trace', 't-2', 'lakehouse-dead-letter', 'orders/orders/1/1'],
  })
  assert.deepEqual(
    (await states()).map((s) => [s.source, Number(s._offset), s.state, s.fix, s.produced_topic, s.produced_partition, Number(s.produced_offset)]),
    [['orders', 1, 'produced', 'edited value', 'orders', 1, 4]],
  )
  const produced = JSON.parse((await cli('dead-letters', 'list', '--pipeline', file, '--letters', '--state', 'produced', '--format', 'json')).stdout)
  assert.deepEqual(
    produced.map((l: Record<string, string>) => [l.letter, l.state, l.produced_to]),
    [['orders/orders/1/1', 'produced', 'orders/1/4']],
  )
  assert.match(
    (await cli('dead-letters', 'show', '--pipeline', file, 'orders/orders/1/1')).stdout,
    /^letter {5}orders\/orders\/1\/1 \(produced to orders\/1\/4\)\n/,
  )
  // Produced once: never again, whatever is asked.
  const again = await cli('dead-letters', 'produce', '--pipeline', file, 'orders/orders/1/1')
  assert.equal(again.code, 1)
  assert.match(again.stderr, /^lakehouse: letter orders\/orders\/1\/1 is produced \(to orders\/1\/4\), not open: it is not produced again\n$/)
  assert.equal(kcatRecords('orders').length, 5)
})

test('a JSON Patch for a reason: the letters it fixes are produced, one that still does not decode is not sent', async () => {
  const r = await cli(
    'dead-letters',
    'produce',
    '--pipeline',
    file,
    '--source',
    'orders',
    '--reason',
    'not-an-object',
    '--patch',
    '[{"op":"move","from":"/0","path":""}]',
  )
  assert.equal(r.code, 1, r.stdout + r.stderr)
  assert.match(
    r.stdout,
    /^1 letter produced, 1 not \(still failing\)\n {2}orders\/orders\/1\/2 → orders\/1\/5\n {2}orders\/orders\/1\/3: not-an-object: the value is a string, not a JSON object\n$/,
  )
  const records = kcatRecords('orders')
  assert.deepEqual(
    records.slice(5).map((m) => [m.partition, m.offset, m.key, m.payload, m.headers]),
    [[1, 5, 'k3', '{"id":3,"price":30}', ['lakehouse-dead-letter', 'orders/orders/1/2']]],
  )
  const open = JSON.parse((await cli('dead-letters', 'list', '--pipeline', file, '--letters', '--state', 'open', '--format', 'json')).stdout)
  assert.deepEqual(
    open.map((l: { letter: string }) => l.letter),
    ['clicks/clicks/0/0', 'orders/orders/1/3'],
  )
})

test('trace --message on a produced message names the letter it repairs; ingested, it is a row', async () => {
  const ingest = await cli('ingest', '--pipeline', file, '--source', 'orders', '--until-caught-up')
  assert.equal(ingest.code, 0, ingest.stderr)
  const traced = await cli('trace', '--pipeline', file, '--message', 'orders/1/4')
  assert.equal(traced.code, 0, traced.stderr)
  assert.match(
    traced.stdout,
    /^orders: produced by 'dead-letters produce' from dead letter orders\/orders\/1\/1 \(invalid-json\), the fixed value of that message \(header lakehouse-dead-letter\)\norders: a row of raw\.orders, written by version \d+; key k2, /,
  )
  const letter = await cli('trace', '--pipeline', file, '--message', 'orders/1/1')
  assert.match(letter.stdout, /^orders: a dead letter \(invalid-json: .*\), produced to orders\/1\/4\n/)
})

test("an Avro letter's edited value is encoded with the topic's registry schema", async () => {
  // An edited value names one letter; one the schema does not fit is refused saying why, and nothing is sent.
  assert.equal((await cli('dead-letters', 'produce', '--pipeline', file, '--all', '--value', '{}')).code, 2)
  const unfit = await cli('dead-letters', 'produce', '--pipeline', file, 'clicks/clicks/0/0', '--value', '{"id":"x","page":"/"}')
  assert.equal(unfit.code, 1, unfit.stdout + unfit.stderr)
  assert.match(unfit.stderr, /^lakehouse: --value: the value does not fit Avro schema 3: id: "x" does not fit\n$/)
  assert.equal(kcatRecords('clicks').length, 1)
  const r = await cli('dead-letters', 'produce', '--pipeline', file, 'clicks/clicks/0/0', '--value', '{"id":4,"page":"/p4"}')
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, '1 letter produced, 0 not (still failing)\n  clicks/clicks/0/0 → clicks/0/1\n')
  const value = execFileSync('kcat', ['-b', broker.brokers.join(','), '-C', '-e', '-q', '-t', 'clicks', '-p', '0', '-o', '1', '-c', '1', '-f', '%s'])
  const body = avro.Type.forSchema(SCHEMA as avro.Schema).toBuffer({ id: 4, page: '/p4' })
  assert.deepEqual(value, Buffer.concat([Buffer.from([0, 0, 0, 0, 3]), body]))
  assert.equal(kcatRecords('clicks').length, 2)
})

test('killed after the send and before the state commit: the letter stays open, and producing it again sends a second copy that the state names', async () => {
  kcatProduce('orders', 0, 'k9', [], '{"id":9,"price":oops}')
  const ingest = await cli('ingest', '--pipeline', file, '--source', 'orders', '--until-caught-up')
  assert.equal(ingest.code, 0, ingest.stderr)
  const args = ['dead-letters', 'produce', '--pipeline', file, 'orders/orders/0/0', '--value', '{"id":9,"price":90}']
  const killed = await runCli(args, {
    cwd: dir,
    kill: { after: 'file', pattern: COMMIT_TEMP, logDirs: [path.join(dir, 'lake/raw/_dead_letter_states/_delta_log')], skip: 0 },
  })
  assert.ok(killed.killed, describeOutcome(killed))
  const sentOnce = kcatRecords('orders').filter((m) => m.headers?.includes('orders/orders/0/0'))
  assert.deepEqual(
    sentOnce.map((m) => [m.partition, m.offset]),
    [[0, 1]],
    'the send happened before the kill',
  )
  const open = JSON.parse(
    (await cli('dead-letters', 'list', '--pipeline', file, '--letters', '--state', 'open', '--source', 'orders', '--format', 'json')).stdout,
  )
  assert.ok(
    open.some((l: { letter: string }) => l.letter === 'orders/orders/0/0'),
    'not recorded: still open',
  )
  const rerun = await cli(...args)
  assert.equal(rerun.code, 0, rerun.stderr)
  assert.equal(rerun.stdout, '1 letter produced, 0 not (still failing)\n  orders/orders/0/0 → orders/0/2\n')
  const copies = kcatRecords('orders').filter((m) => m.headers?.includes('orders/orders/0/0'))
  assert.deepEqual(
    copies.map((m) => [m.offset, m.payload]),
    [
      [1, '{"id":9,"price":90}'],
      [2, '{"id":9,"price":90}'],
    ],
  )
  const last = (await states()).filter((s) => Number(s._offset) === 0 && s.source === 'orders')
  assert.deepEqual(
    last.map((s) => [s.state, Number(s.produced_offset)]),
    [['produced', 2]],
  )
})
