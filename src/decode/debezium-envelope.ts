/**
 * What the relational and MongoDB Debezium decoders share: recognising the shape of a value
 * (change-event envelope, ExtractNewRecordState's flat row, tombstone, or one of Debezium's other
 * records) and laying out the envelope's columns: op, ts_ms[, ts_us, ts_ns], before, after,
 * source[, transaction][, message]. The images (before/after) are typed by the caller.
 *
 * JsonConverter's `{"schema":…,"payload":…}` is unwrapped when the value has exactly those two
 * keys; the schema types the columns it declares. `{"schema":null,"payload":null}` is how that
 * converter prints a tombstone.
 *
 * The Schema Registry formats (Avro, Protobuf, JSON Schema) type every column from the writer's
 * schema; `schemaColumns` gives an envelope under those converters the same column order and op
 * check, so a table fed by any converter looks the same.
 */
import type { DataType, StructType } from '../delta'
import { connectStructValue, connectToDelta, connectStruct, connectValue, isConnectSchema, type ConnectSchema } from './connect-schema'
import { ValueError } from './errors'
import { typeJsonValue } from './infer'
import { describeTop, isJsonObject, JsonNumber } from './json-text'
import { withoutVoid } from './merge'
import { VOID, type Decoded, type Typed } from './types'
import { longValue, setField } from './values'

export type EnvelopeShape =
  | { kind: 'envelope'; payload: Record<string, unknown>; schema?: ConnectSchema }
  | { kind: 'flat'; payload: Record<string, unknown>; schema?: ConnectSchema }
  | { kind: 'tombstone' }
  | { kind: 'error'; reason: string; detail: string }

type EnvelopeEvent = Extract<EnvelopeShape, { kind: 'envelope' }>

/**
 * A Debezium event as a row, for both connectors: tombstones and refusals as they are, a flat
 * payload (ExtractNewRecordState) typed row by row with `typeFlatRow`, an envelope by `fromEnvelope`.
 */
export function decodeEvent(value: unknown, typeFlatRow: (row: Record<string, unknown>) => Typed, fromEnvelope: (event: EnvelopeEvent) => Decoded): Decoded {
  const shape = classifyEnvelope(value)
  switch (shape.kind) {
    case 'tombstone':
    case 'error':
      return shape
    case 'flat':
      return rowFromColumns(flatColumns(shape.payload, shape.schema, typeFlatRow))
    case 'envelope':
      return fromEnvelope(shape)
  }
}

const OPS = new Set(['c', 'u', 'd', 'r', 't', 'm'])
const UNKNOWN = 'unknown-debezium-envelope'

/**
 * A top-level `op` means an envelope (so a flat row with its own column named `op` is not read
 * as one). Schema-change records and transaction BEGIN/END markers belong on their own topics:
 * they get their own reasons, so a job can tell them from broken data.
 */
export function classifyEnvelope(value: unknown): EnvelopeShape {
  if (!isJsonObject(value)) return { kind: 'error', reason: 'not-an-object', detail: `the value is ${describeTop(value)}, not a JSON object` }
  let payload: unknown = value
  let schema: ConnectSchema | undefined
  const keys = Object.keys(value)
  if (keys.length === 2 && 'schema' in value && 'payload' in value && (value.schema === null || isJsonObject(value.schema))) {
    payload = value.payload
    schema = isConnectSchema(value.schema) ? value.schema : undefined
    if (payload === null) return { kind: 'tombstone' }
    if (!isJsonObject(payload)) return { kind: 'error', reason: UNKNOWN, detail: `the JsonConverter payload is ${describeTop(payload)}, not an object` }
  }
  const record = payload as Record<string, unknown>
  if ('op' in record) {
    if (typeof record.op === 'string' && OPS.has(record.op)) return { kind: 'envelope', payload: record, schema }
    return { kind: 'error', reason: UNKNOWN, detail: `op is ${JSON.stringify(record.op)}; expected one of c, u, d, r, t, m` }
  }
  if ('historyRecord' in record || 'ddl' in record || 'tableChanges' in record) {
    const ddl = typeof record.ddl === 'string' ? record.ddl : undefined
    return { kind: 'error', reason: 'debezium-schema-change', detail: ddl ? `schema change: ${ddl}` : 'a schema-change record, not a change event' }
  }
  if ((record.status === 'BEGIN' || record.status === 'END') && 'id' in record) {
    return { kind: 'error', reason: 'debezium-transaction-marker', detail: `transaction ${String(record.status)} ${String(record.id)}` }
  }
  if ('before' in record || 'after' in record || 'patch' in record) {
    return { kind: 'error', reason: UNKNOWN, detail: 'before/after without an op' }
  }
  return { kind: 'flat', payload: record, schema }
}

/** Types one image (before, after) or other column, given its Connect schema when there is one. */
export type ImageTyper = (value: unknown, schema: ConnectSchema | undefined, path: string) => Typed

export function fieldSchema(schema: ConnectSchema | undefined, name: string): ConnectSchema | undefined {
  return schema?.fields?.find((f) => f.field === name)
}

export function typedByConnectOrInference(value: unknown, schema: ConnectSchema | undefined, path: string): Typed {
  if (schema) return { value: connectValue(value, schema, path), type: connectToDelta(schema) }
  return typeJsonValue(value)
}

/** Debezium's own numbers: ts_ms and friends, transaction orders. Some docs print them as strings. */
function longOrNull(value: unknown, path: string): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (value instanceof JsonNumber && value.isInteger) return longValue(BigInt(value.text))
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return longValue(BigInt(value))
  throw new ValueError(`'${path}' should be an integer but is ${JSON.stringify(value) ?? String(value)}`)
}

const TRANSACTION_TYPE: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'string', nullable: true, metadata: {} },
    { name: 'total_order', type: 'long', nullable: true, metadata: {} },
    { name: 'data_collection_order', type: 'long', nullable: true, metadata: {} },
  ],
}

function transactionColumn(value: unknown): Typed {
  if (value === null || value === undefined) return { value: null, type: TRANSACTION_TYPE }
  if (!isJsonObject(value)) throw new ValueError(`'transaction' should be a struct`)
  return {
    value: {
      id: value.id === null || value.id === undefined ? null : String(value.id),
      total_order: longOrNull(value.total_order, 'transaction.total_order'),
      data_collection_order: longOrNull(value.data_collection_order, 'transaction.data_collection_order'),
    },
    type: TRANSACTION_TYPE,
  }
}

export type Column = [name: string, typed: Typed]

/** The envelope's columns in a fixed order; `image` types before and after. */
export function envelopeColumns(payload: Record<string, unknown>, schema: ConnectSchema | undefined, image: ImageTyper): { head: Column[]; tail: Column[] } {
  const head: Column[] = [['op', { value: payload.op, type: 'string' }]]
  for (const name of ['ts_ms', 'ts_us', 'ts_ns']) {
    if (name === 'ts_ms' || name in payload) head.push([name, { value: longOrNull(payload[name], name), type: 'long' }])
  }
  const tail: Column[] = []
  for (const name of ['before', 'after']) tail.push([name, image(payload[name] ?? null, fieldSchema(schema, name), name)])
  const source = payload.source ?? null
  if (source !== null && !isJsonObject(source)) throw new ValueError(`'source' should be a struct, but is ${describeTop(source)}`, UNKNOWN)
  tail.push(['source', typedByConnectOrInference(source, fieldSchema(schema, 'source'), 'source')])
  if ('transaction' in payload || fieldSchema(schema, 'transaction')) tail.push(['transaction', transactionColumn(payload.transaction)])
  if ('message' in payload) tail.push(['message', typedByConnectOrInference(payload.message, fieldSchema(schema, 'message'), 'message')])
  return { head, tail }
}

/** Row and schema from ordered columns; columns known only as null stay in the row but not in the schema. */
export function rowFromColumns(columns: Column[]): Decoded {
  const row: Record<string, unknown> = {}
  const schema: StructType = { type: 'struct', fields: [] }
  for (const [name, typed] of columns) {
    setField(row, name, typed.value)
    schema.fields.push({ name, type: typed.type, nullable: true, metadata: {} })
  }
  return { kind: 'row', row, schema: withoutVoid(schema) }
}

const META_FIELDS = new Set(['__deleted', '__op'])

/**
 * ExtractNewRecordState's output: the row itself, with `__op` / `__deleted` (when the SMT adds
 * them) folded into an `op` column: 'd' when __deleted is true, else __op, else null (a plain
 * upsert whose kind the SMT did not say). A row with its own `op` column keeps it, and the
 * derived op goes to `__op` instead.
 */
export function flatColumns(payload: Record<string, unknown>, schema: ConnectSchema | undefined, typeRow: (row: Record<string, unknown>) => Typed): Column[] {
  const deleted = payload.__deleted === true || payload.__deleted === 'true'
  const op = deleted ? 'd' : typeof payload.__op === 'string' ? payload.__op : null
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(payload)) if (!META_FIELDS.has(key)) setField(rest, key, payload[key])
  let typed: Typed
  if (schema && schema.type === 'struct') {
    const fields = (schema.fields ?? []).filter((f) => !META_FIELDS.has(f.field ?? ''))
    const restSchema = { ...schema, fields }
    typed = { value: connectStructValue(rest, restSchema, ''), type: connectStruct(restSchema) }
  } else {
    typed = typeRow(rest)
  }
  const values = typed.value as Record<string, unknown>
  const types = new Map((typed.type as StructType).fields.map((f) => [f.name, f.type]))
  const opName = Object.keys(values).some((k) => k.toLowerCase() === 'op') ? '__op' : 'op'
  const columns: Column[] = [[opName, { value: op, type: 'string' }]]
  for (const key of Object.keys(values)) columns.push([key, { value: values[key], type: types.get(key) ?? (VOID as DataType) }])
  return columns
}

const ENVELOPE_ORDER = ['op', 'ts_ms', 'ts_us', 'ts_ns', 'before', 'after', 'source', 'transaction']

function isSchemaEnvelope(schema: StructType): boolean {
  const names = new Set(schema.fields.map((f) => f.name))
  return names.has('op') && names.has('source') && (names.has('before') || names.has('after'))
}

/** A row typed by its writer's schema as columns in schema order; a Debezium envelope's in the envelope's order, its op checked. */
export function schemaColumns(row: Record<string, unknown>, schema: StructType): Column[] {
  const columns: Column[] = schema.fields.map((f) => [f.name, { value: row[f.name], type: f.type }])
  if (!isSchemaEnvelope(schema)) return columns
  if (typeof row.op !== 'string' || !OPS.has(row.op)) {
    throw new ValueError(`op is ${JSON.stringify(row.op)}; expected one of c, u, d, r, t, m`, UNKNOWN)
  }
  const rank = (name: string) => {
    const at = ENVELOPE_ORDER.indexOf(name)
    return at < 0 ? ENVELOPE_ORDER.length : at
  }
  return columns
    .map((c, i) => [c, i] as const)
    .sort((a, b) => rank(a[0][0]) - rank(b[0][0]) || a[1] - b[1])
    .map(([c]) => c)
}
