/**
 * The statements the lake runs itself (Spark SQL's DDL, DML and Delta utilities), as the parser
 * leaves them: names resolved to their parts, and every embedded expression or query kept as SQL
 * text for DuckDB (which parses and runs those).
 */

/** A table as a statement names it: `zone.table` or ``delta.`path` ``, optionally at a version or time. */
export interface TableName {
  kind: 'name' | 'path'
  /** `zone.table` for names; the path as written for ``delta.`path` ``. */
  name: string
  version?: number
  /** `@yyyyMMddHHmmssSSS` or `TIMESTAMP AS OF`: ms since the epoch. */
  timestamp?: number
  /** Offset of the name in the text (for error positions). */
  offset: number
}

/** An expression or query as DuckDB SQL text, with its offset in the original text. */
export interface SqlPart {
  sql: string
  /** As written (Spark's backtick names kept): what CHECK constraints store in the table. */
  text: string
  offset: number
}

export interface ColumnDefinition {
  name: string
  /** The type as written (Spark's spelling: STRING, INT, DECIMAL(10,2), ARRAY<STRING>, …). */
  type: string
  notNull: boolean
  comment?: string
  generatedAs?: SqlPart
}

export type Assignment = { column: string; value: SqlPart }

export type MergeClause =
  | { when: 'matched'; condition?: SqlPart; action: 'update'; set: Assignment[] | '*' }
  | { when: 'matched'; condition?: SqlPart; action: 'delete' }
  | { when: 'notMatched'; condition?: SqlPart; action: 'insert'; columns: string[] | '*'; values: SqlPart[] }
  | { when: 'notMatchedBySource'; condition?: SqlPart; action: 'update'; set: Assignment[] }
  | { when: 'notMatchedBySource'; condition?: SqlPart; action: 'delete' }

/** A query (`SELECT …`, `VALUES …`, `WITH …`) or a table name used as one. */
export type Source = { kind: 'query'; query: SqlPart } | { kind: 'table'; table: TableName }

export type Statement =
  | { kind: 'query'; sql: string }
  | { kind: 'insert'; table: TableName; overwrite: boolean; byName: boolean; columns?: string[]; replaceWhere?: SqlPart; source: Source }
  | { kind: 'update'; table: TableName; alias: string; set: Assignment[]; where?: SqlPart }
  | { kind: 'delete'; table: TableName; alias: string; where?: SqlPart }
  | { kind: 'truncate'; table: TableName }
  | {
      kind: 'merge'
      target: TableName
      targetAlias: string
      source: Source
      sourceAlias: string
      on: SqlPart
      clauses: MergeClause[]
      schemaEvolution: boolean
    }
  | {
      kind: 'createTable'
      table: TableName
      orReplace: boolean
      ifNotExists: boolean
      columns?: ColumnDefinition[]
      partitionedBy: string[]
      properties: Record<string, string>
      comment?: string
      asSelect?: SqlPart
      like?: TableName
      /** SHALLOW CLONE: the new table's files are the source's (by absolute path). */
      shallowCloneOf?: TableName
    }
  | { kind: 'dropTable'; table: TableName; ifExists: boolean }
  | { kind: 'addColumns'; table: TableName; columns: ColumnDefinition[] }
  | { kind: 'setProperties'; table: TableName; properties: Record<string, string> }
  | { kind: 'unsetProperties'; table: TableName; keys: string[]; ifExists: boolean }
  | { kind: 'alterColumn'; table: TableName; column: string; comment?: string; dropNotNull?: boolean; setNotNull?: boolean }
  | { kind: 'renameColumn'; table: TableName; from: string; to: string }
  | { kind: 'dropColumns'; table: TableName; columns: string[]; ifExists: boolean }
  | { kind: 'addConstraint'; table: TableName; name: string; check: SqlPart }
  | { kind: 'dropConstraint'; table: TableName; name: string; ifExists: boolean }
  | {
      kind: 'optimize'
      table: TableName
      where?: SqlPart
      zorderBy: string[] /** REORG TABLE … APPLY (PURGE): rewrite only the files with deletion vectors. */
      purge?: boolean
    }
  | { kind: 'vacuum'; table: TableName; retainHours?: number; dryRun: boolean }
  | { kind: 'restore'; table: TableName; version?: number; timestamp?: number }
  | { kind: 'showTables'; zone?: string; like?: string }
  | { kind: 'showProperties'; table: TableName; key?: string }
  | { kind: 'showColumns'; table: TableName }
  | { kind: 'describeTable'; table: TableName; extended: boolean }
  | { kind: 'showCreateTable'; table: TableName }

/** The statement of one kind: `StatementOf<'createTable'>`. */
export type StatementOf<K extends Statement['kind']> = Extract<Statement, { kind: K }>

export type StatementKind = Statement['kind']

/** Statements that change data or tables (the rest only read). */
export const WRITING_KINDS = new Set<StatementKind>([
  'insert',
  'update',
  'delete',
  'truncate',
  'merge',
  'createTable',
  'dropTable',
  'addColumns',
  'setProperties',
  'unsetProperties',
  'alterColumn',
  'renameColumn',
  'dropColumns',
  'addConstraint',
  'dropConstraint',
  'optimize',
  'vacuum',
  'restore',
])
