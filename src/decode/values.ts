/**
 * The JSON-safe form of each kind of value the decoders emit. Rows go to DuckDB as NDJSON with
 * the table's column types, so every value must survive JSON text and cast back exactly:
 * integers beyond ±2^53 and decimals as digit strings, dates as 'YYYY-MM-DD', timestamps as
 * ISO-8601 in UTC with 'Z', bytes as base64, non-finite doubles as 'NaN' / 'Infinity' strings.
 */

import { ValueError } from './errors'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** A 64-bit integer as a JSON number when exact, else as its decimal digits. */
export function longValue(value: bigint): number | string {
  if (value < INT64_MIN || value > INT64_MAX) throw new ValueError(`${value} is outside the range of a 64-bit integer`)
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : value.toString()
}

export function fitsInt64(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX
}

/** NaN and the infinities have no JSON number form; DuckDB casts these strings to DOUBLE. */
export function doubleValue(value: number): number | string {
  if (Number.isFinite(value)) return value
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** The signed big-endian two's-complement integer in `bytes` (Connect and Avro decimals). */
export function twosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  if (bytes[0] & 0x80) value -= 1n << BigInt(bytes.length * 8)
  return value
}

/**
 * A decimal's text from its unscaled integer, always with exactly `scale` fraction digits.
 * `precision` (when known) is checked: a value with more digits would fail the cast later.
 */
export function decimalText(unscaled: bigint, scale: number, precision?: number): string {
  const negative = unscaled < 0n
  let digits = (negative ? -unscaled : unscaled).toString()
  if (scale < 0) {
    digits = digits === '0' ? '0' : digits + '0'.repeat(-scale)
    scale = 0
  }
  if (precision !== undefined && digits.replace(/^0+/, '').length > precision) {
    throw new ValueError(`${digits} has more than the ${precision} digits of decimal(${precision},${scale})`)
  }
  digits = digits.padStart(scale + 1, '0')
  const whole = digits.slice(0, digits.length - scale)
  const text = scale > 0 ? `${whole}.${digits.slice(digits.length - scale)}` : whole
  return negative && unscaled !== 0n ? `-${text}` : text
}

const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/** A number's digits without sign, point, exponent and the zeros around them: '-0.0250e3' → '25'. */
export function significantDigits(text: string): string {
  return text
    .replace(/[eE].*$/, '')
    .replace(/[-.]/g, '')
    .replace(/^0+|0+$/g, '')
}

/** Whether a JSON number's text is past a double's range: Infinity as a double, or zero though its digits are not. */
export function pastDoubleRange(text: string): boolean {
  const n = Number(text)
  return !Number.isFinite(n) || (n === 0 && significantDigits(text) !== '')
}

/**
 * A decimal's text from a JSON number's source text (JsonConverter `decimal.format=NUMERIC`),
 * exact: the digits are shifted, never passed through a double.
 */
export function decimalFromNumberText(text: string, scale: number, precision?: number): string {
  const match = NUMBER_TEXT.exec(text)
  if (!match) throw new ValueError(`'${text}' is not a decimal number`)
  const [, sign, whole, fraction = '', exponent = '0'] = match
  let digits = whole + fraction
  // The number is digits × 10^(exp - fraction.length); we want it × 10^scale as an integer.
  const shift = Number(exponent) - fraction.length + scale
  if (shift >= 0) digits += '0'.repeat(shift)
  else {
    const dropped = digits.slice(digits.length + shift)
    if (/[1-9]/.test(dropped)) throw new ValueError(`${text} has more than ${scale} fraction digits`)
    digits = digits.slice(0, digits.length + shift) || '0'
  }
  const unscaled = BigInt(digits)
  return decimalText(sign === '-' ? -unscaled : unscaled, scale, precision)
}

const MAX_MILLIS = 8_640_000_000_000_000

/** 'YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z': milliseconds shown when present, microseconds when present. */
export function timestampFromMicros(micros: bigint): string {
  let millis: number
  let sub: number
  const total = Number(micros)
  if (Number.isSafeInteger(total)) {
    // Years 1685–2255: number arithmetic is exact and much cheaper than bigint division.
    millis = Math.floor(total / 1000)
    sub = total - millis * 1000
  } else {
    let big = micros / 1000n
    let rest = micros % 1000n
    if (rest < 0n) {
      rest += 1000n
      big -= 1n
    }
    millis = Number(big)
    sub = Number(rest)
  }
  if (Math.abs(millis) > MAX_MILLIS) throw new ValueError(`${micros} µs is outside the range of a timestamp`)
  const iso = new Date(millis).toISOString()
  const ms = iso.slice(-4, -1)
  const head = iso.slice(0, -5)
  if (sub !== 0) return `${head}.${ms}${String(sub).padStart(3, '0')}Z`
  return ms === '000' ? `${head}Z` : `${head}.${ms}Z`
}

export function timestampFromMillis(millis: bigint): string {
  return timestampFromMicros(millis * 1000n)
}

/** Nanoseconds are cut to microseconds: the precision of a Delta timestamp. */
export function timestampFromNanos(nanos: bigint): string {
  let micros = nanos / 1000n
  if (nanos < 0n && nanos % 1000n !== 0n) micros -= 1n
  return timestampFromMicros(micros)
}

export function dateFromDays(days: number): string {
  const millis = days * 86_400_000
  if (!Number.isInteger(days) || Math.abs(millis) > MAX_MILLIS) throw new ValueError(`${days} days is outside the range of a date`)
  return new Date(millis).toISOString().slice(0, -14)
}

/**
 * A time of day (or a MySQL TIME duration, which may be negative or past 24 h) as
 * '[-]HH:MM:SS[.fff[fff]]'. Delta has no time type: the text sorts and casts to DuckDB TIME.
 */
export function timeFromMicros(micros: bigint): string {
  const negative = micros < 0n
  let rest = negative ? -micros : micros
  const fraction = rest % 1_000_000n
  rest /= 1_000_000n
  const seconds = rest % 60n
  rest /= 60n
  const minutes = rest % 60n
  const hours = rest / 60n
  const two = (n: bigint) => n.toString().padStart(2, '0')
  let text = `${two(hours)}:${two(minutes)}:${two(seconds)}`
  if (fraction !== 0n) {
    const six = fraction.toString().padStart(6, '0')
    text += `.${six.endsWith('000') ? six.slice(0, 3) : six}`
  }
  return negative ? `-${text}` : text
}

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])
}

/** Milliseconds since the epoch of a UTC civil time; Date.UTC would map years 0–99 to 1900–1999. */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second)
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  return date.getTime()
}

/**
 * Microseconds since the epoch of an ISO-8601 date-time that carries a zone ('Z' or an offset),
 * or undefined when the text is not one (including impossible dates such as February 30).
 */
export function parseZonedTimestamp(text: string): bigint | undefined {
  const m = ISO_TIMESTAMP.exec(text)
  if (!m) return undefined
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number)
  const second = m[6] === undefined ? 0 : Number(m[6])
  if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  const zone = m[8]
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const millis = utcMillis(year, month, day, hour, minute, second) - offsetMinutes * 60_000
  const micros = BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6))
  return BigInt(millis) * 1000n + micros
}

export function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text)
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]))
}

/** Sets a property even when it is named `__proto__`, which plain assignment would not create. */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}
