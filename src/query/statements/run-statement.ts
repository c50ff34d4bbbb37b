/** One parsed statement run against the lake: reads go to DuckDB through runQuery, the rest here. */
import type { Statement } from './ast'
import { runQuery } from '../run-query'
import type { StatementOutput } from './output'
import { runAlter } from './run-alter'
import { runCreateTable, runDropTable } from './run-create-table'
import { runDelete, runInsert, runMerge, runTruncate, runUpdate, type StatementContext } from './run-dml'
import { runUtility } from './run-utility'

export async function runStatement(context: StatementContext, statement: Statement): Promise<StatementOutput> {
  switch (statement.kind) {
    case 'query':
      return runQuery(context.lake, context.catalog, statement.sql)
    case 'insert':
      return runInsert(context, statement)
    case 'update':
      return runUpdate(context, statement)
    case 'delete':
      return runDelete(context, statement)
    case 'truncate':
      return runTruncate(context, statement)
    case 'merge':
      return runMerge(context, statement)
    case 'createTable':
      return runCreateTable(context, statement)
    case 'dropTable':
      return runDropTable(context, statement)
    case 'addColumns':
    case 'setProperties':
    case 'unsetProperties':
    case 'alterColumn':
    case 'renameColumn':
    case 'dropColumns':
    case 'addConstraint':
    case 'dropConstraint':
      return runAlter(context, statement)
    default:
      return runUtility(context, statement, { allowShortRetention: context.allowShortRetention })
  }
}
