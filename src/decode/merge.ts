/**
 * Combining the types seen in different messages into one. The rules, in order:
 *  - 'void' (seen only as null or empty) gives way to anything;
 *  - integers widen to the larger integer; integers and floats meet at double (a long beyond
 *    2^53 then loses digits, as in every JSON reader); decimals widen to hold both ranges, and
 *    become double past 38 digits; a decimal meeting a float is double;
 *  - a date meeting a timestamp is a timestamp (midnight UTC);
 *  - structs merge field by field (names compared case-insensitively, as Delta does; a field
 *    missing on one side is nullable), arrays and maps by their element types;
 *  - every other conflict is 'string': any JSON value fits a string column as its JSON text.
 */
import { isArray, isMap, isStruct, type DataType, type StructField, type StructType } from '../delta'
import { VOID } from './types'

const INTEGRAL_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 }
const INTEGRAL_DIGITS: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 19 }
const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/
const MAX_PRECISION = 38

export function mergeTypes(a: DataType, b: DataType): DataType {
  if (a === VOID) return b
  if (b === VOID) return a
  if (typeof a === 'string' && typeof b === 'string') return mergePrimitive(a, b)
  if (isStruct(a) && isStruct(b)) return mergeStructs(a, b)
  // Unchanged types come back as `a` itself, so callers can tell "nothing widened" by identity.
  if (isArray(a) && isArray(b)) {
    const elementType = mergeTypes(a.elementType, b.elementType)
    const containsNull = a.containsNull || b.containsNull
    return elementType === a.elementType && containsNull === a.containsNull ? a : { type: 'array', elementType, containsNull }
  }
  if (isMap(a) && isMap(b)) {
    const keyType = mergeTypes(a.keyType, b.keyType)
    const valueType = mergeTypes(a.valueType, b.valueType)
    const valueContainsNull = a.valueContainsNull || b.valueContainsNull
    if (keyType === a.keyType && valueType === a.valueType && valueContainsNull === a.valueContainsNull) return a
    return { type: 'map', keyType, valueType, valueContainsNull }
  }
  return 'string'
}

function mergePrimitive(a: string, b: string): DataType {
  if (a === b) return a
  const rankA = INTEGRAL_RANK[a]
  const rankB = INTEGRAL_RANK[b]
  if (rankA && rankB) return rankA >= rankB ? a : b
  const decimalA = DECIMAL.exec(a)
  const decimalB = DECIMAL.exec(b)
  const floating = (t: string) => t === 'float' || t === 'double'
  if ((floating(a) || rankA || decimalA) && (floating(b) || rankB || decimalB)) {
    if (floating(a) || floating(b)) return 'double'
    // Two decimals, or an integer and a decimal: enough integer digits and fraction digits for both.
    const whole = (t: string, d: RegExpExecArray | null) => (d ? Number(d[1]) - Number(d[2]) : INTEGRAL_DIGITS[t])
    const scale = Math.max(decimalA ? Number(decimalA[2]) : 0, decimalB ? Number(decimalB[2]) : 0)
    const precision = Math.max(whole(a, decimalA), whole(b, decimalB)) + scale
    return precision <= MAX_PRECISION ? `decimal(${precision},${scale})` : 'double'
  }
  const pair = new Set([a, b])
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp'
  if (pair.has('date') && pair.has('timestamp_ntz')) return 'timestamp_ntz'
  return 'string'
}

function mergeStructs(a: StructType, b: StructType): StructType {
  if (sameFields(a, b)) return a
  const fields: StructField[] = a.fields.map((f) => f)
  const index = new Map(fields.map((f, i) => [f.name.toLowerCase(), i]))
  const seenInB = new Set<string>()
  for (const field of b.fields) {
    const name = field.name.toLowerCase()
    seenInB.add(name)
    const at = index.get(name)
    if (at === undefined) {
      index.set(name, fields.length)
      fields.push({ ...field, nullable: true })
      continue
    }
    const existing = fields[at]
    const type = mergeTypes(existing.type, field.type)
    const nullable = existing.nullable || field.nullable
    if (type !== existing.type || nullable !== existing.nullable) fields[at] = { ...existing, type, nullable }
  }
  for (let i = 0; i < fields.length; i++) {
    if (!seenInB.has(fields[i].name.toLowerCase()) && !fields[i].nullable) fields[i] = { ...fields[i], nullable: true }
  }
  return { type: 'struct', fields }
}

/** The common case in arrays of records: the same fields in the same order, nothing to widen. */
function sameFields(a: StructType, b: StructType): boolean {
  if (a.fields.length !== b.fields.length) return false
  for (let i = 0; i < a.fields.length; i++) {
    const x = a.fields[i]
    const y = b.fields[i]
    if (x.name !== y.name || (y.nullable && !x.nullable) || mergeTypes(x.type, y.type) !== x.type) return false
  }
  return true
}

/** Two row schemas as one: the public form of the rules above. */
export function mergeInferred(a: StructType, b: StructType): StructType {
  return withoutVoid(mergeStructs(a, b))
}

/**
 * A type with every part known only as null (or as an empty array or object) taken out: such a
 * column has no type yet, and creating it now would fix a guess. Undefined when nothing is left.
 */
export function stripVoid(type: DataType): DataType | undefined {
  if (type === VOID) return undefined
  if (isStruct(type)) {
    const fields: StructField[] = []
    for (const field of type.fields) {
      const inner = stripVoid(field.type)
      if (inner !== undefined) fields.push(inner === field.type ? field : { ...field, type: inner })
    }
    if (fields.length === 0) return undefined
    return fields.length === type.fields.length && fields.every((f, i) => f === type.fields[i]) ? type : { type: 'struct', fields }
  }
  if (isArray(type)) {
    const element = stripVoid(type.elementType)
    if (element === undefined) return undefined
    return element === type.elementType ? type : { ...type, elementType: element }
  }
  if (isMap(type)) {
    const value = stripVoid(type.valueType)
    if (value === undefined) return undefined
    return value === type.valueType ? type : { ...type, valueType: value }
  }
  return type
}

export function withoutVoid(schema: StructType): StructType {
  const stripped = stripVoid(schema)
  return stripped !== undefined && isStruct(stripped) ? stripped : { type: 'struct', fields: [] }
}
