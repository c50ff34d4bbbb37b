/**
 * JSON Schema in the Confluent wire format: the 5-byte header (confluent-framing.ts), then the
 * value as UTF-8 JSON. The JSON is the data; the writer's schema from the registry (with the
 * schemas its `$ref`s name through `references`, fetched by subject and version) types it
 * (json-schema-types.ts). The top level must be an object with properties: they are the columns.
 * A Debezium envelope written by JsonSchemaConverter is laid out like the JSON and Avro ones.
 */
import { framedValueDecoder, HEADER_BYTES } from './confluent-framing'
import { rowFromColumns, schemaColumns } from './debezium-envelope'
import { guarded, ValueError } from './errors'
import { compileJsonSchema, StructConverter, type SchemaDocuments } from './json-schema-types'
import { parseJsonText, utf8Text } from './json-text'
import { compiledPerSchemaId, type SchemaFailure } from './registry-schemas'
import type { RegisteredSchema, SchemaRegistry } from './schema-registry'
import type { Decoder } from './types'

type Compiled = { ok: true; converter: StructConverter } | SchemaFailure

const MAX_REFERENCE_DEPTH = 32

export function createJsonSchemaDecoder(registry: SchemaRegistry): Decoder {
  const schemaFor = compiledPerSchemaId(
    registry,
    'JSON',
    async (registered, id): Promise<Compiled> => {
      const documents: SchemaDocuments = new Map()
      documents.set('', parseSchema(registered.schema, `schema ${id}`))
      await addReferences(registered, documents, 0)
      const converter = compileJsonSchema(documents)
      if (!(converter instanceof StructConverter))
        return { ok: false, reason: 'not-a-record', detail: `schema ${id} is not an object with properties: its values have no columns` }
      return { ok: true, converter }
    },
    (id, message) => `schema ${id}: ${message}`,
  )

  async function addReferences(schema: RegisteredSchema, documents: SchemaDocuments, depth: number): Promise<void> {
    if (depth > MAX_REFERENCE_DEPTH) throw new ValueError(`references nest deeper than ${MAX_REFERENCE_DEPTH}`, 'unsupported-schema')
    for (const reference of schema.references) {
      if (documents.has(reference.name)) continue
      const found = await registry.schemaByVersion(reference.subject, reference.version)
      if (!found)
        throw new ValueError(
          `the reference ${reference.name} is subject ${reference.subject} version ${reference.version}, which the registry does not have`,
          'unknown-schema-reference',
        )
      documents.set(reference.name, parseSchema(found.schema, `${reference.name} (subject ${reference.subject} version ${reference.version})`))
      await addReferences(found, documents, depth + 1)
    }
  }

  return framedValueDecoder(async (id, buffer) => {
    const schema = await schemaFor(id)
    if (!schema.ok) return { kind: 'error', reason: schema.reason, detail: schema.detail }
    const text = utf8Text(buffer.subarray(HEADER_BYTES))
    if (typeof text !== 'string') return { kind: 'error', reason: text.reason, detail: text.detail }
    const parsed = parseJsonText(text)
    if (!parsed.ok) return { kind: 'error', reason: parsed.reason, detail: `schema ${id}: ${parsed.detail}` }
    if (parsed.value === null) return { kind: 'tombstone' }
    return guarded(() => {
      const row = schema.converter.convert(parsed.value, '') as Record<string, unknown>
      return rowFromColumns(schemaColumns(row, schema.converter.type))
    })
  })
}

function parseSchema(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ValueError(`${what} is not JSON: ${(error as Error).message}`, 'unsupported-schema')
  }
}
