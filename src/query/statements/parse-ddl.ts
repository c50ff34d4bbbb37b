/**
 * Parsing Spark's table statements: CREATE/DROP/ALTER TABLE, OPTIMIZE, VACUUM, RESTORE, and the
 * SHOW/DESCRIBE forms that name one lake table.
 */
import type { ColumnDefinition, Statement } from './ast'
import type { Cursor } from './cursor'
import { SqlSyntaxError } from './tokens'

const COLUMN_OPTION_WORDS = ['NOT', 'GENERATED', 'COMMENT', 'DEFAULT', 'CONSTRAINT', 'FIRST', 'AFTER']

function end<T extends Statement>(c: Cursor, statement: T): T {
  c.expectEnd()
  return statement
}

/** A column type as written, up to `,` or `)` or a column option (angle brackets and parentheses nest). */
function columnType(c: Cursor): string {
  let depth = 0
  let type = ''
  const start = c.offset()
  while (!c.atEnd()) {
    const token = c.peek()!
    if (depth === 0 && (token.text === ',' || token.text === ')' || (token.kind === 'word' && COLUMN_OPTION_WORDS.includes(token.value)))) break
    if (token.text === '(' || token.text === '<') depth++
    if (token.text === ')' || token.text === '>') depth--
    if (token.text === '>>') depth -= 2
    type += (type && /^[\w]/.test(token.text) && /[\w]$/.test(type) ? ' ' : '') + token.text
    c.next()
  }
  if (!type) throw new SqlSyntaxError('expected a column type', start)
  return type
}

function columnDefinition(c: Cursor): ColumnDefinition {
  const column: ColumnDefinition = { name: c.identifier('a column name'), type: '', notNull: false }
  c.accept(':')
  column.type = columnType(c)
  for (;;) {
    if (c.accept('NOT', 'NULL')) column.notNull = true
    else if (c.accept('COMMENT')) column.comment = c.string('a comment')
    else if (c.accept('GENERATED', 'ALWAYS', 'AS')) {
      c.expect('(')
      column.generatedAs = c.expression([], 'a generation expression')
      c.expect(')')
    } else if (c.isAt('GENERATED') || c.isAt('DEFAULT') || c.isAt('CONSTRAINT')) {
      throw c.error(`column '${column.name}': identity columns, DEFAULT values and column constraints are not supported`)
    } else break
  }
  return column
}

function columnDefinitions(c: Cursor): ColumnDefinition[] {
  c.expect('(')
  const columns = [columnDefinition(c)]
  while (c.accept(',')) columns.push(columnDefinition(c))
  c.expect(')')
  return columns
}

/** `('key' = 'value', delta.x = true, …)`: keys as strings or dotted names, values as strings, numbers or booleans. */
function properties(c: Cursor): Record<string, string> {
  const result: Record<string, string> = {}
  c.expect('(')
  do {
    const key = c.peek()?.kind === 'string' ? c.string() : [c.identifier('a property name'), ...dotted(c)].join('.')
    c.accept('=')
    const value = c.next()
    if (!['string', 'number', 'word'].includes(value.kind)) throw new SqlSyntaxError(`expected a value for property '${key}'`, value.start)
    result[key] = value.kind === 'word' ? value.text.toLowerCase() : value.value
  } while (c.accept(','))
  c.expect(')')
  return result
}

function dotted(c: Cursor): string[] {
  const parts: string[] = []
  while (c.accept('.')) parts.push(c.identifier('a property name part'))
  return parts
}

export function parseCreate(c: Cursor): Statement {
  let orReplace = false
  if (c.accept('REPLACE')) orReplace = true
  else {
    c.expect('CREATE')
    if (c.accept('OR', 'REPLACE')) orReplace = true
  }
  if (!c.isAt('TABLE')) {
    const what = c.peek()?.text ?? ''
    throw c.error(`CREATE ${what.toUpperCase()} is not supported: the lake creates tables only (CREATE TABLE zone.t …)`)
  }
  c.next()
  const ifNotExists = c.accept('IF', 'NOT', 'EXISTS')
  const table = c.tableName()
  const statement: Extract<Statement, { kind: 'createTable' }> = { kind: 'createTable', table, orReplace, ifNotExists, partitionedBy: [], properties: {} }
  if (c.accept('LIKE')) {
    statement.like = c.tableName(true)
  } else if (c.accept('SHALLOW', 'CLONE')) {
    statement.shallowCloneOf = c.tableName(true)
  } else if (c.isAt('DEEP') || c.isAt('CLONE')) {
    throw c.error('only SHALLOW CLONE is supported (a deep clone: CREATE TABLE … AS SELECT * FROM the source)')
  } else if (c.isAt('(')) statement.columns = columnDefinitions(c)
  for (;;) {
    if (c.accept('USING')) {
      const format = c.identifier('a format')
      if (format.toUpperCase() !== 'DELTA') throw c.error(`USING ${format}: the lake's tables are Delta tables`)
    } else if (c.accept('PARTITIONED', 'BY')) statement.partitionedBy = c.identifierList()
    else if (c.accept('COMMENT')) statement.comment = c.string('a comment')
    else if (c.accept('TBLPROPERTIES')) statement.properties = { ...statement.properties, ...properties(c) }
    else if (c.isAt('LOCATION') || c.isAt('CLUSTER') || c.isAt('OPTIONS'))
      throw c.error(`${c.peek()!.value} is not supported: a table's folder is its name in the lake (zone/table)`)
    else break
  }
  if (c.accept('AS')) {
    if (statement.like) throw c.error('CREATE TABLE … LIKE takes no query')
    statement.asSelect = c.rest('a query')
  }
  if (ifNotExists && orReplace) throw new SqlSyntaxError('CREATE OR REPLACE and IF NOT EXISTS exclude each other', table.offset)
  if (statement.shallowCloneOf && (statement.asSelect || statement.partitionedBy.length || statement.comment !== undefined)) {
    throw new SqlSyntaxError("SHALLOW CLONE takes the source's definition: only TBLPROPERTIES may be added", table.offset)
  }
  if (!statement.columns && !statement.asSelect && !statement.like && !statement.shallowCloneOf)
    throw c.error('expected (columns), AS SELECT …, LIKE or SHALLOW CLONE')
  return end(c, statement)
}

export function parseDrop(c: Cursor): Statement {
  c.expect('DROP')
  if (!c.isAt('TABLE')) throw c.error(`DROP ${c.peek()?.text.toUpperCase() ?? ''} is not supported: the lake drops tables only (DROP TABLE zone.t)`)
  c.next()
  const ifExists = c.accept('IF', 'EXISTS')
  return end(c, { kind: 'dropTable', table: c.tableName(), ifExists })
}

export function parseAlter(c: Cursor): Statement {
  c.expect('ALTER')
  if (!c.isAt('TABLE')) throw c.error(`ALTER ${c.peek()?.text.toUpperCase() ?? ''} is not supported: the lake alters tables only`)
  c.next()
  const table = c.tableName()
  if (c.accept('ADD', 'CONSTRAINT')) {
    const name = c.identifier('a constraint name')
    c.expect('CHECK')
    c.expect('(')
    const check = c.expression([], 'a condition')
    c.expect(')')
    return end(c, { kind: 'addConstraint', table, name, check })
  }
  if (c.accept('DROP', 'CONSTRAINT')) {
    const ifExists = c.accept('IF', 'EXISTS')
    return end(c, { kind: 'dropConstraint', table, name: c.identifier('a constraint name'), ifExists })
  }
  if (c.accept('ADD', 'COLUMNS') || c.accept('ADD', 'COLUMN')) {
    const columns = c.isAt('(') ? columnDefinitions(c) : [columnDefinition(c)]
    for (const column of columns) {
      if (column.generatedAs)
        throw new SqlSyntaxError(`column '${column.name}': ADD COLUMNS cannot add a generated column (Delta allows them only in CREATE TABLE)`, table.offset)
    }
    return end(c, { kind: 'addColumns', table, columns })
  }
  if (c.accept('SET', 'TBLPROPERTIES')) return end(c, { kind: 'setProperties', table, properties: properties(c) })
  if (c.accept('UNSET', 'TBLPROPERTIES')) {
    const ifExists = c.accept('IF', 'EXISTS')
    c.expect('(')
    const keys: string[] = []
    do keys.push(c.peek()?.kind === 'string' ? c.string() : [c.identifier('a property name'), ...dotted(c)].join('.'))
    while (c.accept(','))
    c.expect(')')
    return end(c, { kind: 'unsetProperties', table, keys, ifExists })
  }
  if (c.accept('RENAME', 'COLUMN')) {
    const from = c.columnName()
    c.expect('TO')
    return end(c, { kind: 'renameColumn', table, from, to: c.columnName() })
  }
  if (c.accept('DROP', 'COLUMNS') || c.accept('DROP', 'COLUMN')) {
    const ifExists = c.accept('IF', 'EXISTS')
    const columns = c.isAt('(') ? c.identifierList() : [c.columnName()]
    return end(c, { kind: 'dropColumns', table, columns, ifExists })
  }
  if (c.accept('ALTER') || c.accept('CHANGE')) {
    c.accept('COLUMN')
    const column = c.columnName()
    if (c.accept('COMMENT')) return end(c, { kind: 'alterColumn', table, column, comment: c.string('a comment') })
    if (c.accept('DROP', 'NOT', 'NULL')) return end(c, { kind: 'alterColumn', table, column, dropNotNull: true })
    if (c.accept('SET', 'NOT', 'NULL')) return end(c, { kind: 'alterColumn', table, column, setNotNull: true })
    throw c.error("expected COMMENT '…', DROP NOT NULL or SET NOT NULL")
  }
  throw c.error('expected ADD COLUMNS, SET/UNSET TBLPROPERTIES, ALTER COLUMN, RENAME COLUMN, DROP COLUMN or ADD/DROP CONSTRAINT')
}

/** REORG TABLE t [WHERE partition predicate] APPLY (PURGE): the files with deletion vectors rewritten without their deleted rows. */
export function parseReorg(c: Cursor): Statement {
  c.expect('REORG')
  c.expect('TABLE')
  const table = c.tableName()
  const where = c.accept('WHERE') ? c.expression(['APPLY'], 'a partition predicate') : undefined
  c.expect('APPLY')
  c.expect('(')
  c.expect('PURGE')
  c.expect(')')
  return end(c, { kind: 'optimize', table, where, zorderBy: [], purge: true })
}

export function parseOptimize(c: Cursor): Statement {
  c.expect('OPTIMIZE')
  const table = c.tableName()
  const where = c.accept('WHERE') ? c.expression(['ZORDER'], 'a partition predicate') : undefined
  let zorderBy: string[] = []
  if (c.accept('ZORDER', 'BY')) {
    if (c.isAt('(')) zorderBy = c.identifierList()
    else {
      zorderBy = [c.columnName()]
      while (c.accept(',')) zorderBy.push(c.columnName())
    }
  }
  return end(c, { kind: 'optimize', table, where, zorderBy })
}

export function parseVacuum(c: Cursor): Statement {
  c.expect('VACUUM')
  const table = c.tableName()
  let retainHours: number | undefined
  if (c.accept('RETAIN')) {
    const token = c.next()
    if (token.kind !== 'number' || !/^\d+(\.\d+)?$/.test(token.text)) throw new SqlSyntaxError('expected a number of hours after RETAIN', token.start)
    retainHours = Number(token.text)
    c.expect('HOURS')
  }
  const dryRun = c.accept('DRY', 'RUN')
  return end(c, { kind: 'vacuum', table, retainHours, dryRun })
}

export function parseRestore(c: Cursor): Statement {
  c.expect('RESTORE')
  c.accept('TABLE')
  const table = c.tableName()
  c.accept('TO')
  return end(c, { kind: 'restore', table, ...c.timeTravel() })
}

/** SHOW TABLES / TBLPROPERTIES / COLUMNS / CREATE TABLE; undefined for DuckDB's own SHOW forms. */
export function parseShow(c: Cursor): Statement | undefined {
  c.expect('SHOW')
  if (c.accept('TABLES')) {
    let zone: string | undefined
    if (c.accept('IN') || c.accept('FROM')) zone = c.identifier('a zone')
    const like = c.accept('LIKE') || c.peek()?.kind === 'string' ? c.string('a pattern') : undefined
    return end(c, { kind: 'showTables', zone, like })
  }
  if (c.accept('TBLPROPERTIES')) {
    const table = c.tableName(true)
    let key: string | undefined
    if (c.accept('(')) {
      key = c.peek()?.kind === 'string' ? c.string() : [c.identifier('a property name'), ...dotted(c)].join('.')
      c.expect(')')
    }
    return end(c, { kind: 'showProperties', table, key })
  }
  if (c.accept('COLUMNS')) {
    if (!c.accept('IN')) c.expect('FROM')
    return end(c, { kind: 'showColumns', table: c.tableName(true) })
  }
  if (c.accept('CREATE', 'TABLE')) return end(c, { kind: 'showCreateTable', table: c.tableName(true) })
  return undefined
}

/** DESCRIBE [TABLE] [EXTENDED] zone.t; undefined for DESCRIBE HISTORY/DETAIL and DuckDB's DESCRIBE of a query. */
export function parseDescribe(c: Cursor): Statement | undefined {
  c.next()
  if (c.isAt('HISTORY') || c.isAt('DETAIL') || c.isAt('SELECT') || c.isAt('WITH') || c.isAt('FROM') || c.isAt('(')) return undefined
  c.accept('TABLE')
  const extended = c.accept('EXTENDED') || c.accept('FORMATTED')
  return end(c, { kind: 'describeTable', table: c.tableName(true), extended })
}
