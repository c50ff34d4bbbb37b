/**
 * Statements that destroy data or history, which the editor confirms before running: DELETE
 * without WHERE, TRUNCATE, DROP TABLE, INSERT OVERWRITE and REPLACE WHERE, CREATE OR REPLACE,
 * RESTORE, DROP COLUMN, and VACUUM with a retention shorter than Delta's default of 7 days.
 */
import type { Statement } from './ast'
import { tableLabel } from './targets'

export interface DestructiveStatement {
  /** line:column of the statement. */
  position: string
  /** What it will do, said plainly. */
  reason: string
  /** A VACUUM whose retention is shorter than 7 days (it runs only with the user's consent). */
  shortRetention?: boolean
}

const DEFAULT_RETENTION_HOURS = 7 * 24

export function destructiveReason(statement: Statement): Omit<DestructiveStatement, 'position'> | undefined {
  switch (statement.kind) {
    case 'delete':
      return statement.where ? undefined : { reason: `DELETE FROM ${tableLabel(statement.table)} without WHERE deletes every row` }
    case 'truncate':
      return { reason: `TRUNCATE TABLE ${tableLabel(statement.table)} deletes every row` }
    case 'dropTable':
      return { reason: `DROP TABLE ${tableLabel(statement.table)} deletes the table, its files and its history` }
    case 'insert':
      if (statement.overwrite) return { reason: `INSERT OVERWRITE ${tableLabel(statement.table)} replaces every row` }
      return statement.replaceWhere
        ? { reason: `INSERT INTO ${tableLabel(statement.table)} REPLACE WHERE ${statement.replaceWhere.text} replaces the rows it matches` }
        : undefined
    case 'createTable':
      return statement.orReplace
        ? { reason: `CREATE OR REPLACE TABLE ${tableLabel(statement.table)} replaces the table's rows and definition, if it exists` }
        : undefined
    case 'restore':
      return { reason: `RESTORE TABLE ${tableLabel(statement.table)} undoes every change since version/time it restores` }
    case 'dropColumns':
      return { reason: `ALTER TABLE ${tableLabel(statement.table)} DROP COLUMN removes ${statement.columns.join(', ')} from the table` }
    case 'vacuum':
      if (statement.dryRun || statement.retainHours === undefined || statement.retainHours >= DEFAULT_RETENTION_HOURS) return undefined
      return {
        reason: `VACUUM ${tableLabel(statement.table)} RETAIN ${statement.retainHours} HOURS deletes files that versions of the last 7 days need (time travel to them will fail, and running readers or writers may break)`,
        shortRetention: true,
      }
  }
  return undefined
}
