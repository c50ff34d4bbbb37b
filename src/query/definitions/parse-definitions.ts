/**
 * Parsing a pipeline's `.sql` definition file: Spark Declarative Pipelines' and Lakeflow's
 * CREATE [OR REFRESH] MATERIALIZED VIEW / STREAMING TABLE, CREATE FLOW … AS INSERT INTO … BY NAME
 * and AS AUTO CDC INTO (or APPLY CHANGES INTO), with CONSTRAINT … EXPECT expectations. Every
 * error says file:line:column. The queries stay SQL text; the tables they read are found here
 * (`zone.table` names, and `STREAM(zone.table)` / `STREAM zone.table`) with their positions.
 */
import { DeltaError } from '../../delta'
import { Cursor } from '../statements/cursor'
import { splitStatements } from '../statements/split'
import { positionOf, SqlSyntaxError, type Token } from '../statements/tokens'
import type { SqlPart } from '../statements/ast'
import type { AppendFlow, AutoCdcFlow, Definition, Expectation, MaterializedView, StreamingTable, TableReference } from './ast'

/** An error in a definition file, at file:line:column. */
export class DefinitionError extends DeltaError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super('INVALID_ARGUMENT', `${file}:${line}:${column}: ${problem}`)
    this.name = 'DefinitionError'
  }
}

export function definitionError(file: string, text: string, offset: number, problem: string): DefinitionError {
  const { line, column } = positionOf(text, offset)
  return new DefinitionError(file, line, column, problem)
}

/** Words that end a table reference (never an alias). */
const NOT_ALIAS = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'ON',
  'USING',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'WINDOW',
  'QUALIFY',
  'NATURAL',
  'SEMI',
  'ANTI',
  'LATERAL',
  'WATERMARK',
])

export function parseDefinitions(file: string, text: string): Definition[] {
  let statements
  try {
    statements = splitStatements(text)
  } catch (error) {
    if (error instanceof SqlSyntaxError) throw definitionError(file, text, error.offset, error.message)
    throw error
  }
  return statements.flatMap((s) => {
    try {
      return parseDefinition(new Cursor(s.text, s.tokens), file, s.offset, s.text)
    } catch (error) {
      if (error instanceof SqlSyntaxError) throw definitionError(file, text, s.offset + error.offset, error.message)
      throw error
    }
  })
}

function parseDefinition(c: Cursor, file: string, offset: number, text: string): Definition[] {
  const located = { file, offset, text }
  if (c.accept('APPLY', 'CHANGES', 'INTO')) {
    const target = tableName(c)
    return [autoCdcBody(c, located, target, target)]
  }
  c.expect('CREATE')
  if (c.accept('OR')) {
    if (!c.accept('REFRESH')) c.expect('REPLACE')
  }
  c.accept('PRIVATE')
  if (c.accept('TEMPORARY') || c.isAt('VIEW'))
    throw c.error('temporary views are not supported: define a MATERIALIZED VIEW (or write the query into the one that reads it)')
  if (c.accept('MATERIALIZED', 'VIEW') || c.accept('LIVE', 'TABLE')) return dataset(c, located, 'materializedView')
  if (c.accept('STREAMING', 'TABLE') || c.accept('STREAMING', 'LIVE', 'TABLE')) return dataset(c, located, 'streamingTable')
  if (c.accept('FLOW')) return [flow(c, located)]
  throw c.error('expected MATERIALIZED VIEW, STREAMING TABLE or FLOW after CREATE')
}

function tableName(c: Cursor): string {
  if (c.isAt('LIVE', '.')) throw c.error("name tables zone.table (the lake's zones are the schemas); LIVE. is not needed")
  return c.tableName(false).name
}

function dataset(
  c: Cursor,
  located: { file: string; offset: number; text: string },
  kind: 'materializedView' | 'streamingTable',
): (MaterializedView | StreamingTable | AutoCdcFlow)[] {
  c.accept('IF', 'NOT', 'EXISTS')
  const name = tableName(c)
  const expectations: Expectation[] = []
  if (c.isAt('(')) expectations.push(...columnsAndConstraints(c))
  let comment: string | undefined
  for (;;) {
    if (c.accept('COMMENT')) comment = c.string('a comment')
    else if (c.accept('TBLPROPERTIES') || c.accept('OPTIONS')) skipParenthesised(c)
    else if (c.accept('PARTITIONED', 'BY') || c.accept('CLUSTER', 'BY')) skipParenthesised(c)
    else if (c.accept('USING')) c.identifier('a format')
    else if (c.accept('SCHEDULE') || c.accept('TRIGGER'))
      throw c.error('schedules and triggers are not supported: `lakehouse run` and `lakehouse refresh` refresh the pipeline')
    else break
  }
  if (kind === 'streamingTable' && c.isAt('FLOW', 'AUTO', 'CDC')) {
    c.expect('FLOW')
    c.expect('AUTO', 'CDC')
    return [{ ...located, kind: 'streamingTable', name, expectations, comment, reads: [] }, autoCdcBody(c, located, name, name)]
  }
  if (c.atEnd() && kind === 'streamingTable') return [{ ...located, kind, name, expectations, comment, reads: [] }]
  c.expect('AS')
  const query = c.rest('a query')
  const reads = tableReferences(c.tokens, located.offset)
  return [{ ...located, kind, name, expectations, comment, query, reads }]
}

/** `(col TYPE …, CONSTRAINT n EXPECT (…) ON VIOLATION …)`: the expectations; column definitions are skipped (the query gives the columns). */
function columnsAndConstraints(c: Cursor): Expectation[] {
  const found: Expectation[] = []
  c.expect('(')
  do {
    if (c.accept('CONSTRAINT')) {
      const name = c.identifier('a constraint name')
      if (!c.accept('EXPECT')) throw c.error(`constraint '${name}': only EXPECT constraints are supported (PRIMARY KEY, FOREIGN KEY and CHECK are not)`)
      c.expect('(')
      const condition = c.expression([], 'a condition')
      c.expect(')')
      let onViolation: Expectation['onViolation'] = 'warn'
      if (c.accept('ON', 'VIOLATION')) {
        if (c.accept('DROP', 'ROW')) onViolation = 'drop'
        else if (c.accept('FAIL', 'UPDATE')) onViolation = 'fail'
        else throw c.error('expected DROP ROW or FAIL UPDATE after ON VIOLATION')
      }
      found.push({ name, condition, onViolation })
    } else {
      // A column definition: name, type and options, up to the next comma at depth 0.
      c.expression([','], 'a column definition')
    }
  } while (c.accept(','))
  c.expect(')')
  return found
}

function skipParenthesised(c: Cursor): void {
  if (!c.isAt('(')) {
    c.next()
    return
  }
  c.expect('(')
  if (!c.isAt(')')) c.expression([], 'a list')
  c.expect(')')
}

function flow(c: Cursor, located: { file: string; offset: number; text: string }): AppendFlow | AutoCdcFlow {
  const name = c.identifier('a flow name')
  if (c.accept('COMMENT')) c.string('a comment')
  c.expect('AS')
  if (c.accept('AUTO', 'CDC', 'INTO') || c.accept('APPLY', 'CHANGES', 'INTO')) return autoCdc(c, located, name)
  c.expect('INSERT', 'INTO')
  const target = tableName(c)
  if (!c.accept('BY', 'NAME')) throw c.error('a flow inserts BY NAME (the columns are matched by name, as Spark Declarative Pipelines require)')
  const query = c.rest('a query')
  return { ...located, kind: 'appendFlow', name, target, query, reads: tableReferences(c.tokens, located.offset) }
}

function autoCdc(c: Cursor, located: { file: string; offset: number; text: string }, name: string): AutoCdcFlow {
  const target = tableName(c)
  return autoCdcBody(c, located, name, target)
}

function autoCdcBody(c: Cursor, located: { file: string; offset: number; text: string }, name: string, target: string): AutoCdcFlow {
  c.expect('FROM')
  const streamed = c.accept('STREAM')
  const parenthesised = streamed && c.accept('(')
  const sourceOffset = c.offset()
  const source: TableReference = { table: tableName(c), offset: located.offset + sourceOffset, stream: streamed }
  if (parenthesised) c.expect(')')
  if (!streamed) throw new SqlSyntaxError('AUTO CDC reads its source as a stream: write FROM STREAM(zone.table)', sourceOffset)
  c.expect('KEYS')
  const keys = c.identifierList()
  if (c.isAt('IGNORE', 'NULL', 'UPDATES')) throw c.error('IGNORE NULL UPDATES is not supported')
  const flowDefinition: AutoCdcFlow = {
    ...located,
    kind: 'autoCdcFlow',
    name,
    target,
    source,
    keys,
    sequenceBy: { sql: '', text: '', offset: 0 },
    scd: 1,
    reads: [source],
  }
  const clauseWords = ['APPLY', 'SEQUENCE', 'COLUMNS', 'STORED', 'TRACK', 'IGNORE']
  let sequenced = false
  while (!c.atEnd()) {
    if (c.accept('APPLY', 'AS', 'DELETE', 'WHEN')) flowDefinition.deleteWhen = condition(c, clauseWords)
    else if (c.accept('APPLY', 'AS', 'TRUNCATE', 'WHEN')) flowDefinition.truncateWhen = condition(c, clauseWords)
    else if (c.accept('SEQUENCE', 'BY')) {
      flowDefinition.sequenceBy = c.expression(clauseWords, 'a sequencing column')
      sequenced = true
    } else if (c.accept('COLUMNS')) {
      if (c.accept('*')) {
        c.expect('EXCEPT')
        flowDefinition.columns = { except: c.identifierList() }
      } else {
        const only = [c.columnName()]
        while (c.accept(',')) only.push(c.columnName())
        flowDefinition.columns = { only }
      }
    } else if (c.accept('STORED', 'AS', 'SCD', 'TYPE')) {
      const type = c.wholeNumber('1 or 2')
      if (type !== 1 && type !== 2) throw new SqlSyntaxError('SCD TYPE is 1 or 2', c.offset() - 1)
      flowDefinition.scd = type
    } else if (c.isAt('TRACK', 'HISTORY')) throw c.error('TRACK HISTORY ON is not supported: every column change opens a new SCD 2 version')
    else throw c.error('expected APPLY AS DELETE WHEN, APPLY AS TRUNCATE WHEN, SEQUENCE BY, COLUMNS or STORED AS SCD TYPE')
  }
  if (!sequenced) throw c.error('AUTO CDC needs SEQUENCE BY (the column that orders the changes of a key)')
  return flowDefinition
}

function condition(c: Cursor, stops: string[]): SqlPart {
  return c.expression(stops, 'a condition')
}

/**
 * The `zone.table` names of a query, and `STREAM(zone.table)` / `STREAM zone.table`. A dotted pair
 * is a table when it follows FROM, JOIN or a comma of a FROM list, or STREAM: a column `c.name` is
 * never taken for one.
 */
export function tableReferences(tokens: Token[], base: number): TableReference[] {
  const found: TableReference[] = []
  // Per parenthesis depth: whether that level is in a FROM list (a join's ON condition included).
  const inFrom: boolean[] = [false]
  let depth = 0
  const isName = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted' || t.kind === 'backtick')
  const part = (t: Token) => (t.kind === 'word' ? t.text : t.value)
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    if (token.text === '(') inFrom[++depth] = false
    if (token.text === ')') depth = Math.max(0, depth - 1)
    const word = token.kind === 'word' ? token.value : ''
    if (word === 'FROM' || word === 'JOIN') inFrom[depth] = true
    else if (['WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT', 'SELECT', 'QUALIFY', 'WINDOW'].includes(word)) inFrom[depth] = false
    const previous = tokens[i - 1]
    if (!previous) continue
    const afterStream = previous.value === 'STREAM' || (previous.text === '(' && tokens[i - 2]?.value === 'STREAM')
    const atTableStart =
      afterStream || (previous.kind === 'word' && (previous.value === 'FROM' || previous.value === 'JOIN')) || (previous.text === ',' && inFrom[depth])
    if (!atTableStart) continue
    if (!isName(token) || tokens[i + 1]?.text !== '.' || !isName(tokens[i + 2]) || tokens[i + 3]?.text === '.' || tokens[i + 3]?.text === '(') continue
    found.push({ table: `${part(token)}.${part(tokens[i + 2])}`, offset: base + token.start, stream: afterStream })
  }
  return found
}

/**
 * The query of a streaming table or flow, reading the stream's batch: `STREAM(zone.t) [alias]`
 * becomes `batch [alias]` (aliased `t` when it had none, so `t.column` still resolves). `tokens`
 * are the statement's, `query` a part of it; backtick names become DuckDB's double quotes.
 */
export function batchQuery(query: SqlPart, tokens: Token[], source: string): string {
  const inQuery = tokens.filter((t) => t.start >= query.offset)
  const edits: { from: number; to: number; text: string }[] = []
  for (let i = 0; i < inQuery.length; i++) {
    if (inQuery[i].kind !== 'word' || inQuery[i].value !== 'STREAM') continue
    const open = inQuery[i + 1]?.text === '('
    const nameAt = open ? i + 2 : i + 1
    const lastAt = open ? nameAt + 3 : nameAt + 2
    if (open && inQuery[lastAt]?.text !== ')') continue
    const last = inQuery[lastAt]
    if (!last) continue
    const after = inQuery[lastAt + 1]
    const hasAlias =
      after !== undefined &&
      (after.kind === 'quoted' || after.kind === 'backtick' || (after.kind === 'word' && (after.value === 'AS' || !NOT_ALIAS.has(after.value))))
    edits.push({ from: inQuery[i].start, to: last.end, text: hasAlias ? 'batch' : `batch AS "${source.split('.')[1].replaceAll('"', '""')}"` })
  }
  let sql = ''
  let at = query.offset
  for (const edit of edits) {
    sql += query.text.slice(at - query.offset, edit.from - query.offset) + edit.text
    at = edit.to
  }
  sql += query.text.slice(at - query.offset)
  return sql.replace(/`((?:[^`]|``)+)`/g, (_m, name: string) => `"${name.replaceAll('``', '`').replaceAll('"', '""')}"`)
}
