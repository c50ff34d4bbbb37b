/**
 * Running the session's one statement into a temporary result table, with DuckDB's errors made to
 * point into the user's text (not into the `CREATE TEMP TABLE … AS` put in front of it).
 */
import type { DuckDb } from '../engine'
import { quoteIdentifier, DeltaError } from '../delta'

type Connection = DuckDb['connection']
type MaterializedResult = Awaited<ReturnType<Connection['run']>>

/**
 * DuckDB's error about the user's statement, its message adjusted (positions moved back into the
 * user's text, DuckDB's own prefix taken off); `name` stays the original's, `cause` is it.
 */
export class SqlStatementError extends Error {
  constructor(message: string, cause: unknown, name = 'SqlStatementError') {
    super(message, { cause })
    this.name = name
  }
}

/** Syntax errors with positions in the user's text (not in the CREATE TABLE around it), and one statement only. */
export async function checkOneStatement(connection: Connection, sql: string): Promise<void> {
  let count: number
  try {
    count = (await connection.extractStatements(sql)).count
  } catch (error) {
    const message = (error as Error)?.message ?? String(error)
    throw new SqlStatementError(message.replace(/^Failed to extract statements: /, ''), error)
  }
  if (count === 0) throw new DeltaError('INVALID_ARGUMENT', 'there is no SQL statement to run')
  if (count > 1) throw new DeltaError('INVALID_ARGUMENT', `run one statement at a time (this text has ${count})`)
}

/**
 * The statement's rows as temporary table `table`. Queries become `CREATE TEMP TABLE … AS`; any
 * other statement (DESCRIBE, SHOW, EXPLAIN, PRAGMA, SET, CREATE …), which DuckDB does not accept
 * there, runs as it is and its (small) result is appended chunk by chunk, still never as objects.
 */
export async function createResultTable(connection: Connection, table: string, sql: string): Promise<void> {
  const prefix = `CREATE TEMP TABLE ${table} AS `
  try {
    await connection.run(`${prefix}${sql}\n`)
    return
  } catch (error) {
    const message = (error as Error)?.message ?? ''
    if (!/^Parser Error/.test(message)) throw withUserPosition(error, prefix)
  }
  const result = await connection.run(sql)
  await copyIntoTable(connection, table, result)
}

async function copyIntoTable(connection: Connection, table: string, result: MaterializedResult): Promise<void> {
  const names = result.columnNames()
  const types = result.columnTypes()
  const columns = names.length ? names.map((name, i) => `${quoteIdentifier(name)} ${types[i].toString()}`) : ['"Success" BOOLEAN']
  await connection.run(`CREATE TEMP TABLE ${table} (${columns.join(', ')})`)
  if (!names.length) return
  const appender = await connection.createAppender(table, 'main', 'temp')
  try {
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) appender.appendDataChunk(chunk)
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
}

/**
 * DuckDB shows where an error is (`LINE 1: <text>` and a caret under it); on line 1 that text
 * starts with the `CREATE TEMP TABLE … AS` we put in front: take it out and move the caret back.
 */
function withUserPosition(error: unknown, prefix: string): unknown {
  if (!(error instanceof Error)) return error
  const fixed = error.message.replace(/(\nLINE 1: )(.*)\n( *)\^/, (all, label: string, text: string, spaces: string) => {
    if (!text.startsWith(prefix) || spaces.length < label.length - 1 + prefix.length) return all
    return `${label}${text.slice(prefix.length)}\n${' '.repeat(spaces.length - prefix.length)}^`
  })
  if (fixed === error.message) return error
  return new SqlStatementError(fixed, error, error.name)
}
