/**
 * Avro in the Confluent wire format: byte 0 is the magic 0, bytes 1–4 the schema id (big-endian),
 * then one Avro binary datum. The writer's schema comes from the registry and types the row
 * (avro-types.ts). The top level must be a record: its fields are the columns. A Debezium
 * envelope record (op, before/after, source) gets the JSON envelope's column order and op check
 * (schemaColumns), so a table fed by either converter looks the same.
 */
import { isStruct, type StructType } from '../delta'
import { avroToDelta, avroValue, compileAvroSchema } from './avro-types'
import { framedValueDecoder, HEADER_BYTES } from './confluent-framing'
import { rowFromColumns, schemaColumns } from './debezium-envelope'
import { guarded, ValueError } from './errors'
import { compiledPerSchemaId, type SchemaFailure } from './registry-schemas'
import type { SchemaRegistry } from './schema-registry'
import type { Decoded, Decoder } from './types'

type Compiled = { ok: true; type: ReturnType<typeof compileAvroSchema>; schema: StructType } | SchemaFailure

export function createAvroDecoder(registry: SchemaRegistry): Decoder {
  const schemaFor = compiledPerSchemaId(registry, 'AVRO', (registered, id) => compile(registered.schema, id))

  return framedValueDecoder(async (id, buffer) => {
    const schema = await schemaFor(id)
    if (!schema.ok) return { kind: 'error', reason: schema.reason, detail: schema.detail }
    return guarded(() => decodeBody(buffer, schema, id))
  })
}

function compile(text: string, id: number): Compiled {
  try {
    const type = compileAvroSchema(text)
    const deltaType = avroToDelta(type)
    if (!isStruct(deltaType))
      return { ok: false, reason: 'not-a-record', detail: `schema ${id} is a ${type.typeName}, not a record: its values have no columns` }
    return { ok: true, type, schema: deltaType }
  } catch (error) {
    const reason = error instanceof ValueError ? error.reason : 'unsupported-schema'
    return { ok: false, reason, detail: `schema ${id}: ${(error as Error).message}` }
  }
}

function decodeBody(buffer: Buffer, compiled: Extract<Compiled, { ok: true }>, id: number): Decoded {
  let result: { value: unknown; offset: number }
  try {
    result = compiled.type.decode(buffer, HEADER_BYTES)
  } catch (error) {
    if (error instanceof ValueError) throw error
    // avsc reads past the end of a cut-off buffer before it can tell: out-of-range reads are truncation.
    const reason = error instanceof RangeError ? 'truncated-avro' : 'invalid-avro'
    return { kind: 'error', reason, detail: `schema ${id}: ${(error as Error).message}` }
  }
  if (result.offset < 0) {
    return { kind: 'error', reason: 'truncated-avro', detail: `the ${buffer.length - HEADER_BYTES}-byte body ends before the record of schema ${id} does` }
  }
  if (result.offset < buffer.length) {
    return {
      kind: 'error',
      reason: 'invalid-avro',
      detail: `${buffer.length - result.offset} bytes left after the record of schema ${id}: written with another schema?`,
    }
  }
  const row = avroValue(compiled.type, result.value) as Record<string, unknown>
  return rowFromColumns(schemaColumns(row, compiled.schema))
}
