/**
 * Capture files are read exactly as kcat -J writes them, and anything else in a kcat capture is
 * an error naming the file and line (never a guess such as headers stored as "[object Object]").
 * kcat's real output is checked against the mock broker in test/kafka/kcat-capture.test.ts.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { CaptureFileError, readCapture } from '../../src/pipeline/file-source'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { tempLake } from '../helpers/temp-lake'

const { dir, lakeDir, lake, catalog } = tempLake('capture-file')

const good = { topic: 't', partition: 0, offset: 0, tstype: 'create', ts: 1764000000000, broker: 1, headers: ['trace', 'abc'], key: 'k', payload: '{"id":1}' }
const line = (fields: Record<string, unknown>) => JSON.stringify({ ...good, offset: 1, ...fields })

/** Each malformed second line of a kcat capture, and what its error must say. */
const MALFORMED: [string, string, RegExp][] = [
  ['headers as objects', line({ headers: [{ key: 'trace', value: 'abc' }] }), /"headers"\[0\] must be a header name \(a string\), not an object/],
  ['headers as a map', line({ headers: { trace: 'abc' } }), /"headers" must be kcat's list of names and values/],
  ['headers of odd length', line({ headers: ['trace', 'abc', 'lonely'] }), /in pairs .* 3 entries/],
  ['a header value that is a number', line({ headers: ['n', 7] }), /"headers"\[1\] \(the value of header 'n'\) must be a string or null, not number 7/],
  ['bad JSON', '{"topic":"t","partition":0,', /not a kcat -J record: not JSON/],
  ['an array', '[1,2]', /not a kcat -J record: an array instead of an object/],
  ['no payload', JSON.stringify({ topic: 't', partition: 0, offset: 1, key: null }), /no "payload"/],
  ['partition as text', line({ partition: '0' }), /"partition" must be a whole number >= 0, not string "0"/],
  ['negative partition', line({ partition: -1 }), /"partition" must be a whole number >= 0/],
  ['no partition', line({ partition: undefined }), /"partition" must be a whole number >= 0, not undefined/],
  ['fractional offset', line({ offset: 1.5 }), /"offset" must be a whole number >= 0, not number 1.5/],
  ['offset null', line({ offset: null }), /"offset" must be a whole number >= 0, not null/],
  ['key as a number', line({ key: 42 }), /"key" must be a string or null .*not number 42/],
  ['payload as an object', line({ payload: { id: 1 } }), /"payload" must be a string or null .*not an object/],
  ['payload as a number', line({ payload: 3 }), /"payload" must be a string or null/],
  ['ts as text', line({ ts: '2026-11-24' }), /"ts" must be a timestamp in milliseconds/],
  ['topic as a number', line({ topic: 5 }), /"topic" must be a non-empty string, not number 5/],
  ['a plain value among kcat records', '{"id":2}', /no "payload"/],
]

for (const [what, bad, reason] of MALFORMED) {
  test(`a kcat capture line with ${what} is refused, naming the file and line`, async () => {
    const name = `bad-${what.replaceAll(/\W+/g, '-')}.jsonl`
    const file = path.join(dir, name)
    writeFileSync(file, `${JSON.stringify(good)}\n\n${bad}\n`)
    const source: SourceSpec = { name: 'bad', file: name, format: 'json', table: `raw.bad_${MALFORMED.findIndex((m) => m[0] === what)}` }
    await assert.rejects(
      ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }, source),
      (error: unknown) => {
        assert.ok(error instanceof CaptureFileError, String(error))
        assert.equal(error.line, 3)
        assert.ok(error.message.startsWith(`${file}:3: `), error.message)
        assert.match(error.message, reason)
        return true
      },
    )
  })
}

test('a kcat record in a plain NDJSON capture is refused; plain lines, good or bad JSON, are values', async () => {
  const file = path.join(dir, 'plain.jsonl')
  writeFileSync(file, `{"id":1}\n{ not json\n${JSON.stringify(good)}\n`)
  const seen: string[] = []
  await assert.rejects(
    async () => {
      for await (const m of readCapture(file)) seen.push(Buffer.from(m.value!).toString())
    },
    new RegExp(`^CaptureFileError: ${file.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: a kcat -J record in a capture whose first line is a plain value`),
  )
  assert.deepEqual(seen, ['{"id":1}', '{ not json'])
})

test('kcat records as kcat writes them: null key and payload, no headers, empty and repeated header values, offsets as text', async () => {
  const file = path.join(dir, 'shapes.jsonl')
  writeFileSync(
    file,
    [
      JSON.stringify(good),
      JSON.stringify({ topic: 't', partition: 1, offset: 0, tstype: 'create', ts: 1764000000001, broker: 1, key: 'gone', payload: null }),
      JSON.stringify({
        topic: 't',
        partition: 1,
        offset: '9007199254740993',
        tstype: 'create',
        ts: 1764000000002,
        broker: 1,
        headers: ['e', '', 'd', '1', 'd', '2', 'n', null],
        key: null,
        payload: 'text',
      }),
    ].join('\n') + '\n',
  )
  const messages = []
  for await (const m of readCapture(file))
    messages.push({ ...m, key: m.key && Buffer.from(m.key).toString(), value: m.value && Buffer.from(m.value).toString() })
  assert.deepEqual(messages, [
    { topic: 't', partition: 0, offset: '0', timestamp: '1764000000000', key: 'k', value: '{"id":1}', headers: { trace: 'abc' } },
    { topic: 't', partition: 1, offset: '0', timestamp: '1764000000001', key: 'gone', value: null, headers: {} },
    { topic: 't', partition: 1, offset: '9007199254740993', timestamp: '1764000000002', key: null, value: 'text', headers: { e: '', d: '2', n: null } },
  ])
})
