/**
 * Matching a message's JSON bytes against a known shape without decoding or parsing them. Most
 * topics carry one shape, written compactly by JSON.stringify or its equivalent in other
 * languages; for such a message the decoder's answer is fixed before the value is read: the
 * shape's schema, and the message's own bytes as the serialised row. So the bytes are checked
 * against the shape's template (shape.ts), byte by byte, and the row is decoded and parsed only
 * when something asks for it (text-row.ts).
 *
 * bytesHaveShape(bytes, template) is true exactly when the slow path would give the same answer:
 * the bytes are UTF-8 of valid JSON whose value, read exactly (json-text.ts), has the template's
 * shape and is its own JSON.stringify text. It is false whenever unsure
 * (whitespace, any escape, a number in a form JavaScript would not print, more than 15 digits, a
 * byte-order mark): the slow path then decides. test/decode/shape-fast-paths.test.ts holds it to
 * that definition over random values.
 */
import { isUtf8 } from 'node:buffer'
import { isNormalisedTimestamp, stringKind, type ShapeTemplate } from './shape'

export function bytesHaveShape(bytes: Uint8Array, template: ShapeTemplate, dates = false): boolean {
  // Valid UTF-8 decodes to well-formed text, so only ASCII needs reading below.
  return endOf(bytes, 0, template, dates) === bytes.length && isUtf8(bytes)
}

/** Where the bytes of a value with this template end when they start at `at`, or -1. */
function endOf(bytes: Uint8Array, at: number, template: ShapeTemplate, dates: boolean): number {
  if (typeof template === 'string') {
    switch (template) {
      case 'n':
        return bytes[at] === LOWER_N && bytes[at + 1] === LOWER_U && bytes[at + 2] === LOWER_L && bytes[at + 3] === LOWER_L ? at + 4 : -1
      case 'b':
        if (bytes[at] === LOWER_T) return bytes[at + 1] === LOWER_R && bytes[at + 2] === LOWER_U && bytes[at + 3] === LOWER_E ? at + 4 : -1
        return bytes[at] === LOWER_F && bytes[at + 1] === LOWER_A && bytes[at + 2] === LOWER_L && bytes[at + 3] === LOWER_S && bytes[at + 4] === LOWER_E
          ? at + 5
          : -1
      case 'l':
      case 'd':
        return endOfNumber(bytes, at, template)
      default:
        return endOfString(bytes, at, template, dates)
    }
  }
  if ('elements' in template) {
    if (bytes[at++] !== OPEN_BRACKET) return -1
    const elements = template.elements
    if (bytes[at] === CLOSE_BRACKET) return elements.length === 0 ? at + 1 : -1
    // Runs of elements per template element, as in hasShape: two consecutive templates differ,
    // so an element matches at most one of them and the greedy choice is the only one.
    let run = -1
    for (;;) {
      let end = run >= 0 ? endOf(bytes, at, elements[run], dates) : -1
      if (end < 0) {
        if (++run >= elements.length) return -1
        end = endOf(bytes, at, elements[run], dates)
        if (end < 0) return -1
      }
      const next = bytes[end]
      if (next === CLOSE_BRACKET) return run === elements.length - 1 ? end + 1 : -1
      if (next !== COMMA) return -1
      at = end + 1
    }
  }
  if (bytes[at++] !== OPEN_BRACE) return -1
  const { quoted, fields } = template
  for (let i = 0; i < fields.length; i++) {
    if (i > 0 && bytes[at++] !== COMMA) return -1
    at = endOfKey(bytes, at, quoted[i])
    if (at < 0) return -1
    at = endOf(bytes, at, fields[i], dates)
    if (at < 0) return -1
  }
  return bytes[at] === CLOSE_BRACE ? at + 1 : -1
}

/**
 * The key's JSON text and its colon, as UTF-8. A key that JSON.stringify escapes never matches:
 * no escape is taken for the compact form (which escape it would choose is not checked).
 */
function endOfKey(bytes: Uint8Array, at: number, quoted: Uint8Array): number {
  const length = quoted.length
  for (let i = 0; i < length; i++) {
    const expected = quoted[i]
    if (bytes[at + i] !== expected || expected === BACKSLASH) return -1
  }
  return at + length
}

/**
 * A string without escapes or control characters: it ends at the next quote. Its kind is 's'
 * unless, all ASCII, it could be a timestamp or a date (see stringKind), which then decides.
 */
function endOfString(bytes: Uint8Array, at: number, kind: string, dates: boolean): number {
  if (bytes[at] !== QUOTE) return -1
  let ascii = true
  let end = at + 1
  for (; ; end++) {
    const b = bytes[end]
    if (b === QUOTE) break
    if (b === undefined || b < SPACE || b === BACKSLASH) return -1
    if (b >= 0x80) ascii = false
  }
  const start = at + 1
  const length = end - start
  // Timestamps and dates are ASCII: a string with other characters is text.
  let actual = 's'
  const timeLike =
    length >= 16 &&
    length <= 40 &&
    bytes[start + 4] === MINUS &&
    isDigit(bytes[start]) &&
    isDigit(bytes[start + 1]) &&
    isDigit(bytes[start + 2]) &&
    isDigit(bytes[start + 3])
  if (ascii && (timeLike || (dates && length === 10))) {
    // The common case read in place; any other decided on the text, as stringKind does.
    actual = isNormalisedTimestamp(length, (i) => bytes[start + i]) ? 't' : (stringKind(asciiText(bytes, start, end), dates) ?? '')
  }
  return actual === kind ? end + 1 : -1
}

/**
 * A number as JavaScript prints it, of the kind the template says ('l' safe integer, 'd' any
 * other), that the exact reader would also read as a plain number (json-text.ts keeps numbers of
 * more than 15 significant digits as text). Without an exponent this is decided from the digits:
 * an integer of up to 15 digits is printed as written; a decimal of up to 15 digits with no
 * trailing zero too, unless it is below 1e-6 (printed with an exponent). Anything else is
 * printed and compared.
 */
function endOfNumber(bytes: Uint8Array, at: number, kind: 'l' | 'd'): number {
  let i = at
  if (bytes[i] === MINUS) i++
  const integerStart = i
  while (isDigit(bytes[i])) i++
  const integerDigits = i - integerStart
  if (integerDigits === 0 || (integerDigits > 1 && bytes[integerStart] === ZERO)) return -1
  let fractionDigits = 0
  if (bytes[i] === DOT) {
    const fractionStart = ++i
    while (isDigit(bytes[i])) i++
    fractionDigits = i - fractionStart
    if (fractionDigits === 0) return -1
  }
  const next = bytes[i]
  if (next === LOWER_E || next === UPPER_E) return endOfExponentNumber(bytes, at, i, kind)
  if (fractionDigits === 0) {
    // '-0' is printed '0'.
    if (kind !== 'l' || (integerDigits === 1 && i - at === 2 && bytes[integerStart] === ZERO)) return -1
    if (integerDigits <= 15) return i
    return integerDigits === 16 && Number.isSafeInteger(Number(asciiText(bytes, at, i))) ? i : -1
  }
  if (kind !== 'd' || bytes[i - 1] === ZERO || integerDigits + fractionDigits > 15) return -1
  if (integerDigits === 1 && bytes[integerStart] === ZERO) {
    let zeros = 0
    while (bytes[integerStart + 2 + zeros] === ZERO) zeros++
    if (zeros >= 6) return -1
  }
  return i
}

/** A number with an exponent (rare): compared with how JavaScript prints it; short ones only. */
function endOfExponentNumber(bytes: Uint8Array, at: number, i: number, kind: 'l' | 'd'): number {
  i++
  const sign = bytes[i]
  if (sign === PLUS || sign === MINUS) i++
  const digitsStart = i
  while (isDigit(bytes[i])) i++
  if (i === digitsStart || i - at > 15) return -1
  const token = asciiText(bytes, at, i)
  const value = Number(token)
  if (String(value) !== token) return -1
  return (Number.isSafeInteger(value) ? 'l' : 'd') === kind ? i : -1
}

/** ASCII bytes as text. */
function asciiText(bytes: Uint8Array, from: number, to: number): string {
  let text = ''
  for (let i = from; i < to; i++) text += String.fromCharCode(bytes[i])
  return text
}

const isDigit = (b: number) => b >= ZERO && b <= NINE

const SPACE = 0x20
const QUOTE = 0x22
const PLUS = 0x2b
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const UPPER_E = 0x45
const OPEN_BRACKET = 0x5b
const BACKSLASH = 0x5c
const CLOSE_BRACKET = 0x5d
const LOWER_A = 0x61
const LOWER_E = 0x65
const LOWER_F = 0x66
const LOWER_L = 0x6c
const LOWER_N = 0x6e
const LOWER_R = 0x72
const LOWER_S = 0x73
const LOWER_T = 0x74
const LOWER_U = 0x75
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
