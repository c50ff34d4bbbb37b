import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conformsTo, inferSchema, mergeInferred } from '../../src/decode'
import type { DataType, StructType } from '../../src/delta/schema'

const field = (name: string, type: DataType, nullable = true) => ({ name, type, nullable, metadata: {} })
const struct = (...fields: ReturnType<typeof field>[]): StructType => ({ type: 'struct', fields })
const typeOf = (schema: StructType, name: string) => schema.fields.find((f) => f.name === name)?.type

describe('inferSchema and mergeInferred', () => {
  test('a sample: fields merge across rows, null waits for a type, new fields are nullable', () => {
    const schema = inferSchema([
      { id: 1, price: 1, name: 'a', when: null, nested: { a: 1 }, list: [] },
      { id: 2, price: 2.5, name: 3, when: '2024-01-01T00:00:00Z', nested: { b: 'x' }, list: [1] },
      { id: 3, extra: true },
    ])
    assert.equal(typeOf(schema, 'id'), 'long')
    assert.equal(typeOf(schema, 'price'), 'double', 'long + double → double')
    assert.equal(typeOf(schema, 'name'), 'string', 'string + long → string')
    assert.equal(typeOf(schema, 'when'), 'timestamp')
    assert.deepEqual(typeOf(schema, 'nested'), struct(field('a', 'long'), field('b', 'string')))
    assert.deepEqual(typeOf(schema, 'list'), { type: 'array', elementType: 'long', containsNull: false })
    assert.equal(typeOf(schema, 'extra'), 'boolean')
    assert.ok(schema.fields.every((f) => f.nullable))
  })

  test('columns only ever null are left out; dates are inferred only when asked', () => {
    assert.deepEqual(inferSchema([{ a: null, b: [null], c: {} }]), struct())
    assert.equal(typeOf(inferSchema([{ d: '2024-02-29' }]), 'd'), 'string')
    assert.equal(typeOf(inferSchema([{ d: '2024-02-29' }], { dates: true }), 'd'), 'date')
    assert.equal(typeOf(inferSchema([{ d: '2024-02-29' }, { d: '2024-03-01T10:00:00Z' }], { dates: true }), 'd'), 'timestamp')
  })

  test('merge rules', () => {
    const merged = mergeInferred(
      struct(
        field('i', 'integer'),
        field('d', 'decimal(10,2)'),
        field('x', 'decimal(38,0)'),
        field('s', struct(field('a', 'long'))),
        field('arr', { type: 'array', elementType: 'long', containsNull: false }),
        field('req', 'long', false),
        field('t', 'timestamp'),
      ),
      struct(
        field('I', 'long'),
        field('d', 'decimal(5,4)'),
        field('x', 'decimal(38,10)'),
        field('s', 'string'),
        field('arr', { type: 'array', elementType: 'double', containsNull: true }),
        field('t', 'date'),
      ),
    )
    assert.deepEqual(
      merged.fields.map((f) => [f.name, f.type, f.nullable]),
      [
        ['i', 'long', true],
        ['d', 'decimal(12,4)', true],
        ['x', 'double', true],
        ['s', 'string', true],
        ['arr', { type: 'array', elementType: 'double', containsNull: true }, true],
        ['req', 'long', true],
        ['t', 'timestamp', true],
      ],
    )
    assert.deepEqual(mergeInferred(struct(field('a', 'long')), struct()), struct(field('a', 'long')))
  })
})

describe('conformsTo', () => {
  const table = struct(
    field('id', 'long', false),
    field('amount', 'decimal(5,2)'),
    field('at', 'timestamp'),
    field('day', 'date'),
    field('ok', 'boolean'),
    field('score', 'double'),
    field('small', 'integer'),
    field('blob', 'binary'),
    field('note', 'string'),
    field('user', struct(field('name', 'string'))),
    field('tags', { type: 'array', elementType: 'string', containsNull: false }),
    field('attrs', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
  )
  const fits = (row: Record<string, unknown>) => conformsTo(row, table)

  test('values in their JSON-safe forms fit', () => {
    assert.deepEqual(
      fits({
        id: '9223372036854775807',
        amount: '-123.45',
        at: '2024-01-01T00:00:00.123456Z',
        day: '2024-02-29',
        ok: false,
        score: 'NaN',
        small: -5,
        blob: 'AQID',
        note: { any: 'json' },
        user: { name: 'a' },
        tags: ['x'],
        attrs: { a: 1, b: null },
        unknownButNull: null,
      }),
      { ok: true },
    )
    assert.deepEqual(fits({ id: 1, amount: 5, USER: { NAME: 'case-insensitive' } }), { ok: true })
  })

  test('type conflicts are caught with the column named', () => {
    const reason = (row: Record<string, unknown>) => {
      const result = conformsTo(row, table)
      return result.ok ? 'ok' : result.reason
    }
    assert.match(reason({ id: 'abc' }), /column 'id' has type long/)
    assert.match(reason({ id: 1.5 }), /column 'id'/)
    assert.match(reason({ id: '9223372036854775808' }), /column 'id'/)
    assert.match(reason({ id: null }), /'id' is not nullable/)
    assert.match(reason({ id: 1, amount: '1234.5' }), /'amount'/)
    assert.match(reason({ id: 1, amount: '1.234' }), /'amount'/)
    assert.match(reason({ id: 1, at: 'yesterday' }), /'at'/)
    assert.match(reason({ id: 1, day: '2024-02-30' }), /'day'/)
    assert.match(reason({ id: 1, small: 2 ** 31 }), /'small'/)
    assert.match(reason({ id: 1, blob: 'not base64!' }), /'blob'/)
    assert.match(reason({ id: 1, user: { name: 'a', age: 3 } }), /column 'user.age' is not in the table/)
    assert.match(reason({ id: 1, tags: ['a', null] }), /'tags\[1\]' does not take nulls/)
    assert.match(reason({ id: 1, tags: 'a' }), /'tags'/)
    assert.match(reason({ id: 1, attrs: { a: 'x' } }), /'attrs.a'/)
    assert.match(reason({ id: 1, newColumn: 5 }), /'newColumn' is not in the table/)
  })
})
