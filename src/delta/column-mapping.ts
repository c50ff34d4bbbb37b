/**
 * Column mapping in 'name' mode, as a writer needs it (PROTOCOL.md, "Column Mapping"): every
 * field, at any depth, carries `delta.columnMapping.id` (unique, at most `delta.columnMapping.maxColumnId`
 * in the table's configuration) and `delta.columnMapping.physicalName`, the name its data has in
 * the Parquet files. Renaming a column changes only its logical name; dropping one only removes it
 * from the schema. Fields of a table that turns mapping on keep their names as physical names (the
 * files already written stay readable); fields added later get fresh `col-<uuid>` names.
 */
import type { Metadata, Protocol } from './actions'
import { DeltaError } from './errors'
import { readerFeatures, writerFeatures } from './features'
import { columnMappingMode, isArray, isMap, isStruct, parseSchema, type DataType, type StructField, type StructType } from './schema'

const ID = 'delta.columnMapping.id'
const PHYSICAL = 'delta.columnMapping.physicalName'
const MAX_ID = 'delta.columnMapping.maxColumnId'

/** The largest column id in the type (0 when none). */
function maxId(type: DataType): number {
  if (isStruct(type))
    return Math.max(0, ...type.fields.map((f) => Math.max(typeof f.metadata[ID] === 'number' ? (f.metadata[ID] as number) : 0, maxId(f.type))))
  if (isArray(type)) return maxId(type.elementType)
  if (isMap(type)) return Math.max(maxId(type.keyType), maxId(type.valueType))
  return 0
}

/** Every field without an id gets the next id and a physical name (its own name, or a fresh one). */
function assign(type: DataType, next: () => number, physical: (field: StructField) => string): DataType {
  if (isStruct(type)) {
    return {
      ...type,
      fields: type.fields.map((field) => {
        const metadata = field.metadata[ID] === undefined ? { ...field.metadata, [ID]: next(), [PHYSICAL]: physical(field) } : field.metadata
        return { ...field, metadata, type: assign(field.type, next, physical) }
      }),
    }
  }
  if (isArray(type)) return { ...type, elementType: assign(type.elementType, next, physical) }
  if (isMap(type)) return { ...type, keyType: assign(type.keyType, next, physical), valueType: assign(type.valueType, next, physical) }
  return type
}

/**
 * `metadata` with `schema`, and, when the table maps columns by name, ids and physical names for
 * the fields that lack them and maxColumnId raised to match. `keepNames`: the new fields' data
 * already has their names (turning mapping on for an existing table).
 */
export function withSchema(metadata: Metadata, schema: StructType, keepNames = false): Metadata {
  const mode = columnMappingMode(metadata.configuration)
  if (mode === 'none') return { ...metadata, schemaString: JSON.stringify(schema) }
  if (mode !== 'name') throw new DeltaError('UNSUPPORTED_WRITER_FEATURE', `column mapping mode '${mode}' is not written by this writer (only 'name')`)
  let id = Math.max(Number(metadata.configuration[MAX_ID] ?? 0), maxId(schema))
  const mapped = assign(
    schema,
    () => ++id,
    (field) => (keepNames ? field.name : `col-${crypto.randomUUID()}`),
  ) as StructType
  return { ...metadata, schemaString: JSON.stringify(mapped), configuration: { ...metadata.configuration, [MAX_ID]: String(id) } }
}

/** Turning name mapping on for an existing table (its files keep their column names). */
export function enableNameMapping(metadata: Metadata): Metadata {
  const mode = columnMappingMode(metadata.configuration)
  if (mode === 'name') return metadata
  if (mode !== 'none') throw new DeltaError('UNSUPPORTED_WRITER_FEATURE', `column mapping mode '${mode}' cannot be changed to 'name'`)
  return withSchema({ ...metadata, configuration: { ...metadata.configuration, 'delta.columnMapping.mode': 'name' } }, parseSchema(metadata.schemaString), true)
}

/** The protocol a table with column mapping needs: reader 2 / writer 5, or the columnMapping feature on both sides. */
export function protocolWithColumnMapping(protocol: Protocol): Protocol {
  if (readerFeatures(protocol).includes('columnMapping') && writerFeatures(protocol).includes('columnMapping')) return protocol
  if (protocol.minWriterVersion < 7 && protocol.minReaderVersion < 3)
    return { minReaderVersion: Math.max(2, protocol.minReaderVersion), minWriterVersion: Math.max(5, protocol.minWriterVersion) }
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...new Set([...readerFeatures(protocol), 'columnMapping'])].sort(),
    writerFeatures: [...new Set([...writerFeatures(protocol), 'columnMapping'])].sort(),
  }
}

/** The type with every struct field named by its physical name (the shape of the data in the files). */
export function physicalType(type: DataType): DataType {
  if (isStruct(type))
    return {
      ...type,
      fields: type.fields.map((f) => ({
        ...f,
        name: typeof f.metadata[PHYSICAL] === 'string' ? (f.metadata[PHYSICAL] as string) : f.name,
        type: physicalType(f.type),
      })),
    }
  if (isArray(type)) return { ...type, elementType: physicalType(type.elementType) }
  if (isMap(type)) return { ...type, keyType: physicalType(type.keyType), valueType: physicalType(type.valueType) }
  return type
}
