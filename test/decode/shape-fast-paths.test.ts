/**
 * The JSON decoder's two fast paths against their definitions, over seeded random values:
 * - hasShape(b, templateOf(a)) is exactly shapeOf(a) === shapeOf(b) (the last shape is matched
 *   without writing b's shape text);
 * - isOwnStringify(text, JSON.parse(text)) is true only when text is JSON.stringify of the value
 *   (the message's own text then stands for the serialised row), and true for compact JSON.
 * The seed is printed; LAKEHOUSE_PROPERTY_SEED replays it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isOwnStringify } from '../../src/decode/json-text'
import { hasShape, shapeOf, templateOf } from '../../src/decode/shape'

const SEED = Number(process.env.LAKEHOUSE_PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function generator(seed: number): (n: number) => number {
  let a = seed >>> 0
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)
  }
}

test(`hasShape(b, templateOf(a)) is shapeOf(a) === shapeOf(b) (seed ${SEED})`, () => {
  const rnd = generator(SEED)
  const KEYS = ['a', 'b', '1', '0', 'a1:b', '__proto__', '']
  const STRINGS = ['x', '2024-01-01T00:00:00.123Z', '2024-01-01T00:00:00.000Z', '2024-01-01T02:00:00+02:00', '2024-01-01', 'user-1@example.com.xx', '2024-02-30T00:00:00Z', '1234-xxxxxxxxxxxxxxxx']
  const value = (depth: number): unknown => {
    switch (rnd(depth > 2 ? 6 : 8)) {
      case 0: return null
      case 1: return rnd(2) === 0
      case 2: return [1, 2.5, -0, 2 ** 60, 7][rnd(5)]
      case 3: case 4: return STRINGS[rnd(STRINGS.length)]
      case 5: return rnd(3) === 0 ? Infinity : 3
      case 6: return Array.from({ length: rnd(4) }, () => value(depth + 1))
      default: {
        const object: Record<string, unknown> = {}
        // defineProperty: '__proto__' as an own key, as JSON.parse makes it.
        for (let i = rnd(4); i > 0; i--) Object.defineProperty(object, KEYS[rnd(KEYS.length)], { value: value(depth + 1), enumerable: true, writable: true, configurable: true })
        return object
      }
    }
  }
  const mutate = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.length && rnd(2)) v[rnd(v.length)] = rnd(2) ? value(2) : mutate(v[rnd(v.length)])
      else v.push(value(2))
      return v
    }
    if (v && typeof v === 'object') {
      const object = v as Record<string, unknown>
      const keys = Object.keys(object)
      if (keys.length && rnd(2)) object[keys[rnd(keys.length)]] = mutate(object[keys[rnd(keys.length)]])
      else object.z = value(2)
      return v
    }
    return value(2)
  }
  let same = 0
  let different = 0
  for (let i = 0; i < 60_000; i++) {
    const a = value(0)
    const b = rnd(3) === 0 ? structuredClone(a) : rnd(2) ? mutate(structuredClone(a)) : value(0)
    for (const dates of [false, true]) {
      const shapeA = shapeOf(a, dates)
      if (shapeA === undefined) continue
      const shapeB = shapeOf(b, dates)
      const expected = shapeB !== undefined && shapeA === shapeB
      assert.equal(hasShape(b, templateOf(a, dates), dates), expected, `a=${JSON.stringify(a)} b=${JSON.stringify(b)} dates=${dates}`)
      if (expected) same++
      else different++
    }
  }
  assert.ok(same > 1_000 && different > 1_000, `both answers were met: ${same} same, ${different} different`)
})

test(`isOwnStringify is true only for JSON.stringify's own text, and for compact JSON (seed ${SEED})`, () => {
  const rnd = generator(SEED + 1)
  const KEYS = ['a', 'b', '1', '0', '10', '__proto__', '', 'é', 'x"y', 'a\\b', '\u2028', '😀']
  const STRINGS = ['x', '', 'é😀', 'a"b', 'tab\t', '\u0000', '\ud800', '2024-01-01T00:00:00Z', '\u2028']
  const NUMBERS = ['1', '1.0', '-0', '0', '1e2', '1E2', '0.1', '1.5e-7', '123456789012', '-12.25', '1e21', '100']
  const text = (depth: number): string => {
    switch (rnd(depth > 3 ? 4 : 6)) {
      case 0: return ['null', 'true', 'false'][rnd(3)]
      case 1: return NUMBERS[rnd(NUMBERS.length)]
      case 2: case 3: {
        const s = STRINGS[rnd(STRINGS.length)]
        // Also escapes JSON.stringify would not choose.
        return rnd(4) ? JSON.stringify(s) : `"${s.replace(/"/g, '\\u0022').replace(/\t/g, '\\t').replace(/\u0000/g, '\\u0000').replace(/\ud800/g, '\\ud800')}"`
      }
      case 4: return `[${Array.from({ length: rnd(4) }, () => text(depth + 1)).join(rnd(8) ? ',' : ', ')}]`
      default: return `{${Array.from({ length: rnd(4) }, () => JSON.stringify(KEYS[rnd(KEYS.length)]) + (rnd(8) ? ':' : ' : ') + text(depth + 1)).join(',')}}`
    }
  }
  let own = 0
  let parsed = 0
  for (let i = 0; i < 100_000; i++) {
    const candidate = rnd(10) ? text(0) : ` ${text(0)}`
    let value: unknown
    try { value = JSON.parse(candidate) } catch { continue }
    parsed++
    if (isOwnStringify(candidate, value)) {
      own++
      assert.equal(JSON.stringify(value), candidate)
    }
  }
  assert.ok(own > 1_000, `${own} of ${parsed} texts were their own serialisation`)
  // What producers send: compact JSON is recognised, other spellings of the same value are not.
  const event = { id: 7, at: '2024-01-01T00:00:00Z', user: { id: 'u-1', tags: ['a', 'b'] }, amount: 12.25, ok: true, none: null }
  assert.equal(isOwnStringify(JSON.stringify(event), event), true)
  assert.equal(isOwnStringify(JSON.stringify(event, null, 1), event), false)
  assert.equal(isOwnStringify('{"n":1.0}', { n: 1 }), false)
  assert.equal(isOwnStringify('{"s":"\\u0041"}', { s: 'A' }), false)
})
