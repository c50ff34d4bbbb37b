/**
 * Avro schemas as avsc types that read straight into JSON-safe values, and as Delta types.
 *  - long → bigint while reading (a double would round ts_ns), then a number or digit string;
 *  - logical types: decimal → decimal(p,s) (string beyond 38 digits), date → date,
 *    timestamp-millis/micros/nanos and local-timestamp-* → timestamp (a zone-less local time read
 *    as UTC, as for Debezium's DATETIME), time-millis/micros → '[-]HH:MM:SS[.ffffff]' string, uuid → string;
 *  - Debezium's Connect types that AvroConverter marks only with `connect.name` (no logicalType),
 *    e.g. io.debezium.time.Date on an int, map onto the same logical types, so Avro and JSON
 *    Debezium events give the same columns;
 *  - enum → string, bytes/fixed → binary (base64), map → map<string, V>, record → struct;
 *  - a union with null is its other branch; a union of numbers is the widest number;
 *    any other union is struct<member0, member1, …> with the one present branch set, as Spark does;
 *  - every column is nullable, as for Connect schemas (connect-schema.ts says why).
 * A recursive record has no Delta type and is refused.
 */
import avro from 'avsc'
import type { DataType, StructField } from '../delta'
import { DecodeError, ValueError } from './errors'
import { mergeTypes } from './merge'
import { VOID } from './types'
import {
  base64,
  dateFromDays,
  decimalText,
  doubleValue,
  longValue,
  parseZonedTimestamp,
  setField,
  timeFromMicros,
  timestampFromMicros,
  timestampFromMillis,
  timestampFromNanos,
  twosComplement,
} from './values'

type AvroType = avro.Type
type Schema = Record<string, unknown>

/** Reading only: the decoders never encode. */
abstract class DeltaLogicalType extends avro.types.LogicalType {
  abstract readonly deltaType: DataType
  protected override _toValue(): never {
    throw new DecodeError('encoding is not supported', { retriable: false })
  }
}

function logical(deltaType: DataType, convert: (value: never) => unknown) {
  return class extends DeltaLogicalType {
    readonly deltaType = deltaType
    protected override _fromValue(value: unknown): unknown {
      return convert(value as never)
    }
  }
}

class DecimalType extends DeltaLogicalType {
  readonly deltaType: DataType
  private readonly scale: number
  private readonly precision: number
  constructor(schema: Schema, options?: unknown) {
    super(schema as never, options)
    this.precision = Number(schema.precision)
    this.scale = Number(schema.scale ?? 0)
    if (!Number.isInteger(this.precision) || this.precision < 1 || this.scale < 0 || this.scale > this.precision) {
      throw new ValueError('invalid decimal') // avsc then reads the plain bytes, as the spec says for a bad logical type
    }
    this.deltaType = this.precision <= 38 ? `decimal(${this.precision},${this.scale})` : 'string'
  }
  protected override _fromValue(value: Buffer): string {
    return decimalText(twosComplement(value), this.scale, this.precision <= 38 ? this.precision : undefined)
  }
}

/** Debezium's VariableScaleDecimal record {scale, value}: exact text, as in connect-schema.ts. */
const VariableScaleDecimal = logical('string', (v: { scale: number; value: Buffer }) => decimalText(twosComplement(v.value), v.scale))

const ZonedTimestamp = logical('timestamp', (text: string) => {
  const micros = parseZonedTimestamp(text)
  if (micros === undefined) throw new ValueError(`'${text}' is not an ISO-8601 timestamp with a zone`)
  return timestampFromMicros(micros)
})

const LOGICAL_TYPES = {
  decimal: DecimalType,
  date: logical('date', (days: number) => dateFromDays(days)),
  'timestamp-millis': logical('timestamp', (ms: bigint) => timestampFromMillis(ms)),
  'timestamp-micros': logical('timestamp', (us: bigint) => timestampFromMicros(us)),
  'timestamp-nanos': logical('timestamp', (ns: bigint) => timestampFromNanos(ns)),
  'local-timestamp-millis': logical('timestamp', (ms: bigint) => timestampFromMillis(ms)),
  'local-timestamp-micros': logical('timestamp', (us: bigint) => timestampFromMicros(us)),
  'local-timestamp-nanos': logical('timestamp', (ns: bigint) => timestampFromNanos(ns)),
  'time-millis': logical('string', (ms: number) => timeFromMicros(BigInt(ms) * 1000n)),
  'time-micros': logical('string', (us: bigint) => timeFromMicros(us)),
  uuid: logical('string', (text: string) => text),
  'debezium-zoned-timestamp': ZonedTimestamp,
  'debezium-nano-time': logical('string', (ns: bigint) => timeFromMicros(ns / 1000n)),
  'debezium-variable-scale-decimal': VariableScaleDecimal,
}

/** Debezium `connect.name`s that AvroConverter leaves without a logicalType. */
const CONNECT_NAMES: Record<string, string> = {
  'io.debezium.time.Date': 'date',
  'io.debezium.time.Timestamp': 'timestamp-millis',
  'io.debezium.time.MicroTimestamp': 'timestamp-micros',
  'io.debezium.time.NanoTimestamp': 'timestamp-nanos',
  'io.debezium.time.ZonedTimestamp': 'debezium-zoned-timestamp',
  'io.debezium.time.Time': 'time-millis',
  'io.debezium.time.MicroTime': 'time-micros',
  'io.debezium.time.NanoTime': 'debezium-nano-time',
  'io.debezium.data.VariableScaleDecimal': 'debezium-variable-scale-decimal',
}

/** A copy of the schema with the Debezium names above given their logical type. */
function markConnectTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(markConnectTypes)
  if (schema === null || typeof schema !== 'object') return schema
  const out: Schema = {}
  for (const [key, value] of Object.entries(schema))
    setField(out, key, key === 'type' || key === 'items' || key === 'values' || key === 'fields' ? markConnectTypes(value) : value)
  const connectName = out['connect.name']
  if (typeof connectName === 'string' && CONNECT_NAMES[connectName] && out.logicalType === undefined) out.logicalType = CONNECT_NAMES[connectName]
  return out
}

const BigLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8)
    buffer.writeBigInt64LE(value)
    return buffer
  },
  fromJSON: (value: number | string) => BigInt(value),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
})

/** The avsc type for a schema's text (throws on a schema avsc refuses). */
export function compileAvroSchema(schemaText: string): AvroType {
  // avsc's `registry` only replaces the name 'long', not {"type": "long", …} objects (the form
  // Connect schemas use), so every long goes through this hook. A long under one of our logical
  // types is seen twice: first as the logical type (let avsc build it), then as its underlying long.
  const logicalSeen = new WeakSet<object>()
  const typeHook = (schema: unknown): AvroType | undefined => {
    if (schema === 'long') return BigLong
    if (schema === null || typeof schema !== 'object' || (schema as Schema).type !== 'long') return undefined
    const logicalType = (schema as Schema).logicalType
    if (typeof logicalType === 'string' && logicalType in LOGICAL_TYPES && !logicalSeen.has(schema)) {
      logicalSeen.add(schema)
      return undefined
    }
    return BigLong
  }
  return avro.Type.forSchema(markConnectTypes(JSON.parse(schemaText)) as avro.Schema, {
    wrapUnions: true,
    logicalTypes: LOGICAL_TYPES as never,
    typeHook: typeHook as never,
  })
}

// avsc's typings lack some members; these are the ones read here.
interface UnionLike {
  types: AvroType[]
}
interface RecordLike {
  fields: Array<{ name: string; type: AvroType }>
}
interface ArrayLike {
  itemsType: AvroType
}
interface MapLike {
  valuesType: AvroType
}

const NUMERIC = new Set(['int', 'long', 'abstract:long', 'float', 'double'])

function nonNullBranches(type: AvroType): AvroType[] {
  return (type as unknown as UnionLike).types.filter((t) => t.typeName !== 'null')
}

export function avroToDelta(type: AvroType, visiting: Set<AvroType> = new Set()): DataType {
  if (type instanceof DeltaLogicalType) return type.deltaType
  switch (type.typeName) {
    case 'null':
      return VOID
    case 'boolean':
      return 'boolean'
    case 'int':
      return 'integer'
    case 'long':
    case 'abstract:long':
      return 'long'
    case 'float':
      return 'float'
    case 'double':
      return 'double'
    case 'bytes':
    case 'fixed':
      return 'binary'
    case 'string':
    case 'enum':
      return 'string'
    case 'array': {
      const items = (type as unknown as ArrayLike).itemsType
      return { type: 'array', elementType: avroToDelta(items, visiting), containsNull: true }
    }
    case 'map': {
      const values = (type as unknown as MapLike).valuesType
      return { type: 'map', keyType: 'string', valueType: avroToDelta(values, visiting), valueContainsNull: true }
    }
    case 'record':
    case 'error': {
      if (visiting.has(type)) throw new ValueError(`record ${type.name ?? ''} is recursive, which a Delta schema cannot express`, 'unsupported-schema')
      visiting.add(type)
      const fields: StructField[] = (type as unknown as RecordLike).fields.map((field) => ({
        name: field.name,
        type: avroToDelta(field.type, visiting),
        nullable: true,
        metadata: {},
      }))
      visiting.delete(type)
      return { type: 'struct', fields }
    }
  }
  if (type.typeName.startsWith('union')) {
    const branches = nonNullBranches(type)
    if (branches.length === 0) return VOID
    if (branches.length === 1) return avroToDelta(branches[0], visiting)
    if (branches.every((b) => NUMERIC.has(b.typeName))) return branches.map((b) => avroToDelta(b, visiting)).reduce(mergeTypes)
    return {
      type: 'struct',
      fields: branches.map((b, i) => ({ name: `member${i}`, type: avroToDelta(b, visiting), nullable: true, metadata: {} })),
    }
  }
  throw new ValueError(`Avro type ${type.typeName} is not supported`, 'unsupported-schema')
}

/** A value avsc read (with the options above) in its JSON-safe form. */
export function avroValue(type: AvroType, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (type instanceof DeltaLogicalType) return value
  switch (type.typeName) {
    case 'long':
    case 'abstract:long':
      return longValue(value as bigint)
    case 'float':
    case 'double':
      return doubleValue(value as number)
    case 'bytes':
    case 'fixed':
      return base64(value as Buffer)
    case 'array':
      return (value as unknown[]).map((v) => avroValue((type as unknown as ArrayLike).itemsType, v))
    case 'map': {
      const out: Record<string, unknown> = {}
      for (const [key, v] of Object.entries(value as object)) setField(out, key, avroValue((type as unknown as MapLike).valuesType, v))
      return out
    }
    case 'record':
    case 'error': {
      const out: Record<string, unknown> = {}
      for (const field of (type as unknown as RecordLike).fields)
        setField(out, field.name, avroValue(field.type, (value as Record<string, unknown>)[field.name]))
      return out
    }
  }
  if (type.typeName.startsWith('union')) return unionValue(type, value as Record<string, unknown>)
  return value
}

function unionValue(type: AvroType, wrapped: Record<string, unknown>): unknown {
  const branchName = Object.keys(wrapped)[0]
  const branches = nonNullBranches(type)
  const index = branches.findIndex((b) => b.branchName === branchName)
  if (index < 0) return null
  const inner = avroValue(branches[index], wrapped[branchName])
  if (branches.length === 1) return inner
  if (branches.every((b) => NUMERIC.has(b.typeName))) {
    // Widened to long or double: a long beyond 2^53 in a double union is as exact as a double gets.
    const widened = avroToDelta(type)
    return widened === 'double' && typeof inner === 'string' ? Number(inner) : inner
  }
  const out: Record<string, unknown> = {}
  branches.forEach((_, i) => {
    out[`member${i}`] = i === index ? inner : null
  })
  return out
}
