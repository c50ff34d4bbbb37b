/**
 * The producing side of the registry formats: a JSON value made into the bytes a Confluent
 * serializer writes for the topic's value subject (`<topic>-value`, TopicNameStrategy), with the
 * subject's latest schema: the magic byte and schema id, then an Avro datum (avsc), a Protobuf
 * message of the schema's first message type with the message-index shorthand 0 (protobufjs), or
 * the JSON text (JSON Schema; checked by the decoder that reads it, as Confluent's serializer
 * checks only when asked to). A value that does not fit the schema is refused saying where.
 */
import avro from 'avsc'
import { HEADER_BYTES } from './confluent-framing'
import { loadProtobufSchema } from './protobuf-schema'
import { createSchemaRegistry, type RegisteredSchema, type SchemaRegistryOptions } from './schema-registry'
import type { Format } from './types'

export class EncodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EncodeError'
  }
}

export interface RegistryEncoder {
  /** The subject and schema id values are encoded with. */
  readonly subject: string
  readonly schemaId: number
  encode(value: unknown): Buffer
}

const EXPECTED_TYPE: Record<string, string> = { avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON' }

function frame(id: number, body: Uint8Array, indexes?: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt32BE(id, 1)
  return Buffer.concat([header, ...(indexes ? [indexes] : []), body])
}

/** The encoder of `topic`'s values in `format`, from the subject's latest schema in the registry. */
export async function createRegistryEncoder(format: Format, topic: string, options: SchemaRegistryOptions): Promise<RegistryEncoder> {
  const expected = EXPECTED_TYPE[format]
  if (!expected) throw new EncodeError(`the ${format} format is not encoded through a schema registry`)
  const registry = createSchemaRegistry(options)
  const subject = `${topic}-value`
  const schema = await registry.schemaByVersion(subject, 'latest')
  if (!schema)
    throw new EncodeError(
      `the schema registry ${options.url} has no subject '${subject}': register the topic's value schema first (subject name strategy: TopicNameStrategy)`,
    )
  if (schema.schemaType !== expected)
    throw new EncodeError(`subject '${subject}' holds a ${schema.schemaType} schema, but the source's format is ${format} (${expected})`)
  if (schema.id < 0) throw new EncodeError(`the schema registry did not say the id of subject '${subject}''s latest schema`)
  const encode = format === 'avro' ? avroEncoder(schema) : format === 'protobuf' ? await protobufEncoder(schema, registry) : jsonSchemaEncoder(schema)
  return { subject, schemaId: schema.id, encode }
}

function avroEncoder(schema: RegisteredSchema): (value: unknown) => Buffer {
  let type: avro.Type
  try {
    type = avro.Type.forSchema(JSON.parse(schema.schema) as avro.Schema, { wrapUnions: 'auto' })
  } catch (error) {
    throw new EncodeError(`schema ${schema.id} is not an Avro schema avsc can read: ${(error as Error).message}`)
  }
  return (value) => {
    const problems: string[] = []
    type.isValid(value, { errorHook: (path, found) => problems.push(`${path.join('.') || '(the value)'}: ${JSON.stringify(found)} does not fit`) })
    if (problems.length) throw new EncodeError(`the value does not fit Avro schema ${schema.id}: ${problems.slice(0, 5).join('; ')}`)
    return frame(schema.id, type.toBuffer(value))
  }
}

async function protobufEncoder(schema: RegisteredSchema, registry: ReturnType<typeof createSchemaRegistry>): Promise<(value: unknown) => Buffer> {
  let message
  try {
    message = (await loadProtobufSchema(schema, registry)).messages[0]
  } catch (error) {
    throw new EncodeError((error as Error).message)
  }
  // Message index [0], the first message of the file, written as the one-byte shorthand 0.
  const firstMessage = Uint8Array.of(0)
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new EncodeError(`a Protobuf value must be a JSON object (message ${message.fullName.slice(1)})`)
    const built = message.fromObject(value as Record<string, unknown>)
    const problem = message.verify(built)
    if (problem) throw new EncodeError(`the value does not fit ${message.fullName.slice(1)} (schema ${schema.id}): ${problem}`)
    const unknown = Object.keys(value).filter((k) => !message.fields[k])
    if (unknown.length) throw new EncodeError(`${message.fullName.slice(1)} (schema ${schema.id}) has no field ${unknown.map((k) => `'${k}'`).join(', ')}`)
    return frame(schema.id, message.encode(built).finish(), firstMessage)
  }
}

function jsonSchemaEncoder(schema: RegisteredSchema): (value: unknown) => Buffer {
  return (value) => frame(schema.id, Buffer.from(JSON.stringify(value), 'utf8'))
}
