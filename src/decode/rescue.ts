/**
 * Fitting a decoded row to a table's schema without losing it, as Databricks Auto Loader's rescued
 * data column does: a value that does not fit its column (a fraction in a `long` column, text in a
 * `timestamp` column, an object where the table has a number, a field no column can be named for)
 * is taken out of the row and kept, with its path, in a JSON object that goes into the row's
 * `_rescued_data` column; the rest of the row lands. Nothing that could be read is dropped.
 *
 * A value fits when conforms.ts says it casts without loss. Whole numbers fit `double` columns and
 * decimal columns that hold them (a JSON number is a number: `133` is `133.0`), unless a double
 * would round them (integers beyond 2^53, which the decoders keep as digits); a decimal column's
 * numbers are written as their exact decimal text (never through a double), and a number with more
 * fraction digits than the column's scale is rescued rather than rounded.
 *
 * Paths: `total`, `customer.address.zip`, `items[2].price` (an array element), `attrs.k1` (a map
 * value). Inside an array or map that does not take nulls (a table created before raw columns
 * always took them), a value that does not fit rescues the whole array or map.
 */
import { isArray, isMap, isStruct, type DataType, type StructType } from '../delta'
import { isEmptyValue, primitiveFits } from './conforms'
import { decimalFromNumberText, pastDoubleRange } from './values'

export const RESCUED_DATA_COLUMN = '_rescued_data'

export interface FittedRow {
  /** The row with what does not fit taken out: `row` itself when everything fits as it is. */
  row: Record<string, unknown>
  /** Path → original value of what was taken out; undefined when nothing was. */
  rescued: Record<string, unknown> | undefined
}

const REJECT = Symbol('reject')
const INTEGER_TEXT = /^-?\d+$/

/**
 * Integer digits must survive a double; a fraction is rounded as a double column rounds it, but a
 * magnitude past a double's range (1e400 would be Infinity, 1e-400 zero) is kept whole instead.
 * 'NaN' and 'Infinity' are a double's own values.
 */
function exactAsDouble(text: string): boolean {
  const n = Number(text)
  if (INTEGER_TEXT.test(text)) return Number.isFinite(n) && BigInt(n) === BigInt(text)
  if (NON_FINITE_TEXT.has(text)) return true
  return !pastDoubleRange(text)
}
const NON_FINITE_TEXT = new Set(['NaN', 'Infinity', '-Infinity'])
type Fit = unknown | typeof REJECT
const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/

/**
 * The row fitted to `schema`. Top-level keys in `reserved` (the Kafka coordinates, the rescued
 * column itself) are always rescued: the job writes those columns.
 */
export function fitRow(row: Record<string, unknown>, schema: StructType, reserved: ReadonlySet<string> = new Set()): FittedRow {
  const rescued: Record<string, unknown> = {}
  const fitted = fitStruct(row, schema, '', rescued, reserved)
  const any = Object.keys(rescued).length > 0
  return { row: fitted, rescued: any ? rescued : undefined }
}

function fitStruct(
  value: Record<string, unknown>,
  type: StructType,
  path: string,
  rescued: Record<string, unknown>,
  reserved?: ReadonlySet<string>,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined
  const copy = () => (out ??= { ...value })
  let byName: Map<string, StructType['fields'][number]> | undefined
  for (const key of Object.keys(value)) {
    const v = value[key]
    const where = path ? `${path}.${key}` : key
    if (reserved?.has(key)) {
      if (v !== null && v !== undefined) rescued[where] = v
      delete copy()[key]
      continue
    }
    byName ??= new Map(type.fields.map((f) => [f.name.toLowerCase(), f]))
    const field = byName.get(key.toLowerCase())
    if (field === undefined) {
      // Nothing in it: nothing to keep (and no column to make for it).
      if (isEmptyValue(v)) continue
      rescued[where] = v
      delete copy()[key]
      continue
    }
    let fitted: Fit = v
    if (v !== null && v !== undefined) {
      fitted = fitValue(v, field.type, where, rescued)
      if (fitted === REJECT) {
        rescued[where] = v
        fitted = null
      }
    }
    if (key !== field.name) {
      // The table's spelling of the name: the NDJSON reader matches names exactly.
      const target = copy()
      delete target[key]
      target[field.name] = fitted
    } else if (fitted !== v) copy()[key] = fitted
  }
  return out ?? value
}

/** The value as the column takes it (itself when unchanged), or REJECT. Rescues inside it go to `rescued`. */
function fitValue(value: unknown, type: DataType, path: string, rescued: Record<string, unknown>): Fit {
  if (typeof type === 'string') {
    if (!primitiveFits(value, type)) return REJECT
    // An integer beyond 2^53 kept as its digits would be rounded by a float column: kept whole instead.
    if ((type === 'double' || type === 'float') && typeof value === 'string' && !exactAsDouble(value)) return REJECT
    const decimal = DECIMAL.exec(type)
    // Exact text for DuckDB's DECIMAL cast; a JSON number would be read as a double first.
    if (decimal && typeof value === 'number') return decimalFromNumberText(String(value), Number(decimal[2]), Number(decimal[1]))
    return value
  }
  if (isStruct(type)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return REJECT
    return fitStruct(value as Record<string, unknown>, type, path, rescued)
  }
  if (isArray(type)) {
    if (!Array.isArray(value)) return REJECT
    // Rescues inside the elements are kept only if the array itself is kept.
    const inner: Record<string, unknown> = {}
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const element = value[i]
      if (element === null || element === undefined) {
        if (!type.containsNull) return REJECT
        continue
      }
      let fitted = fitValue(element, type.elementType, `${path}[${i}]`, inner)
      if (fitted === REJECT) {
        if (!type.containsNull) return REJECT
        inner[`${path}[${i}]`] = element
        fitted = null
      }
      if (fitted !== element) (out ??= value.slice())[i] = fitted
    }
    Object.assign(rescued, inner)
    return out ?? value
  }
  if (isMap(type)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return REJECT
    const keyType = typeof type.keyType === 'string' ? type.keyType : 'string'
    const inner: Record<string, unknown> = {}
    let out: Record<string, unknown> | undefined
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
      if (!primitiveFits(key, keyType)) return REJECT
      if (entry === null || entry === undefined) {
        if (!type.valueContainsNull) return REJECT
        continue
      }
      let fitted = fitValue(entry, type.valueType, `${path}.${key}`, inner)
      if (fitted === REJECT) {
        if (!type.valueContainsNull) return REJECT
        inner[`${path}.${key}`] = entry
        fitted = null
      }
      if (fitted !== entry) (out ??= { ...(value as Record<string, unknown>) })[key] = fitted
    }
    Object.assign(rescued, inner)
    return out ?? value
  }
  return value
}
