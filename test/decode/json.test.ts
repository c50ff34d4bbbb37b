import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conformsTo, createDecoder, TextRow, type Decoded } from '../../src/decode'
import { message, row, typeAt } from './fixtures'
import { withinGuard } from '../helpers/waiting'

const json = createDecoder('json')
const decode = (text: string | Uint8Array | null) => json.decode(message(text))
const reason = (decoded: Decoded) => (decoded.kind === 'error' ? decoded.reason : decoded.kind)

describe('json decoder', () => {
  test('an object becomes a row typed by inference: nesting, arrays, numbers, timestamps', async () => {
    const decoded = await decode(
      JSON.stringify({
        id: 7,
        price: 9.5,
        ok: true,
        name: 'x',
        at: '2024-05-01T10:00:00.123456+02:00',
        day: '2024-05-01',
        nothing: null,
        user: { id: 1, tags: ['a', 'b'], address: { city: 'Oslo' } },
        scores: [1, 2.5, null],
        empty: [],
        emptyObject: {},
      }),
    )
    const r = row(decoded)
    assert.equal(r.at, '2024-05-01T08:00:00.123456Z', 'zoned timestamps normalised to UTC with microseconds')
    assert.equal(r.day, '2024-05-01')
    assert.deepEqual(r.scores, [1, 2.5, null])
    assert.equal(r.nothing, null)
    assert.equal(typeAt(decoded, 'id'), 'long')
    assert.equal(typeAt(decoded, 'price'), 'double')
    assert.equal(typeAt(decoded, 'ok'), 'boolean')
    assert.equal(typeAt(decoded, 'at'), 'timestamp')
    assert.equal(typeAt(decoded, 'day'), 'string', 'date-only strings stay strings by default')
    assert.equal(typeAt(decoded, 'user.address.city'), 'string')
    assert.deepEqual(typeAt(decoded, 'user.tags'), { type: 'array', elementType: 'string', containsNull: false })
    assert.deepEqual(typeAt(decoded, 'scores'), { type: 'array', elementType: 'double', containsNull: true })
    for (const unknownYet of ['nothing', 'empty', 'emptyObject']) assert.equal(typeAt(decoded, unknownYet), undefined, unknownYet)
    assert.deepEqual(conformsTo(r, (decoded as Extract<Decoded, { kind: 'row' }>).schema), { ok: true })
  })

  test('numbers a double would change keep their digits: long integers and fractions, and magnitudes past its range as text', async () => {
    const decoded = await decode(
      '{"big": 9007199254740993, "neg": -9223372036854775808, "huge": 123456789012345678901234567890, "safe": 9007199254740991, "f": 0.1234567890123456789, "over": 1e400, "under": -1E-400, "zero": 0e400, "digits39": 123456789012345678901234567890123456789}',
    )
    const r = row(decoded)
    assert.equal(r.big, '9007199254740993')
    assert.equal(r.neg, '-9223372036854775808')
    assert.equal(r.safe, 9007199254740991)
    assert.equal(r.huge, '123456789012345678901234567890')
    // The text, not the double: a decimal column takes every digit, a double column rounds it as JSON.parse would.
    assert.equal(r.f, '0.1234567890123456789')
    assert.equal(typeAt(decoded, 'big'), 'long')
    assert.equal(typeAt(decoded, 'huge'), 'decimal(38,0)')
    assert.equal(typeAt(decoded, 'f'), 'double')
    // No number column holds these: text, not Infinity, zero or a rounded double.
    for (const [name, text] of [
      ['over', '1e400'],
      ['under', '-1E-400'],
      ['digits39', '123456789012345678901234567890123456789'],
    ]) {
      assert.equal(r[name], text, name)
      assert.equal(typeAt(decoded, name), 'string', name)
    }
    // A whole number written as a float is a double, as its writer meant; a double that has the
    // text's digits is the number itself (the row shows a number).
    assert.equal(r.zero, 0)
    const spelled = await decode('{"whole": 5.0, "exp": 1e2, "shortest": 0.30000000000000004, "long": 0.1234567890123456789}')
    assert.deepEqual(row(spelled), { whole: 5, exp: 100, shortest: 0.30000000000000004, long: '0.1234567890123456789' })
    for (const name of ['whole', 'exp', 'shortest', 'long']) assert.equal(typeAt(spelled, name), 'double', name)
    assert.equal(typeAt(decoded, 'zero'), 'double')
  })

  test('names that differ only in case: the first spelling is the column, the others are rescued with their paths, at any depth', async () => {
    const decoded = await decode('{"Id": 1, "id": 2, "meta": {"x": 1, "X": {"deep": [1, 2]}}, "items": [{"k": 1, "K": 12345678901234567890}], "ID": null}')
    assert.equal(decoded.kind, 'row')
    const { row: r, schema, rescued, shape } = decoded as Extract<Decoded, { kind: 'row' }>
    assert.deepEqual(r, { Id: 1, meta: { x: 1 }, items: [{ k: 1 }] })
    assert.deepEqual(
      schema.fields.map((f) => f.name),
      ['Id', 'meta', 'items'],
    )
    // Every taken value whole, long numbers as their digits; a null holds nothing to keep.
    assert.deepEqual(rescued, { id: 2, 'meta.X': { deep: [1, 2] }, 'items[0].K': '12345678901234567890' })
    assert.equal(shape, undefined, 'not decided by shape: the row is not the parsed value')
    // The same shape again is decoded the same way, not taken from a remembered shape.
    const again = await decode('{"Id": 3, "id": 4, "meta": {"x": 1, "X": {"deep": []}}, "items": [], "ID": null}')
    assert.deepEqual((again as Extract<Decoded, { kind: 'row' }>).rescued, { id: 4 })
  })

  test('strings that only look like timestamps stay strings', async () => {
    const decoded = await decode('{"a": "2024-02-30T10:00:00Z", "b": "2024-01-01T10:00:00", "c": "2024-01-01 10:00:00Z", "d": "2024-01-01T25:00:00Z"}')
    for (const name of ['a', 'b', 'c', 'd']) assert.equal(typeAt(decoded, name), 'string', name)
    assert.equal(row(decoded).b, '2024-01-01T10:00:00')
  })

  test('bad input is a dead letter with a reason', async () => {
    const invalid = await decode('{"a": 1,}')
    assert.equal(reason(invalid), 'invalid-json')
    assert.match((invalid as { detail: string }).detail, /JSON/)
    assert.equal(reason(await decode(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]))), 'invalid-utf8')
    assert.equal(reason(await decode('[{"a":1}]')), 'not-an-object')
    assert.equal(reason(await decode('"text"')), 'not-an-object')
    assert.equal(reason(await decode('12345678901234567890')), 'not-an-object')
    assert.equal(reason(await decode('null')), 'not-an-object')
    assert.equal(reason(await decode('')), 'invalid-json')
    assert.equal(reason(await decode(null)), 'tombstone')
  })

  test('depth-1000 nesting is refused without blowing the stack; depth 100 decodes', async () => {
    const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth)
    assert.equal(reason(await decode(nested(1000, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}'))), 'too-deep')
    assert.equal(reason(await decode(`{"a":${nested(999, '[', ']')}}`)), 'too-deep')
    assert.equal(reason(await decode(`{"n":${'1'.repeat(20)},"a":${nested(2000, '[', ']')}}`)), 'too-deep')
    const ok = await decode(`{"a":${nested(99, '[', ']')}}`)
    assert.equal(ok.kind, 'row')
  })

  test('a 10 MB value decodes', async () => {
    const items = Array.from({ length: 90_000 }, (_, i) => ({
      id: i,
      name: `item-${i}`,
      at: '2024-01-01T00:00:00Z',
      big: '9007199254740993',
      tags: ['x', 'y'],
      v: i + 0.5,
    }))
    const text = JSON.stringify({ items, id: 12345678901234567890n.toString() })
    assert.ok(text.length > 10_000_000, `${text.length}`)
    // No speed limit: a guard against a hang (say, quadratic work over the bytes) only.
    const decoded = await withinGuard(decode(text.replace('"id":"12345678901234567890"', '"id":12345678901234567890')), 'decoding a 10 MB value')
    assert.equal(decoded.kind, 'row')
    const decodedItems = row(decoded).items as Record<string, unknown>[]
    assert.equal(decodedItems.length, 90_000)
    assert.deepEqual(decodedItems[89_999], items[89_999], 'the last item, every field exact')
    assert.deepEqual(decodedItems[0], items[0])
    assert.equal(row(decoded).id, '12345678901234567890')
  })

  test('interleaved shapes are each matched on their bytes once seen, with their own schema', async () => {
    const decoder = createDecoder('json')
    const shapes = [(i: number) => ({ order: i, amount: i + 0.5 }), (i: number) => ({ user: `u${i}`, tags: ['a'] }), (i: number) => ({ order: i, note: null })]
    const decoded: Decoded[] = []
    for (let i = 0; i < 30; i++) decoded.push(await decoder.decode(message(JSON.stringify(shapes[i % 3](i)))))
    // The first of each shape is inferred; the rest are their bytes, parsed only when asked.
    assert.deepEqual(
      decoded.map((d) => d instanceof TextRow),
      decoded.map((_, i) => i >= 3),
    )
    for (const [i, d] of decoded.entries()) {
      assert.equal(d.kind, 'row')
      if (d.kind !== 'row') continue
      assert.deepEqual(d.row, shapes[i % 3](i))
      assert.deepEqual(d.schema, (decoded[i % 3] as Extract<Decoded, { kind: 'row' }>).schema)
    }
  })

  test('a property named __proto__ stays data', async () => {
    const r = row(await decode('{"__proto__": {"polluted": 1}, "n": 12345678901234567890}'))
    assert.deepEqual(Object.keys(r), ['__proto__', 'n'])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })
})
