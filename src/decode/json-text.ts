/**
 * Bytes to JSON values without losing numbers. JSON.parse turns 1731327512006319782 (a
 * Debezium ts_ns) into 1731327512006319900 and a NUMERIC-format decimal into a double, and Node
 * 20's JSON.parse cannot show the reviver the source text. So: JSON.parse validates (and gives
 * the familiar error messages); when the text holds a number long enough to lose digits, a small
 * parser reads it again and keeps such numbers as `JsonNumber` (their source text).
 */
import { pastDoubleRange, setField } from './values'

/**
 * A JSON number JSON.parse would change: an integer beyond ±2^53, more than 15 significant digits,
 * a magnitude past a double's range (1e400 would be Infinity, 1e-400 zero), or a whole number
 * written as a float (`5.0`, `1e2`), which JSON.parse makes an integer: Python, Java and
 * MongoDB's relaxed Extended JSON write a whole double so, and it is a double.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
  get isInteger(): boolean {
    return !/[.eE]/.test(this.text)
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonNumber)
}

/** For error details: what a value is, when it is not the object we wanted. */
export function describeTop(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof JsonNumber || typeof value === 'number') return 'a number'
  return `a ${typeof value}`
}

/** Nesting deeper than this is refused: no lakehouse column is 100 structs deep, and every later step recurses. */
export const MAX_DEPTH = 100

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: 'invalid-utf8' | 'invalid-json' | 'too-deep' | 'invalid-unicode'; detail: string }

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function parseJsonBytes(bytes: Uint8Array): JsonParse {
  const text = utf8Text(bytes)
  return typeof text === 'string' ? parseJsonText(text) : text
}

/** The bytes as UTF-8 text, or why they are not. */
export function utf8Text(bytes: Uint8Array): string | Extract<JsonParse, { ok: false }> {
  try {
    return utf8.decode(bytes)
  } catch (error) {
    return { ok: false, reason: 'invalid-utf8', detail: (error as Error).message }
  }
}

// A number token with 16 or more significant digits starts the text or follows ':', '[' or ',',
// and has a run of 16 digits and dots; or a digit carries an exponent (past a double's range,
// perhaps, or a whole number written as a float); or a whole number is written with a zero
// fraction (`5.0`). Text inside strings rarely matches; when it does, it only costs the second,
// exact parse.
const LONG_NUMBER = /(?:^|[:[,])\s*-?(?:\d[\d.]{15}|\d+(?:\.\d+)?[eE]|\d+\.0+(?![\d.eE]))/

export function parseJsonText(text: string): JsonParse {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, reason: 'invalid-json', detail: (error as Error).message }
  }
  const tooDeep = { ok: false, reason: 'too-deep', detail: `nesting deeper than ${MAX_DEPTH} levels` } as const
  if (LONG_NUMBER.test(text)) {
    const exact = parseExact(text, MAX_DEPTH)
    if (exact === TOO_DEEP) return tooDeep
    value = exact
  } else if (exceedsDepth(value, MAX_DEPTH)) return tooDeep
  // A `\ud800` escape is valid JSON but not Unicode: no UTF-8 column can hold it (DuckDB refuses
  // the whole batch), so the message is refused here instead.
  if (SURROGATE_ESCAPE.test(text)) {
    const bad = loneSurrogate(value)
    if (bad !== undefined)
      return {
        ok: false,
        reason: 'invalid-unicode',
        detail: `${bad} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair): not valid Unicode`,
      }
  }
  return { ok: true, value }
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** Where a string or key that is not well-formed UTF-16 sits ('the value', 'key "a"', 'field "a"'), or undefined. */
function loneSurrogate(root: unknown): string | undefined {
  const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed()
  const values: unknown[] = [root]
  const paths: string[] = ['the value']
  while (values.length > 0) {
    const value = values.pop()!
    const at = paths.pop()!
    if (typeof value === 'string') {
      if (!wellFormed(value)) return at
      continue
    }
    if (value === null || typeof value !== 'object' || value instanceof JsonNumber) continue
    for (const [key, child] of Object.entries(value as object)) {
      if (!wellFormed(key)) return `a field name in ${at}`
      values.push(child)
      paths.push(Array.isArray(value) ? `${at}[${key}]` : `field '${key}'`)
    }
  }
  return undefined
}

function exceedsDepth(root: unknown, limit: number): boolean {
  const values: unknown[] = [root]
  const depths: number[] = [1]
  while (values.length > 0) {
    const value = values.pop()!
    const depth = depths.pop()!
    if (value === null || typeof value !== 'object') continue
    if (depth > limit) return true
    const children = Array.isArray(value) ? value : Object.values(value as object)
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        values.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return false
}

const TOO_DEEP = Symbol('too deep')

interface Frame {
  array?: unknown[]
  object?: Record<string, unknown>
  key: string
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

function numberFromText(text: string): number | JsonNumber {
  const n = Number(text)
  const floatSpelling = /[.eE]/.test(text)
  // JSON.parse would make it a (safe) integer, which inference types long.
  if (floatSpelling && Number.isSafeInteger(n)) return new JsonNumber(text)
  if (text.length <= 15 && Number.isFinite(n) && (n !== 0 || !floatSpelling)) return n
  const mantissa = text
    .replace(/[eE].*$/, '')
    .replace(/[-.]/g, '')
    .replace(/^0+/, '')
  if (pastDoubleRange(text)) return new JsonNumber(text)
  if (mantissa.length <= 15) return n
  if (!/[.eE]/.test(text) && Number.isSafeInteger(n)) return n
  return new JsonNumber(text)
}

/** Reads text that JSON.parse has already accepted, iteratively (no recursion on nesting). */
function parseExact(text: string, maxDepth: number): unknown {
  let i = 0
  const stack: Frame[] = []
  const skipSpace = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
      i++
    }
  }
  const readString = (): string => {
    const start = i
    i++
    let escaped = false
    for (;;) {
      const c = text.charCodeAt(i)
      if (c === 0x5c) {
        escaped = true
        i += 2
        continue
      }
      i++
      if (c === 0x22) break
    }
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1)
  }
  const readKey = (): string => {
    skipSpace()
    const key = readString()
    skipSpace()
    i++ // ':'
    return key
  }
  for (;;) {
    skipSpace()
    let value: unknown
    const c = text[i]
    if (c === '{') {
      i++
      skipSpace()
      if (text[i] === '}') {
        i++
        value = {}
      } else {
        if (stack.length >= maxDepth) return TOO_DEEP
        stack.push({ object: {}, key: readKey() })
        continue
      }
    } else if (c === '[') {
      i++
      skipSpace()
      if (text[i] === ']') {
        i++
        value = []
      } else {
        if (stack.length >= maxDepth) return TOO_DEEP
        stack.push({ array: [], key: '' })
        continue
      }
    } else if (c === '"') value = readString()
    else if (c === 't') {
      value = true
      i += 4
    } else if (c === 'f') {
      value = false
      i += 5
    } else if (c === 'n') {
      value = null
      i += 4
    } else {
      NUMBER.lastIndex = i
      const token = NUMBER.exec(text)![0]
      i += token.length
      value = numberFromText(token)
    }
    // Attach the value to its container; close every container that ends here.
    for (;;) {
      const top = stack[stack.length - 1]
      if (!top) return value
      if (top.array) top.array.push(value)
      else setField(top.object!, top.key, value)
      skipSpace()
      const next = text[i++]
      if (next === ',') {
        if (top.object) top.key = readKey()
        break
      }
      stack.pop()
      value = top.array ?? top.object
    }
  }
}
