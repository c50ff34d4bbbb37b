/** What a statement answers: a result table (rows) and, for writes, what it changed. */
import type { Json } from '../../engine'
import type { TableRead } from '../prepare'

export interface WriteSummary {
  /** How the statement named the table. */
  table: string
  path: string
  /** The Delta operation committed (WRITE, MERGE, CREATE TABLE, …). */
  operation: string
  /** The new version; undefined when nothing needed committing (e.g. a DELETE that matched no row). */
  version?: number
  rowsInserted?: number
  rowsUpdated?: number
  rowsDeleted?: number
}

export interface StatementOutput {
  columns: { name: string; type: string }[]
  rows: Record<string, Json>[]
  tables: TableRead[]
  write?: WriteSummary
}

/** A result table from plain rows; column types from the first row's values (or given). */
export function resultOf(columns: [string, string][], rows: Record<string, Json>[], write?: WriteSummary, tables: TableRead[] = []): StatementOutput {
  return { columns: columns.map(([name, type]) => ({ name, type })), rows, tables, write }
}

/** Databricks' answer to DML: the affected row counts, one row. */
export function affectedRows(write: WriteSummary, kind: 'insert' | 'update' | 'delete' | 'merge'): StatementOutput {
  const inserted = write.rowsInserted ?? 0
  const updated = write.rowsUpdated ?? 0
  const deleted = write.rowsDeleted ?? 0
  const counts: [string, number][] =
    kind === 'insert'
      ? [
          ['num_affected_rows', inserted],
          ['num_inserted_rows', inserted],
        ]
      : kind === 'update'
        ? [['num_affected_rows', updated]]
        : kind === 'delete'
          ? [['num_affected_rows', deleted]]
          : [
              ['num_affected_rows', inserted + updated + deleted],
              ['num_updated_rows', updated],
              ['num_deleted_rows', deleted],
              ['num_inserted_rows', inserted],
            ]
  return resultOf(
    counts.map(([name]) => [name, 'BIGINT']),
    [Object.fromEntries(counts)],
    write,
  )
}
