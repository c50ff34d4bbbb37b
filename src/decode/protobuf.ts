/**
 * Protobuf in the Confluent wire format (confluent-framing.ts): header, message indexes, then one
 * Protobuf message. The schema (and the schemas it imports) come from the registry, once per id
 * (protobuf-schema.ts); the message the indexes name types the row (protobuf-types.ts), its
 * fields the columns. A Debezium envelope written by ProtobufConverter is laid out like the JSON
 * and Avro ones (schemaColumns).
 */
import protobuf from 'protobufjs'
import type { StructType } from '../delta'
import { framedValueDecoder, readMessageIndexes, HEADER_BYTES } from './confluent-framing'
import { rowFromColumns, schemaColumns } from './debezium-envelope'
import { guarded, ValueError } from './errors'
import { loadProtobufSchema, messageAt, type ProtobufSchema } from './protobuf-schema'
import { protobufRow, protobufStruct } from './protobuf-types'
import { compiledPerSchemaId, type SchemaFailure } from './registry-schemas'
import type { SchemaRegistry } from './schema-registry'
import type { Decoded, Decoder } from './types'

type Loaded = { ok: true; schema: ProtobufSchema; messages: Map<string, Compiled> } | SchemaFailure
type Compiled = { ok: true; type: protobuf.Type; struct: StructType } | SchemaFailure

export function createProtobufDecoder(registry: SchemaRegistry): Decoder {
  const schemaFor = compiledPerSchemaId(
    registry,
    'PROTOBUF',
    async (registered): Promise<Loaded> => ({ ok: true, schema: await loadProtobufSchema(registered, registry), messages: new Map() }),
  )

  return framedValueDecoder(async (id, buffer) => {
    const indexes = readMessageIndexes(buffer, HEADER_BYTES)
    if (!indexes.ok) return { kind: 'error', reason: 'invalid-message-indexes', detail: `schema ${id}: ${indexes.detail}` }
    const loaded = await schemaFor(id)
    if (!loaded.ok) return { kind: 'error', reason: loaded.reason, detail: loaded.detail }
    const compiled = compiledMessage(loaded, id, indexes.indexes)
    if (!compiled.ok) return { kind: 'error', reason: compiled.reason, detail: compiled.detail }
    return guarded(() => decodeBody(buffer.subarray(indexes.end), compiled, id))
  })
}

function compiledMessage(loaded: Extract<Loaded, { ok: true }>, id: number, indexes: number[]): Compiled {
  const key = indexes.join('.')
  const cached = loaded.messages.get(key)
  if (cached) return cached
  let result: Compiled
  const type = messageAt(loaded.schema, indexes)
  if (!type) {
    result = {
      ok: false,
      reason: 'unknown-message-index',
      detail: `schema ${id} has no message at indexes [${indexes.join(', ')}] (its top-level messages: ${loaded.schema.messages.map((m) => m.name).join(', ')})`,
    }
  } else {
    try {
      result = { ok: true, type, struct: protobufStruct(type) }
    } catch (error) {
      if (!(error instanceof ValueError)) throw error
      result = { ok: false, reason: error.reason, detail: `schema ${id}: ${error.message}` }
    }
  }
  loaded.messages.set(key, result)
  return result
}

function decodeBody(body: Uint8Array, compiled: Extract<Compiled, { ok: true }>, id: number): Decoded {
  let decoded: protobuf.Message
  try {
    decoded = compiled.type.decode(body)
  } catch (error) {
    // protobufjs says "index out of range" when a length or value runs past the end of the body.
    const truncated = error instanceof RangeError || /index out of range/.test((error as Error).message)
    return {
      kind: 'error',
      reason: truncated ? 'truncated-protobuf' : 'invalid-protobuf',
      detail: `schema ${id}, message ${compiled.type.fullName.slice(1)}: ${(error as Error).message}`,
    }
  }
  const row = protobufRow(compiled.type, decoded)
  return rowFromColumns(schemaColumns(row, compiled.struct))
}
