/**
 * The JSON decoder's two fast paths against their definitions, over seeded random values:
 * - hasShape(b, templateOf(a)) is exactly shapeOf(a) === shapeOf(b) (the last shape is matched
 *   without writing b's shape text);
 * - bytesHaveShape(bytes, templateOf(a)) is exactly: the bytes, decoded and parsed, have a's shape
 *   and are JSON.stringify of their value with no escape in them (a recent shape's compact form is
 *   recognised without decoding or parsing it, and the bytes stand for the serialised row);
 * - normalisedTimestamp, read by character codes, is the regular expression and date check it replaced.
 * The seed is printed; LAKEHOUSE_PROPERTY_SEED replays it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseJsonText } from '../../src/decode/json-text'
import { hasShape, normalisedTimestamp, shapeOf, templateOf } from '../../src/decode/shape'
import { bytesHaveShape } from '../../src/decode/shape-text'

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
  const STRINGS = [
    'x',
    '2024-01-01T00:00:00.123Z',
    '2024-01-01T00:00:00.000Z',
    '2024-01-01T02:00:00+02:00',
    '2024-01-01',
    'user-1@example.com.xx',
    '2024-02-30T00:00:00Z',
    '1234-xxxxxxxxxxxxxxxx',
  ]
  const value = (depth: number): unknown => {
    switch (rnd(depth > 2 ? 6 : 8)) {
      case 0:
        return null
      case 1:
        return rnd(2) === 0
      case 2:
        return [1, 2.5, -0, 2 ** 60, 7][rnd(5)]
      case 3:
      case 4:
        return STRINGS[rnd(STRINGS.length)]
      case 5:
        return rnd(3) === 0 ? Infinity : 3
      case 6:
        return Array.from({ length: rnd(4) }, () => value(depth + 1))
      default: {
        const object: Record<string, unknown> = {}
        // defineProperty: '__proto__' as an own key, as JSON.parse makes it.
        for (let i = rnd(4); i > 0; i--)
          Object.defineProperty(object, KEYS[rnd(KEYS.length)], { value: value(depth + 1), enumerable: true, writable: true, configurable: true })
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

test(`bytesHaveShape(bytes, templateOf(a)) is the parsed text's shape and its own JSON.stringify, unescaped (seed ${SEED})`, () => {
  const rnd = generator(SEED + 2)
  const pick = <T>(list: readonly T[]): T => list[rnd(list.length)]
  const KEYS = ['a', 'b', '1', '__proto__', '', 'é', 'x"y', 'a\\b', '😀']
  const STRINGS = [
    'x',
    '',
    'é😀',
    'a"b',
    'tab\t',
    '\ud800',
    '2024-01-01T00:00:00Z',
    '2024-01-01T00:00:00.123Z',
    '2024-01-01T00:00:00.000Z',
    '2024-01-01T02:00:00+02:00',
    '2024-01-01',
    '2024-02-30',
    '1234-xxxxxxxxxxxxxxxx',
    '2024-13-01T00:00:00Z',
    'user-1@example.com',
    'a,1234567890123456',
  ]
  // Spellings JavaScript prints, and others of the same or nearby values; 15, 16 and 17 digits; exponents.
  const NUMBERS = [
    '1',
    '7',
    '1.0',
    '-0',
    '0',
    '-0.0',
    '1e2',
    '1E2',
    '0.1',
    '0.10',
    '1.5e-7',
    '0.000001',
    '0.0000001',
    '0.0000012',
    '-0.5',
    '123456789012',
    '-12.25',
    '1e21',
    '1e+21',
    '100',
    '01',
    '9007199254740991',
    '9007199254740992',
    '1234567890123456',
    '-1234567890123456',
    '12345678901234567',
    '0.30000000000000004',
    '123456789012.345',
    '12345678901234.5',
    '1234567890123.45',
    '4.5',
    '27.25',
    '1.5e+300',
    '1e400',
    '-1e-7',
    '5e-324',
    '2e-7',
    '0.5',
    '1.25e-5',
  ]
  // Texts as trees, so that a second text can keep the first one's structure and change its spellings.
  type Node = { n: string } | { s: string; escaped: boolean } | { literal: string } | { items: Node[] } | { entries: [string, Node][] }
  const node = (depth: number): Node => {
    switch (rnd(depth > 3 ? 4 : 6)) {
      case 0:
        return { literal: pick(['null', 'true', 'false']) }
      case 1:
        return { n: pick(NUMBERS) }
      case 2:
      case 3:
        return { s: pick(STRINGS), escaped: rnd(8) === 0 }
      case 4:
        return { items: Array.from({ length: rnd(4) }, () => node(depth + 1)) }
      default:
        return { entries: Array.from({ length: rnd(4) }, () => [pick(KEYS), node(depth + 1)] as [string, Node]) }
    }
  }
  // The same structure, each leaf respelled or replaced now and then, a container changed rarely.
  const vary = (t: Node): Node => {
    if ('items' in t) return rnd(20) === 0 ? node(2) : { items: t.items.map(vary).concat(rnd(10) === 0 ? [node(3)] : []) }
    if ('entries' in t) return rnd(20) === 0 ? node(2) : { entries: t.entries.filter(() => rnd(20) !== 0).map(([k, v]) => [k, vary(v)] as [string, Node]) }
    if ('n' in t) return rnd(2) ? t : { n: pick(NUMBERS) }
    if ('s' in t) return rnd(2) ? { s: t.s, escaped: rnd(8) === 0 } : { s: pick(STRINGS), escaped: rnd(8) === 0 }
    return rnd(4) ? t : { literal: pick(['null', 'true', 'false']) }
  }
  const write = (t: Node, spaced: boolean): string => {
    const sep = spaced && rnd(3) === 0 ? ', ' : ','
    if ('n' in t) return t.n
    if ('literal' in t) return t.literal
    if ('s' in t) return t.escaped ? `"${[...t.s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(t.s)
    if ('items' in t) return `[${t.items.map((i) => write(i, spaced)).join(sep)}]`
    return `{${t.entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, spaced)}`).join(sep)}}`
  }
  let matched = 0
  let missed = 0
  for (let i = 0; i < 40_000; i++) {
    const tree = node(0)
    const aText = write(tree, false)
    const a = parseJsonText(aText)
    if (!a.ok) continue
    for (const dates of [false, true]) {
      const shapeA = shapeOf(a.value, dates)
      if (shapeA === undefined) continue
      const template = templateOf(a.value, dates)
      for (let k = 0; k < 4; k++) {
        const text: string = k === 0 ? aText : write(vary(tree), rnd(10) === 0)
        const b = parseJsonText(text)
        // No escape at all: which escape JSON.stringify would choose is not checked, so none is taken.
        const expected: boolean = b.ok && shapeOf(b.value, dates) === shapeA && !text.includes('\\') && JSON.stringify(b.value) === text
        assert.equal(bytesHaveShape(Buffer.from(text), template, dates), expected, `a=${aText} text=${text} dates=${dates}`)
        if (expected) matched++
        else missed++
      }
    }
  }
  assert.ok(matched > 5_000 && missed > 5_000, `both answers were met: ${matched} matched, ${missed} missed`)
  // A producer's event, compact, is recognised; other spellings of it are not.
  const event = JSON.stringify({ id: 7, at: '2024-01-01T00:00:00.123Z', user: { id: 'u-1', tags: ['a', 'b'] }, amount: 12.25, ok: true, none: null })
  const template = templateOf(JSON.parse(event))
  assert.equal(bytesHaveShape(Buffer.from(event), template), true)
  assert.equal(bytesHaveShape(Buffer.from(event.replace('"id":7', '"id":8')), template), true)
  for (const other of [
    JSON.stringify(JSON.parse(event), null, 1),
    event.replace('12.25', '12.250'),
    event.replace('"u-1"', '"\\u0075-1"'),
    event.replace('.123Z', '.123+00:00'),
  ]) {
    assert.equal(bytesHaveShape(Buffer.from(other), template), false, other)
  }
  // Bytes that are not its UTF-8: a byte-order mark before it, a byte no UTF-8 has, a truncated character.
  const bytes = Buffer.from(event.replace('"u-1"', '"ü-1"'))
  assert.equal(bytesHaveShape(bytes, template), true)
  assert.equal(bytesHaveShape(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]), template), false)
  const at = bytes.indexOf(Buffer.from('ü'))
  assert.equal(bytesHaveShape(Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 1)]), template), false)
  assert.equal(bytesHaveShape(Buffer.concat([bytes.subarray(0, at), Buffer.from([0xc3, 0x22]), bytes.subarray(at + 2)]), template), false)
})

test(`normalisedTimestamp is the regular expression and date check it replaced (seed ${SEED})`, () => {
  const rnd = generator(SEED + 3)
  const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.(\d{3})(\d{3})?)?Z$/
  const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  const definition = (value: string): boolean => {
    const m = PATTERN.exec(value)
    if (!m) return false
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
    if (month < 1 || month > 12 || day < 1) return false
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    if (day > (month === 2 && leap ? 29 : DAYS[month - 1])) return false
    return m[6] !== undefined ? m[6] !== '000' : m[5] !== '000'
  }
  const BASES = ['2024-01-01T00:00:00Z', '2024-02-29T23:59:59.123Z', '1900-02-28T12:30:45.000001Z', '2000-12-31T19:09:09.000Z', '0000-02-29T00:00:00.100200Z']
  const CHARS = '0123456789912-T:.Z+ zt'
  let valid = 0
  let invalid = 0
  for (let i = 0; i < 200_000; i++) {
    let value = BASES[rnd(BASES.length)]
    for (let k = rnd(3); k > 0; k--) {
      const at = rnd(value.length + 1)
      const c = CHARS[rnd(CHARS.length)]
      value =
        rnd(4) === 0
          ? value.slice(0, at) + c + value.slice(at)
          : rnd(5) === 0
            ? value.slice(0, at) + value.slice(at + 1)
            : value.slice(0, at) + c + value.slice(at + 1)
    }
    const expected = definition(value)
    assert.equal(normalisedTimestamp(value), expected, value)
    if (expected) valid++
    else invalid++
  }
  assert.ok(valid > 10_000 && invalid > 10_000, `both answers were met: ${valid} valid, ${invalid} not`)
})
