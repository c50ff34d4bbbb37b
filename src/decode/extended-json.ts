/**
 * MongoDB Extended JSON (v1 strict, v2 relaxed and canonical) to typed, JSON-safe values. The
 * wrappers, recognised only with exactly their own keys (so a document that merely has an `$oid`
 * field among others stays a document):
 *   $oid → string (24 hex digits)          $date (ISO text, {$numberLong}, or a number) → timestamp
 *   $numberLong → long                     $numberInt → integer
 *   $numberDouble → double ('NaN', 'Infinity', '-Infinity' kept as those strings)
 *   $numberDecimal → string: a Decimal128 has 34 digits and an exponent range no decimal(p,s) holds
 *   $binary (v1 {$binary, $type}, v2 {$binary: {base64, subType}}) → binary (base64, any subtype)
 *   $uuid → string                         $timestamp {t, i} → struct<t: long, i: long>
 *   $regularExpression / v1 $regex+$options → string '/pattern/options'
 *   $symbol, $code (with or without $scope) → string   $minKey / $maxKey → 'MinKey' / 'MaxKey'
 *   $undefined → null
 * Everything else is plain JSON and typed as such (infer.ts).
 */
import type { StructType } from '../delta'
import { ValueError } from './errors'
import { typeJsonValue, type SpecialObject } from './infer'
import { isJsonObject, JsonNumber, parseJsonText } from './json-text'
import { VOID, type Typed } from './types'
import { doubleValue, longValue, parseZonedTimestamp, timestampFromMicros, timestampFromMillis } from './values'

const TIMESTAMP_STRUCT: StructType = {
  type: 'struct',
  fields: [
    { name: 't', type: 'long', nullable: true, metadata: {} },
    { name: 'i', type: 'long', nullable: true, metadata: {} },
  ],
}

function integerText(value: unknown): string | undefined {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value
  if (typeof value === 'number' && Number.isInteger(value)) return String(value)
  if (value instanceof JsonNumber && value.isInteger) return value.text
  return undefined
}

function dateValue(value: unknown): Typed | undefined {
  if (typeof value === 'string') {
    const micros = parseZonedTimestamp(value)
    if (micros === undefined) throw new ValueError(`$date '${value}' is not an ISO-8601 timestamp with a zone`, 'invalid-extended-json')
    return { value: timestampFromMicros(micros), type: 'timestamp' }
  }
  const millis = integerText(isJsonObject(value) && Object.keys(value).length === 1 ? value.$numberLong : value)
  if (millis === undefined) return undefined
  return { value: timestampFromMillis(BigInt(millis)), type: 'timestamp' }
}

function only(object: Record<string, unknown>, ...keys: string[]): boolean {
  const own = Object.keys(object)
  return own.length === keys.length && keys.every((k) => k in object)
}

const wrapper: SpecialObject = (object) => {
  const keys = Object.keys(object)
  if (keys.length === 0 || keys.length > 2 || !keys[0].startsWith('$')) return undefined
  if (only(object, '$oid') && typeof object.$oid === 'string') return { value: object.$oid, type: 'string' }
  if (only(object, '$date')) return dateValue(object.$date)
  if (only(object, '$numberLong')) {
    const text = integerText(object.$numberLong)
    return text === undefined ? undefined : { value: longValue(BigInt(text)), type: 'long' }
  }
  if (only(object, '$numberInt')) {
    const text = integerText(object.$numberInt)
    return text === undefined ? undefined : { value: Number(text), type: 'integer' }
  }
  if (only(object, '$numberDouble') && typeof object.$numberDouble === 'string') {
    return { value: doubleValue(Number(object.$numberDouble)), type: 'double' }
  }
  if (only(object, '$numberDecimal') && typeof object.$numberDecimal === 'string') return { value: object.$numberDecimal, type: 'string' }
  if (only(object, '$binary', '$type') && typeof object.$binary === 'string') return { value: object.$binary, type: 'binary' }
  if (only(object, '$binary') && isJsonObject(object.$binary) && typeof object.$binary.base64 === 'string') {
    return { value: object.$binary.base64, type: 'binary' }
  }
  if (only(object, '$uuid') && typeof object.$uuid === 'string') return { value: object.$uuid, type: 'string' }
  if (only(object, '$timestamp') && isJsonObject(object.$timestamp)) {
    const t = integerText(object.$timestamp.t)
    const i = integerText(object.$timestamp.i)
    if (t !== undefined && i !== undefined) return { value: { t: Number(t), i: Number(i) }, type: TIMESTAMP_STRUCT }
  }
  if (only(object, '$regularExpression') && isJsonObject(object.$regularExpression)) {
    const { pattern, options } = object.$regularExpression
    return { value: `/${String(pattern)}/${String(options ?? '')}`, type: 'string' }
  }
  if ((only(object, '$regex', '$options') || only(object, '$regex')) && typeof object.$regex === 'string') {
    return { value: `/${object.$regex}/${String(object.$options ?? '')}`, type: 'string' }
  }
  if (only(object, '$symbol') && typeof object.$symbol === 'string') return { value: object.$symbol, type: 'string' }
  if ((only(object, '$code') || only(object, '$code', '$scope')) && typeof object.$code === 'string') return { value: object.$code, type: 'string' }
  if (only(object, '$minKey')) return { value: 'MinKey', type: 'string' }
  if (only(object, '$maxKey')) return { value: 'MaxKey', type: 'string' }
  if (only(object, '$undefined')) return { value: null, type: VOID }
  return undefined
}

/** Any Extended JSON value (already parsed as JSON) with its type. */
export function typeExtendedJson(value: unknown): Typed {
  return typeJsonValue(value, {}, wrapper)
}

/** Parses Extended JSON text; the document must be an object (a MongoDB document always is). */
export function parseExtendedJsonDocument(text: string, path: string): Typed {
  const parsed = parseJsonText(text)
  if (!parsed.ok)
    throw new ValueError(`'${path}' is not valid Extended JSON: ${parsed.detail}`, parsed.reason === 'too-deep' ? 'too-deep' : 'invalid-extended-json')
  if (!isJsonObject(parsed.value)) throw new ValueError(`'${path}' is not a document`, 'invalid-extended-json')
  return typeExtendedJson(parsed.value)
}

/** Extended JSON rewritten as plain JSON text with the values above (for update descriptions, patches, filters). */
export function extendedJsonAsText(value: unknown): string {
  return JSON.stringify(typeExtendedJson(value).value)
}
