/**
 * JSON Schema (as Confluent's JSON Schema serializer registers it) to Delta types, compiled once
 * per schema into converters that turn a parsed value into its JSON-safe form:
 *  - integer → long, number → double (a union of integer and number too), boolean → boolean;
 *  - string → string; with format date-time → timestamp, date → date; with
 *    contentEncoding base64 → binary;
 *  - object with properties → struct (columns in property order; properties the schema does not
 *    declare are not kept); object with only additionalProperties: S → map<string, S's type>;
 *    array with items: S → array<S's type>;
 *  - nullable via a type array (["string", "null"]) or a oneOf/anyOf with {"type": "null"}; every
 *    column is nullable anyway, as for Avro;
 *  - enum/const → the type of its values; allOf → its object branches' properties together;
 *  - $ref: local (#/definitions/…, #/$defs/…) or another registered schema named in the
 *    schema's references (`address.json#/definitions/Street`); a recursive one is refused;
 *  - Kafka Connect's annotations (JsonSchemaConverter: `connect.type` int8…float64 and bytes, a
 *    logical type's name in `title` or `connect.name` with `connect.parameters`) type a value as
 *    connect-schema.ts does, so Debezium events under this converter get decimals, dates and
 *    timestamps;
 *  - anything else (no type, `{}`, a union of different kinds, tuples, an object without
 *    properties) → string holding the value's JSON text, so nothing is lost.
 * A value whose kind contradicts its schema (a string where the schema says integer) is a dead
 * letter naming the path; a string column takes any scalar as its text.
 */
import type { DataType, StructField, StructType } from '../delta'
import { connectToDelta, connectValue, type ConnectSchema } from './connect-schema'
import { ValueError } from './errors'
import { isJsonObject, JsonNumber } from './json-text'
import { VOID } from './types'
import { dateFromDays, doubleValue, isIsoDate, longValue, parseZonedTimestamp, setField, timestampFromMicros } from './values'

type Schema = Record<string, unknown>

export interface Converter {
  type: DataType
  /** The JSON-safe value; `path` names it in errors. Null and undefined are null. */
  convert(value: unknown, path: string): unknown
}

/** The schema documents a schema can reach: its own (under '') and its references by name. */
export type SchemaDocuments = Map<string, unknown>

const MISMATCH = 'schema-mismatch'

export function compileJsonSchema(documents: SchemaDocuments): Converter {
  const visiting = new Set<unknown>()

  function compile(schema: unknown, document: string): Converter {
    if (schema === true || schema === undefined || (isJsonObject(schema) && Object.keys(schema).length === 0)) return JSON_TEXT
    if (!isJsonObject(schema)) throw new ValueError(`a JSON Schema is an object or a boolean, not ${JSON.stringify(schema)}`, 'unsupported-schema')
    if (visiting.has(schema))
      throw new ValueError(
        `the schema refers to itself (${String(schema.$ref ?? schema.title ?? 'a recursive type')}), which a Delta schema cannot express`,
        'unsupported-schema',
      )
    visiting.add(schema)
    try {
      return compileObject(schema, document)
    } finally {
      visiting.delete(schema)
    }
  }

  function compileObject(schema: Schema, document: string): Converter {
    if (typeof schema.$ref === 'string') {
      const [target, at] = resolveRef(schema.$ref, document)
      return compile(target, at)
    }
    const connect = connectSchemaOf(schema)
    if (connect) return { type: connectToDelta(connect), convert: (value, path) => connectValue(value, connect, path) }
    for (const key of ['oneOf', 'anyOf'] as const) {
      if (Array.isArray(schema[key])) return union((schema[key] as unknown[]).filter((s) => !isNullSchema(s)).map((s) => compile(s, document)))
    }
    if (Array.isArray(schema.allOf)) return allOf(schema, document)
    const types = typesOf(schema).filter((t) => t !== 'null')
    if (types.length === 0) return typesOf(schema).includes('null') ? NULL_ONLY : JSON_TEXT
    if (types.length > 1) return union(types.map((t) => compileObject({ ...schema, type: t }, document)))
    switch (types[0]) {
      case 'integer':
        return LONG
      case 'number':
        return DOUBLE
      case 'boolean':
        return BOOLEAN
      case 'string':
        return stringConverter(schema)
      case 'array': {
        if (!isJsonObject(schema.items) && schema.items !== undefined && schema.items !== true) return JSON_TEXT // a tuple
        const element = compile(schema.items, document)
        return arrayOf(element)
      }
      case 'object': {
        const properties = isJsonObject(schema.properties) ? schema.properties : undefined
        if (properties && Object.keys(properties).length > 0) {
          return structOf(Object.entries(properties).map(([name, s]) => [name, compile(s, document)]))
        }
        if (isJsonObject(schema.additionalProperties)) return mapOf(compile(schema.additionalProperties, document))
        return JSON_TEXT
      }
    }
    throw new ValueError(
      `JSON Schema type ${JSON.stringify(types[0])} is not one of null, boolean, integer, number, string, array, object`,
      'unsupported-schema',
    )
  }

  function allOf(schema: Schema, document: string): Converter {
    const branches = (schema.allOf as unknown[]).map((s) => compile(s, document))
    const structs = branches.filter((b): b is StructConverter => b instanceof StructConverter)
    if (structs.length === 0) return branches.find((b) => b !== JSON_TEXT) ?? JSON_TEXT
    const fields = new Map<string, Converter>()
    for (const s of structs) for (const [name, c] of s.fields) if (!fields.has(name)) fields.set(name, c)
    return structOf([...fields])
  }

  /** `#/definitions/X` in the current document, `other.json` or `other.json#/…` in a referenced one. */
  function resolveRef(ref: string, document: string): [unknown, string] {
    const hash = ref.indexOf('#')
    const name = hash < 0 ? ref : ref.slice(0, hash)
    const pointer = hash < 0 ? '' : ref.slice(hash + 1)
    const at = name === '' ? document : name
    if (!documents.has(at)) throw new ValueError(`$ref ${ref}: no reference of the schema is named ${at}`, 'unknown-schema-reference')
    let target: unknown = documents.get(at)
    for (const part of pointer.split('/').slice(1)) {
      const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')
      target = isJsonObject(target) || Array.isArray(target) ? (target as Record<string, unknown>)[key] : undefined
      if (target === undefined) throw new ValueError(`$ref ${ref} points at nothing`, 'unsupported-schema')
    }
    return [target, at]
  }

  return compile(documents.get(''), '')
}

function typesOf(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type]
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string')
  const values = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : undefined
  if (values) {
    const kinds = new Set(
      values
        .filter((v) => v !== null)
        .map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : Array.isArray(v) ? 'array' : typeof v)),
    )
    return [...kinds]
  }
  if (isJsonObject(schema.properties)) return ['object']
  if (schema.items !== undefined) return ['array']
  return []
}

function isNullSchema(schema: unknown): boolean {
  return isJsonObject(schema) && schema.type === 'null'
}

/** Kafka Connect's JsonSchemaConverter annotations, as a Connect schema for a scalar. */
const CONNECT_TYPES = new Set(['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'bytes'])
function connectSchemaOf(schema: Schema): ConnectSchema | undefined {
  const connectType = schema['connect.type']
  const name = typeof schema['connect.name'] === 'string' ? schema['connect.name'] : typeof schema.title === 'string' ? schema.title : undefined
  const known = name !== undefined && /^(org\.apache\.kafka\.connect\.data|io\.debezium\.(time|data))\./.test(name)
  if (typeof connectType === 'string' && CONNECT_TYPES.has(connectType)) {
    const parameters = isJsonObject(schema['connect.parameters']) ? (schema['connect.parameters'] as Record<string, string>) : undefined
    return { type: connectType, ...(known ? { name } : {}), ...(parameters ? { parameters } : {}) }
  }
  if (!known || (schema.type !== 'string' && schema.type !== 'integer')) return undefined
  // A Connect logical type over a plain JSON type (a ZonedTimestamp string, a Date integer).
  return { type: schema.type === 'string' ? 'string' : 'int64', name }
}

function describe(value: unknown): string {
  return value instanceof JsonNumber ? value.text : (JSON.stringify(value) ?? String(value))
}

const mismatch = (path: string, wanted: string, value: unknown) =>
  new ValueError(`'${path}' should be ${wanted} as the schema says, but is ${describe(value)}`, MISMATCH)

const LONG: Converter = {
  type: 'long',
  convert(value, path) {
    if (value === null || value === undefined) return null
    if (typeof value === 'number' && Number.isInteger(value)) return longValue(BigInt(value))
    if (value instanceof JsonNumber && value.isInteger) return longValue(BigInt(value.text))
    throw mismatch(path, 'an integer', value)
  },
}

const DOUBLE: Converter = {
  type: 'double',
  convert(value, path) {
    if (value === null || value === undefined) return null
    if (typeof value === 'number') return doubleValue(value)
    if (value instanceof JsonNumber) return doubleValue(Number(value.text))
    throw mismatch(path, 'a number', value)
  },
}

const BOOLEAN: Converter = {
  type: 'boolean',
  convert(value, path) {
    if (value === null || value === undefined) return null
    if (typeof value === 'boolean') return value
    throw mismatch(path, 'a boolean', value)
  },
}

const NULL_ONLY: Converter = { type: VOID, convert: () => null }

/** A value the schema does not type: its JSON text (a string as itself). */
const JSON_TEXT: Converter = {
  type: 'string',
  convert(value) {
    if (value === null || value === undefined) return null
    if (typeof value === 'string') return value
    return jsonText(value)
  },
}

/** JSON.stringify that writes a JsonNumber's digits as they came. */
function jsonText(value: unknown): string {
  if (value instanceof JsonNumber) return value.text
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`
  if (isJsonObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

function stringConverter(schema: Schema): Converter {
  if (schema.format === 'date-time') {
    return {
      type: 'timestamp',
      convert(value, path) {
        if (value === null || value === undefined) return null
        const micros = typeof value === 'string' ? parseZonedTimestamp(value) : undefined
        if (micros === undefined) throw mismatch(path, 'an RFC 3339 date-time with a zone', value)
        return timestampFromMicros(micros)
      },
    }
  }
  if (schema.format === 'date') {
    return {
      type: 'date',
      convert(value, path) {
        if (value === null || value === undefined) return null
        if (typeof value !== 'string' || !isIsoDate(value)) throw mismatch(path, 'a YYYY-MM-DD date', value)
        return dateFromDays(Date.parse(`${value}T00:00:00Z`) / 86_400_000)
      },
    }
  }
  if (schema.contentEncoding === 'base64') {
    return {
      type: 'binary',
      convert(value, path) {
        if (value === null || value === undefined) return null
        if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw mismatch(path, 'base64 text', value)
        return value
      },
    }
  }
  return JSON_TEXT
}

function arrayOf(element: Converter): Converter {
  return {
    type: { type: 'array', elementType: element.type, containsNull: true },
    convert(value, path) {
      if (value === null || value === undefined) return null
      if (!Array.isArray(value)) throw mismatch(path, 'an array', value)
      return value.map((v, i) => element.convert(v, `${path}[${i}]`))
    },
  }
}

function mapOf(values: Converter): Converter {
  return {
    type: { type: 'map', keyType: 'string', valueType: values.type, valueContainsNull: true },
    convert(value, path) {
      if (value === null || value === undefined) return null
      if (!isJsonObject(value)) throw mismatch(path, 'an object', value)
      const out: Record<string, unknown> = {}
      for (const [key, v] of Object.entries(value)) setField(out, key, values.convert(v, `${path}.${key}`))
      return out
    },
  }
}

export class StructConverter implements Converter {
  readonly type: StructType
  constructor(readonly fields: Array<[string, Converter]>) {
    this.type = { type: 'struct', fields: fields.map(([name, c]): StructField => ({ name, type: c.type, nullable: true, metadata: {} })) }
  }
  convert(value: unknown, path: string): unknown {
    if (value === null || value === undefined) return null
    if (!isJsonObject(value)) throw mismatch(path || 'the value', 'an object', value)
    const out: Record<string, unknown> = {}
    for (const [name, c] of this.fields) setField(out, name, c.convert(value[name], path ? `${path}.${name}` : name))
    return out
  }
}

function structOf(fields: Array<[string, Converter]>): Converter {
  return new StructConverter(fields)
}

/** Branches of one kind of number widen to double; one branch is itself; others keep the JSON text. */
function union(branches: Converter[]): Converter {
  const typed = branches.filter((b) => b !== NULL_ONLY)
  if (typed.length === 0) return NULL_ONLY
  if (typed.length === 1) return typed[0]
  if (typed.every((b) => b === LONG || b === DOUBLE)) return DOUBLE
  return JSON_TEXT
}
