/**
 * Types from JSON values alone. Numbers: integers are long (beyond the long range, decimal(38,0),
 * then double), anything with a fraction or exponent is double. Strings are strings, except an
 * ISO-8601 date-time that carries a zone ('Z' or an offset), which is an instant: timestamp,
 * normalised to UTC 'Z'. Date-only strings stay strings unless `dates` is asked for: a column of
 * 'YYYY-MM-DD' text often turns out to hold 'N/A' or '0000-00-00' later, and a date column would
 * then refuse those rows. Null is 'void' until a typed value is seen (merge.ts).
 */
import type { DataType, StructField, StructType } from '../delta'
import { withoutCaseClashes } from './case-clashes'
import { ValueError } from './errors'
import { JsonNumber } from './json-text'
import { mergeTypes, withoutVoid } from './merge'
import { VOID, type Typed } from './types'
import {
  base64,
  doubleValue,
  fitsInt64,
  isIsoDate,
  longValue,
  parseZonedTimestamp,
  pastDoubleRange,
  setField,
  significantDigits,
  timestampFromMicros,
} from './values'

export interface InferOptions {
  /** Type 'YYYY-MM-DD' strings as date (off by default, see above). */
  dates?: boolean
}

/** Recognises special objects (MongoDB Extended JSON wrappers) before they are typed as structs. */
export type SpecialObject = (object: Record<string, unknown>) => Typed | undefined

export function typeJsonValue(value: unknown, options: InferOptions = {}, special?: SpecialObject): Typed {
  if (value === null || value === undefined) return { value: null, type: VOID }
  switch (typeof value) {
    case 'boolean':
      return { value, type: 'boolean' }
    case 'number':
      return typeNumber(value)
    case 'bigint':
      return typeInteger(value, value.toString())
    case 'string':
      return typeString(value, options)
  }
  if (value instanceof JsonNumber) return typeExactNumber(value)
  if (value instanceof Uint8Array) return { value: base64(value), type: 'binary' }
  if (Array.isArray(value)) return typeArray(value, options, special)
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>
    return special?.(object) ?? typeObject(object, options, special)
  }
  throw new ValueError(`a ${typeof value} is not a JSON value`)
}

function typeNumber(value: number): Typed {
  if (Number.isSafeInteger(value)) return { value, type: 'long' }
  // An integral double beyond 2^53 (1e20 in the text) was written as a floating-point number.
  return { value: doubleValue(value), type: 'double' }
}

function typeInteger(value: bigint, text: string): Typed {
  if (fitsInt64(value)) return { value: longValue(value), type: 'long' }
  const digits = text.replace(/^-/, '')
  if (digits.length <= 38) return { value: value.toString(), type: 'decimal(38,0)' }
  return { value: text, type: 'string' }
}

/**
 * A number JSON.parse would change (json-text.ts). A fraction a double cannot hold digit for digit
 * is kept as its text: a double column rounds it as it would anyway, and a decimal column takes
 * every digit. What no number column can hold (an integer of more than 38 digits, 1e400, 1e-400)
 * is text: a new column keeps it whole, and a number column the table already has rescues it.
 */
function typeExactNumber(number: JsonNumber): Typed {
  if (number.isInteger) return typeInteger(BigInt(number.text), number.text)
  if (pastDoubleRange(number.text)) return { value: number.text, type: 'string' }
  const n = Number(number.text)
  // The double itself when it has the text's digits (5.0 is 5; 0.30000000000000004 is its own
  // shortest form): the row then shows a number. The text when a double would drop digits.
  return { value: significantDigits(String(n)) === significantDigits(number.text) ? n : number.text, type: 'double' }
}

function typeString(value: string, options: InferOptions): Typed {
  // Cheap test first: most strings are not timestamps.
  if (value.length >= 16 && value.length <= 40 && value.charCodeAt(4) === 0x2d) {
    const micros = parseZonedTimestamp(value)
    if (micros !== undefined) {
      try {
        return { value: timestampFromMicros(micros), type: 'timestamp' }
      } catch {
        return { value, type: 'string' }
      }
    }
  }
  if (options.dates && value.length === 10 && isIsoDate(value)) return { value, type: 'date' }
  return { value, type: 'string' }
}

function typeArray(values: unknown[], options: InferOptions, special?: SpecialObject): Typed {
  let elementType: DataType = VOID
  let containsNull = false
  const out = values.map((element) => {
    const typed = typeJsonValue(element, options, special)
    if (typed.value === null) containsNull = true
    elementType = mergeTypes(elementType, typed.type)
    return typed.value
  })
  return { value: out, type: { type: 'array', elementType, containsNull } }
}

function typeObject(object: Record<string, unknown>, options: InferOptions, special?: SpecialObject): Typed {
  const row: Record<string, unknown> = {}
  const fields: StructField[] = []
  const seen = new Map<string, string>()
  for (const key of Object.keys(object)) {
    // Delta column names are case-insensitive: 'Id' and 'id' side by side would make a table no one can write.
    const lower = key.toLowerCase()
    const clash = seen.get(lower)
    if (clash !== undefined) throw new ValueError(`fields '${clash}' and '${key}' differ only in case`, 'duplicate-column')
    seen.set(lower, key)
    const typed = typeJsonValue(object[key], options, special)
    setField(row, key, typed.value)
    fields.push({ name: key, type: typed.type, nullable: true, metadata: {} })
  }
  return { value: row, type: { type: 'struct', fields } }
}

/**
 * A JSON object as a row and the Delta schema of its columns. Names that differ only in case keep
 * their first spelling; the others come back in `rescued`, by path (case-clashes.ts).
 */
export function inferRow(
  object: Record<string, unknown>,
  options: InferOptions = {},
  special?: SpecialObject,
): { row: Record<string, unknown>; schema: StructType; rescued?: Record<string, unknown> } {
  try {
    const typed = typeObject(object, options, special)
    return { row: typed.value as Record<string, unknown>, schema: withoutVoid(typed.type as StructType) }
  } catch (error) {
    if (!(error instanceof ValueError) || error.reason !== 'duplicate-column') throw error
  }
  const rescued: Record<string, unknown> = {}
  const typed = typeObject(withoutCaseClashes(object, '', rescued) as Record<string, unknown>, options, special)
  return { row: typed.value as Record<string, unknown>, schema: withoutVoid(typed.type as StructType), rescued }
}

/** The schema that holds every row of a sample (parsed JSON objects), by the merge rules. */
export function inferSchema(rows: Record<string, unknown>[], options: InferOptions = {}): StructType {
  let schema: DataType = VOID
  for (const row of rows) schema = mergeTypes(schema, typeObject(row, options).type)
  return schema === VOID ? { type: 'struct', fields: [] } : withoutVoid(schema as StructType)
}
