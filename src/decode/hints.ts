/**
 * Schema hints: a source's types declared up front, by column path, as Databricks Auto Loader's
 * `cloudFiles.schemaHints` does. A path names a column as Delta's (and Spark's) schema paths do:
 * `total`, `customer.address.zip`, `items.element.price` (the elements of an array), `attrs.value`
 * (a map's values), `attrs.value.amount` (a field of a map's struct values). Names compare
 * case-insensitively, as Delta's do. A hint's type is a Delta primitive type name
 * (PRIMITIVE_HINT_TYPES), `decimal(p,s)`, or `map<string, T>` of either: an object whose keys
 * are data (SKUs, locales, user ids) is then one map column, not a struct that gains a field for
 * every new key.
 *
 * A hint replaces the type inference would give a column when the column is created: a `total`
 * that a first batch shows only as whole numbers becomes `double` (or `decimal(10,2)`) all the same.
 * A column that already exists keeps its type (Delta allows no long-to-double change); the hint
 * then only shows in the sample's schema. Hints name only columns the data has: a hinted path
 * that never appears adds nothing.
 */
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from '../delta'

export type SchemaHints = Readonly<Record<string, string>>

export const PRIMITIVE_HINT_TYPES = ['string', 'long', 'integer', 'short', 'byte', 'double', 'float', 'boolean', 'date', 'timestamp', 'timestamp_ntz'] as const

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/i

const MAP = /^map\s*<\s*([a-z_]+)\s*,\s*(.+?)\s*>$/i

/** The Delta type a hint's text names (lower case, decimals written `decimal(p,s)`), or a problem. */
export function hintType(text: string): { type: DataType } | { problem: string } {
  const t = text.trim().toLowerCase()
  const map = MAP.exec(t)
  if (map) {
    if (map[1] !== 'string') return { problem: `a map hint's keys are JSON object keys: map<string, …>, not map<${map[1]}, …>` }
    const value = primitiveHintType(map[2])
    if ('problem' in value) return { problem: `in '${text}': ${value.problem}` }
    return { type: { type: 'map', keyType: 'string', valueType: value.type, valueContainsNull: true } }
  }
  return primitiveHintType(t)
}

function primitiveHintType(text: string): { type: string } | { problem: string } {
  const t = text.trim().toLowerCase()
  if ((PRIMITIVE_HINT_TYPES as readonly string[]).includes(t)) return { type: t }
  const decimal = DECIMAL.exec(t)
  if (decimal) {
    const precision = Number(decimal[1])
    const scale = Number(decimal[2])
    if (precision < 1 || precision > 38) return { problem: `decimal precision must be 1 to 38, not ${precision}` }
    if (scale > precision) return { problem: `decimal scale ${scale} is larger than its precision ${precision}` }
    return { type: `decimal(${precision},${scale})` }
  }
  return { problem: `'${text}' is not a type a hint can give: one of ${PRIMITIVE_HINT_TYPES.join(', ')}, decimal(p,s), or map<string, one of those>` }
}

/** A hint's path is dotted names, none empty. */
export function hintPathProblem(path: string): string | undefined {
  if (path.split('.').some((part) => part.trim() === ''))
    return `'${path}' is not a column path: names separated by '.', with 'element' for an array's elements and 'value' for a map's values`
  return undefined
}

/** Hints by lower-cased path, with their Delta types; invalid hints left out (the pipeline file check reports them). */
export function normaliseHints(hints: SchemaHints | undefined): Map<string, DataType> {
  const out = new Map<string, DataType>()
  for (const [path, text] of Object.entries(hints ?? {})) {
    const parsed = hintType(text)
    if ('type' in parsed && hintPathProblem(path) === undefined) out.set(path.toLowerCase(), parsed.type)
  }
  return out
}

/** The child path of a struct field, an array's elements or a map's values. */
export function childPath(path: string, part: string): string {
  return path === '' ? part.toLowerCase() : `${path}.${part.toLowerCase()}`
}

/**
 * The type with every hinted path's type replaced by its hint, starting at `path` (lower case,
 * '' for the row). Returns `type` itself when no hint applies. A hint on a struct, array or map
 * column replaces the whole column's type by the primitive: its values then go in as that type's
 * text where they fit (a string hint takes any value as its JSON text).
 */
export function applyHints(type: DataType, hints: ReadonlyMap<string, DataType>, path = ''): DataType {
  if (hints.size === 0) return type
  const hinted = path === '' ? undefined : hints.get(path)
  if (hinted !== undefined) return hinted
  if (isStruct(type)) return applyHintsToStruct(type, hints, path)
  if (isArray(type)) {
    const elementType = applyHints(type.elementType, hints, childPath(path, 'element'))
    return elementType === type.elementType ? type : { ...type, elementType }
  }
  if (isMap(type)) {
    const valueType = applyHints(type.valueType, hints, childPath(path, 'value'))
    return valueType === type.valueType ? type : { ...type, valueType }
  }
  return type
}

export function applyHintsToStruct(type: StructType, hints: ReadonlyMap<string, DataType>, path = ''): StructType {
  let fields: StructField[] | undefined
  type.fields.forEach((field, i) => {
    const inner = applyHints(field.type, hints, childPath(path, field.name))
    if (inner === field.type) return
    fields ??= type.fields.slice()
    fields[i] = { ...field, type: inner }
  })
  return fields ? { type: 'struct', fields } : type
}

/** The paths (as written in the hints) of the columns of `schema` whose type a hint gave. */
export function hintedPaths(schema: StructType, hints: ReadonlyMap<string, DataType>): Set<string> {
  const found = new Set<string>()
  const walk = (type: DataType, path: string) => {
    if (path !== '' && hints.has(path)) found.add(path)
    if (isStruct(type)) for (const f of type.fields) walk(f.type, childPath(path, f.name))
    else if (isArray(type)) walk(type.elementType, childPath(path, 'element'))
    else if (isMap(type)) walk(type.valueType, childPath(path, 'value'))
  }
  walk(schema, '')
  return found
}
