/**
 * The decode layer's public surface: one decoder per payload format, turning a Kafka message into
 * a JSON-safe row with the Delta type of its columns, a tombstone, or a dead letter with a reason.
 * Other layers import only this file.
 */
import { createAvroDecoder } from './avro'
import { createDebeziumDecoder } from './debezium'
import { createDebeziumMongoDecoder } from './debezium-mongodb'
import { createJsonDecoder } from './json'
import { createJsonSchemaDecoder } from './json-schema'
import { createProtobufDecoder } from './protobuf'
import { DecodeError } from './errors'
import { createSchemaRegistry } from './schema-registry'
import type { Decoder, DecoderOptions, Format } from './types'

export type { Decoded, Decoder, DecoderOptions, Format, KafkaMessageInput } from './types'
export { conformsTo } from './conforms'
export { DecodeError } from './errors'
export { inferSchema, type InferOptions } from './infer'
export { mergeInferred, mergeTypes } from './merge'
export {
  applyHints,
  applyHintsToStruct,
  childPath,
  hintedPaths,
  hintPathProblem,
  hintType,
  normaliseHints,
  PRIMITIVE_HINT_TYPES,
  type SchemaHints,
} from './hints'
export { fitRow, RESCUED_DATA_COLUMN, type FittedRow } from './rescue'
export { TextRow } from './text-row'
export { createSchemaRegistry, type RegisteredSchema, type SchemaRegistry } from './schema-registry'
export { createRegistryEncoder, EncodeError, type RegistryEncoder } from './registry-encoder'

export const FORMATS: readonly Format[] = ['json', 'debezium', 'debezium-mongodb', 'avro', 'protobuf', 'json-schema']

/** The formats whose values are Confluent-framed and typed by a Schema Registry schema. */
export const REGISTRY_FORMATS: readonly Format[] = ['avro', 'protobuf', 'json-schema']

export function usesSchemaRegistry(format: string): boolean {
  return (REGISTRY_FORMATS as readonly string[]).includes(format)
}

export function createDecoder(format: Format, options: DecoderOptions = {}): Decoder {
  switch (format) {
    case 'json':
      return createJsonDecoder()
    case 'debezium':
      return createDebeziumDecoder()
    case 'debezium-mongodb':
      return createDebeziumMongoDecoder()
    case 'avro':
    case 'protobuf':
    case 'json-schema': {
      if (!options.schemaRegistry) throw new DecodeError(`the ${format} format needs a schema registry (options.schemaRegistry.url)`, { retriable: false })
      const registry = createSchemaRegistry(options.schemaRegistry)
      return format === 'avro' ? createAvroDecoder(registry) : format === 'protobuf' ? createProtobufDecoder(registry) : createJsonSchemaDecoder(registry)
    }
  }
  throw new DecodeError(`unknown format '${String(format)}'; expected one of ${FORMATS.join(', ')}`, { retriable: false })
}
