/**
 * Protobuf messages (protobufjs types) as Delta types, and decoded messages as JSON-safe rows.
 *  - int32, sint32, sfixed32 → integer; uint32, fixed32, int64, sint64, sfixed64 → long;
 *    uint64, fixed64 → decimal(20,0), the narrowest exact type for 0 … 2^64−1 (a long would wrap
 *    past 2^63); float → float, double → double, bool → boolean, string → string, bytes → binary;
 *  - enum → string, the value's name (a number the schema does not name, which proto3's open
 *    enums allow, stays as its digits);
 *  - repeated → array, map<K, V> → map<K's type, V's type>, message → struct (a recursive one has
 *    no Delta type and is refused, as for Avro);
 *  - well-known types: google.protobuf.Timestamp → timestamp (µs, as Delta keeps), Duration →
 *    string in ProtoJSON form ('1.5s': Delta has no interval), the wrappers (Int64Value,
 *    StringValue, …) → their scalar, null when absent; Struct, Value, ListValue → string holding
 *    the JSON document; Any → struct<type_url, value>; google.type.Date → date, TimeOfDay →
 *    'HH:MM:SS[.ffffff]' string, confluent.type.Decimal → string with the exact digits (each
 *    value carries its own scale);
 *  - every column is nullable. A field with presence (a message, a oneof member, proto3
 *    `optional`, proto2 optional) is null when the message does not hold it; a proto3 field
 *    without presence reads as its default (0, '', false, the first enum name), because on the
 *    wire an unset field and a field set to its default are the same bytes — as Confluent's
 *    ProtobufConverter reads them. Repeated and map fields are [] and {} when empty.
 *  - oneof members are columns of their own (as in ProtoJSON and Spark's from_protobuf), at most
 *    one of them set.
 */
import protobuf from 'protobufjs'
import type { DataType, StructField, StructType } from '../delta'
import { ValueError } from './errors'
import { base64, dateFromDays, decimalText, doubleValue, longValue, setField, timeFromMicros, timestampFromMicros, twosComplement } from './values'

const UNSIGNED_64: DataType = 'decimal(20,0)'

const SCALARS: Record<string, DataType> = {
  int32: 'integer',
  sint32: 'integer',
  sfixed32: 'integer',
  uint32: 'long',
  fixed32: 'long',
  int64: 'long',
  sint64: 'long',
  sfixed64: 'long',
  uint64: UNSIGNED_64,
  fixed64: UNSIGNED_64,
  float: 'float',
  double: 'double',
  bool: 'boolean',
  string: 'string',
  bytes: 'binary',
}

const WRAPPERS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
}

const TIMESTAMP = '.google.protobuf.Timestamp'
const DURATION = '.google.protobuf.Duration'
const JSON_TYPES = new Set(['.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue'])
const DATE = '.google.type.Date'
const TIME_OF_DAY = '.google.type.TimeOfDay'
const DECIMAL = '.confluent.type.Decimal'

/** The Delta type of a message whose fields are a row's columns. */
export function protobufStruct(type: protobuf.Type, visiting: Set<protobuf.Type> = new Set()): StructType {
  if (visiting.has(type)) throw new ValueError(`message ${type.fullName.slice(1)} is recursive, which a Delta schema cannot express`, 'unsupported-schema')
  visiting.add(type)
  const fields: StructField[] = type.fieldsArray.map((f) => ({ name: f.name, type: fieldType(f, visiting), nullable: true, metadata: {} }))
  visiting.delete(type)
  return { type: 'struct', fields }
}

function fieldType(field: protobuf.Field, visiting: Set<protobuf.Type>): DataType {
  if (field instanceof protobuf.MapField) {
    return { type: 'map', keyType: SCALARS[field.keyType] ?? 'string', valueType: elementType(field, visiting), valueContainsNull: true }
  }
  const element = elementType(field, visiting)
  return field.repeated ? { type: 'array', elementType: element, containsNull: true } : element
}

function elementType(field: protobuf.Field, visiting: Set<protobuf.Type>): DataType {
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) return 'string'
  if (resolved instanceof protobuf.Type) return messageType(resolved, visiting)
  const scalar = SCALARS[field.type]
  if (!scalar) throw new ValueError(`field ${field.fullName.slice(1)} has type ${field.type}, which is not a Protobuf scalar`, 'unsupported-schema')
  return scalar
}

function messageType(type: protobuf.Type, visiting: Set<protobuf.Type>): DataType {
  const name = type.fullName
  if (name === TIMESTAMP) return 'timestamp'
  if (name === DATE) return 'date'
  if (name === DURATION || name === TIME_OF_DAY || name === DECIMAL || JSON_TYPES.has(name)) return 'string'
  if (WRAPPERS[name]) return SCALARS[WRAPPERS[name]]
  return protobufStruct(type, visiting)
}

/** A decoded message's fields as a JSON-safe row, following the rules in the header. */
export function protobufRow(type: protobuf.Type, message: protobuf.Message): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const values = message as unknown as Record<string, unknown>
  for (const field of type.fieldsArray) {
    const own = Object.prototype.hasOwnProperty.call(values, field.name)
    const value = own ? values[field.name] : undefined
    setField(out, field.name, fieldValue(field, value, own))
  }
  return out
}

function fieldValue(field: protobuf.Field, value: unknown, present: boolean): unknown {
  if (field instanceof protobuf.MapField) {
    const map: Record<string, unknown> = {}
    if (present && value) for (const [key, v] of Object.entries(value as object)) setField(map, mapKey(field.keyType, key), elementValue(field, v))
    return map
  }
  if (field.repeated) return present && Array.isArray(value) ? value.map((v) => elementValue(field, v)) : []
  if (!present || value === null || value === undefined) {
    if (field.hasPresence || field.resolvedType instanceof protobuf.Type) return null
    return elementValue(field, field.typeDefault)
  }
  return elementValue(field, value)
}

/** protobufjs keys a 64-bit map key by its 8-byte hash form; the column wants the number's digits. */
function mapKey(keyType: string, key: string): string {
  if (!/^(u?int64|s?fixed64|sint64)$/.test(keyType) || /^-?\d+$/.test(key)) return key
  const long = protobuf.util.LongBits.fromHash(key).toLong(keyType === 'uint64' || keyType === 'fixed64')
  return long.toString()
}

function elementValue(field: protobuf.Field, value: unknown): unknown {
  if (value === null || value === undefined) return null
  const resolved = field.resolvedType
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? String(value)
  if (resolved instanceof protobuf.Type) return messageValue(resolved, value as protobuf.Message)
  return scalarValue(field.type, value)
}

function scalarValue(type: string, value: unknown): unknown {
  switch (type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return longValue(bigOf(value))
    case 'uint64':
    case 'fixed64':
      return decimalText(bigOf(value, true), 0, 20)
    case 'float':
    case 'double':
      return doubleValue(value as number)
    case 'bytes':
      return value instanceof Uint8Array ? base64(value) : Buffer.from(value as string | number[]).toString('base64')
  }
  return value
}

/** protobufjs reads 64-bit integers as Long objects (or numbers when they are small enough). */
function bigOf(value: unknown, unsigned = false): bigint {
  if (typeof value === 'number') return BigInt(value)
  if (typeof value === 'string') return BigInt(value)
  const long = value as { low: number; high: number; unsigned?: boolean }
  const big = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0)
  return unsigned || long.unsigned ? big : BigInt.asIntN(64, big)
}

function messageValue(type: protobuf.Type, message: protobuf.Message): unknown {
  const name = type.fullName
  const fields = message as unknown as Record<string, unknown>
  if (name === TIMESTAMP) {
    const nanos = Number(fields.nanos ?? 0)
    return timestampFromMicros(bigOf(fields.seconds ?? 0) * 1_000_000n + BigInt(Math.trunc(nanos / 1000)))
  }
  if (name === DURATION) return durationText(bigOf(fields.seconds ?? 0), Number(fields.nanos ?? 0))
  if (name === DATE) return dateValue(fields)
  if (name === TIME_OF_DAY) {
    const [h, m, s, n] = ['hours', 'minutes', 'seconds', 'nanos'].map((k) => BigInt(Number(fields[k] ?? 0)))
    return timeFromMicros(((h * 60n + m) * 60n + s) * 1_000_000n + n / 1000n)
  }
  if (name === DECIMAL) return decimalText(twosComplement((fields.value as Uint8Array | undefined) ?? new Uint8Array()), Number(fields.scale ?? 0))
  if (JSON_TYPES.has(name)) return JSON.stringify(jsonOf(name, fields))
  if (WRAPPERS[name]) return scalarValue(WRAPPERS[name], fields.value ?? defaultOf(WRAPPERS[name]))
  return protobufRow(type, message)
}

function defaultOf(scalar: string): unknown {
  if (scalar === 'string') return ''
  if (scalar === 'bool') return false
  if (scalar === 'bytes') return new Uint8Array()
  return 0
}

/** google.type.Date: year, month and day; a 0 month or day (a partial date) has no Delta date and is refused. */
function dateValue(fields: Record<string, unknown>): string {
  const [year, month, day] = [fields.year, fields.month, fields.day].map((v) => Number(v ?? 0))
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  if (year < 1 || month < 1 || day < 1 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new ValueError(`google.type.Date ${year}-${month}-${day} is not a full calendar date`)
  }
  return dateFromDays(date.getTime() / 86_400_000)
}

/** ProtoJSON's Duration form: seconds with 0, 3, 6 or 9 fraction digits and an 's'. */
function durationText(seconds: bigint, nanos: number): string {
  const negative = seconds < 0n || nanos < 0
  const whole = (seconds < 0n ? -seconds : seconds).toString()
  const fraction = Math.abs(nanos)
  if (fraction === 0) return `${negative ? '-' : ''}${whole}s`
  let digits = String(fraction).padStart(9, '0')
  while (digits.endsWith('000')) digits = digits.slice(0, -3)
  return `${negative ? '-' : ''}${whole}.${digits}s`
}

/** google.protobuf.Struct, Value and ListValue as the JSON they stand for (field names as protobufjs ships them, or snake_case from a .proto). */
function jsonOf(name: string, fields: Record<string, unknown>): unknown {
  if (name === '.google.protobuf.Struct') {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries((fields.fields ?? {}) as object))
      setField(out, key, jsonOf('.google.protobuf.Value', value as Record<string, unknown>))
    return out
  }
  if (name === '.google.protobuf.ListValue') return ((fields.values ?? []) as Record<string, unknown>[]).map((v) => jsonOf('.google.protobuf.Value', v))
  const pick = (camel: string, snake: string) => (Object.prototype.hasOwnProperty.call(fields, camel) ? fields[camel] : fields[snake])
  const number = pick('numberValue', 'number_value')
  if (number !== undefined && number !== null) return Number.isFinite(number) ? number : String(number)
  const text = pick('stringValue', 'string_value')
  if (text !== undefined && text !== null) return text
  const bool = pick('boolValue', 'bool_value')
  if (bool !== undefined && bool !== null) return bool
  const struct = pick('structValue', 'struct_value')
  if (struct) return jsonOf('.google.protobuf.Struct', struct as Record<string, unknown>)
  const list = pick('listValue', 'list_value')
  if (list) return jsonOf('.google.protobuf.ListValue', list as Record<string, unknown>)
  return null
}
