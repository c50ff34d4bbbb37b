import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { conformsTo, createDecoder, DecodeError, type Decoded, type DecoderOptions } from '../../src/decode'
import { readMessageIndexes } from '../../src/decode/confluent-framing'
import { LocalRegistry } from '../helpers/schema-registry'
import { message, row } from './fixtures'
import { encodeProtobuf, header, IDS, messageIndexes, producerRoot, registerAll, registryFile } from './registry-fixtures'

const registry = new LocalRegistry()
let options: DecoderOptions
const producer = producerRoot(['money.proto', 'orders.proto', 'debezium.proto'])
const reasonOf = (decoded: Decoded) => (decoded.kind === 'error' ? decoded.reason : decoded.kind)
const detailOf = (decoded: Decoded) => (decoded.kind === 'error' ? (decoded.detail ?? '') : '')
const schemaOf = (decoded: Decoded) => (decoded as Extract<Decoded, { kind: 'row' }>).schema

before(async () => {
  options = { schemaRegistry: { url: await registry.start() } }
  registerAll(registry)
})
after(() => registry.stop())

const ORDER = {
  id: -7,
  delta: -3,
  sf32: -2147483648,
  u32: 4294967295,
  f32: 4000000000,
  big: '-9007199254740993',
  s64: '9223372036854775807',
  sf64: '-9223372036854775808',
  u64: '18446744073709551615',
  f64: '9007199254740993',
  ratio: 1.5,
  total: 133,
  paid: true,
  customer: 'Zoë',
  raw: Buffer.from([0, 1, 254, 255]).toString('base64'),
  status: 'PAID',
  items: [
    { sku: 'a-1', price: 9.99, quantity: 2 },
    { sku: 'b-2', price: 0 },
  ],
  counts: { apples: '12', pears: '-1' },
  labels: { 7: 'seven', '-1': 'minus one' },
  placed_at: { seconds: 1_700_000_000, nanos: 123_456_789 },
  maybe_long: { value: '9007199254740993' },
  maybe_text: { value: '' },
  attrs: { fields: { vip: { boolValue: true }, score: { numberValue: 2.5 }, tags: { listValue: { values: [{ stringValue: 'x' }, { nullValue: 0 }] } } } },
  took: { seconds: 1, nanos: 500_000_000 },
  voucher: '42',
  discount: 0,
  price: { currency: 'EUR', units: '133', nanos: 500_000_000 },
  tags: ['new', 'gift'],
}

describe('Confluent-framed Protobuf', () => {
  test('every scalar, enums, repeated, maps, well-known types, a oneof, proto3 optional and a referenced message, typed and valued', async () => {
    const decoded = await createDecoder('protobuf', options).decode(message(encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], ORDER)))
    assert.deepEqual(row(decoded), {
      id: -7,
      delta: -3,
      sf32: -2147483648,
      u32: 4294967295,
      f32: 4000000000,
      big: '-9007199254740993',
      s64: '9223372036854775807',
      sf64: '-9223372036854775808',
      u64: '18446744073709551615',
      f64: '9007199254740993',
      ratio: 1.5,
      total: 133,
      paid: true,
      customer: 'Zoë',
      raw: 'AAH+/w==',
      status: 'PAID',
      items: [
        { sku: 'a-1', price: 9.99, quantity: 2 },
        { sku: 'b-2', price: 0, quantity: 0 },
      ],
      counts: { apples: 12, pears: -1 },
      labels: { 7: 'seven', '-1': 'minus one' },
      placed_at: '2023-11-14T22:13:20.123456Z',
      maybe_long: '9007199254740993',
      maybe_text: '',
      attrs: '{"vip":true,"score":2.5,"tags":["x",null]}',
      took: '1.500s',
      card: null,
      voucher: 42,
      discount: 0,
      price: { currency: 'EUR', units: 133, nanos: 500000000 },
      tags: ['new', 'gift'],
    })
    const types = Object.fromEntries(schemaOf(decoded).fields.map((f) => [f.name, f.type]))
    const struct = (fields: Record<string, unknown>) => ({
      type: 'struct',
      fields: Object.entries(fields).map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
    })
    assert.deepEqual(types, {
      id: 'integer',
      delta: 'integer',
      sf32: 'integer',
      u32: 'long',
      f32: 'long',
      big: 'long',
      s64: 'long',
      sf64: 'long',
      u64: 'decimal(20,0)',
      f64: 'decimal(20,0)',
      ratio: 'float',
      total: 'double',
      paid: 'boolean',
      customer: 'string',
      raw: 'binary',
      status: 'string',
      items: { type: 'array', elementType: struct({ sku: 'string', price: 'double', quantity: 'integer' }), containsNull: true },
      counts: { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true },
      labels: { type: 'map', keyType: 'integer', valueType: 'string', valueContainsNull: true },
      placed_at: 'timestamp',
      maybe_long: 'long',
      maybe_text: 'string',
      attrs: 'string',
      took: 'string',
      card: 'string',
      voucher: 'long',
      discount: 'integer',
      price: struct({ currency: 'string', units: 'long', nanos: 'integer' }),
      tags: { type: 'array', elementType: 'string', containsNull: true },
    })
    assert.deepEqual(conformsTo(row(decoded), schemaOf(decoded)), { ok: true })
  })

  test('proto3 defaults: unset scalars read as their defaults, unset messages, wrappers, oneofs and optionals as null', async () => {
    const decoded = await createDecoder('protobuf', options).decode(message(encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], {})))
    const r = row(decoded)
    assert.deepEqual(
      [
        r.id,
        r.big,
        r.u64,
        r.ratio,
        r.paid,
        r.customer,
        r.raw,
        r.status,
        r.items,
        r.counts,
        r.placed_at,
        r.maybe_long,
        r.attrs,
        r.card,
        r.voucher,
        r.discount,
        r.price,
      ],
      [0, 0, '0', 0, false, '', '', 'NEW', [], {}, null, null, null, null, null, null, null],
    )
  })

  test('message indexes: the [0] shorthand, [0] written out, a nested message [1, 0]', async () => {
    const decoder = createDecoder('protobuf', options)
    const short = encodeProtobuf(producer, 'shop.Note', IDS.orders, [0], { text: 'hi' })
    assert.equal(short[5], 0, 'one byte 0 for [0]')
    assert.deepEqual(row(await decoder.decode(message(short))), { text: 'hi' })
    const long = encodeProtobuf(producer, 'shop.Note', IDS.orders, [0], { text: 'hi' }, false)
    assert.deepEqual([...long.subarray(5, 7)], [2, 0], 'count 1 and index 0, zig-zag')
    assert.deepEqual(row(await decoder.decode(message(long))), { text: 'hi' })
    const item = encodeProtobuf(producer, 'shop.Order.Item', IDS.orders, [1, 0], { sku: 'z', price: 1.25, quantity: 3 })
    assert.deepEqual(row(await decoder.decode(message(item))), { sku: 'z', price: 1.25, quantity: 3 })
  })

  test('the message-index reader: counts and indexes are zig-zag varints', () => {
    assert.deepEqual(readMessageIndexes(messageIndexes([0]), 0), { ok: true, indexes: [0], end: 1 })
    assert.deepEqual(readMessageIndexes(messageIndexes([3, 200, 1]), 0), { ok: true, indexes: [3, 200, 1], end: 5 })
    assert.equal(readMessageIndexes(Buffer.from([0x80]), 0).ok, false)
    assert.match((readMessageIndexes(Buffer.from([0x01]), 0) as { detail: string }).detail, /count is -1/)
    assert.match((readMessageIndexes(Buffer.from([0x02, 0x03]), 0) as { detail: string }).detail, /index 1 of 1 is -2/)
    assert.match((readMessageIndexes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0) as { detail: string }).detail, /past 5 bytes/)
  })

  test('bad frames and bodies are dead letters with a precise reason', async () => {
    const decoder = createDecoder('protobuf', options)
    const good = encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], ORDER)
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      ['short', good.subarray(0, 4), 'unsupported-framing', /shorter than the 5-byte/],
      ['magic', Buffer.concat([Buffer.from([1]), good.subarray(1)]), 'unsupported-framing', /magic byte is 0x01/],
      ['no indexes', header(IDS.orders), 'invalid-message-indexes', /count: the value ends at byte 5/],
      ['cut indexes', Buffer.concat([header(IDS.orders), Buffer.from([0x04, 0x02])]), 'invalid-message-indexes', /index 2 of 2/],
      [
        'no such message',
        Buffer.concat([header(IDS.orders), messageIndexes([5]), Buffer.from([8, 1])]),
        'unknown-message-index',
        /no message at indexes \[5\].*Note, Order/,
      ],
      ['no such nested', Buffer.concat([header(IDS.orders), messageIndexes([0, 0])]), 'unknown-message-index', /\[0, 0\]/],
      ['truncated body', good.subarray(0, good.length - 3), 'truncated-protobuf', /shop\.Order/],
      ['bad wire type', Buffer.concat([header(IDS.orders), messageIndexes([1]), Buffer.from([0x0f, 0x01])]), 'invalid-protobuf', /wire type 7/],
      ['unknown id', Buffer.concat([header(999), good.subarray(5)]), 'unknown-schema-id', /999/],
      [
        'json schema id',
        Buffer.concat([header(IDS.order), Buffer.from([0])]),
        'unsupported-framing',
        /JSON Schema, not Protobuf: read this topic with the format json-schema/,
      ],
    ]
    for (const [name, bytes, reason, detail] of cases) {
      const decoded = await decoder.decode(message(bytes))
      assert.equal(reasonOf(decoded), reason, `${name}: ${JSON.stringify(decoded)}`)
      assert.match(detailOf(decoded), detail, name)
    }
    assert.equal(reasonOf(await decoder.decode(message(null))), 'tombstone')
  })

  test('references are fetched by subject and version, once; well-known imports need none', async () => {
    const decoder = createDecoder('protobuf', options)
    const before = registry.requests.length
    const bytes = encodeProtobuf(producer, 'shop.Order', IDS.orders, [1], { price: { currency: 'USD', units: '1' } })
    await Promise.all([1, 2, 3].map(() => decoder.decode(message(bytes))))
    assert.deepEqual(row(await decoder.decode(message(bytes))).price, { currency: 'USD', units: 1, nanos: 0 })
    assert.deepEqual(registry.requests.slice(before), [`/schemas/ids/${IDS.orders}`, '/subjects/common-money/versions/1'])
  })

  test('a missing reference is a dead letter until it is registered; schema problems name what', async () => {
    const local = new LocalRegistry()
    local.register(1, 'orders-value', 1, {
      schema: registryFile('orders.proto'),
      schemaType: 'PROTOBUF',
      references: [{ name: 'common/money.proto', subject: 'common-money', version: 1 }],
    })
    local.register(2, 'bad', 1, { schema: 'syntax = "proto3"; message A { Missing m = 1; }', schemaType: 'PROTOBUF' })
    local.register(3, 'loop', 1, { schema: 'syntax = "proto3"; message Node { string name = 1; Node next = 2; }', schemaType: 'PROTOBUF' })
    local.register(4, 'junk', 1, { schema: 'message {', schemaType: 'PROTOBUF' })
    const decoder = createDecoder('protobuf', { schemaRegistry: { url: await local.start() } })
    try {
      const bytes = Buffer.concat([header(1), encodeProtobuf(producer, 'shop.Note', 0, [0], { text: 'x' }).subarray(5)])
      const missing = await decoder.decode(message(bytes))
      assert.equal(reasonOf(missing), 'unknown-schema-reference')
      assert.match(detailOf(missing), /common\/money\.proto refers to subject common-money version 1/)
      local.register(9, 'common-money', 1, { schema: registryFile('money.proto'), schemaType: 'PROTOBUF' })
      assert.deepEqual(row(await decoder.decode(message(bytes))), { text: 'x' })
      const of = async (id: number) => decoder.decode(message(Buffer.concat([header(id), Buffer.from([0])])))
      assert.equal(reasonOf(await of(2)), 'unsupported-schema')
      assert.match(detailOf(await of(2)), /no import or reference defines Missing/)
      assert.equal(reasonOf(await of(3)), 'unsupported-schema')
      assert.match(detailOf(await of(3)), /Node is recursive/)
      assert.equal(reasonOf(await of(4)), 'unsupported-schema')
    } finally {
      await local.stop()
    }
  })

  test("a Debezium envelope in Protobuf gets the JSON envelope's columns and op check", async () => {
    const decoder = createDecoder('protobuf', options)
    const event = {
      before: { id: 1, first_name: 'Anne', email: 'a@x' },
      after: { id: 1, first_name: 'Anne Marie', email: 'a@x', balance: 10.5 },
      source: {
        version: '2.7.0.Final',
        connector: 'mysql',
        name: 'dbserver1',
        ts_ms: '1700000000000',
        snapshot: 'false',
        db: 'shop',
        table: 'customers',
        pos: '154',
      },
      op: 'u',
      ts_ms: '1700000000123',
    }
    const decoded = await decoder.decode(message(encodeProtobuf(producer, 'dbserver1.shop.customers.Envelope', IDS.debezium, [0], event)))
    const r = row(decoded)
    assert.deepEqual(Object.keys(r), ['op', 'ts_ms', 'before', 'after', 'source', 'transaction'])
    assert.deepEqual(r.before, { id: 1, first_name: 'Anne', email: 'a@x', balance: null })
    assert.deepEqual(r.after, { id: 1, first_name: 'Anne Marie', email: 'a@x', balance: 10.5 })
    assert.equal(r.ts_ms, 1700000000123)
    assert.equal(r.transaction, null)
    const bad = await decoder.decode(message(encodeProtobuf(producer, 'dbserver1.shop.customers.Envelope', IDS.debezium, [0], { ...event, op: 'x' })))
    assert.equal(reasonOf(bad), 'unknown-debezium-envelope')
  })

  test('registry failures throw a retriable DecodeError; the format needs a registry', async () => {
    const local = new LocalRegistry()
    const url = await local.start()
    await local.stop()
    await assert.rejects(
      createDecoder('protobuf', { schemaRegistry: { url } }).decode(message(Buffer.concat([header(1), Buffer.from([0])]))),
      (e: unknown) => e instanceof DecodeError && e.retriable,
    )
    assert.throws(() => createDecoder('protobuf'), /protobuf format needs a schema registry/)
  })
})
