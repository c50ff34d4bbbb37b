/**
 * explode: an array column becomes one row per element with its 0-based index. In place, the
 * element replaces the array (named `as`, by default the array's own name) and the index is a
 * new column (`index`, by default `<column>_index`). Rows with a null or empty array are dropped,
 * or kept with `outer` (element and index null).
 */
import { isArray, quoteIdentifier } from '../delta'
import { columnList, findColumn, UniqueNames } from './naming'
import { TransformError, type Column, type ExplodeTransform, type Relation } from './types'

export interface Exploded {
  /** SELECT list over `b` (the input) and `__i` (the 0-based index, null for an outer row). */
  select: string
  columns: Column[]
  /** The FROM clause: the input with one row per index. */
  from: string
  elementColumn: string
  indexColumn: string
}

export function arrayColumn(input: Relation, transform: ExplodeTransform, step: number): Column {
  const column = findColumn(input.columns, transform.column)
  if (!column) throw new TransformError(step, `explode: no column '${transform.column}' (columns: ${columnList(input.columns)})`)
  if (!isArray(column.type)) throw new TransformError(step, `explode: column '${column.name}' is not an array`)
  return column
}

/** The input's rows, one per array element: `b.*` plus `__i`. */
export function explodedRows(input: Relation, array: Column, outer: boolean): string {
  const list = `b.${quoteIdentifier(array.name)}`
  const indexes = outer ? `unnest(CASE WHEN len(${list}) > 0 THEN range(len(${list})) ELSE [NULL::BIGINT] END)` : `unnest(range(coalesce(len(${list}), 0)))`
  return `(SELECT b.*, ${indexes} AS __i FROM ${input.sql} b)`
}

export function explodeInPlace(input: Relation, transform: ExplodeTransform, step: number): Exploded {
  const array = arrayColumn(input, transform, step)
  const elementType = isArray(array.type) ? array.type.elementType : array.type
  const others = input.columns.filter((c) => c !== array)
  const names = new UniqueNames(others.map((c) => c.name))
  const elementColumn = names.claim(transform.as ?? array.name)
  const indexColumn = names.claim(transform.index ?? `${array.name}_index`)
  const columns: Column[] = []
  const select: string[] = []
  for (const column of input.columns) {
    if (column === array) {
      select.push(`${quoteIdentifier(array.name)}[__i + 1] AS ${quoteIdentifier(elementColumn)}`, `__i AS ${quoteIdentifier(indexColumn)}`)
      columns.push({ name: elementColumn, type: elementType }, { name: indexColumn, type: 'long' })
    } else {
      select.push(quoteIdentifier(column.name))
      columns.push(column)
    }
  }
  return { select: select.join(', '), columns, from: explodedRows(input, array, transform.outer ?? false), elementColumn, indexColumn }
}
