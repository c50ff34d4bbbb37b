/**
 * A Delta schema as PySpark code: `T.StructType([T.StructField("name", T.StringType(), True), …])`,
 * with `T` being `pyspark.sql.types`. Delta's type names are Spark's, so the mapping is exact.
 */
import { isArray, isMap, isStruct, type DataType, type StructType } from '../delta'
import { pyString } from './python-text'
import { ExportError } from './errors'

const PRIMITIVES: Record<string, string> = {
  string: 'T.StringType()',
  long: 'T.LongType()',
  integer: 'T.IntegerType()',
  short: 'T.ShortType()',
  byte: 'T.ByteType()',
  float: 'T.FloatType()',
  double: 'T.DoubleType()',
  boolean: 'T.BooleanType()',
  binary: 'T.BinaryType()',
  date: 'T.DateType()',
  timestamp: 'T.TimestampType()',
  timestamp_ntz: 'T.TimestampNTZType()',
  void: 'T.NullType()',
}

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/

/** PySpark code for one Delta type; `indent` is where nested struct fields start. */
export function sparkType(type: DataType, indent = ''): string {
  if (typeof type === 'string') {
    const simple = PRIMITIVES[type]
    if (simple) return simple
    const decimal = DECIMAL.exec(type)
    if (decimal) return `T.DecimalType(${Number(decimal[1])}, ${Number(decimal[2])})`
    if (type === 'decimal') return 'T.DecimalType(10, 0)'
    if (type === 'variant') return 'T.VariantType()'
    throw new ExportError(`data type '${type}' has no PySpark equivalent`)
  }
  if (isArray(type)) return `T.ArrayType(${sparkType(type.elementType, indent)}, ${type.containsNull ? 'True' : 'False'})`
  if (isMap(type)) return `T.MapType(${sparkType(type.keyType, indent)}, ${sparkType(type.valueType, indent)}, ${type.valueContainsNull ? 'True' : 'False'})`
  if (isStruct(type)) return sparkStruct(type, indent)
  throw new ExportError(`unknown data type ${JSON.stringify(type)}`)
}

/** A StructType, one field per line (nested structs indented further). */
export function sparkStruct(struct: StructType, indent = ''): string {
  if (struct.fields.length === 0) return 'T.StructType([])'
  const inner = `${indent}    `
  const fields = struct.fields.map((f) => `${inner}T.StructField(${pyString(f.name)}, ${sparkType(f.type, inner)}, ${f.nullable ? 'True' : 'False'}),`)
  return `T.StructType([\n${fields.join('\n')}\n${indent}])`
}
