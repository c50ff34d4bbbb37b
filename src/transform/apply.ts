/**
 * Applies a flow's transforms in order. Each step is a temporary DuckDB view over the previous
 * one, so the whole chain runs as one query when the result is read (nothing is materialised in
 * between) and each step can be previewed on its own. `explode` with `into` splits off a child
 * relation: the parent's key, the element's index and the element (its fields, when a struct).
 */
import { deltaTypeFromDuckdb, isArray, isStruct, quoteIdentifier, quoteString } from '../delta'
import type { DuckDb } from '../engine'
import { flatten } from './flatten'
import { cast, rename, select } from './columns'
import { arrayColumn, explodedRows, explodeInPlace } from './explode'
import { columnList, findColumn, UniqueNames } from './naming'
import { TransformError, type Column, type ExplodeTransform, type Relation, type Transform } from './types'

export interface ChildRelation {
  /** The child table (`zone.table`) from the transform's `into`. */
  table: string
  relation: Relation
  /** The parent key's columns, then the index column: the child table's key. */
  key: string[]
  parentKey: string[]
  step: number
}

export interface TransformedBatch {
  /** The main rows after every transform. */
  main: Relation
  children: ChildRelation[]
  /** Each step's output, in order (for previews). */
  steps: Relation[]
  /** Drops the temporary views. */
  dispose(): Promise<void>
}

export interface TransformOptions {
  /** The flow's key: child tables of `explode ... into` are keyed by it. */
  key?: string[]
  /** Bookkeeping columns every step must pass on (select adds them; a sql step must keep them). */
  keep?: string[]
}

let chainCounter = 0

export async function describeRelation(db: DuckDb, sql: string): Promise<Column[]> {
  return (await db.describe(`SELECT * FROM ${sql}`)).map((c) => ({ name: c.name, type: deltaTypeFromDuckdb(c.type) }))
}

export async function applyTransforms(db: DuckDb, input: Relation, transforms: Transform[], options: TransformOptions = {}): Promise<TransformedBatch> {
  const chain = ++chainCounter
  const views: string[] = []
  const dispose = async () => {
    for (const view of views.reverse()) await db.run(`DROP VIEW IF EXISTS ${view}`)
  }
  const steps: Relation[] = []
  const children: ChildRelation[] = []
  let current = input
  try {
    for (const [step, transform] of transforms.entries()) {
      const view = `__transform_${chain}_${step}`
      const define = async (sql: string) => {
        try {
          await db.run(`CREATE TEMP VIEW ${view} AS ${sql}`)
        } catch (error) {
          throw new TransformError(step, `${transform.op}: ${(error as Error).message}`)
        }
        views.push(view)
        return { sql: view, columns: await describeRelation(db, view) }
      }
      if (transform.op === 'explode' && transform.into) {
        const child = explodeInto(current, transform, step, options.key)
        const childView = `${view}_child`
        try {
          await db.run(`CREATE TEMP VIEW ${childView} AS ${child.sql}`)
        } catch (error) {
          throw new TransformError(step, `explode: ${(error as Error).message}`)
        }
        views.push(childView)
        children.push({
          table: transform.into,
          relation: { sql: childView, columns: await describeRelation(db, childView) },
          key: child.key,
          parentKey: child.parentKey,
          step,
        })
        current = await define(
          `SELECT ${current.columns
            .filter((c) => c !== child.array)
            .map((c) => quoteIdentifier(c.name))
            .join(', ')} FROM ${current.sql}`,
        )
      } else {
        current = await define(stepSql(current, keptSelect(current, transform, options.keep), step))
      }
      const lost = (options.keep ?? []).filter((name) => input.columns.some((c) => c.name === name) && !current.columns.some((c) => c.name === name))
      if (lost.length)
        throw new TransformError(step, `${transform.op}: this flow needs column ${lost.join(', ')} in every step (keep it, e.g. SELECT *, ... FROM batch)`)
      steps.push(current)
    }
  } catch (error) {
    await dispose()
    throw error
  }
  return { main: current, children, steps, dispose }
}

/** A select step with the kept columns added. */
function keptSelect(input: Relation, transform: Transform, keep: string[] | undefined): Transform {
  if (transform.op !== 'select' || !keep?.length) return transform
  const missing = keep.filter((name) => input.columns.some((c) => c.name === name) && !transform.columns.includes(name))
  return missing.length ? { ...transform, columns: [...transform.columns, ...missing] } : transform
}

function stepSql(input: Relation, transform: Transform, step: number): string {
  switch (transform.op) {
    case 'flatten':
      return `SELECT ${flatten(input, transform, step).select} FROM ${input.sql}`
    case 'select':
      return `SELECT ${select(input, transform, step).select} FROM ${input.sql}`
    case 'rename':
      return `SELECT ${rename(input, transform, step).select} FROM ${input.sql}`
    case 'cast':
      return `SELECT ${cast(input, transform, step).select} FROM ${input.sql}`
    case 'filter':
      return `SELECT * FROM ${input.sql} WHERE (${transform.where})`
    case 'sql':
      return withBatch(input, transform.query)
    case 'explode': {
      const exploded = explodeInPlace(input, transform, step)
      return `SELECT ${exploded.select} FROM ${exploded.from}`
    }
  }
}

/** The user's SELECT, reading the rows so far as `batch` (a CTE, so concurrent flows never share a name). */
function withBatch(input: Relation, query: string): string {
  const body = query.trim().replace(/;\s*$/, '')
  const batch = `batch AS (SELECT * FROM ${input.sql})`
  const leadingWith = /^with(\s+recursive)?\s+/i.exec(body)
  if (leadingWith) return `${leadingWith[0]}${batch}, ${body.slice(leadingWith[0].length)}`
  return `WITH ${batch} ${body}`
}

function explodeInto(input: Relation, transform: ExplodeTransform, step: number, key: string[] | undefined) {
  const array = arrayColumn(input, transform, step)
  if (!key?.length) throw new TransformError(step, `explode into '${transform.into}' needs the flow's "key": the child rows are keyed by it`)
  const parentKey = key.map((name) => {
    const column = findColumn(input.columns, name)
    if (!column)
      throw new TransformError(
        step,
        `explode into '${transform.into}': the key column '${name}' is not among the columns at this step (${columnList(input.columns)})`,
      )
    return column
  })
  const elementType = isArray(array.type) ? array.type.elementType : array.type
  const names = new UniqueNames(parentKey.map((c) => c.name))
  const indexColumn = names.claim(transform.index ?? `${array.name}_index`)
  const select = [...parentKey.map((c) => quoteIdentifier(c.name)), `__i AS ${quoteIdentifier(indexColumn)}`]
  const element = `${quoteIdentifier(array.name)}[__i + 1]`
  if (isStruct(elementType)) {
    for (const field of elementType.fields) select.push(`struct_extract(${element}, ${quoteString(field.name)}) AS ${quoteIdentifier(names.claim(field.name))}`)
  } else {
    select.push(`${element} AS ${quoteIdentifier(names.claim(transform.as ?? 'value'))}`)
  }
  return {
    sql: `SELECT ${select.join(', ')} FROM ${explodedRows(input, array, transform.outer ?? false)}`,
    key: [...parentKey.map((c) => c.name), indexColumn],
    parentKey: parentKey.map((c) => c.name),
    array,
  }
}
