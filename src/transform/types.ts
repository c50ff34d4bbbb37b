/**
 * The refine transforms, as the pipeline file writes them (`flows[].transforms`), and the
 * relations they map: a SELECT over the previous step with its columns' Delta types.
 */
import type { DataType } from '../delta'

/** Nested structs become columns `parent<separator>child`, up to `maxDepth` levels (all by default). */
export interface FlattenTransform {
  op: 'flatten'
  separator?: string
  maxDepth?: number
  columns?: string[]
}

/**
 * An array column becomes one row per element, with the element's index (0-based). `outer` keeps
 * rows whose array is null or empty (element and index null), as Spark's explode_outer. With
 * `into`, the elements go to a child table keyed by the flow's key and the index instead, and the
 * array column leaves the main rows.
 */
export interface ExplodeTransform {
  op: 'explode'
  column: string
  as?: string
  index?: string
  outer?: boolean
  into?: string
}

export interface SelectTransform {
  op: 'select'
  columns: string[]
}
export interface RenameTransform {
  op: 'rename'
  columns: Record<string, string>
}
/** Column → Delta/Spark type name: string, long, integer, double, boolean, date, timestamp, decimal(p,s), binary... */
export interface CastTransform {
  op: 'cast'
  columns: Record<string, string>
}
/** Keeps the rows for which the DuckDB SQL predicate holds. */
export interface FilterTransform {
  op: 'filter'
  where: string
}
/** A DuckDB SELECT over the rows so far, which it reads as `batch`. */
export interface SqlTransform {
  op: 'sql'
  query: string
}

export type Transform = FlattenTransform | ExplodeTransform | SelectTransform | RenameTransform | CastTransform | FilterTransform | SqlTransform

export interface Column {
  name: string
  type: DataType
}

/** A step's rows: `sql` is a parenthesised SELECT or a view name. */
export interface Relation {
  sql: string
  columns: Column[]
}

/** A type name a cast cannot target; cast() adds the step and the column. */
export class CastTypeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CastTypeError'
  }
}

/** Thrown for a transform that cannot apply to its input; `step` is its index in `transforms`. */
export class TransformError extends Error {
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message)
    this.name = 'TransformError'
  }
}
