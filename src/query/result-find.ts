/**
 * Find in a query result (the query panel's Ctrl+F): the rows in which any column's text contains
 * the searched text, case-insensitively, as positions in the order the grid shows. Runs in
 * DuckDB over the whole result table, so it finds rows the panel has never loaded.
 */
import { quoteIdentifier, quoteString } from '../delta'
import type { DuckDb } from '../engine'
import type { ResultColumn } from './query-results'

export interface FoundRows {
  /** Matching rows in all. */
  count: number
  /** The first matching positions (0-based, in the given order), ascending. */
  rows: number[]
}

/** `order`: an ORDER BY list giving the grid's order (undefined: the table's own). */
export async function findRows(db: DuckDb, table: string, columns: ResultColumn[], text: string, order: string | undefined, limit: number): Promise<FoundRows> {
  if (text === '' || columns.length === 0) return { count: 0, rows: [] }
  const pattern = quoteString(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  const matches = columns.map((c) => `${textOf(c)} ILIKE ${pattern} ESCAPE '\\'`).join(' OR ')
  const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${table} WHERE ${matches}`)
  const rows = await db.rows(`SELECT __find_pos FROM (SELECT row_number() OVER (${order ? `ORDER BY ${order}` : ''}) - 1 AS __find_pos, * FROM ${table})
    WHERE ${matches} ORDER BY __find_pos LIMIT ${Math.max(0, Math.floor(limit))}`)
  return { count: Number(n), rows: rows.map((r) => Number(r.__find_pos)) }
}

/** A value's text as the grid shows it closely enough to search: nested values as JSON. */
function textOf(column: ResultColumn): string {
  const name = quoteIdentifier(column.name)
  if (column.type === 'VARCHAR') return name
  if (/^(STRUCT|MAP|UNION)\b|\]$/.test(column.type)) return `CAST(to_json(${name}) AS VARCHAR)`
  return `CAST(${name} AS VARCHAR)`
}
