/**
 * flatten: struct columns become one column per field, named `parent<separator>field`, recursing
 * into nested structs up to `maxDepth` levels. Arrays and maps stay as they are (explode handles
 * arrays). Columns that are not flattened keep their names; a flattened name that collides with
 * one gets a numeric suffix.
 */
import { isStruct, quoteIdentifier, quoteString, type DataType } from '../delta'
import { findColumn, UniqueNames } from './naming'
import { TransformError, type Column, type FlattenTransform, type Relation } from './types'

export function flatten(input: Relation, transform: FlattenTransform, step: number): { select: string; columns: Column[] } {
  const separator = transform.separator ?? '_'
  const maxDepth = transform.maxDepth ?? Number.POSITIVE_INFINITY
  for (const name of transform.columns ?? []) {
    const column = findColumn(input.columns, name)
    if (!column) throw new TransformError(step, `flatten: no column '${name}'`)
    if (!isStruct(column.type)) throw new TransformError(step, `flatten: column '${column.name}' is not a struct`)
  }
  const chosen = (column: Column) =>
    isStruct(column.type) && (!transform.columns || transform.columns.some((n) => n.toLowerCase() === column.name.toLowerCase()))
  const names = new UniqueNames(input.columns.filter((c) => !chosen(c)).map((c) => c.name))
  const out: { expression: string; column: Column }[] = []

  const expand = (expression: string, name: string, type: DataType, depth: number) => {
    if (isStruct(type) && depth < maxDepth && type.fields.length > 0) {
      for (const field of type.fields)
        expand(`struct_extract(${expression}, ${quoteString(field.name)})`, `${name}${separator}${field.name}`, field.type, depth + 1)
      return
    }
    out.push({ expression, column: { name: names.claim(name), type } })
  }
  for (const column of input.columns) {
    if (chosen(column)) {
      const base = quoteIdentifier(column.name)
      for (const field of (column.type as { fields: { name: string; type: DataType }[] }).fields) {
        expand(`struct_extract(${base}, ${quoteString(field.name)})`, `${column.name}${separator}${field.name}`, field.type, 1)
      }
    } else {
      out.push({ expression: quoteIdentifier(column.name), column })
    }
  }
  return {
    select: out.map(({ expression, column }) => `${expression} AS ${quoteIdentifier(column.name)}`).join(', '),
    columns: out.map((o) => o.column),
  }
}
