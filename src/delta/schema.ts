/**
 * Delta table schemas: parsing `schemaString`, the DuckDB type of each Delta type, column-mapping
 * names, and the rules for evolving a schema on append.
 */
import { DeltaError } from './errors'

export type PrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'variant'
  | `decimal(${number},${number})`
  | string

export interface StructField {
  name: string
  type: DataType
  nullable: boolean
  metadata: Record<string, unknown>
}
export interface StructType {
  type: 'struct'
  fields: StructField[]
}
export interface ArrayType {
  type: 'array'
  elementType: DataType
  containsNull: boolean
}
export interface MapType {
  type: 'map'
  keyType: DataType
  valueType: DataType
  valueContainsNull: boolean
}
export type DataType = PrimitiveType | StructType | ArrayType | MapType

export function isStruct(type: DataType): type is StructType {
  return typeof type === 'object' && type.type === 'struct'
}
export function isArray(type: DataType): type is ArrayType {
  return typeof type === 'object' && type.type === 'array'
}
export function isMap(type: DataType): type is MapType {
  return typeof type === 'object' && type.type === 'map'
}

export function parseSchema(schemaString: string, table?: string): StructType {
  let parsed: unknown
  try {
    parsed = JSON.parse(schemaString)
  } catch (cause) {
    throw new DeltaError('CORRUPT_LOG', `metaData.schemaString is not valid JSON`, { table, cause })
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as StructType).type !== 'struct') {
    throw new DeltaError('CORRUPT_LOG', `metaData.schemaString is not a struct type`, { table })
  }
  return parsed as StructType
}

export type ColumnMappingMode = 'none' | 'name' | 'id'

export function columnMappingMode(configuration: Record<string, string>): ColumnMappingMode {
  const mode = configuration['delta.columnMapping.mode'] ?? 'none'
  if (mode === 'none' || mode === 'name' || mode === 'id') return mode
  throw new DeltaError('UNSUPPORTED_READER_FEATURE', `unknown delta.columnMapping.mode '${mode}'`)
}

/** The name of a field inside the Parquet files: its physical name under column mapping. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name
  const name = field.metadata['delta.columnMapping.physicalName']
  return typeof name === 'string' ? name : field.name
}

export function fieldId(field: StructField): number | undefined {
  const id = field.metadata['delta.columnMapping.id']
  return typeof id === 'number' ? id : undefined
}

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/

/** The DuckDB type that holds a Delta type exactly. Delta `timestamp` is UTC-adjusted: TIMESTAMPTZ. */
export function duckdbType(type: DataType): string {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return 'VARCHAR'
      case 'long':
        return 'BIGINT'
      case 'integer':
        return 'INTEGER'
      case 'short':
        return 'SMALLINT'
      case 'byte':
        return 'TINYINT'
      case 'float':
        return 'FLOAT'
      case 'double':
        return 'DOUBLE'
      case 'boolean':
        return 'BOOLEAN'
      case 'binary':
        return 'BLOB'
      case 'date':
        return 'DATE'
      case 'timestamp':
        return 'TIMESTAMPTZ'
      case 'timestamp_ntz':
        return 'TIMESTAMP'
      case 'void':
        return 'INTEGER'
      case 'variant':
        // Read as its JSON text (engine/file-read.ts decodes the variant binary encoding).
        return 'JSON'
    }
    const decimal = DECIMAL.exec(type)
    if (decimal) return `DECIMAL(${decimal[1]},${decimal[2]})`
    if (type === 'decimal') return 'DECIMAL(10,0)'
    throw new DeltaError('UNSUPPORTED_READER_FEATURE', `data type '${type}' is not supported`)
  }
  if (type.type === 'array') return `${duckdbType(type.elementType)}[]`
  if (type.type === 'map') return `MAP(${duckdbType(type.keyType)}, ${duckdbType(type.valueType)})`
  return `STRUCT(${type.fields.map((f) => `${quoteIdentifier(f.name)} ${duckdbType(f.type)}`).join(', ')})`
}

/** The Delta type that a DuckDB column type maps to, for creating tables from query results. */
export function deltaTypeFromDuckdb(duck: string): DataType {
  const t = duck.trim().toUpperCase()
  const simple: Record<string, PrimitiveType> = {
    VARCHAR: 'string',
    BIGINT: 'long',
    INTEGER: 'integer',
    SMALLINT: 'short',
    TINYINT: 'byte',
    FLOAT: 'float',
    DOUBLE: 'double',
    BOOLEAN: 'boolean',
    BLOB: 'binary',
    DATE: 'date',
    'TIMESTAMP WITH TIME ZONE': 'timestamp',
    TIMESTAMPTZ: 'timestamp',
    TIMESTAMP: 'timestamp_ntz',
    UTINYINT: 'short',
    USMALLINT: 'integer',
    UINTEGER: 'long',
    JSON: 'string',
    UUID: 'string',
  }
  if (simple[t]) return simple[t]
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t)
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`
  if (t === 'HUGEINT' || t === 'UBIGINT') return 'decimal(38,0)'
  if (t.startsWith('TIMESTAMP_')) return 'timestamp_ntz'
  if (t.endsWith('[]')) return { type: 'array', elementType: deltaTypeFromDuckdb(duck.trim().slice(0, -2)), containsNull: true }
  const inner = /^(STRUCT|MAP)\((.*)\)$/is.exec(duck.trim())
  if (inner && inner[1].toUpperCase() === 'MAP') {
    const [key, value] = splitTopLevel(inner[2])
    return { type: 'map', keyType: deltaTypeFromDuckdb(key), valueType: deltaTypeFromDuckdb(value), valueContainsNull: true }
  }
  if (inner) {
    const fields = splitTopLevel(inner[2]).map((part): StructField => {
      const [name, rest] = splitFieldName(part.trim())
      return { name, type: deltaTypeFromDuckdb(rest), nullable: true, metadata: {} }
    })
    return { type: 'struct', fields }
  }
  throw new DeltaError('SCHEMA_MISMATCH', `DuckDB type ${duck} has no Delta equivalent`)
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') quoted = !quoted
    else if (!quoted && c === '(') depth++
    else if (!quoted && c === ')') depth--
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(text.slice(start).trim())
  return parts
}

function splitFieldName(part: string): [string, string] {
  if (part.startsWith('"')) {
    let i = 1
    let name = ''
    while (i < part.length) {
      if (part[i] === '"' && part[i + 1] === '"') {
        name += '"'
        i += 2
        continue
      }
      if (part[i] === '"') break
      name += part[i++]
    }
    return [name, part.slice(i + 1).trim()]
  }
  const space = part.indexOf(' ')
  return [part.slice(0, space), part.slice(space + 1).trim()]
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** Structural type equality, ignoring nullability and field metadata. */
export function sameType(a: DataType, b: DataType): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b
  if (a.type === 'array' && b.type === 'array') return sameType(a.elementType, b.elementType)
  if (a.type === 'map' && b.type === 'map') return sameType(a.keyType, b.keyType) && sameType(a.valueType, b.valueType)
  if (a.type === 'struct' && b.type === 'struct') {
    return a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i].name && sameType(f.type, b.fields[i].type))
  }
  return false
}

/**
 * Merge an incoming schema into the table's for an append. New columns must be nullable and are
 * added at the end (top level or inside structs, also structs inside array elements and map
 * values); a column whose type changes is refused, since old files could no longer be read as the
 * new type without the typeWidening feature. Returns the table schema unchanged when nothing is new.
 */
export function mergeSchemaForAppend(table: StructType, incoming: StructType, tableName?: string, path = ''): StructType {
  const byName = new Map(table.fields.map((f) => [f.name.toLowerCase(), f]))
  const added: StructField[] = []
  const merged = table.fields.map((field) => field)
  for (const field of incoming.fields) {
    const existing = byName.get(field.name.toLowerCase())
    const where = path ? `${path}.${field.name}` : field.name
    if (!existing) {
      added.push({ ...field, nullable: true })
      continue
    }
    const type = mergeNestedType(existing.type, field.type, tableName, where)
    if (type !== existing.type) merged[merged.indexOf(existing)] = { ...existing, type }
  }
  if (added.length === 0 && merged.every((f, i) => f === table.fields[i])) return table
  return { type: 'struct', fields: [...merged, ...added] }
}

/** One column's type merged with the data's: structs gain fields at any depth; `existing` itself when nothing is new. */
function mergeNestedType(existing: DataType, incoming: DataType, tableName: string | undefined, where: string): DataType {
  if (isStruct(existing) && isStruct(incoming)) return mergeSchemaForAppend(existing, incoming, tableName, where)
  if (isArray(existing) && isArray(incoming) && !sameType(existing, incoming)) {
    const elementType = mergeNestedType(existing.elementType, incoming.elementType, tableName, `${where}.element`)
    return elementType === existing.elementType ? existing : { ...existing, elementType }
  }
  if (isMap(existing) && isMap(incoming) && !sameType(existing, incoming)) {
    const keyType = mergeNestedType(existing.keyType, incoming.keyType, tableName, `${where}.key`)
    const valueType = mergeNestedType(existing.valueType, incoming.valueType, tableName, `${where}.value`)
    return keyType === existing.keyType && valueType === existing.valueType ? existing : { ...existing, keyType, valueType }
  }
  if (!sameType(existing, incoming) && !canWidenInto(incoming, existing)) {
    throw new DeltaError(
      'SCHEMA_MISMATCH',
      `column '${where}' has type ${describeType(existing)} in the table but ${describeType(incoming)} in the data; ` +
        `only lossless casts into the table's type are applied on append (e.g. integer into long), and changing a column's type is not supported`,
      { table: tableName },
    )
  }
  return existing
}

const INTEGRAL_DIGITS: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 19 }

/**
 * Whether every value of `from` converts to `to` without loss, so an append can cast the data
 * into the table's type (Spark's store assignment does the same for these cases).
 */
export function canWidenInto(from: DataType, to: DataType): boolean {
  if (typeof from === 'string' && typeof to === 'string') {
    if (from === to) return true
    const fromDigits = INTEGRAL_DIGITS[from]
    if (fromDigits !== undefined) {
      if (INTEGRAL_DIGITS[to] !== undefined) return INTEGRAL_DIGITS[to] >= fromDigits
      if (to === 'double') return from !== 'long'
      const decimal = DECIMAL.exec(to)
      return decimal !== null && Number(decimal[1]) - Number(decimal[2]) >= fromDigits
    }
    if (from === 'float') return to === 'double'
    const a = DECIMAL.exec(from)
    const b = DECIMAL.exec(to)
    if (a && b) return Number(b[2]) >= Number(a[2]) && Number(b[1]) - Number(b[2]) >= Number(a[1]) - Number(a[2])
    return false
  }
  if (typeof from === 'string' || typeof to === 'string') return false
  if (from.type === 'array' && to.type === 'array') return canWidenInto(from.elementType, to.elementType)
  if (from.type === 'map' && to.type === 'map') return sameType(from.keyType, to.keyType) && canWidenInto(from.valueType, to.valueType)
  if (from.type === 'struct' && to.type === 'struct') {
    return from.fields.every((f) => {
      const target = to.fields.find((t) => t.name.toLowerCase() === f.name.toLowerCase())
      return target !== undefined && canWidenInto(f.type, target.type)
    })
  }
  return false
}

export function describeType(type: DataType): string {
  if (typeof type === 'string') return type
  if (type.type === 'array') return `array<${describeType(type.elementType)}>`
  if (type.type === 'map') return `map<${describeType(type.keyType)},${describeType(type.valueType)}>`
  return `struct<${type.fields.map((f) => `${f.name}:${describeType(f.type)}`).join(',')}>`
}
