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

/** The value's shape, or undefined when inference could change a value (see above). */
export function shapeOf(value: unknown, dates = false): string | undefined {
  if (value === null) return 'n'
  switch (typeof value) {
    case 'boolean': return 'b'
    case 'number':
      if (Number.isSafeInteger(value)) return 'l'
      return Number.isFinite(value) ? 'd' : undefined
    case 'string': return stringKind(value, dates)
    case 'object': break
    default: return undefined
  }
  if (value instanceof JsonNumber) return undefined
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

/**
 * The form timestampFromMicros writes: seconds always, then milliseconds when not .000, then
 * microseconds when not …000, then 'Z'. Such text with a valid date and time is kept as it is.
 */
const NORMALISED_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.(\d{3})(\d{3})?)?Z$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function normalisedTimestamp(value: string): boolean {
  const m = NORMALISED_TIMESTAMP.exec(value)
  if (!m) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return false
  return m[6] !== undefined ? m[6] !== '000' : m[5] !== '000'
}

/** Mirrors infer.ts's typeString: 't' only when inference would keep the text as it is. */
function stringKind(value: string, dates: boolean): string | undefined {
  if (value.length >= 16 && value.length <= 40 && value.charCodeAt(4) === 0x2d) {
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
