/**
 * A capture written by Debian's kcat (librdkafka) against the mock broker, exactly as users make
 * one: produced with kcat (keys, repeated and empty headers, a null value, a null key, a value
 * that is not JSON), consumed with `kcat -C -J -e`, and replayed by the file source. Every line
 * kcat wrote is accepted and read as kcat says: coordinates, timestamps, keys, headers, values.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { readCapture } from '../../src/pipeline/file-source'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { tempLake } from '../helpers/temp-lake'
import { startBroker, type MockBroker } from './broker'

const { dir, lakeDir, lake, catalog, query } = tempLake('kcat-capture')
let broker: MockBroker
let capture: string
let lines: Record<string, unknown>[]

before(async () => {
  broker = await startBroker({ topics: [{ name: 'shop', partitions: 2 }] })
  const kcat = (args: string[], input?: string) =>
    execFileSync('kcat', ['-b', broker.brokers.join(','), '-t', 'shop', ...args], { input, timeout: 30_000 }).toString()
  kcat(['-P', '-p', '0', '-K', ':', '-H', 'trace=abc', '-H', 'empty=', '-H', 'dup=1', '-H', 'dup=2'], 'k1:{"id":1,"name":"Ada é"}\nk2:{"id":2,"name":"Bob"}\n')
  kcat(['-P', '-p', '1', '-Z', '-K', ':'], 'k1:\n:{"id":3,"name":"Cy"}\n')
  kcat(['-P', '-p', '1'], 'not json at all\n')
  const text = kcat(['-C', '-J', '-e', '-q'])
  capture = path.join(dir, 'shop.jsonl')
  writeFileSync(capture, text)
  lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .sort((a, b) => Number(a.partition) - Number(b.partition) || Number(a.offset) - Number(b.offset))
})
after(() => broker.stop())

test('kcat -J lines are kcat records with headers as a flat name/value list', () => {
  assert.equal(lines.length, 5)
  assert.deepEqual(lines[0].headers, ['trace', 'abc', 'empty', '', 'dup', '1', 'dup', '2'])
  assert.ok(
    lines.slice(2).every((l) => !('headers' in l)),
    'kcat leaves "headers" out when a message has none',
  )
  assert.deepEqual(
    lines.map((l) => [l.partition, l.offset, l.key, l.payload]),
    [
      [0, 0, 'k1', '{"id":1,"name":"Ada é"}'],
      [0, 1, 'k2', '{"id":2,"name":"Bob"}'],
      [1, 0, 'k1', null],
      [1, 1, null, '{"id":3,"name":"Cy"}'],
      [1, 2, null, 'not json at all'],
    ],
  )
})

test('the file source reads every kcat line as kcat wrote it', async () => {
  const read = []
  for await (const m of readCapture(capture)) read.push(m)
  read.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))
  const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'))
  assert.deepEqual(
    read.map((m) => ({ ...m, key: text(m.key), value: text(m.value) })),
    lines.map((l) => ({
      topic: 'shop',
      partition: l.partition,
      offset: String(l.offset),
      timestamp: String(l.ts),
      key: l.key,
      value: l.payload,
      headers: l.headers ? { trace: 'abc', empty: '', dup: '2' } : {},
    })),
  )
})

test('a kcat capture replays into the raw table: rows, a tombstone, headers, and the non-JSON value as a dead letter', async () => {
  const source: SourceSpec = { name: 'shop', file: 'shop.jsonl', format: 'json', table: 'raw.shop' }
  const report = await ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }, source)
  assert.deepEqual({ ...report }, { source: 'shop', messages: 5, rows: 3, tombstones: 1, deadLetters: 1, skipped: 0, batches: 1 })
  const rows = await query(
    `SELECT _partition, _offset, _key, _headers['trace'] AS trace, _headers['dup'] AS dup, _headers['empty'] AS empty, id, name, _tombstone, epoch_ms(_timestamp) AS ts FROM raw.shop ORDER BY _partition, _offset`,
  )
  assert.deepEqual(rows, [
    { _partition: 0, _offset: 0, _key: 'k1', trace: 'abc', dup: '2', empty: '', id: 1, name: 'Ada é', _tombstone: false, ts: lines[0].ts },
    { _partition: 0, _offset: 1, _key: 'k2', trace: 'abc', dup: '2', empty: '', id: 2, name: 'Bob', _tombstone: false, ts: lines[1].ts },
    { _partition: 1, _offset: 0, _key: 'k1', trace: null, dup: null, empty: null, id: null, name: null, _tombstone: true, ts: lines[2].ts },
    { _partition: 1, _offset: 1, _key: null, trace: null, dup: null, empty: null, id: 3, name: 'Cy', _tombstone: false, ts: lines[3].ts },
  ])
  const dead = await query(`SELECT _partition, _offset, reason FROM raw._dead_letters`)
  assert.deepEqual(dead, [{ _partition: 1, _offset: 2, reason: 'invalid-json' }])
})
