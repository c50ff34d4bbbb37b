/**
 * Matching a message's JSON text against a known shape without parsing it. Most topics carry one
 * shape, written compactly by JSON.stringify or its equivalent in other languages; for such a
 * message, the decoder's answer is fixed before the value is read: the shape's schema, and the
 * text itself as the serialised row. So the text is checked against the shape's template
 * (shape.ts), character by character, and JSON.parse runs only when the row is asked for.
 *
 * textHasShape(text, template) is true exactly when the slow path would give the same answer:
 * the text is valid JSON whose value, read exactly (json-text.ts), has the template's shape and
 * is its own JSON.stringify text (isOwnStringify). It is false whenever unsure (whitespace, any
 * escape, a number in a form JavaScript would not print, more than 15 digits): the slow path then
 * decides. test/decode/shape-fast-paths.test.ts holds it to that definition over random values.
 */
import { stringKind, type ShapeTemplate } from './shape'

/** A control character (invalid in a JSON string, and no compact text has whitespace) or a backslash (an escape). */
const NOT_PLAIN = /[\u0000-\u001f\\]/

export function textHasShape(text: string, template: ShapeTemplate, dates = false): boolean {
  if (NOT_PLAIN.test(text) || !(text as string & { isWellFormed(): boolean }).isWellFormed()) return false
  return endOf(text, 0, template, dates) === text.length
}

/** Where the text of a value with this template ends when it starts at `at`, or -1. */
function endOf(text: string, at: number, template: ShapeTemplate, dates: boolean): number {
  if (typeof template === 'string') {
    switch (template) {
      case 'n': return text.startsWith('null', at) ? at + 4 : -1
      case 'b': return text.startsWith('true', at) ? at + 4 : text.startsWith('false', at) ? at + 5 : -1
      case 'l': case 'd': return endOfNumber(text, at, template)
      default: return endOfString(text, at, template, dates)
    }
  }
  if ('elements' in template) {
    if (text.charCodeAt(at++) !== OPEN_BRACKET) return -1
    const elements = template.elements
    if (text.charCodeAt(at) === CLOSE_BRACKET) return elements.length === 0 ? at + 1 : -1
    // Runs of elements per template element, as in hasShape: two consecutive templates differ,
    // so an element matches at most one of them and the greedy choice is the only one.
    let run = -1
    for (;;) {
      let end = run >= 0 ? endOf(text, at, elements[run], dates) : -1
      if (end < 0) {
        if (++run >= elements.length) return -1
        end = endOf(text, at, elements[run], dates)
        if (end < 0) return -1
      }
      const next = text.charCodeAt(end)
      if (next === CLOSE_BRACKET) return run === elements.length - 1 ? end + 1 : -1
      if (next !== COMMA) return -1
      at = end + 1
    }
  }
  if (text.charCodeAt(at++) !== OPEN_BRACE) return -1
  const { quoted, fields } = template
  for (let i = 0; i < fields.length; i++) {
    if (i > 0 && text.charCodeAt(at++) !== COMMA) return -1
    // The key's JSON text and the colon; a key that needs escapes never matches (no backslash).
    if (!text.startsWith(quoted[i], at)) return -1
    at = endOf(text, at + quoted[i].length, fields[i], dates)
    if (at < 0) return -1
  }
  return text.charCodeAt(at) === CLOSE_BRACE ? at + 1 : -1
}

/**
 * A string without escapes (the whole text has no backslash): it ends at the next quote, and its
 * kind is 's' unless it could be a timestamp or a date (see stringKind), which then decides.
 */
function endOfString(text: string, at: number, kind: string, dates: boolean): number {
  if (text.charCodeAt(at) !== QUOTE) return -1
  const end = text.indexOf('"', at + 1)
  if (end < 0) return -1
  const length = end - at - 1
  const mayBeTime = (length >= 16 && length <= 40 && text.charCodeAt(at + 5) === MINUS) || (dates && length === 10)
  const actual = mayBeTime ? stringKind(text.slice(at + 1, end), dates) : 's'
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
function endOfNumber(text: string, at: number, kind: 'l' | 'd'): number {
  let i = at
  if (text.charCodeAt(i) === MINUS) i++
  const integerStart = i
  while (isDigit(text.charCodeAt(i))) i++
  const integerDigits = i - integerStart
  if (integerDigits === 0 || (integerDigits > 1 && text.charCodeAt(integerStart) === ZERO)) return -1
  let fractionDigits = 0
  if (text.charCodeAt(i) === DOT) {
    const fractionStart = ++i
    while (isDigit(text.charCodeAt(i))) i++
    fractionDigits = i - fractionStart
    if (fractionDigits === 0) return -1
  }
  const next = text.charCodeAt(i)
  if (next === LOWER_E || next === UPPER_E) return endOfExponentNumber(text, at, i, kind)
  if (fractionDigits === 0) {
    // '-0' is printed '0'.
    if (kind !== 'l' || (integerDigits === 1 && i - at === 2 && text.charCodeAt(integerStart) === ZERO)) return -1
    if (integerDigits <= 15) return i
    return integerDigits === 16 && Number.isSafeInteger(Number(text.slice(at, i))) ? i : -1
  }
  if (kind !== 'd' || text.charCodeAt(i - 1) === ZERO || integerDigits + fractionDigits > 15) return -1
  if (integerDigits === 1 && text.charCodeAt(integerStart) === ZERO) {
    let zeros = 0
    while (text.charCodeAt(integerStart + 2 + zeros) === ZERO) zeros++
    if (zeros >= 6) return -1
  }
  return i
}

/** A number with an exponent (rare): compared with how JavaScript prints it; short ones only. */
function endOfExponentNumber(text: string, at: number, i: number, kind: 'l' | 'd'): number {
  i++
  const sign = text.charCodeAt(i)
  if (sign === PLUS || sign === MINUS) i++
  const digitsStart = i
  while (isDigit(text.charCodeAt(i))) i++
  if (i === digitsStart || i - at > 15) return -1
  const token = text.slice(at, i)
  const value = Number(token)
  if (String(value) !== token) return -1
  return (Number.isSafeInteger(value) ? 'l' : 'd') === kind ? i : -1
}

const isDigit = (c: number) => c >= ZERO && c <= NINE

const QUOTE = 0x22
const PLUS = 0x2b
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const UPPER_E = 0x45
const LOWER_E = 0x65
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
