import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, before, describe, test } from 'node:test'
import avro from 'avsc'
import { conformsTo, createDecoder, DecodeError, type Decoded, type DecoderOptions } from '../../src/decode'
import { avroDir, message, row, typeAt } from './fixtures'
import { LocalRegistry } from '../helpers/schema-registry'

const skip = !avroDir && 'conformance data not found'

const registry = new LocalRegistry()
let options: DecoderOptions
const framed = (id: number, body: Uint8Array) => {
  const header = Buffer.alloc(5)
  header.writeUInt32BE(id, 1)
  return Buffer.concat([header, body])
}
const reasonOf = (decoded: Decoded) => (decoded.kind === 'error' ? decoded.reason : decoded.kind)

before(async () => {
  options = { schemaRegistry: { url: await registry.start() } }
})
after(() => registry.stop())

describe('Confluent-framed Avro (4-schema-registry-avro)', { skip }, () => {
  const read = (name: string) => readFileSync(path.join(avroDir!, name))

  before(() => {
    registry.schemas.set(6, { schema: read('value-schema.avsc').toString('utf8') })
  })

  test('the RisingWave Debezium record decodes to its documented expectation', async () => {
    const decoded = await createDecoder('avro', options).decode(message(read('value.bin')))
    const expected = JSON.parse(read('expected-decoded.json').toString('utf8'))
    assert.equal(expected.schemaId, 6)
    const r = row(decoded)
    // Same values; the columns in the JSON envelope's order.
    assert.deepEqual(r, { op: 'r', ts_ms: 1676303732937, before: null, after: expected.value.after, source: expected.value.source, transaction: null })
    for (const [key, value] of Object.entries(expected.value as Record<string, unknown>)) assert.deepEqual(row(decoded)[key], value, key)
    assert.equal(typeAt(decoded, 'after.id'), 'integer')
    assert.equal(typeAt(decoded, 'source.ts_ms'), 'long')
    assert.equal(typeAt(decoded, 'source.snapshot'), 'string', 'an enum-like value outside connect.parameters.allowed still decodes')
    assert.equal(typeAt(decoded, 'transaction.total_order'), 'long')
    assert.deepEqual(conformsTo(r, (decoded as Extract<Decoded, { kind: 'row' }>).schema), { ok: true })
  })

  test('the schema is fetched once per id', async () => {
    const decoder = createDecoder('avro', options)
    const before = registry.requests.length
    await Promise.all([1, 2, 3].map(() => decoder.decode(message(read('value.bin')))))
    await decoder.decode(message(read('value.bin')))
    assert.equal(registry.requests.length - before, 1)
  })

  test('framing and body errors', async () => {
    const decoder = createDecoder('avro', options)
    const bin = read('value.bin')
    assert.equal(reasonOf(await decoder.decode(message(bin.subarray(0, 100)))), 'truncated-avro')
    assert.equal(reasonOf(await decoder.decode(message(bin.subarray(0, 5)))), 'truncated-avro')
    assert.equal(reasonOf(await decoder.decode(message(bin.subarray(0, 4)))), 'unsupported-framing')
    const badMagic = Buffer.from(bin)
    badMagic[0] = 1
    const magic = await decoder.decode(message(badMagic))
    assert.equal(reasonOf(magic), 'unsupported-framing')
    assert.match((magic as { detail: string }).detail, /magic byte is 0x01/)
    assert.equal(reasonOf(await decoder.decode(message(Buffer.concat([bin, Buffer.from([0])])))), 'invalid-avro')
    const unknown = await decoder.decode(message(framed(999, bin.subarray(5))))
    assert.equal(reasonOf(unknown), 'unknown-schema-id')
    assert.match((unknown as { detail: string }).detail, /999/)
    assert.equal(reasonOf(await decoder.decode(message(null))), 'tombstone')
  })
})

describe('Avro types and the registry', () => {
  test('logical types, Debezium connect.name types, unions, maps, enums and 64-bit longs', async () => {
    const schema = {
      type: 'record',
      name: 'Row',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
        { name: 'wide', type: { type: 'fixed', name: 'Wide', size: 20, logicalType: 'decimal', precision: 45, scale: 0 } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'atMillis', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }] },
        { name: 'local', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
        { name: 'clock', type: { type: 'long', logicalType: 'time-micros' } },
        { name: 'uid', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'dbzDate', type: { type: 'int', 'connect.name': 'io.debezium.time.Date' } },
        { name: 'dbzZoned', type: { type: 'string', 'connect.name': 'io.debezium.time.ZonedTimestamp' } },
        { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
        { name: 'either', type: ['null', 'string', 'long'] },
        { name: 'number', type: ['int', 'double'] },
        { name: 'attrs', type: { type: 'map', values: 'int' } },
        { name: 'raw', type: 'bytes' },
        { name: 'ratio', type: 'double' },
      ],
    }
    // Write through a type with bigint longs (and no logical types), so the 64-bit id is exact on the wire.
    const longType = avro.types.LongType.__with({
      fromBuffer: (b: Buffer) => b.readBigInt64LE(),
      toBuffer: (v: bigint) => {
        const b = Buffer.alloc(8)
        b.writeBigInt64LE(v)
        return b
      },
      fromJSON: BigInt,
      toJSON: Number,
      isValid: (v: unknown) => typeof v === 'bigint',
      compare: () => 0,
    })
    const isLong = (s: unknown) => s === 'long' || (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long')
    const writer = avro.Type.forSchema(schema as never, { wrapUnions: true, typeHook: ((s: unknown) => (isLong(s) ? longType : undefined)) as never })
    const body = writer.toBuffer({
      id: 9007199254740993n,
      amount: Buffer.from([0xcf, 0xc7]), // -12345
      wide: Buffer.concat([Buffer.alloc(11), Buffer.from('0de0b6b3a7640000', 'hex'), Buffer.alloc(1)]), // 10^18 << 8
      day: 19_723,
      at: 1_700_000_000_123_456n,
      atMillis: { long: 1_700_000_000_123n },
      local: 0n,
      clock: 45_296_000_001n,
      uid: '123e4567-e89b-12d3-a456-426614174000',
      dbzDate: 1,
      dbzZoned: '2024-01-01T01:00:00+01:00',
      color: 'GREEN',
      either: { long: 5n },
      number: { double: 2.5 },
      attrs: { a: 1 },
      raw: Buffer.from([1, 2, 3]),
      ratio: Number.NaN,
    })
    const local = new LocalRegistry()
    local.schemas.set(42, { schema: JSON.stringify(schema) })
    try {
      const decoded = await createDecoder('avro', { schemaRegistry: { url: await local.start() } }).decode(message(framed(42, body)))
      assert.deepEqual(row(decoded), {
        id: '9007199254740993',
        amount: '-123.45',
        wide: '256000000000000000000',
        day: '2024-01-01',
        at: '2023-11-14T22:13:20.123456Z',
        atMillis: '2023-11-14T22:13:20.123Z',
        local: '1970-01-01T00:00:00Z',
        clock: '12:34:56.000001',
        uid: '123e4567-e89b-12d3-a456-426614174000',
        dbzDate: '1970-01-02',
        dbzZoned: '2024-01-01T00:00:00Z',
        color: 'GREEN',
        either: { member0: null, member1: 5 },
        number: 2.5,
        attrs: { a: 1 },
        raw: 'AQID',
        ratio: 'NaN',
      })
      const types = Object.fromEntries((decoded as Extract<Decoded, { kind: 'row' }>).schema.fields.map((f) => [f.name, f.type]))
      assert.deepEqual(types, {
        id: 'long',
        amount: 'decimal(10,2)',
        wide: 'string',
        day: 'date',
        at: 'timestamp',
        atMillis: 'timestamp',
        local: 'timestamp',
        clock: 'string',
        uid: 'string',
        dbzDate: 'date',
        dbzZoned: 'timestamp',
        color: 'string',
        either: {
          type: 'struct',
          fields: [
            { name: 'member0', type: 'string', nullable: true, metadata: {} },
            { name: 'member1', type: 'long', nullable: true, metadata: {} },
          ],
        },
        number: 'double',
        attrs: { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true },
        raw: 'binary',
        ratio: 'double',
      })
    } finally {
      await local.stop()
    }
  })

  test('JSON Schema and Protobuf schemas are recognised and refused with the format to use; a non-record schema too', async () => {
    registry.schemas.set(100, { schema: '{"type":"object"}', schemaType: 'JSON' })
    registry.schemas.set(101, { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' })
    registry.schemas.set(102, { schema: '"string"' })
    const decoder = createDecoder('avro', options)
    const json = await decoder.decode(message(framed(100, Buffer.from('{}'))))
    assert.deepEqual(json, {
      kind: 'error',
      reason: 'unsupported-framing',
      detail: 'schema 100 is a JSON Schema, not Avro: read this topic with the format json-schema',
    })
    assert.equal(reasonOf(await decoder.decode(message(framed(101, Buffer.from([0]))))), 'unsupported-framing')
    assert.equal(reasonOf(await decoder.decode(message(framed(102, Buffer.from([0]))))), 'not-a-record')
  })

  test('Basic auth is sent; registry failures throw a retriable DecodeError instead of dead-lettering', async () => {
    const secured = new LocalRegistry()
    secured.credentials = 'user:secret'
    secured.schemas.set(1, { schema: '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}' })
    const url = await secured.start()
    try {
      const good = createDecoder('avro', { schemaRegistry: { url, username: 'user', password: 'secret' } })
      secured.failNext = 1
      await assert.rejects(good.decode(message(framed(1, Buffer.from([2])))), (error: unknown) => error instanceof DecodeError && error.retriable)
      assert.deepEqual(row(await good.decode(message(framed(1, Buffer.from([2]))))), { a: 1 }, 'a failure is not cached')
      const wrong = createDecoder('avro', { schemaRegistry: { url, username: 'user', password: 'nope' } })
      await assert.rejects(wrong.decode(message(framed(1, Buffer.from([2])))), (error: unknown) => error instanceof DecodeError && !error.retriable)
    } finally {
      await secured.stop()
    }
    const down = createDecoder('avro', { schemaRegistry: { url } })
    await assert.rejects(down.decode(message(framed(1, Buffer.from([2])))), (error: unknown) => error instanceof DecodeError && error.retriable)
  })

  test('the avro format needs a registry', () => {
    assert.throws(() => createDecoder('avro'), /schema registry/)
  })
})
