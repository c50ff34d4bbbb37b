/**
 * A JSON value's shape: its keys, recursively, and each value's kind exactly as inference (infer.ts)
 * tells kinds apart. Two values of the same shape infer the same types, so the JSON decoder infers
 * a shape once and reuses its schema; and the raw batch decides once per shape whether such rows
 * fit the table as they are (raw-batch.ts).
 *
 * A shape exists only for values that inference would return unchanged, so that the parsed value
 * itself is the decoded row: finite numbers that JSON.parse read exactly (no `JsonNumber`), and
 * timestamp-like strings already in the normalised form inference writes. Anything else (a
 * '+02:00' offset, '.000Z', 1e400) has no shape and takes the full inference.
 *
 * The text is injective: keys carry their length; kinds are one letter (n null, b boolean, l safe
 * integer, d other finite number, t timestamp, D date, s string), arrays list their elements'
 * shapes with consecutive repeats written once (merging a type with one it already absorbed changes
 * nothing, so [1,2,3] and [1] infer the same element type).
 */
import { JsonNumber } from './json-text'
import { isIsoDate, parseZonedTimestamp, timestampFromMicros } from './values'

const utf8 = new TextEncoder()

/** The value's shape, or undefined when inference could change a value (see above). */
export function shapeOf(value: unknown, dates = false): string | undefined {
  const kind = scalarKind(value, dates)
  if (kind !== CONTAINER) return kind
  if (Array.isArray(value)) {
    let out = '['
    let previous = ''
    for (const element of value) {
      const inner = shapeOf(element, dates)
      if (inner === undefined) return undefined
      if (inner !== previous) out += inner + ','
      previous = inner
    }
    return out + ']'
  }
  let out = '{'
  const object = value as Record<string, unknown>
  for (const key of Object.keys(object)) {
    const inner = shapeOf(object[key], dates)
    if (inner === undefined) return undefined
    out += `${key.length}:${key}${inner}`
  }
  return out + '}'
}

/** Marks an array or object (no JsonNumber) for scalarKind's callers to walk. */
const CONTAINER = '{'

/** A scalar's one-letter kind (undefined: no shape), or CONTAINER for an array or plain object. */
function scalarKind(value: unknown, dates: boolean): string | undefined {
  if (value === null) return 'n'
  switch (typeof value) {
    case 'boolean':
      return 'b'
    case 'number':
      if (Number.isSafeInteger(value)) return 'l'
      return Number.isFinite(value) ? 'd' : undefined
    case 'string':
      return stringKind(value, dates)
    case 'object':
      return value instanceof JsonNumber ? undefined : CONTAINER
    default:
      return undefined
  }
}

/**
 * A shape as a tree, to tell whether a value has it without writing the value's shape text (a
 * string of a few hundred characters per message, then hashed to look it up). A scalar's kind;
 * an array's element templates with consecutive repeats once, as in the text; an object's keys in
 * order with their templates, and each key's JSON text with its colon as UTF-8 (for matching bytes, shape-text.ts).
 */
export type ShapeTemplate = string | { elements: ShapeTemplate[] } | { keys: string[]; fields: ShapeTemplate[]; quoted: Uint8Array[] }

/** The template of a value that has a shape (shapeOf(value, dates) !== undefined). */
export function templateOf(value: unknown, dates = false): ShapeTemplate {
  const kind = scalarKind(value, dates)
  if (kind !== CONTAINER) return kind!
  if (Array.isArray(value)) {
    const elements: ShapeTemplate[] = []
    let previous: string | undefined
    for (const element of value) {
      const shape = shapeOf(element, dates)
      if (shape !== previous) elements.push(templateOf(element, dates))
      previous = shape
    }
    return { elements }
  }
  const object = value as Record<string, unknown>
  const keys = Object.keys(object)
  return { keys, fields: keys.map((key) => templateOf(object[key], dates)), quoted: keys.map((key) => utf8.encode(`${JSON.stringify(key)}:`)) }
}

/** True exactly when shapeOf(value, dates) is the shape the template was made from. */
export function hasShape(value: unknown, template: ShapeTemplate, dates = false): boolean {
  const kind = scalarKind(value, dates)
  if (kind !== CONTAINER) return kind === template
  if (typeof template === 'string') return false
  if (Array.isArray(value)) {
    if (!('elements' in template)) return false
    // The elements fall into one run per template element, in order, each run non-empty. Two
    // consecutive templates differ, so an element matches at most one of them: greedy is exact.
    const elements = template.elements
    let at = -1
    for (const element of value) {
      if (at >= 0 && hasShape(element, elements[at], dates)) continue
      if (at + 1 < elements.length && hasShape(element, elements[at + 1], dates)) {
        at++
        continue
      }
      return false
    }
    return at === elements.length - 1
  }
  if (!('keys' in template)) return false
  const object = value as Record<string, unknown>
  const keys = Object.keys(object)
  const expected = template.keys
  if (keys.length !== expected.length) return false
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== expected[i] || !hasShape(object[keys[i]], template.fields[i], dates)) return false
  }
  return true
}

/**
 * The form timestampFromMicros writes, `YYYY-MM-DDTHH:MM:SS[.mmm[uuu]]Z`: seconds always, then
 * milliseconds when not .000, then microseconds when not …000. Such text with a valid date and
 * time is kept as it is. Read by character codes (every message of a shape with a timestamp
 * comes here); the test holds it to the regular expression it replaces.
 */
export function normalisedTimestamp(value: string): boolean {
  return isNormalisedTimestamp(value.length, (i) => value.charCodeAt(i))
}

/** normalisedTimestamp of any run of character codes: a string's, or ASCII bytes' (shape-text.ts). */
export function isNormalisedTimestamp(length: number, code: (i: number) => number): boolean {
  if ((length !== 20 && length !== 24 && length !== 27) || code(length - 1) !== UPPER_Z) return false
  if (code(4) !== MINUS || code(7) !== MINUS || code(10) !== UPPER_T || code(13) !== COLON || code(16) !== COLON) return false
  const year = digitsAt(code, 0, 4)
  const month = digitsAt(code, 5, 2)
  const day = digitsAt(code, 8, 2)
  const hour = digitsAt(code, 11, 2)
  const minute = digitsAt(code, 14, 2)
  const second = digitsAt(code, 17, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return false
  if (length === 20) return true
  if (code(19) !== DOT) return false
  const millis = digitsAt(code, 20, 3)
  if (length === 24) return millis > 0
  const micros = digitsAt(code, 23, 3)
  return millis >= 0 && micros > 0
}

/** The number the `count` decimal digits at `at` spell, or -1 when one is not a digit. */
function digitsAt(code: (i: number) => number, at: number, count: number): number {
  let n = 0
  for (let i = at; i < at + count; i++) {
    const digit = code(i) - ZERO
    if (digit < 0 || digit > 9) return -1
    n = n * 10 + digit
  }
  return n
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const COLON = 0x3a
const UPPER_T = 0x54
const UPPER_Z = 0x5a

/** Mirrors infer.ts's typeString: 't' only when inference would keep the text as it is. */
export function stringKind(value: string, dates: boolean): string | undefined {
  // Both timestamp patterns start with four digits and '-' (text such as 'user-1@example.com' stops here).
  if (value.length >= 16 && value.length <= 40 && value.charCodeAt(4) === 0x2d && startsWithFourDigits(value)) {
    // The common case first: already normalised (the full parse below reaches the same answer).
    if (normalisedTimestamp(value)) return 't'
    const micros = parseZonedTimestamp(value)
    if (micros !== undefined) {
      let normalised: string
      try {
        normalised = timestampFromMicros(micros)
      } catch {
        return 's'
      }
      return normalised === value ? 't' : undefined
    }
  }
  if (dates && value.length === 10 && isIsoDate(value)) return 'D'
  return 's'
}

function startsWithFourDigits(value: string): boolean {
  for (let i = 0; i < 4; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}
