/**
 * `lakehouse produce` as users run it (a real process) against the mock broker and the test
 * schema registry, read back with kcat (librdkafka: a consumer that is not ours). Each registry
 * format's bytes are compared with what an independent encoder (avsc, protobufjs, JSON.stringify)
 * makes of the same value with the same framing; captures keep their keys and headers; a cluster
 * not marked as dev is refused and stays empty.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import avro from 'avsc'
import protobuf from 'protobufjs'
import { startBroker, type MockBroker } from '../kafka/broker'
import { LocalRegistry } from '../helpers/schema-registry'
import { runCli } from '../reliability/cli-process'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-produce-'))
const registry = new LocalRegistry()
let broker: MockBroker
let devPipeline: string
let prodPipeline: string

const AVRO_SCHEMA = {
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'page', type: 'string' },
    { name: 'ref', type: ['null', 'string'], default: null },
  ],
}
const PROTO_SCHEMA = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  int32 id = 1;\n  string customer = 2;\n  repeated double prices = 3;\n}\n'
const JSON_SCHEMA = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id'] }

const framed = (id: number, ...parts: Uint8Array[]) => {
  const header = Buffer.alloc(5)
  header.writeUInt32BE(id, 1)
  return Buffer.concat([header, ...parts])
}

before(async () => {
  broker = await startBroker({ topics: ['clicks', 'orders', 'people', 'events', 'guarded'].map((name) => ({ name, partitions: 2 })) })
  const url = await registry.start()
  registry.register(7, 'clicks-value', 1, { schema: JSON.stringify({ ...AVRO_SCHEMA, fields: AVRO_SCHEMA.fields.slice(0, 2) }) })
  registry.register(8, 'clicks-value', 2, { schema: JSON.stringify(AVRO_SCHEMA) })
  registry.register(9, 'orders-value', 1, { schema: PROTO_SCHEMA, schemaType: 'PROTOBUF' })
  registry.register(10, 'people-value', 1, { schema: JSON.stringify(JSON_SCHEMA), schemaType: 'JSON' })
  const sources = [
    { name: 'clicks', topic: 'clicks', format: 'avro', table: 'raw.clicks' },
    { name: 'orders', topic: 'orders', format: 'protobuf', table: 'raw.orders' },
    { name: 'people', topic: 'people', format: 'json-schema', table: 'raw.people' },
    { name: 'events', topic: 'events', format: 'json', table: 'raw.events' },
  ]
  devPipeline = path.join(dir, 'dev.lakehouse.json')
  writeFileSync(devPipeline, JSON.stringify({ lake: 'lake', kafka: { brokers: broker.brokers, dev: true, schemaRegistry: { url } }, sources }))
  prodPipeline = path.join(dir, 'prod.lakehouse.json')
  writeFileSync(
    prodPipeline,
    JSON.stringify({
      lake: 'lake',
      kafka: { brokers: broker.brokers },
      sources: [{ name: 'guarded', topic: 'guarded', format: 'json', table: 'raw.guarded' }],
    }),
  )
})
after(async () => {
  await broker.stop()
  await registry.stop()
  rmSync(dir, { recursive: true, force: true })
})

const produce = async (...args: string[]) => {
  const outcome = await runCli(['produce', ...args], { cwd: dir })
  return { code: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr }
}

/** The raw value bytes of each message of a partition, as kcat reads them. */
function kcatValues(topic: string, partition: number, count: number): Buffer[] {
  // %s then a separator that none of the values hold: the values are binary.
  const out = execFileSync(
    'kcat',
    [
      '-b',
      broker.brokers.join(','),
      '-C',
      '-e',
      '-q',
      '-t',
      topic,
      '-p',
      String(partition),
      '-o',
      'beginning',
      '-c',
      String(count),
      '-f',
      '%s\u0001\u0002\u0003',
    ],
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

/** kcat -J records of a topic (both partitions), in partition and offset order. */
function kcatRecords(topic: string): Record<string, unknown>[] {
  const text = execFileSync('kcat', ['-b', broker.brokers.join(','), '-C', '-J', '-e', '-q', '-t', topic], { timeout: 30_000 }).toString()
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .sort((a, b) => Number(a.partition) - Number(b.partition) || Number(a.offset) - Number(b.offset))
}

test("avro: the value is encoded with the subject's latest schema (an optional union unwrapped), keyed and with headers", async () => {
  const value = { id: 42, page: '/cart', ref: 'ad' }
  const r = await produce(
    '--pipeline',
    devPipeline,
    '--topic',
    'clicks',
    '--value',
    JSON.stringify(value),
    '--key',
    'u1',
    '--header',
    'trace=t-1',
    '--partition',
    '1',
    '--count',
    '3',
  )
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /as avro, schema 8 of subject 'clicks-value'/)
  assert.equal(r.stdout, '3 messages produced to clicks in ' + /in (\d+) ms/.exec(r.stdout)![1] + ' ms\n  partition 1: 3 at offsets 0–2\n')
  const expected = framed(8, avro.Type.forSchema(AVRO_SCHEMA as avro.Schema, { wrapUnions: true }).toBuffer({ id: 42, page: '/cart', ref: { string: 'ad' } }))
  assert.deepEqual(kcatValues('clicks', 1, 3), [expected, expected, expected])
  const records = kcatRecords('clicks')
  assert.deepEqual(
    records.map((m) => [m.partition, m.offset, m.key, m.headers]),
    [0, 1, 2].map((o) => [1, o, 'u1', ['trace', 't-1']]),
  )
})

test('avro: a value that does not fit the schema is refused saying which field, and nothing is produced', async () => {
  const r = await produce('--pipeline', devPipeline, '--topic', 'clicks', '--value', '{"id":"x","page":"/"}', '--partition', '0')
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^lakehouse: --value: the value does not fit Avro schema 8: id: "x" does not fit\n$/m)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
  assert.deepEqual(
    kcatRecords('clicks').filter((m) => m.partition === 0),
    [],
  )
})

test("protobuf: the value is the schema's message with the message-index shorthand, as protobufjs encodes it", async () => {
  const value = { id: 7, customer: 'c7', prices: [1.5, 2.25] }
  const r = await produce('--pipeline', devPipeline, '--topic', 'orders', '--value', JSON.stringify(value), '--partition', '0')
  assert.equal(r.code, 0, r.stderr)
  const type = protobuf.parse(PROTO_SCHEMA, { keepCase: true }).root.lookupType('shop.Order')
  assert.deepEqual(kcatValues('orders', 0, 1), [framed(9, Uint8Array.of(0), type.encode(type.fromObject(value)).finish())])
  const bad = await produce('--pipeline', devPipeline, '--topic', 'orders', '--value', '{"id":1,"colour":"red"}')
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /shop\.Order \(schema 9\) has no field 'colour'/)
})

test('json-schema: NDJSON lines are framed with the schema id; --count takes the first N', async () => {
  const lines = [{ id: 1, name: 'Ada' }, { id: 2, name: 'Bob' }, { id: 3 }]
  const file = path.join(dir, 'people.ndjson')
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
  const r = await produce('--pipeline', devPipeline, '--topic', 'people', '--file', file, '--partition', '1', '--count', '2', '--rate', '200/s')
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^2 messages produced to people/)
  assert.deepEqual(
    kcatValues('people', 1, 2),
    lines.slice(0, 2).map((l) => framed(10, Buffer.from(JSON.stringify(l)))),
  )
})

test('a kcat -J capture is produced with its keys, headers, null values and payload text; partitions by key', async () => {
  const capture = [
    { topic: 'x', partition: 0, offset: 0, ts: 1, key: 'k1', payload: '{"id":1}', headers: ['h', 'v', 'empty', ''] },
    { topic: 'x', partition: 1, offset: 5, ts: 2, key: 'k2', payload: null },
    { topic: 'x', partition: 0, offset: 1, ts: 3, key: null, payload: 'not json' },
  ]
  const file = path.join(dir, 'capture.jsonl')
  writeFileSync(file, capture.map((l) => JSON.stringify(l)).join('\n') + '\n')
  const r = await produce('--pipeline', devPipeline, '--topic', 'events', '--file', file)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stderr, /as json \(source 'events'\)/)
  const got = kcatRecords('events')
  assert.equal(got.length, 3)
  const byKey = new Map(got.map((m) => [m.key, m]))
  assert.deepEqual(
    [byKey.get('k1')?.payload, byKey.get('k1')?.headers, byKey.get('k2')?.payload, byKey.get(null)?.payload],
    ['{"id":1}', ['h', 'v', 'empty', ''], null, 'not json'],
  )
  const partitions = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('  partition'))
    .map((l) => Number(/partition (\d+): (\d+)/.exec(l)![2]))
  assert.equal(
    partitions.reduce((a, b) => a + b, 0),
    3,
    r.stdout,
  )
})

test('a cluster not marked "dev": true is refused with the reason, and nothing reaches it', async () => {
  const r = await produce('--pipeline', prodPipeline, '--topic', 'guarded', '--value', '{"id":1}')
  assert.equal(r.code, 1)
  assert.match(r.stderr, /refusing to write to 127\.0\.0\.1:\d+: the pipeline file does not mark this cluster as a dev cluster/)
  assert.match(r.stderr, /add "dev": true to "kafka" in .*prod\.lakehouse\.json/)
  assert.deepEqual(kcatRecords('guarded'), [])
})

test('usage errors: no input, both inputs, a value that is not JSON, a bad rate; "dev" must be a boolean', async () => {
  assert.equal((await produce('--pipeline', devPipeline, '--topic', 'events')).code, 2)
  assert.equal((await produce('--pipeline', devPipeline, '--topic', 'events', '--value', '1', '--file', 'x')).code, 2)
  const notJson = await produce('--pipeline', devPipeline, '--topic', 'events', '--value', '{oops')
  assert.equal(notJson.code, 2)
  assert.match(notJson.stderr, /--value must be JSON/)
  assert.match((await produce('--pipeline', devPipeline, '--topic', 'events', '--value', '1', '--rate', 'fast')).stderr, /--rate must be messages per second/)
  const bad = path.join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify({ lake: 'lake', kafka: { brokers: broker.brokers, dev: 'yes' }, sources: [] }))
  const r = await produce('--pipeline', bad, '--topic', 'events', '--value', '1')
  assert.equal(r.code, 2)
  assert.match(r.stderr, /\$\.kafka\.dev: must be boolean/)
})
