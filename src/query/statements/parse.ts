/**
 * Parsing one statement. Spark SQL's writing statements (INSERT, UPDATE, DELETE, MERGE, TRUNCATE,
 * and through parse-ddl.ts CREATE/DROP/ALTER TABLE and Delta's utilities) are recognised here,
 * before DuckDB sees anything; their embedded expressions and queries stay text for DuckDB.
 * Reading statements pass through as `query`; any other statement that would write (DuckDB's own
 * CREATE/INSERT/COPY/ATTACH/SET …) is refused by name, so the lake is never taken for DuckDB's catalog.
 */
import type { Assignment, MergeClause, Source, Statement } from './ast'
import { Cursor } from './cursor'
import { tableReference as tableSql } from './targets'
import { parseAlter, parseCreate, parseDescribe, parseDrop, parseOptimize, parseReorg, parseRestore, parseShow, parseVacuum } from './parse-ddl'
import { SqlSyntaxError, type Token } from './tokens'

/** First words of statements that only read; they go to DuckDB as they are. */
const READING_STARTS = new Set(['SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE', '(', 'SUMMARIZE', 'PIVOT', 'UNPIVOT', 'EXPLAIN', 'DESCRIBE', 'DESC', 'SHOW'])
/** DuckDB's other statements: refused by name (a word that is none of these is a syntax error). */
const DUCKDB_STATEMENTS = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'CREATE',
  'DROP',
  'ALTER',
  'COPY',
  'ATTACH',
  'DETACH',
  'EXPORT',
  'IMPORT',
  'INSTALL',
  'FORCE',
  'LOAD',
  'SET',
  'RESET',
  'PRAGMA',
  'CALL',
  'CHECKPOINT',
  'ANALYZE',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'ABORT',
  'START',
  'TRANSACTION',
  'END',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'USE',
  'COMMENT',
  'TRUNCATE',
  'VACUUM',
  'UPSERT',
  'REPLACE',
])
/** Words that make a WITH or EXPLAIN statement a write. */
const WRITING_WORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE', 'DROP', 'ALTER', 'COPY', 'ATTACH', 'DETACH', 'TRUNCATE'])

export function parseStatement(text: string, tokens: Token[]): Statement {
  const c = new Cursor(text, tokens)
  const first = c.peek()!
  switch (first.kind === 'word' ? first.value : '') {
    case 'INSERT':
      return parseInsert(c)
    case 'UPDATE':
      return parseUpdate(c)
    case 'DELETE':
      return parseDelete(c)
    case 'MERGE':
      return parseMerge(c)
    case 'TRUNCATE':
      c.next()
      c.expect('TABLE')
      return end(c, { kind: 'truncate', table: c.tableName() })
    case 'CREATE':
    case 'REPLACE':
      return parseCreate(c)
    case 'DROP':
      return parseDrop(c)
    case 'ALTER':
      return parseAlter(c)
    case 'OPTIMIZE':
      return parseOptimize(c)
    case 'REORG':
      return parseReorg(c)
    case 'VACUUM':
      return parseVacuum(c)
    case 'RESTORE':
      return parseRestore(c)
  }
  if (first.kind === 'word' && first.value === 'SHOW') {
    const shown = parseShow(c)
    if (shown) return shown
  }
  if (first.kind === 'word' && (first.value === 'DESCRIBE' || first.value === 'DESC')) {
    const described = parseDescribe(c)
    if (described) return described
  }
  return readingQuery(text, tokens)
}

/** A statement for DuckDB as it is, when it only reads; anything else is refused by name. */
function readingQuery(text: string, tokens: Token[]): Statement {
  const first = tokens[0]
  const name = tokens
    .slice(0, first.value === 'EXPLAIN' ? 3 : 2)
    .filter((t) => t.kind === 'word')
    .map((t) => t.value)
    .join(' ')
  const refuse = (what: string) =>
    new SqlSyntaxError(
      `${what} is not a statement the lake runs: only reading queries go to DuckDB, and writes go through the lake's own statements ` +
        "(INSERT, UPDATE, DELETE, MERGE, CREATE/DROP/ALTER TABLE, OPTIMIZE, VACUUM, RESTORE), never to DuckDB's catalog or files",
      first.start,
    )
  if (!READING_STARTS.has(first.value)) {
    if (!DUCKDB_STATEMENTS.has(first.value))
      throw new SqlSyntaxError(`Parser Error: syntax error at or near "${first.text}": no statement starts with it`, first.start)
    throw refuse(`'${name}'`)
  }
  if (first.value === 'WITH' || first.value === 'EXPLAIN') {
    let depth = 0
    for (const token of tokens) {
      if (token.text === '(') depth++
      else if (token.text === ')') depth--
      else if (depth === 0 && token.kind === 'word' && WRITING_WORDS.has(token.value)) throw refuse(`'${first.value} … ${token.value}'`)
    }
  }
  return { kind: 'query', sql: text }
}

function end<T extends Statement>(c: Cursor, statement: T): T {
  c.expectEnd()
  return statement
}

function parseSource(c: Cursor, what: string): Source {
  if (c.isAt('TABLE')) {
    c.next()
    return { kind: 'table', table: c.tableName(true) }
  }
  const token = c.peek()
  if (!token || !['SELECT', 'WITH', 'VALUES', 'FROM', '('].includes(token.value)) throw c.error(`expected ${what} (SELECT, VALUES, WITH, FROM or TABLE)`)
  return { kind: 'query', query: c.rest(what) }
}

function parseInsert(c: Cursor): Statement {
  c.expect('INSERT')
  const overwrite = c.accept('OVERWRITE')
  if (!overwrite) c.expect('INTO')
  c.accept('TABLE')
  const table = c.tableName()
  if (c.isAt('PARTITION')) throw c.error('INSERT … PARTITION (…) is not supported: filter the query instead, or use INSERT INTO … REPLACE WHERE')
  let columns: string[] | undefined
  let byName = false
  let replaceWhere
  if (!overwrite && c.accept('REPLACE', 'WHERE')) {
    replaceWhere = c.expression(['SELECT', 'WITH', 'VALUES', 'FROM', 'TABLE'], 'a predicate')
  } else if (c.accept('BY', 'NAME')) byName = true
  else if (c.isAt('(') && !['SELECT', 'WITH', 'VALUES', 'FROM', '('].includes(c.peek(1)?.value ?? '')) columns = c.identifierList()
  const source = parseSource(c, 'the rows to insert')
  return { kind: 'insert', table, overwrite, byName, columns, replaceWhere, source }
}

function parseAssignments(c: Cursor, stops: string[]): Assignment[] {
  const set: Assignment[] = []
  do {
    const column = c.columnName()
    c.expect('=')
    set.push({ column, value: c.expression([',', ...stops], `a value for ${column}`) })
  } while (c.accept(','))
  return set
}

function parseUpdate(c: Cursor): Statement {
  c.expect('UPDATE')
  const table = c.tableName()
  const alias = c.alias(['SET']) ?? table.name.split('.').pop()!
  c.expect('SET')
  const set = parseAssignments(c, ['WHERE'])
  const where = c.accept('WHERE') ? c.expression([], 'a condition') : undefined
  return end(c, { kind: 'update', table, alias, set, where })
}

function parseDelete(c: Cursor): Statement {
  c.expect('DELETE', 'FROM')
  const table = c.tableName()
  const alias = c.alias(['WHERE']) ?? table.name.split('.').pop()!
  const where = c.accept('WHERE') ? c.expression([], 'a condition') : undefined
  return end(c, { kind: 'delete', table, alias, where })
}

function parseMerge(c: Cursor): Statement {
  c.expect('MERGE')
  const schemaEvolution = c.accept('WITH', 'SCHEMA', 'EVOLUTION')
  c.expect('INTO')
  const target = c.tableName()
  const targetAlias = c.alias(['USING']) ?? target.name.split('.').pop()!
  c.expect('USING')
  let source: Source
  let defaultSourceAlias: string | undefined
  if (c.isAt('(')) {
    c.next()
    source = { kind: 'query', query: c.expression([], 'the source query') }
    c.expect(')')
  } else {
    const table = c.tableName(true)
    source = { kind: 'table', table }
    defaultSourceAlias = table.kind === 'name' ? table.name.split('.').pop() : undefined
  }
  const sourceAlias = c.alias(['ON']) ?? defaultSourceAlias
  if (!sourceAlias) throw c.error('a MERGE source query needs an alias (USING (…) AS s)')
  if (c.isAt('(')) {
    // USING (VALUES …) AS s(a, b): the column names given to the source's columns.
    const offset = c.offset()
    const names = c
      .identifierList()
      .map((name) => `"${name.replaceAll('"', '""')}"`)
      .join(', ')
    const query = source.kind === 'query' ? source.query : { sql: `SELECT * FROM ${tableSql(source.table)}`, text: '', offset }
    source = { kind: 'query', query: { ...query, sql: `SELECT * FROM (${query.sql}\n) AS __merge_source(${names})` } }
  }
  if (sourceAlias.toLowerCase() === targetAlias.toLowerCase()) throw c.error(`the target and the source are both called '${sourceAlias}': give one an alias`)
  c.expect('ON')
  const on = c.expression(['WHEN'], 'the merge condition')
  const clauses: MergeClause[] = []
  while (c.accept('WHEN')) clauses.push(parseMergeClause(c))
  if (clauses.length === 0) throw c.error('expected WHEN MATCHED / WHEN NOT MATCHED')
  c.expectEnd()
  return { kind: 'merge', target, targetAlias, source, sourceAlias, on, clauses, schemaEvolution }
}

function parseMergeClause(c: Cursor): MergeClause {
  const matched = !c.accept('NOT')
  c.expect('MATCHED')
  let when: MergeClause['when'] = matched ? 'matched' : 'notMatched'
  if (!matched && c.accept('BY')) {
    if (c.accept('SOURCE')) when = 'notMatchedBySource'
    else c.expect('TARGET')
  }
  const condition = c.accept('AND') ? c.expression(['THEN'], 'a clause condition') : undefined
  c.expect('THEN')
  if (when === 'notMatched') {
    c.expect('INSERT')
    if (c.accept('*')) return { when, condition, action: 'insert', columns: '*', values: [] }
    const columns = c.identifierList()
    c.expect('VALUES')
    c.expect('(')
    const values = [c.expression([','], 'a value')]
    while (c.accept(',')) values.push(c.expression([','], 'a value'))
    c.expect(')')
    if (values.length !== columns.length) throw c.error(`INSERT names ${columns.length} columns but gives ${values.length} values`)
    return { when, condition, action: 'insert', columns, values }
  }
  if (c.accept('DELETE')) return { when, condition, action: 'delete' }
  c.expect('UPDATE', 'SET')
  if (when === 'matched' && c.accept('*')) return { when, condition, action: 'update', set: '*' }
  return { when, condition, action: 'update', set: parseAssignments(c, ['WHEN']) } as MergeClause
}
