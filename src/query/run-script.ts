/**
 * Running a SQL text of one or more statements (a `.sql` file, the CLI's argument, the editor's
 * text): every statement is parsed first (so a Spark syntax error runs nothing), then they run in
 * order, stopping at the first error, which says where it is (line:column) and which statement.
 */
import { DeltaError, isDeltaError } from '../delta'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import type { Statement } from './statements/ast'
import { destructiveReason, type DestructiveStatement } from './statements/destructive'
import type { StatementOutput } from './statements/output'
import { parseStatement } from './statements/parse'
import { runStatement } from './statements/run-statement'
import { splitStatements } from './statements/split'
import { describePosition, SqlSyntaxError } from './statements/tokens'

export interface ScriptStatement {
  /** The statement's text as written. */
  text: string
  /** line:column of its start in the whole text. */
  position: string
  statement: Statement
}

export interface ScriptResult extends StatementOutput {
  text: string
  position: string
}

/** An error in statement `index` (0-based) at `position`; `completed` statements before it ran. */
export class StatementError extends DeltaError {
  constructor(
    message: string,
    readonly position: string,
    readonly index: number,
    readonly completed: ScriptResult[],
    cause: unknown,
  ) {
    super(isDeltaError(cause) ? cause.code : 'INVALID_ARGUMENT', message, { cause })
    this.name = 'StatementError'
  }
}

/** The statements of `text`, parsed; a syntax error says line:column in the whole text. */
export function parseScript(text: string): ScriptStatement[] {
  let statements
  try {
    statements = splitStatements(text)
  } catch (error) {
    if (error instanceof SqlSyntaxError)
      throw new StatementError(`${error.message} (at ${describePosition(text, error.offset)})`, describePosition(text, error.offset), 0, [], error)
    throw error
  }
  if (statements.length === 0) throw new StatementError('the SQL text has no statement', '1:1', 0, [], undefined)
  return statements.map((s, index) => {
    try {
      return { text: s.text, position: describePosition(text, s.offset), statement: parseStatement(s.text, s.tokens) }
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error
      const position = describePosition(text, s.offset + error.offset)
      throw new StatementError(`${error.message} (at ${position}${statements.length > 1 ? `, statement ${index + 1}` : ''})`, position, index, [], error)
    }
  })
}

export interface RunScriptOptions {
  /** Called after each statement that succeeded (e.g. to print its result as it comes). */
  onResult?: (result: ScriptResult, index: number, total: number) => void | Promise<void>
  /** VACUUM may use a retention shorter than the table's (the editor asked the user first). */
  allowShortRetention?: boolean
}

export async function runScript(lake: LakeEngine, catalog: LakeCatalog, text: string, options: RunScriptOptions = {}): Promise<ScriptResult[]> {
  return runParsed(lake, catalog, parseScript(text), options)
}

/** Runs `statements` (of parseScript) up to, not including, `end`; errors count statements in the whole list. */
export async function runParsed(
  lake: LakeEngine,
  catalog: LakeCatalog,
  statements: ScriptStatement[],
  options: RunScriptOptions = {},
  end = statements.length,
): Promise<ScriptResult[]> {
  const results: ScriptResult[] = []
  for (const [index, s] of statements.slice(0, end).entries()) {
    let output: StatementOutput
    try {
      output = await runStatement({ lake, catalog, allowShortRetention: options.allowShortRetention }, s.statement)
    } catch (error) {
      // A single statement's error reads as it always did; in a script it says which statement failed.
      if (statements.length === 1) throw error
      const message = error instanceof Error ? error.message : String(error)
      throw new StatementError(
        `${message} (statement ${index + 1} of ${statements.length}, at ${s.position}; ${index} statement(s) before it ran)`,
        s.position,
        index,
        results,
        error,
      )
    }
    const result = { ...output, text: s.text, position: s.position }
    results.push(result)
    await options.onResult?.(result, index, statements.length)
  }
  return results
}

/**
 * The statements of `text` that destroy data or history (see statements/destructive.ts), for the
 * editor to confirm; a text that does not parse has none (running it reports the error).
 */
export function destructiveStatements(text: string): DestructiveStatement[] {
  let statements: ScriptStatement[]
  try {
    statements = parseScript(text)
  } catch {
    return []
  }
  return statements.flatMap((s) => {
    const found = destructiveReason(s.statement)
    return found ? [{ position: s.position, ...found }] : []
  })
}
