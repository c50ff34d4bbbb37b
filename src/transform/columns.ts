/** select, rename and cast: column-level transforms that keep the rows as they are. */
import { DeltaError, duckdbType, quoteIdentifier, type DataType } from '../delta'
import { columnList, findColumn } from './naming'
import { CastTypeError, TransformError, type CastTransform, type Column, type Relation, type RenameTransform, type SelectTransform } from './types'

export interface Projection {
  select: string
  columns: Column[]
}

export function select(input: Relation, transform: SelectTransform, step: number): Projection {
  const chosen = transform.columns.map((name) => {
    const column = findColumn(input.columns, name)
    if (!column) throw new TransformError(step, `select: no column '${name}' (columns: ${columnList(input.columns)})`)
    return column
  })
  return { select: chosen.map((c) => quoteIdentifier(c.name)).join(', '), columns: chosen }
}

export function rename(input: Relation, transform: RenameTransform, step: number): Projection {
  const renames = new Map<Column, string>()
  for (const [from, to] of Object.entries(transform.columns)) {
    const column = findColumn(input.columns, from)
    if (!column) throw new TransformError(step, `rename: no column '${from}' (columns: ${columnList(input.columns)})`)
    renames.set(column, to)
  }
  const columns = input.columns.map((c) => ({ name: renames.get(c) ?? c.name, type: c.type }))
  const seen = new Set<string>()
  for (const c of columns) {
    if (seen.has(c.name.toLowerCase())) throw new TransformError(step, `rename: two columns would be named '${c.name}'`)
    seen.add(c.name.toLowerCase())
  }
  return {
    select: input.columns
      .map((c) => (renames.has(c) ? `${quoteIdentifier(c.name)} AS ${quoteIdentifier(renames.get(c)!)}` : quoteIdentifier(c.name)))
      .join(', '),
    columns,
  }
}

const ALIASES: Record<string, string> = {
  int: 'integer',
  bigint: 'long',
  smallint: 'short',
  tinyint: 'byte',
  bool: 'boolean',
  real: 'float',
  text: 'string',
  varchar: 'string',
}

/** A Delta/Spark type name (`long`, `decimal(12,2)`, `timestamp`...) as a Delta type. */
export function castTarget(name: string): DataType {
  const lower = name.trim().toLowerCase().replace(/\s+/g, '')
  const type = ALIASES[lower] ?? lower
  try {
    duckdbType(type)
  } catch (error) {
    if (error instanceof DeltaError)
      throw new CastTypeError(
        `unknown type '${name}' (use string, long, integer, short, byte, double, float, boolean, date, timestamp, timestamp_ntz, binary or decimal(p,s))`,
      )
    throw error
  }
  if (type === 'void' || type === 'variant') throw new CastTypeError(`cannot cast to '${name}'`)
  return type
}

export function cast(input: Relation, transform: CastTransform, step: number): Projection {
  const targets = new Map<Column, DataType>()
  for (const [name, typeName] of Object.entries(transform.columns)) {
    const column = findColumn(input.columns, name)
    if (!column) throw new TransformError(step, `cast: no column '${name}' (columns: ${columnList(input.columns)})`)
    try {
      targets.set(column, castTarget(typeName))
    } catch (error) {
      throw new TransformError(step, `cast: column '${column.name}': ${(error as Error).message}`)
    }
  }
  return {
    select: input.columns
      .map((c) => {
        const target = targets.get(c)
        return target === undefined ? quoteIdentifier(c.name) : `CAST(${quoteIdentifier(c.name)} AS ${duckdbType(target)}) AS ${quoteIdentifier(c.name)}`
      })
      .join(', '),
    columns: input.columns.map((c) => ({ name: c.name, type: targets.get(c) ?? c.type })),
  }
}
