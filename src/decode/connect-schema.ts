/**
 * Kafka Connect schemas (as JsonConverter prints them with `schemas.enable=true`) to Delta types,
 * and payload values to their JSON-safe form under that schema. Logical types by `name`:
 *  - Connect Decimal (base64 two's-complement bytes, or a JSON number under
 *    `decimal.format=NUMERIC`) → decimal(p,s), p from `connect.decimal.precision` (38 without
 *    it); past 38 digits Delta has no decimal, so → string holding the exact digits;
 *  - io.debezium.data.VariableScaleDecimal ({scale, value}) → string: each value has its own
 *    scale, which no single decimal(p,s) holds exactly;
 *  - Connect/Debezium Date (days) and IsoDate → date;
 *  - Connect Timestamp, Debezium Timestamp / MicroTimestamp / NanoTimestamp (epoch counts) and
 *    ZonedTimestamp / IsoTimestamp (ISO text) → timestamp. Timestamp and MicroTimestamp carry a
 *    DATETIME's wall clock without a zone; like Debezium's own epoch encoding we read it as UTC;
 *  - Connect Time, Debezium Time / MicroTime / NanoTime → string '[-]HH:MM:SS[.ffffff]': Delta
 *    has no time type and MySQL TIME is a duration that may pass 24 h or be negative;
 *  - Json, Xml, Enum, EnumSet, Uuid, ZonedTime... stay strings; Bits and bytes → binary;
 *    geometry structs stay structs ({wkb: binary, srid}).
 * int8/int16 become byte/short, as declared. Every column is nullable, `optional: false` or
 * not: NOT NULL is the source's constraint, and a raw table enforcing it would dead-letter rows
 * the day the source relaxes it (or, as in the docs, a producer leaves a field out).
 */
import type { DataType, StructField, StructType } from '../delta'
import { ValueError } from './errors'
import { isJsonObject, JsonNumber } from './json-text'
import {
  dateFromDays,
  decimalFromNumberText,
  decimalText,
  doubleValue,
  isIsoDate,
  longValue,
  parseZonedTimestamp,
  setField,
  timeFromMicros,
  timestampFromMicros,
  timestampFromMillis,
  timestampFromNanos,
  twosComplement,
} from './values'

export interface ConnectSchema {
  type: string
  optional?: boolean
  name?: string
  version?: number
  parameters?: Record<string, string>
  field?: string
  fields?: ConnectSchema[]
  items?: ConnectSchema
  keys?: ConnectSchema
  values?: ConnectSchema
}

export function isConnectSchema(value: unknown): value is ConnectSchema {
  return isJsonObject(value) && typeof value.type === 'string'
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal'
const MAX_PRECISION = 38

function decimalParameters(schema: ConnectSchema): { precision?: number; scale: number } {
  const scale = Number(schema.parameters?.scale ?? 0)
  const precisionText = schema.parameters?.['connect.decimal.precision']
  return { scale, precision: precisionText === undefined ? undefined : Number(precisionText) }
}

const LOGICAL_TYPES: Record<string, DataType> = {
  'io.debezium.data.VariableScaleDecimal': 'string',
  'org.apache.kafka.connect.data.Date': 'date',
  'io.debezium.time.Date': 'date',
  'io.debezium.time.IsoDate': 'date',
  'org.apache.kafka.connect.data.Timestamp': 'timestamp',
  'io.debezium.time.Timestamp': 'timestamp',
  'io.debezium.time.MicroTimestamp': 'timestamp',
  'io.debezium.time.NanoTimestamp': 'timestamp',
  'io.debezium.time.ZonedTimestamp': 'timestamp',
  'io.debezium.time.IsoTimestamp': 'timestamp',
  'org.apache.kafka.connect.data.Time': 'string',
  'io.debezium.time.Time': 'string',
  'io.debezium.time.MicroTime': 'string',
  'io.debezium.time.NanoTime': 'string',
}

const PRIMITIVES: Record<string, DataType> = {
  int8: 'byte',
  int16: 'short',
  int32: 'integer',
  int64: 'long',
  float32: 'float',
  float64: 'double',
  double: 'double',
  float: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'binary',
}

export function connectToDelta(schema: ConnectSchema): DataType {
  if (schema.name === DECIMAL) {
    const { precision, scale } = decimalParameters(schema)
    const p = precision ?? MAX_PRECISION
    return p <= MAX_PRECISION && scale >= 0 && scale <= p ? `decimal(${p},${scale})` : 'string'
  }
  if (schema.name && LOGICAL_TYPES[schema.name]) return LOGICAL_TYPES[schema.name]
  switch (schema.type) {
    case 'struct':
      return connectStruct(schema)
    case 'array':
      return { type: 'array', elementType: connectToDelta(schema.items ?? { type: 'string' }), containsNull: true }
    case 'map':
      return {
        type: 'map',
        keyType: connectToDelta(schema.keys ?? { type: 'string' }),
        valueType: connectToDelta(schema.values ?? { type: 'string' }),
        valueContainsNull: true,
      }
  }
  const primitive = PRIMITIVES[schema.type.toLowerCase()]
  if (!primitive) throw new ValueError(`Connect schema type '${schema.type}' is not supported`, 'unsupported-schema')
  return primitive
}

export function connectStruct(schema: ConnectSchema): StructType {
  const fields: StructField[] = (schema.fields ?? []).map((field) => ({
    name: field.field ?? '',
    type: connectToDelta(field),
    nullable: true,
    metadata: {},
  }))
  return { type: 'struct', fields }
}

function integerOf(value: unknown, path: string): bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (value instanceof JsonNumber && value.isInteger) return BigInt(value.text)
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value)
  throw new ValueError(`'${path}' should be an integer but is ${JSON.stringify(value) ?? String(value)}`)
}

function stringOf(value: unknown, path: string): string {
  if (typeof value === 'string') return value
  throw new ValueError(`'${path}' should be a string but is ${JSON.stringify(value) ?? String(value)}`)
}

function bytesOf(value: unknown, path: string): Buffer {
  return Buffer.from(stringOf(value, path), 'base64')
}

/** The JSON-safe value of `value` under `schema`; `path` names it in errors. */
export function connectValue(value: unknown, schema: ConnectSchema, path: string): unknown {
  if (value === null || value === undefined) return null
  const name = schema.name
  if (name === DECIMAL) {
    const { precision, scale } = decimalParameters(schema)
    const limit = precision !== undefined && precision <= MAX_PRECISION ? precision : undefined
    if (typeof value === 'number' || value instanceof JsonNumber)
      return decimalFromNumberText(String(value instanceof JsonNumber ? value.text : value), scale, limit)
    return decimalText(twosComplement(bytesOf(value, path)), scale, limit)
  }
  switch (name) {
    case 'io.debezium.data.VariableScaleDecimal': {
      if (!isJsonObject(value)) throw new ValueError(`'${path}' should be a {scale, value} struct`)
      return decimalText(twosComplement(bytesOf(value.value, `${path}.value`)), Number(integerOf(value.scale, `${path}.scale`)))
    }
    case 'org.apache.kafka.connect.data.Date':
    case 'io.debezium.time.Date':
      return dateFromDays(Number(integerOf(value, path)))
    case 'io.debezium.time.IsoDate': {
      const text = stringOf(value, path).slice(0, 10)
      if (!isIsoDate(text)) throw new ValueError(`'${path}' is not an ISO date: ${String(value)}`)
      return text
    }
    case 'org.apache.kafka.connect.data.Timestamp':
    case 'io.debezium.time.Timestamp':
      return timestampFromMillis(integerOf(value, path))
    case 'io.debezium.time.MicroTimestamp':
      return timestampFromMicros(integerOf(value, path))
    case 'io.debezium.time.NanoTimestamp':
      return timestampFromNanos(integerOf(value, path))
    case 'io.debezium.time.ZonedTimestamp':
    case 'io.debezium.time.IsoTimestamp': {
      const micros = parseZonedTimestamp(stringOf(value, path))
      if (micros === undefined) throw new ValueError(`'${path}' is not an ISO-8601 timestamp with a zone: ${String(value)}`)
      return timestampFromMicros(micros)
    }
    case 'org.apache.kafka.connect.data.Time':
    case 'io.debezium.time.Time':
      return timeFromMicros(integerOf(value, path) * 1000n)
    case 'io.debezium.time.MicroTime':
      return timeFromMicros(integerOf(value, path))
    case 'io.debezium.time.NanoTime':
      return timeFromMicros(integerOf(value, path) / 1000n)
  }
  switch (schema.type.toLowerCase()) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return longValue(integerOf(value, path))
    case 'float32':
    case 'float64':
    case 'float':
    case 'double':
      if (typeof value === 'number') return doubleValue(value)
      if (value instanceof JsonNumber) return doubleValue(Number(value.text))
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value
      throw new ValueError(`'${path}' should be a number but is ${JSON.stringify(value)}`)
    case 'boolean':
      if (typeof value !== 'boolean') throw new ValueError(`'${path}' should be a boolean but is ${JSON.stringify(value)}`)
      return value
    case 'string':
      if (typeof value === 'string') return value
      // io.debezium.data.Json under some converters arrives parsed: keep its text, as the schema says.
      return JSON.stringify(value, (_, v) => (v instanceof JsonNumber ? Number(v.text) : v))
    case 'bytes':
      return stringOf(value, path)
    case 'array': {
      if (!Array.isArray(value)) throw new ValueError(`'${path}' should be an array`)
      return value.map((element, i) => connectValue(element, schema.items ?? { type: 'string' }, `${path}[${i}]`))
    }
    case 'map':
      return connectMap(value, schema, path)
    case 'struct':
      return connectStructValue(value, schema, path)
  }
  throw new ValueError(`Connect schema type '${schema.type}' is not supported`, 'unsupported-schema')
}

/** Fields in schema order; a payload field the schema does not declare cannot be typed and is left out. */
export function connectStructValue(value: unknown, schema: ConnectSchema, path: string): Record<string, unknown> {
  if (!isJsonObject(value)) throw new ValueError(`'${path}' should be a struct`)
  const out: Record<string, unknown> = {}
  for (const field of schema.fields ?? []) {
    const name = field.field ?? ''
    setField(out, name, connectValue(value[name], field, path ? `${path}.${name}` : name))
  }
  return out
}

/** JsonConverter writes maps with string keys as objects and all others as [key, value] pairs; both become objects. */
function connectMap(value: unknown, schema: ConnectSchema, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const valueSchema = schema.values ?? { type: 'string' }
  const entries: Array<[unknown, unknown]> = Array.isArray(value)
    ? value.map((pair) => (Array.isArray(pair) ? [pair[0], pair[1]] : [undefined, undefined]))
    : isJsonObject(value)
      ? Object.entries(value)
      : []
  if (!Array.isArray(value) && !isJsonObject(value)) throw new ValueError(`'${path}' should be a map`)
  for (const [key, entry] of entries) {
    const keyText = typeof key === 'string' ? key : key instanceof JsonNumber ? key.text : JSON.stringify(key)
    setField(out, keyText, connectValue(entry, valueSchema, `${path}.${keyText}`))
  }
  return out
}
