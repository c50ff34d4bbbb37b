/**
 * Whether a decoded (JSON-safe) row fits a table's schema, so the ingest job can dead-letter a
 * row instead of failing the batch's cast. A value fits when DuckDB would cast it to the column's
 * type without loss: integers within range (as numbers, or as digit strings beyond 2^53),
 * decimals with no more digits than the type holds, ISO dates and zoned timestamps, base64 for
 * binary. A string column takes any value (numbers, booleans and nested values become their JSON
 * text). A row field the schema lacks fits only when it is null or empty: it carries nothing.
 */
import { isArray, isMap, isStruct, type DataType, type StructType } from '../delta'
import { decimalFromNumberText, isIsoDate, parseZonedTimestamp } from './values'

export function conformsTo(row: Record<string, unknown>, schema: StructType): { ok: true } | { ok: false; reason: string } {
  const problem = structProblem(row, schema, '')
  return problem === undefined ? { ok: true } : { ok: false, reason: problem }
}

const INTEGER_RANGE: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
}
const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/
const INTEGER_TEXT = /^-?\d+$/
const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity'])
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Null, or arrays and objects holding nothing but such values. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true
  if (Array.isArray(value)) return value.every(isEmptyValue)
  if (typeof value === 'object') return Object.values(value as object).every(isEmptyValue)
  return false
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function structProblem(value: Record<string, unknown>, type: StructType, path: string): string | undefined {
  const byName = new Map(type.fields.map((f) => [f.name.toLowerCase(), f]))
  const present = new Map<string, string>()
  for (const key of Object.keys(value)) {
    const field = byName.get(key.toLowerCase())
    const where = path ? `${path}.${key}` : key
    if (!field) {
      if (!isEmptyValue(value[key])) return `column '${where}' is not in the table`
      continue
    }
    present.set(field.name.toLowerCase(), key)
  }
  for (const field of type.fields) {
    const key = present.get(field.name.toLowerCase())
    const where = path ? `${path}.${field.name}` : field.name
    const fieldValue = key === undefined ? null : value[key]
    if (fieldValue === null || fieldValue === undefined) {
      if (!field.nullable) return `column '${where}' is not nullable but the value is null`
      continue
    }
    const problem = valueProblem(fieldValue, field.type, where)
    if (problem !== undefined) return problem
  }
  return undefined
}

function valueProblem(value: unknown, type: DataType, path: string): string | undefined {
  const mismatch = () => `column '${path}' has type ${typeof type === 'string' ? type : type.type} but the value is ${describe(value)}`
  if (typeof type === 'string') return primitiveFits(value, type) ? undefined : mismatch()
  if (isStruct(type)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return mismatch()
    return structProblem(value as Record<string, unknown>, type, path)
  }
  if (isArray(type)) {
    if (!Array.isArray(value)) return mismatch()
    for (let i = 0; i < value.length; i++) {
      const element = value[i]
      if (element === null || element === undefined) {
        if (!type.containsNull) return `column '${path}[${i}]' does not take nulls`
        continue
      }
      const problem = valueProblem(element, type.elementType, `${path}[${i}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (isMap(type)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return mismatch()
    for (const [key, entry] of Object.entries(value)) {
      if (!primitiveFits(key, typeof type.keyType === 'string' ? type.keyType : 'string'))
        return `map key '${key}' of '${path}' does not fit ${String(type.keyType)}`
      if (entry === null || entry === undefined) {
        if (!type.valueContainsNull) return `column '${path}' does not take null values`
        continue
      }
      const problem = valueProblem(entry, type.valueType, `${path}.${key}`)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

/** Whether a JSON-safe scalar casts to a primitive column type without loss (see the header). */
export function primitiveFits(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return true
    case 'boolean':
      return typeof value === 'boolean'
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      let integer: bigint
      if (typeof value === 'number' && Number.isSafeInteger(value)) integer = BigInt(value)
      else if (typeof value === 'string' && INTEGER_TEXT.test(value)) integer = BigInt(value)
      else return false
      const [min, max] = INTEGER_RANGE[type]
      return integer >= min && integer <= max
    }
    case 'float':
    case 'double':
      return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && (NON_FINITE.has(value) || NUMBER_TEXT.test(value)))
    case 'date':
      return typeof value === 'string' && isIsoDate(value)
    case 'timestamp':
      return typeof value === 'string' && (parseZonedTimestamp(value) !== undefined || isIsoDate(value))
    case 'timestamp_ntz':
      return typeof value === 'string' && (parseZonedTimestamp(value) !== undefined || parseZonedTimestamp(`${value}Z`) !== undefined || isIsoDate(value))
    case 'binary':
      return typeof value === 'string' && BASE64.test(value)
  }
  const decimal = DECIMAL.exec(type)
  if (decimal) {
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value : undefined
    if (text === undefined || !NUMBER_TEXT.test(text)) return false
    try {
      decimalFromNumberText(text, Number(decimal[2]), Number(decimal[1]))
      return true
    } catch {
      return false
    }
  }
  // Types the decoders never produce (variant, interval...) are the writer's business.
  return true
}
