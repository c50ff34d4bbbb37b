import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { conformsTo, createDecoder, type Decoded, type DecoderOptions } from '../../src/decode'
import { LocalRegistry } from '../helpers/schema-registry'
import { message, row } from './fixtures'
import { encodeJsonSchema, header, IDS, registerAll } from './registry-fixtures'

const registry = new LocalRegistry()
let options: DecoderOptions
const reasonOf = (decoded: Decoded) => (decoded.kind === 'error' ? decoded.reason : decoded.kind)
const detailOf = (decoded: Decoded) => (decoded.kind === 'error' ? (decoded.detail ?? '') : '')
const schemaOf = (decoded: Decoded) => (decoded as Extract<Decoded, { kind: 'row' }>).schema
const field = (name: string, type: unknown) => ({ name, type, nullable: true, metadata: {} })

before(async () => {
  options = { schemaRegistry: { url: await registry.start() } }
  registerAll(registry)
})
after(() => registry.stop())

describe('Confluent-framed JSON Schema', () => {
  test('types come from the schema: integers, numbers, formats, enums, $refs local and referenced, maps, unions', async () => {
    const value = {
      id: 9007199254740993,
      total: 133,
      paid: true,
      customer: 'Zoë',
      placed_at: '2024-01-01T01:00:00.5+01:00',
      ship_on: '2024-02-29',
      status: 'PAID',
      raw: 'AAH+/w==',
      items: [
        { sku: 'a', price: 10, quantity: 2 },
        { sku: 'b', price: 0.5 },
      ],
      counts: { apples: 12 },
      address: { city: 'Lyon', zip: null },
      note: null,
      amount: 3,
      extra: { any: [1, 'two'] },
      undeclared: 'dropped',
    }
    // Sent as text so that the 64-bit id keeps its digits (JSON.stringify would round it).
    const bytes = Buffer.concat([header(IDS.order), Buffer.from(JSON.stringify(value).replace('9007199254740992', '9007199254740993'))])
    const decoded = await createDecoder('json-schema', options).decode(message(bytes))
    assert.deepEqual(row(decoded), {
      id: '9007199254740993',
      total: 133,
      paid: true,
      customer: 'Zoë',
      placed_at: '2024-01-01T00:00:00.500Z',
      ship_on: '2024-02-29',
      status: 'PAID',
      raw: 'AAH+/w==',
      items: [
        { sku: 'a', price: 10, quantity: 2 },
        { sku: 'b', price: 0.5, quantity: null },
      ],
      counts: { apples: 12 },
      address: { city: 'Lyon', zip: null },
      note: null,
      amount: 3,
      extra: '{"any":[1,"two"]}',
    })
    assert.deepEqual(schemaOf(decoded).fields, [
      field('id', 'long'),
      field('total', 'double'),
      field('paid', 'boolean'),
      field('customer', 'string'),
      field('placed_at', 'timestamp'),
      field('ship_on', 'date'),
      field('status', 'string'),
      field('raw', 'binary'),
      field('items', {
        type: 'array',
        elementType: { type: 'struct', fields: [field('sku', 'string'), field('price', 'double'), field('quantity', 'long')] },
        containsNull: true,
      }),
      field('counts', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
      field('address', { type: 'struct', fields: [field('city', 'string'), field('zip', 'string')] }),
      field('note', 'string'),
      field('amount', 'double'),
      field('extra', 'string'),
    ])
    assert.deepEqual(conformsTo(row(decoded), schemaOf(decoded)), { ok: true })
    assert.ok(registry.requests.includes('/subjects/address/versions/3'), 'the reference is fetched by subject and version')
  })

  test('a value that contradicts its schema is a dead letter naming the path; bad frames too', async () => {
    const decoder = createDecoder('json-schema', options)
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      ['string for integer', encodeJsonSchema(IDS.order, { id: 'seven' }), 'schema-mismatch', /'id' should be an integer as the schema says, but is "seven"/],
      ['fraction for integer', encodeJsonSchema(IDS.order, { items: [{ quantity: 1.5 }] }), 'schema-mismatch', /'items\[0\]\.quantity' should be an integer/],
      ['bad date-time', encodeJsonSchema(IDS.order, { placed_at: '2024-01-01 10:00' }), 'schema-mismatch', /placed_at/],
      ['not an object', encodeJsonSchema(IDS.order, [1]), 'schema-mismatch', /the value' should be an object/],
      ['not JSON', Buffer.concat([header(IDS.order), Buffer.from('{"id":')]), 'invalid-json', /schema 31/],
      ['magic', Buffer.from([1, 0, 0, 0, 31, 0x7b, 0x7d]), 'unsupported-framing', /magic byte is 0x01/],
      ['protobuf id', encodeJsonSchema(IDS.orders, {}), 'unsupported-framing', /Protobuf schema, not JSON Schema: read this topic with the format protobuf/],
      ['unknown id', encodeJsonSchema(4242, {}), 'unknown-schema-id', /4242/],
    ]
    for (const [name, bytes, reason, detail] of cases) {
      const decoded = await decoder.decode(message(bytes))
      assert.equal(reasonOf(decoded), reason, `${name}: ${JSON.stringify(decoded)}`)
      assert.match(detailOf(decoded), detail, name)
    }
  })

  test("a Debezium envelope under JsonSchemaConverter: Connect types (int32, Decimal, Date, ZonedTimestamp) and the envelope's columns", async () => {
    const event = {
      before: null,
      after: { id: 7, balance: 1234.5, born: 19723, updated: '2024-01-01T10:00:00Z' },
      source: { version: '2.7.0.Final', connector: 'mysql', ts_ms: 1700000000000, db: 'shop', table: 'customers' },
      op: 'c',
      ts_ms: 1700000000123,
    }
    const decoded = await createDecoder('json-schema', options).decode(message(encodeJsonSchema(IDS.customers, event)))
    const r = row(decoded)
    assert.deepEqual(Object.keys(r), ['op', 'ts_ms', 'before', 'after', 'source'])
    assert.deepEqual(r.after, { id: 7, balance: '1234.50', born: '2024-01-01', updated: '2024-01-01T10:00:00Z' })
    const after = schemaOf(decoded).fields.find((f) => f.name === 'after')!.type
    assert.deepEqual(after, {
      type: 'struct',
      fields: [field('id', 'integer'), field('balance', 'decimal(10,2)'), field('born', 'date'), field('updated', 'timestamp')],
    })
    assert.equal(
      reasonOf(await createDecoder('json-schema', options).decode(message(encodeJsonSchema(IDS.customers, { ...event, op: 'z' })))),
      'unknown-debezium-envelope',
    )
  })

  test('schemas without columns, recursive and unresolvable $refs are refused with their reason', async () => {
    const local = new LocalRegistry()
    local.register(1, 's', 1, { schema: '{"type":"string"}', schemaType: 'JSON' })
    local.register(2, 'tree', 1, { schema: '{"type":"object","properties":{"name":{"type":"string"},"child":{"$ref":"#"}}}', schemaType: 'JSON' })
    local.register(3, 'dangling', 1, { schema: '{"type":"object","properties":{"a":{"$ref":"other.json"}}}', schemaType: 'JSON' })
    local.register(4, 'missing', 1, {
      schema: '{"type":"object","properties":{"a":{"$ref":"other.json"}}}',
      schemaType: 'JSON',
      references: [{ name: 'other.json', subject: 'other', version: 1 }],
    })
    const decoder = createDecoder('json-schema', { schemaRegistry: { url: await local.start() } })
    try {
      const of = async (id: number) => decoder.decode(message(encodeJsonSchema(id, {})))
      assert.equal(reasonOf(await of(1)), 'not-a-record')
      assert.equal(reasonOf(await of(2)), 'unsupported-schema')
      assert.match(detailOf(await of(2)), /refers to itself/)
      assert.equal(reasonOf(await of(3)), 'unknown-schema-reference')
      assert.equal(reasonOf(await of(4)), 'unknown-schema-reference')
      local.register(5, 'other', 1, { schema: '{"type":"object","properties":{"b":{"type":"integer"}}}', schemaType: 'JSON' })
      assert.deepEqual(row(await decoder.decode(message(encodeJsonSchema(4, { a: { b: 1 } })))), { a: { b: 1 } }, 'registered later, found on the next message')
    } finally {
      await local.stop()
    }
  })
})
