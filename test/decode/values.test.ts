import assert from 'node:assert/strict'
import { test } from 'node:test'
import { JsonNumber, parseJsonText } from '../../src/decode/json-text'
import {
  dateFromDays,
  decimalFromNumberText,
  decimalText,
  parseZonedTimestamp,
  timeFromMicros,
  timestampFromMicros,
  timestampFromNanos,
  twosComplement,
} from '../../src/decode/values'

test('timestamps: UTC with Z, milliseconds or microseconds only when present, years 1 to 9999', () => {
  assert.equal(timestampFromMicros(0n), '1970-01-01T00:00:00Z')
  assert.equal(timestampFromMicros(1_000n), '1970-01-01T00:00:00.001Z')
  assert.equal(timestampFromMicros(1n), '1970-01-01T00:00:00.000001Z')
  assert.equal(timestampFromMicros(-1n), '1969-12-31T23:59:59.999999Z')
  assert.equal(timestampFromNanos(-1n), '1969-12-31T23:59:59.999999Z')
  assert.equal(timestampFromMicros(253402300799999999n), '9999-12-31T23:59:59.999999Z')
  assert.equal(timestampFromMicros(parseZonedTimestamp('0001-01-01T00:00:00Z')!), '0001-01-01T00:00:00Z')
  assert.equal(timestampFromMicros(parseZonedTimestamp('0099-06-01T12:00:00-0130')!), '0099-06-01T13:30:00Z')
  assert.equal(parseZonedTimestamp('2024-01-01T00:00:00.1234567891Z'), undefined, 'more than 9 fraction digits')
  assert.equal(timestampFromMicros(parseZonedTimestamp('2024-01-01T00:00:00.123456789Z')!), '2024-01-01T00:00:00.123456Z', 'nanoseconds cut')
  assert.equal(parseZonedTimestamp('2023-02-29T00:00:00Z'), undefined)
  assert.equal(parseZonedTimestamp('2024-01-01T00:00:60Z'), undefined)
  assert.throws(() => timestampFromMicros(10n ** 20n), /outside the range/)
})

test('dates and times', () => {
  assert.equal(dateFromDays(0), '1970-01-01')
  assert.equal(dateFromDays(19_439), '2023-03-23')
  assert.equal(dateFromDays(-719_162), '0001-01-01')
  assert.equal(timeFromMicros(36_803_000_000n), '10:13:23')
  assert.equal(timeFromMicros(86_399_999_999n), '23:59:59.999999')
  assert.equal(timeFromMicros(3_020_399_000_000n), '838:59:59', 'MySQL TIME passes 24 h')
  assert.equal(timeFromMicros(-1_500_000n), '-00:00:01.500')
})

test('decimals from two’s-complement bytes and from number text, exact', () => {
  assert.equal(twosComplement(Uint8Array.from([0xff])), -1n)
  assert.equal(twosComplement(Uint8Array.from([0x00, 0x80])), 128n)
  assert.equal(twosComplement(new Uint8Array(0)), 0n)
  assert.equal(decimalText(12345n, 2), '123.45')
  assert.equal(decimalText(-5n, 3), '-0.005')
  assert.equal(decimalText(0n, 2), '0.00')
  assert.equal(decimalText(123n, -2), '12300')
  assert.throws(() => decimalText(12345n, 2, 4), /more than the 4 digits/)
  assert.equal(decimalFromNumberText('123456789876543212345678987654321.110', 3), '123456789876543212345678987654321.110')
  assert.equal(decimalFromNumberText('1.1', 1, 2), '1.1')
  assert.equal(decimalFromNumberText('-1.5e-2', 3), '-0.015')
  assert.equal(decimalFromNumberText('1E+3', 0), '1000')
  assert.equal(decimalFromNumberText('2.50', 1), '2.5', 'trailing zeros beyond the scale are fine')
  assert.throws(() => decimalFromNumberText('2.55', 1), /more than 1 fraction digits/)
})

test('the exact JSON reader keeps long numbers and matches JSON.parse otherwise', () => {
  const text =
    '{"a": 1731327512006319782, "b": [0.1, -0, 1e400, 12345678901234567.5], "s": "x\\"y\\u00e9 1234567890123456789", "n": null, "t": true, "f": false, "e": {}, "l": []}'
  const parsed = parseJsonText(text)
  assert.ok(parsed.ok)
  const value = parsed.value as Record<string, unknown>
  assert.deepEqual(value.a, new JsonNumber('1731327512006319782'))
  const b = value.b as unknown[]
  // 1e400 would be Infinity: kept as its text, like the long numbers.
  assert.deepEqual(b.slice(0, 3), [0.1, -0, new JsonNumber('1e400')])
  assert.deepEqual(b[3], new JsonNumber('12345678901234567.5'))
  const plain = JSON.parse(text)
  for (const key of ['s', 'n', 't', 'f', 'e', 'l']) assert.deepEqual(value[key], plain[key], key)
  // Only number tokens trigger the exact reader: digits inside strings come back from JSON.parse.
  const inString = parseJsonText('{"id": "12345678901234567890"}')
  assert.deepEqual(inString.ok && inString.value, { id: '12345678901234567890' })
})
