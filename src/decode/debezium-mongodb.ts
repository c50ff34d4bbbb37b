/**
 * Debezium MongoDB change events. The envelope is the relational one, but `before`/`after` are
 * documents serialised as Extended JSON strings (extended-json.ts), typed per document since
 * MongoDB has no table schema. Columns:
 *   op, ts_ms[, ts_us, ts_ns], key, before, after, update_description, [patch, filter,] source[, transaction]
 * - key: the document id from the Kafka key (`{"id": "<Extended JSON of _id>"}`, with or without
 *   JsonConverter's schema), as a string: an ObjectId's hex, a string id itself, a number's digits,
 *   any other id as its JSON text. One type for every id keeps the column stable.
 * - update_description (change streams): updated_fields as JSON text, not a struct: its keys
 *   are dotted paths ('address.city') that differ from update to update and would add a column
 *   per path ever updated; removed_fields and truncated_arrays as lists.
 * - patch / filter (the 1.x oplog form, present only then): JSON text, for the same reason.
 * ExtractNewDocumentState's flat documents decode like ExtractNewRecordState rows.
 */
import type { StructType } from '../delta'
import { decodeEvent, envelopeColumns, rowFromColumns, type Column, type ImageTyper } from './debezium-envelope'
import { ValueError } from './errors'
import { jsonValueDecoder } from './json-value-decoder'
import { extendedJsonAsText, parseExtendedJsonDocument, typeExtendedJson } from './extended-json'
import { isJsonObject, JsonNumber, parseJsonBytes, parseJsonText } from './json-text'
import { VOID, type Decoded, type Decoder, type Typed } from './types'

export function createDebeziumMongoDecoder(): Decoder {
  return jsonValueDecoder((value, message) => decodeMongoEvent(value, message.key))
}

export function decodeMongoEvent(value: unknown, key: Uint8Array | null): Decoded {
  return decodeEvent(value, typeExtendedJson, ({ payload, schema }) => {
    // The schema types source and transaction; documentImage ignores what it says of before/after (a Json string).
    const { head, tail } = envelopeColumns(payload, schema, documentImage)
    const images = tail.filter(([name]) => name === 'before' || name === 'after')
    const rest = tail.filter(([name]) => name !== 'before' && name !== 'after')
    const legacy: Column[] = []
    for (const name of ['patch', 'filter']) {
      if (name in payload) legacy.push([name, { value: payload[name] === null ? null : jsonText(payload[name], name), type: 'string' }])
    }
    const description: Column = ['update_description', updateDescription(payload.updateDescription ?? null)]
    return rowFromColumns([...head, ['key', { value: documentKey(key), type: 'string' }], ...images, description, ...legacy, ...rest])
  })
}

/** Before and after: an Extended JSON string (the usual form) or an already structured document. */
const documentImage: ImageTyper = (value, _schema, path) => {
  if (value === null || value === undefined) return { value: null, type: VOID }
  if (typeof value === 'string') return parseExtendedJsonDocument(value, path)
  if (isJsonObject(value)) return typeExtendedJson(value)
  throw new ValueError(`'${path}' should be a document or its Extended JSON text`, 'invalid-extended-json')
}

function jsonText(value: unknown, path: string): string {
  if (typeof value !== 'string') return extendedJsonAsText(value)
  const parsed = parseJsonText(value)
  if (!parsed.ok) throw new ValueError(`'${path}' is not valid Extended JSON: ${parsed.detail}`, 'invalid-extended-json')
  return extendedJsonAsText(parsed.value)
}

const STRING_LIST = { type: 'array', elementType: 'string', containsNull: true } as const
const UPDATE_DESCRIPTION: StructType = {
  type: 'struct',
  fields: [
    { name: 'updated_fields', type: 'string', nullable: true, metadata: {} },
    { name: 'removed_fields', type: { ...STRING_LIST }, nullable: true, metadata: {} },
    {
      name: 'truncated_arrays',
      type: {
        type: 'array',
        elementType: {
          type: 'struct',
          fields: [
            { name: 'field', type: 'string', nullable: true, metadata: {} },
            { name: 'size', type: 'integer', nullable: true, metadata: {} },
          ],
        },
        containsNull: true,
      },
      nullable: true,
      metadata: {},
    },
  ],
}

function updateDescription(value: unknown): Typed {
  if (value === null) return { value: null, type: UPDATE_DESCRIPTION }
  if (!isJsonObject(value)) throw new ValueError(`'updateDescription' should be a struct`)
  const list = (v: unknown, path: string): unknown[] | null => {
    if (v === null || v === undefined) return null
    if (!Array.isArray(v)) throw new ValueError(`'${path}' should be a list`)
    return v
  }
  const removed = list(value.removedFields, 'updateDescription.removedFields')
  const truncated = list(value.truncatedArrays, 'updateDescription.truncatedArrays')
  return {
    value: {
      updated_fields:
        value.updatedFields === null || value.updatedFields === undefined ? null : jsonText(value.updatedFields, 'updateDescription.updatedFields'),
      removed_fields: removed?.map((f) => (f === null ? null : String(f))) ?? null,
      truncated_arrays: truncated?.map((t) => (isJsonObject(t) ? { field: t.field ?? null, size: typeof t.size === 'number' ? t.size : null } : null)) ?? null,
    },
    type: UPDATE_DESCRIPTION,
  }
}

/** The document id from the Kafka key, as a string (see above); null without a key. */
function documentKey(key: Uint8Array | null): string | null {
  if (key === null) return null
  const parsed = parseJsonBytes(key)
  if (!parsed.ok) throw new ValueError(`the key is not JSON: ${parsed.detail}`, 'invalid-key')
  let record = parsed.value
  if (isJsonObject(record) && 'payload' in record && 'schema' in record) record = record.payload
  if (!isJsonObject(record) || !('id' in record)) throw new ValueError('the key has no id field', 'invalid-key')
  const id = record.id
  if (id === null) return null
  if (typeof id === 'number') return String(id)
  if (id instanceof JsonNumber) return id.text
  if (typeof id !== 'string') return extendedJsonAsText(id)
  // The id is the Extended JSON of _id; text that is not JSON is an id in itself.
  const inner = parseJsonText(id)
  if (!inner.ok) return id
  const typed = typeExtendedJson(inner.value)
  if (typeof typed.value === 'string') return typed.value
  if (typeof typed.value === 'number') return String(typed.value)
  return JSON.stringify(typed.value)
}
