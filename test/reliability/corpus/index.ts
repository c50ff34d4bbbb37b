/**
 * The bad-input corpus: per payload format, messages in produce order, each with what must become
 * of it (a raw row, or a dead letter whose reason and detail name the problem). Small cases are
 * the files next to this module, byte for byte (bad UTF-8 included); the big ones (10 MB, 1,000
 * levels deep) and the Avro frames are generated here, so nothing large is committed.
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import avro from 'avsc'

const here = path.dirname(fileURLToPath(import.meta.url))

/** A raw row (with what `_rescued_data` must hold, when something in it did not fit), or a dead letter. */
export type Expectation = { row: true; rescued?: Record<string, unknown> } | { reason: string; detail: RegExp }

export interface CorpusMessage {
  name: string
  key: Buffer | null
  value: Buffer | null
  expect: Expectation
}

const row: Expectation = { row: true }
/** Readable, but a value does not fit its column (or no column can be named for it): the row lands, the value is rescued. */
const rescued = (values: Record<string, unknown>): Expectation => ({ row: true, rescued: values })
const dead = (reason: string, detail: RegExp): Expectation => ({ reason, detail })
const file = (format: string, name: string) => readFileSync(path.join(here, format, name))

export const HUGE_BYTES = 10 * 1024 * 1024

/** `{"id": n, "blob": "xxx…"}` of at least HUGE_BYTES. */
export function hugeDocument(id: number): Buffer {
  return Buffer.from(`{"id": ${id}, "blob": "${'x'.repeat(HUGE_BYTES)}"}`)
}

/** An object nested `depth` levels deep: {"id":…,"n":{"n":{…}}}. */
export function deepDocument(depth: number, id = 0): Buffer {
  return Buffer.from(`{"id": ${id}, ${'"n": {'.repeat(depth - 1)}"leaf": 1${'}'.repeat(depth - 1)}}`)
}

const JSON_EXPECTED: Record<string, Expectation> = {
  '00-good.json': row,
  '01-invalid-json.txt': dead('invalid-json', /Unterminated string/),
  '02-trailing-garbage.txt': dead('invalid-json', /Unexpected non-whitespace|position/),
  '03-bad-utf8.bin': dead('invalid-utf8', /not valid|encoded data/i),
  '04-overlong-utf8.bin': dead('invalid-utf8', /not valid|encoded data/i),
  '05-lone-surrogate.json': dead('invalid-unicode', /field 'name' holds a lone UTF-16 surrogate/),
  '06-array-top.json': dead('not-an-object', /an array, not a JSON object/),
  '07-scalar-top.json': dead('not-an-object', /a number, not a JSON object/),
  '08-string-for-number.json': rescued({ id: 'seven' }),
  '09-array-for-object.json': rescued({ address: ['not', 'an', 'object'] }),
  '10-object-for-array.json': rescued({ tags: { not: 'an array' } }),
  '11-bad-column-name.json': rescued({ 'bad column': 1 }),
  '12-empty-field-name.json': rescued({ nested: { '': 1 } }),
  '13-duplicate-column.json': rescued({ ID: 12 }),
  '14-empty.bin': dead('invalid-json', /end of JSON input/),
  '15-good.json': row,
}

const DEBEZIUM_EXPECTED: Record<string, Expectation> = {
  '00-good.json': row,
  // A version we have never seen with the envelope we know: decoded (the envelope is the contract).
  '01-unknown-version-same-envelope.json': row,
  '02-unknown-op.json': dead('unknown-debezium-envelope', /op is "upsert"; expected one of c, u, d, r, t, m/),
  '03-envelope-without-op.json': dead('unknown-debezium-envelope', /before\/after without an op/),
  '04-payload-not-object.json': dead('unknown-debezium-envelope', /JsonConverter payload is a string, not an object/),
  '05-ts-ms-not-integer.json': dead('invalid-value', /'ts_ms' should be an integer but is "yesterday"/),
  '06-after-not-object.json': dead('unknown-debezium-envelope', /'after' should be a row \(an object\) or null, but is a string/),
  '07-source-not-object.json': dead('unknown-debezium-envelope', /'source' should be a struct, but is a string/),
  '08-schema-value-mismatch.json': dead('invalid-value', /'after\.id' should be an integer but is "eight"/),
  '09-transaction-marker.json': dead('debezium-transaction-marker', /transaction BEGIN 571:53195829/),
  '10-truncated-json.txt': dead('invalid-json', /JSON/),
  '11-good.json': row,
}

const MONGO_KEY = Buffer.from('{"id": "{\\"$oid\\": \\"67ab25755c0d5ac87eb8c632\\"}"}')
const MONGO_EXPECTED: Record<string, { key?: Buffer; expect: Expectation }> = {
  '00-good.json': { expect: row },
  '01-after-not-json.json': { expect: dead('invalid-extended-json', /'after' is not valid Extended JSON/) },
  '02-after-a-number.json': { expect: dead('invalid-extended-json', /'after' should be a document or its Extended JSON text/) },
  '03-after-an-array.json': { expect: dead('invalid-extended-json', /'after' is not a document/) },
  '04-bad-date.json': { expect: dead('invalid-extended-json', /\$date 'yesterday' is not an ISO-8601 timestamp/) },
  '05-bad-update-description.json': { expect: dead('invalid-value', /'updateDescription' should be a struct/) },
  '06-key-not-json.json': { key: Buffer.from('not json at all'), expect: dead('invalid-key', /the key is not JSON/) },
  '07-key-without-id.json': { key: Buffer.from('{"_id": 2}'), expect: dead('invalid-key', /the key has no id field/) },
  '08-lone-surrogate-in-document.json': { expect: dead('invalid-extended-json', /lone UTF-16 surrogate/) },
  '09-good-delete.json': { expect: row },
}

export function jsonCorpus(): CorpusMessage[] {
  const messages = Object.entries(JSON_EXPECTED).map(([name, expect]): CorpusMessage => ({ name, key: Buffer.from(name), value: file('json', name), expect }))
  // Generated: a 10 MB document (valid: it must land whole), depth 1,000, and depth 100 (the limit, accepted).
  messages.splice(2, 0, { name: 'huge-10MB', key: Buffer.from('huge'), value: hugeDocument(100), expect: row })
  messages.splice(5, 0, {
    name: 'depth-1000',
    key: Buffer.from('deep'),
    value: deepDocument(1_000, 101),
    expect: dead('too-deep', /nesting deeper than 100 levels/),
  })
  messages.splice(7, 0, { name: 'depth-100', key: Buffer.from('deep-ok'), value: deepDocument(100, 102), expect: row })
  return messages
}

export function debeziumCorpus(): CorpusMessage[] {
  const messages: CorpusMessage[] = Object.entries(DEBEZIUM_EXPECTED).map(([name, expect]) => ({ name, key: null, value: file('debezium', name), expect }))
  // Generated: 10 MB of broken JSON (an event cut off at 10 MB) and an event 1,000 levels deep.
  const cut = Buffer.concat([Buffer.from('{"op":"c","ts_ms":1,"after":{"id":9,"blob":"'), Buffer.alloc(HUGE_BYTES, 'y')])
  messages.splice(3, 0, { name: 'huge-10MB-cut', key: null, value: cut, expect: dead('invalid-json', /Unterminated string/) })
  messages.splice(6, 0, {
    name: 'depth-1000',
    key: null,
    value: Buffer.from(`{"op":"c","ts_ms":1,"after":${deepDocument(1_000).toString()}}`),
    expect: dead('too-deep', /nesting deeper than 100 levels/),
  })
  return messages
}

export function mongoCorpus(): CorpusMessage[] {
  return Object.entries(MONGO_EXPECTED).map(([name, m]) => ({ name, key: m.key ?? MONGO_KEY, value: file('debezium-mongodb', name), expect: m.expect }))
}

/** The Avro corpus's schemas, by registry id: 1 a record, 2 text that is not an Avro schema. */
export const AVRO_SCHEMAS = new Map<number, string>([
  [1, readFileSync(path.join(here, 'avro', 'record.avsc'), 'utf8')],
  [2, readFileSync(path.join(here, 'avro', 'not-a-schema.avsc'), 'utf8')],
])

export function avroCorpus(): CorpusMessage[] {
  const type = avro.Type.forSchema(JSON.parse(AVRO_SCHEMAS.get(1)!))
  const frame = (id: number, body: Buffer) => {
    const header = Buffer.alloc(5)
    header.writeUInt32BE(id, 1)
    return Buffer.concat([header, body])
  }
  const good = (id: number) => frame(1, type.toBuffer({ id, name: `n${id}`, score: id + 0.5 }))
  const m = (name: string, value: Buffer, expect: Expectation): CorpusMessage => ({ name, key: Buffer.from(name), value, expect })
  const first = good(1)
  return [
    m('good-1', first, row),
    m(
      'unknown-schema-id',
      frame(4242, type.toBuffer({ id: 2, name: 'x', score: 0 })),
      dead('unknown-schema-id', /schema id 4242 is not in the schema registry/),
    ),
    m('header-only', frame(1, Buffer.alloc(0)), dead('truncated-avro', /schema 1/)),
    m('header-cut', Buffer.from([0, 0, 0]), dead('unsupported-framing', /3 bytes: shorter than the 5-byte Confluent header/)),
    m('body-cut', first.subarray(0, first.length - 3), dead('truncated-avro', /schema 1/)),
    m('json-not-avro', Buffer.from('{"id": 3}'), dead('unsupported-framing', /magic byte is 0x7b, not 0x00/)),
    m('trailing-bytes', Buffer.concat([good(4), Buffer.from([1, 2, 3])]), dead('invalid-avro', /3 bytes left after the record of schema 1/)),
    m('schema-not-avro', frame(2, Buffer.from([2, 4])), dead('unsupported-schema', /schema 2/)),
    m('good-5', good(5), row),
  ]
}
