/**
 * How a raw table's schema follows its data. The rules, in order:
 *  - a field the table lacks is added, at any depth: top level, inside a struct, inside the
 *    elements of an array of structs, inside a map's struct values, and any nesting of these;
 *  - a new column's type comes from the whole batch, not from its first message: numbers widen as
 *    inference's do (a field seen both whole and fractional is `double`, decode/merge.ts), and a
 *    date meets a timestamp as a timestamp; any other conflict keeps the type seen first (the odd
 *    values are rescued, as in later batches), so one stray value does not turn a column into
 *    text. A schema hint names a type up front instead;
 *  - a column that exists keeps its type: a value that does not fit it is rescued into
 *    `_rescued_data` (decode/rescue.ts) while the rest of the row lands. Delta's type widening
 *    does not allow `long` to `double` (PROTOCOL.md, Type Widening), and this writer does not
 *    write the typeWidening feature, so no column ever changes type here;
 *  - raw columns are nullable, and arrays and maps take nulls (a later `[1, null]` is no conflict);
 *    integers are `long`, floats `double` and decimals of up to 18 digits `decimal(18, s)`,
 *    whatever width a source schema declares, so a source column widened later (INT to BIGINT,
 *    DECIMAL(10,2) to DECIMAL(12,2)) fits the column it already has;
 *  - a name no column can have (a forbidden top-level name, an empty nested one) and the names
 *    the job writes itself (the Kafka coordinates, `_rescued_data`) add no column: their values
 *    are rescued.
 */
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from '../delta'
import { applyHints, childPath, mergeTypes } from '../decode'
import { columnNameProblem } from '../table'

/** Narrower numbers a raw column stores at their widest: a source widening INT to BIGINT then meets no narrower column. */
const WIDEST: Partial<Record<string, DataType>> = { byte: 'long', short: 'long', integer: 'long', float: 'double' }

/**
 * A decimal of up to 18 digits stored with 18 (its scale kept): `DECIMAL(10,2)` raised to
 * `DECIMAL(12,2)` at the source then fits, and Parquet stores both as the same 64-bit integer.
 */
function widestDecimal(type: string): string {
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type)
  return decimal && Number(decimal[1]) < 18 ? `decimal(18,${decimal[2]})` : type
}

/**
 * Raw tables keep binary values base64-encoded (JSON cannot carry bytes), integers as `long`,
 * floats as `double` and decimals with at least 18 digits (a schema's INT32, FLOAT32 or
 * DECIMAL(10,2) may widen later: Debezium after `ALTER COLUMN … TYPE BIGINT`, Avro's promotions),
 * and take nulls everywhere.
 */
export function storable(type: DataType): DataType {
  if (type === 'binary') return 'string'
  if (typeof type === 'string') return WIDEST[type] ?? widestDecimal(type)
  if (isStruct(type)) return { ...type, fields: type.fields.map((f) => ({ ...f, type: storable(f.type), nullable: true })) }
  if (isArray(type)) return { ...type, elementType: storable(type.elementType), containsNull: true }
  if (isMap(type)) return { ...type, keyType: storable(type.keyType), valueType: storable(type.valueType), valueContainsNull: true }
  return type
}

/**
 * The table's schema with what `incoming` has and it lacks added (see the rules above); `table`
 * itself when nothing is new. `incoming` is in storable form.
 */
export function evolveRawSchema(table: StructType, incoming: StructType, hints: ReadonlyMap<string, DataType>, reserved: ReadonlySet<string>): StructType {
  return evolveStruct(table, incoming, hints, '', reserved)
}

function evolveStruct(table: StructType, incoming: StructType, hints: ReadonlyMap<string, DataType>, path: string, reserved?: ReadonlySet<string>): StructType {
  let byName: Map<string, number> | undefined
  let fields: StructField[] | undefined
  for (const field of incoming.fields) {
    if (path === '' ? reserved?.has(field.name) || columnNameProblem(field.name) !== undefined : field.name === '') continue
    byName ??= new Map(table.fields.map((f, i) => [f.name.toLowerCase(), i]))
    const at = byName.get(field.name.toLowerCase())
    const here = childPath(path, field.name)
    if (at === undefined) {
      const type = withoutEmptyNames(applyHints(field.type, hints, here))
      if (type === undefined) continue
      fields ??= table.fields.slice()
      byName.set(field.name.toLowerCase(), fields.length)
      fields.push({ ...field, type, nullable: true })
      continue
    }
    const existing = (fields ?? table.fields)[at]
    const type = evolveType(existing.type, field.type, hints, here)
    if (type === existing.type) continue
    fields ??= table.fields.slice()
    fields[at] = { ...existing, type }
  }
  return fields ? { type: 'struct', fields } : table
}

function evolveType(table: DataType, incoming: DataType, hints: ReadonlyMap<string, DataType>, path: string): DataType {
  if (isStruct(table) && isStruct(incoming)) return evolveStruct(table, incoming, hints, path)
  if (isArray(table) && isArray(incoming)) {
    const elementType = evolveType(table.elementType, incoming.elementType, hints, childPath(path, 'element'))
    return elementType === table.elementType ? table : { ...table, elementType }
  }
  if (isMap(table) && isMap(incoming)) {
    const valueType = evolveType(table.valueType, incoming.valueType, hints, childPath(path, 'value'))
    return valueType === table.valueType ? table : { ...table, valueType }
  }
  // Different types: the table's stays; values that do not fit it are rescued.
  return table
}

/** The type without struct fields named '' (DuckDB cannot type them; their values are rescued). */
function withoutEmptyNames(type: DataType): DataType | undefined {
  if (isStruct(type)) {
    const fields: StructField[] = []
    for (const f of type.fields) {
      if (f.name === '') continue
      const inner = withoutEmptyNames(f.type)
      if (inner !== undefined) fields.push(inner === f.type ? f : { ...f, type: inner })
    }
    return fields.length === 0
      ? undefined
      : fields.length === type.fields.length && fields.every((f, i) => f === type.fields[i])
        ? type
        : { type: 'struct', fields }
  }
  if (isArray(type)) {
    const element = withoutEmptyNames(type.elementType)
    return element === undefined ? undefined : element === type.elementType ? type : { ...type, elementType: element }
  }
  if (isMap(type)) {
    const value = withoutEmptyNames(type.valueType)
    return value === undefined ? undefined : value === type.valueType ? type : { ...type, valueType: value }
  }
  return type
}

/**
 * Two row schemas of one batch as one, by the rule above (mergeBatchSchemas(a, b) keeps `a`'s
 * order and adds what only `b` has).
 */
export function mergeBatchSchemas(a: StructType, b: StructType): StructType {
  return mergeBatchTypes(a, b) as StructType
}

function mergeBatchTypes(a: DataType, b: DataType): DataType {
  if (a === b) return a
  if (isStruct(a) && isStruct(b)) {
    let fields: StructField[] | undefined
    let byName: Map<string, number> | undefined
    for (const field of b.fields) {
      byName ??= new Map(a.fields.map((f, i) => [f.name.toLowerCase(), i]))
      const at = byName.get(field.name.toLowerCase())
      if (at === undefined) {
        fields ??= a.fields.slice()
        byName.set(field.name.toLowerCase(), fields.length)
        fields.push({ ...field, nullable: true })
        continue
      }
      const existing = (fields ?? a.fields)[at]
      const type = mergeBatchTypes(existing.type, field.type)
      if (type === existing.type) continue
      fields ??= a.fields.slice()
      fields[at] = { ...existing, type }
    }
    return fields ? { type: 'struct', fields } : a
  }
  if (isArray(a) && isArray(b)) {
    const elementType = mergeBatchTypes(a.elementType, b.elementType)
    return elementType === a.elementType ? a : { ...a, elementType }
  }
  if (isMap(a) && isMap(b)) {
    const valueType = mergeBatchTypes(a.valueType, b.valueType)
    return valueType === a.valueType ? a : { ...a, valueType }
  }
  if (typeof a === 'string' && typeof b === 'string') {
    const merged = mergeTypes(a, b)
    return merged === 'string' && a !== 'string' ? a : merged
  }
  return a
}

const INTEGRAL_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 }

/**
 * True when every value of type `from` fits `to` as it is written, whatever the value: the same
 * type, an integer into a wider integer or into `double` (a JSON number is a number), a float into
 * a double, and containers of such, with every struct field the data has named exactly as in the
 * table. Rows typed so are written as they are, with no per-value check (the ingest hot path).
 */
export function fitsWhateverTheValues(from: DataType, to: DataType): boolean {
  // Any value goes into a text column as its JSON text, on every path alike.
  if (to === 'string') return true
  if (typeof from === 'string' || typeof to === 'string') {
    if (from === to) return true
    if (typeof from !== 'string' || typeof to !== 'string') return false
    const rank = INTEGRAL_RANK[from]
    if (rank !== undefined) return to === 'double' || (INTEGRAL_RANK[to] ?? 0) >= rank
    return from === 'float' && to === 'double'
  }
  if (isStruct(from) && isStruct(to)) {
    return from.fields.every((f) => {
      const target = to.fields.find((t) => t.name === f.name)
      return target !== undefined && fitsWhateverTheValues(f.type, target.type)
    })
  }
  if (isArray(from) && isArray(to)) return (to.containsNull || !from.containsNull) && fitsWhateverTheValues(from.elementType, to.elementType)
  if (isMap(from) && isMap(to))
    return (to.valueContainsNull || !from.valueContainsNull) && from.keyType === to.keyType && fitsWhateverTheValues(from.valueType, to.valueType)
  return false
}
