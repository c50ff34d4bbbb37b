/**
 * Deciding that a row fits a raw table without checking its values, the costliest step of a
 * batch. A row fits by type when every column it has is typed as the table's; and a shape
 * (decode/shape.ts: the names and types of a row) once decided to fit a table's schema is kept,
 * so later rows of that shape skip even the type check. The decision depends only on the shape
 * and the schema, so it is kept across batches and jobs, keyed by the schema's JSON text.
 */
import { sameType, type StructType } from '../delta'

/** Per table schema, the shapes already decided to fit it as they are, each with the row schema it was decided for. */
const decidedShapes = new Map<string, Map<string, StructType>>()
let rowsDecidedByShape = 0

const MAX_DECIDED_SCHEMAS = 16
const MAX_DECIDED_SHAPES = 10_000

/** How many rows so far (this process) took the shape's decision instead of their own (for tests and benchmarks). */
export function rowsDecidedByShapeSoFar(): number {
  return rowsDecidedByShape
}

/** Count one row written on its shape's decision. */
export function countRowDecidedByShape(): void {
  rowsDecidedByShape++
}

/** The shapes decided to fit `schema` (shape key → the row schema decided for), to read and to add to. */
export function shapesFitting(schema: StructType): Map<string, StructType> {
  const key = JSON.stringify(schema)
  let shapes = decidedShapes.get(key)
  if (shapes && shapes.size >= MAX_DECIDED_SHAPES) shapes.clear()
  if (!shapes) {
    if (decidedShapes.size >= MAX_DECIDED_SCHEMAS) decidedShapes.delete(decidedShapes.keys().next().value!)
    decidedShapes.set(key, (shapes = new Map()))
  }
  return shapes
}

/**
 * True when the row's keys are exactly its schema's columns (no value left untyped, such as a
 * column seen only as null or []) and each of those columns has the same type in the table.
 */
export function typedExactlyAsTable(row: Record<string, unknown>, rowSchema: StructType, table: StructType): boolean {
  if (Object.keys(row).length !== rowSchema.fields.length) return false
  const byName = new Map(table.fields.map((f) => [f.name, f.type]))
  return rowSchema.fields.every((f) => {
    const tableType = byName.get(f.name)
    return tableType !== undefined && sameType(f.type, tableType)
  })
}
