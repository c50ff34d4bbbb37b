/**
 * One logical column from what a data file holds: nested fields renamed from physical to logical
 * names, fields missing from older files filled with NULL, every leaf cast to the table's type
 * (which also applies type widening), and variants decoded to their JSON text.
 */
import { type ColumnMappingMode, type DataType, deltaTypeFromDuckdb, duckdbType, isArray, isMap, isStruct, physicalName, quoteIdentifier } from '../delta'

export function deltaTypeFromDuckdbSafe(type: string): DataType | undefined {
  try {
    return deltaTypeFromDuckdb(type)
  } catch {
    return undefined
  }
}

/**
 * An expression turning a physical value into the logical column: nested fields renamed from
 * physical to logical names, fields missing from older files filled with NULL, and every leaf
 * cast to the table's type (which also applies type widening).
 */
export function convertColumn(expression: string, source: DataType | undefined, target: DataType, mapping: ColumnMappingMode): string {
  if (target === 'variant') return variantAsJson(expression, source)
  if (isStruct(target)) {
    if (!source || !isStruct(source)) return `CAST(${expression} AS ${duckdbType(target)})`
    const sourceFields = new Map(source.fields.map((f) => [f.name, f.type]))
    const members = target.fields.map((field) => {
      const physical = physicalName(field, mapping)
      const alias = quoteIdentifier(field.name)
      if (!sourceFields.has(physical)) return `${alias} := NULL::${duckdbType(field.type)}`
      return `${alias} := ${convertColumn(`${expression}.${quoteIdentifier(physical)}`, sourceFields.get(physical), field.type, mapping)}`
    })
    return `CASE WHEN ${expression} IS NULL THEN NULL ELSE struct_pack(${members.join(', ')}) END`
  }
  if (isArray(target) && source && isArray(source) && needsRewrite(target.elementType)) {
    return `list_transform(${expression}, __e -> ${convertColumn('__e', source.elementType, target.elementType, mapping)})`
  }
  if (isMap(target) && source && isMap(source) && (needsRewrite(target.keyType) || needsRewrite(target.valueType))) {
    const key = convertColumn('__m.key', source.keyType, target.keyType, mapping)
    const value = convertColumn('__m.value', source.valueType, target.valueType, mapping)
    return `map_from_entries(list_transform(map_entries(${expression}), __m -> {'key': ${key}, 'value': ${value}}))`
  }
  return `CAST(${expression} AS ${duckdbType(target)})`
}

/**
 * A variant column as JSON text. Files written by Spark and delta-kernel-rs hold a variant as the
 * struct of its two binary parts (metadata, value) of the Parquet variant encoding, which DuckDB
 * decodes from their concatenation; a file that annotates the column as VARIANT is read as one.
 * (Shredded values are refused before: see `projectField`.)
 */
function variantAsJson(expression: string, source: DataType | undefined): string {
  if (source && isStruct(source)) {
    return `CASE WHEN ${expression} IS NULL THEN NULL ELSE CAST(variant_bytes_to_variant(${expression}."metadata" || ${expression}."value") AS JSON) END`
  }
  return `CAST(${expression} AS JSON)`
}

/** Whether a column of this type has a variant in it, at any depth. */
export function holdsVariant(type: DataType): boolean {
  if (type === 'variant') return true
  if (isStruct(type)) return type.fields.some((f) => holdsVariant(f.type))
  if (isArray(type)) return holdsVariant(type.elementType)
  if (isMap(type)) return holdsVariant(type.keyType) || holdsVariant(type.valueType)
  return false
}

function needsRewrite(type: DataType): boolean {
  if (type === 'variant' || isStruct(type)) return true
  if (isArray(type)) return needsRewrite(type.elementType)
  if (isMap(type)) return needsRewrite(type.keyType) || needsRewrite(type.valueType)
  return false
}
