/**
 * JSON-safe rows (as the decoders produce them) into DuckDB with their Delta types, through
 * json_transform: missing fields read as null, ISO timestamps and decimal strings convert exactly.
 */
import { duckdbType, type DataType, type StructType } from '../delta'

/** json_transform's structure argument for a Delta type. */
export function jsonStructure(type: DataType): unknown {
  if (typeof type === 'string') return type === 'void' ? 'VARCHAR' : duckdbType(type)
  if (type.type === 'struct') return Object.fromEntries(type.fields.map((f) => [f.name, jsonStructure(f.type)]))
  if (type.type === 'array') return [jsonStructure(type.elementType)]
  return duckdbType(type)
}

/** A SELECT yielding one row per JSON text in `table.column`, typed by `schema`. */
export function typedJsonSelect(source: string, column: string, schema: StructType): string {
  const structure = JSON.stringify(jsonStructure(schema)).replaceAll("'", "''")
  if (schema.fields.length === 0) return `SELECT NULL AS __empty FROM ${source} WHERE false`
  return `SELECT unnest(json_transform(${column}, '${structure}')) FROM ${source}`
}
