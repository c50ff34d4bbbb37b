/**
 * INSERT, UPDATE, DELETE, MERGE and TRUNCATE on lake tables, mapped onto the engine's operations
 * (append, overwrite, update, deleteRows, merge), which write Spark's commitInfo and the change
 * data files of tables with the change data feed.
 */
import { DeltaError, fileKey, generatedColumns, duckdbType, quoteIdentifier, type StructType, removeFileFor, statsNumRecords } from '../../delta'
import type { LakeEngine } from '../../engine'
import {
  appendQuery,
  commitTable,
  deleteRows,
  merge,
  overwrite,
  update,
  type BySourceClause,
  type MatchedClause,
  type NotMatchedClause,
  type RewriteResult,
} from '../../table'
import type { LakeCatalog } from '../../engine'
import type { Source, StatementOf } from './ast'
import { withEmbedded } from './embedded'
import { affectedRows, type StatementOutput, type WriteSummary } from './output'
import { tableLabel, tablePath, tableReference } from './targets'

export interface StatementContext {
  lake: LakeEngine
  catalog: LakeCatalog
  /** VACUUM may use a retention shorter than the table's (the editor asked the user first). */
  allowShortRetention?: boolean
}

function sourceSql(source: Source): string {
  return source.kind === 'table' ? `SELECT * FROM ${tableReference(source.table)}` : source.query.sql
}

/** Rows an update matched count as updated even when their values did not change (as Databricks counts them). */
function summary(label: string, path: string, operation: string, result: RewriteResult): WriteSummary {
  const m = result.metrics
  return {
    table: label,
    path,
    operation,
    version: result.version,
    rowsInserted: m.rowsInserted,
    rowsUpdated: m.rowsUpdated + m.rowsUnchanged,
    rowsDeleted: m.rowsDeleted,
  }
}

/**
 * A generated column whose inputs an UPDATE changes is set to NULL, which the writer computes
 * from the new row (see data-files.ts); one the statement sets itself is checked there.
 */
function recomputeGenerated(schema: StructType, set: Record<string, string>): Record<string, string> {
  const assigned = Object.keys(set).map((c) => c.toLowerCase())
  const result = { ...set }
  for (const [name, expression] of generatedColumns(schema)) {
    if (assigned.includes(name.toLowerCase())) continue
    const uses = (column: string) => new RegExp(`(^|[^\\w])\`?${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`?($|[^\\w])`, 'i').test(expression)
    if (assigned.some(uses)) result[name] = 'NULL'
  }
  return result
}

/** `SET t.x = …` names the column through the target's alias (or name): the column is `x`. */
function targetColumn(column: string, alias: string): string {
  const dot = column.indexOf('.')
  return dot > 0 && column.slice(0, dot).toLowerCase() === alias.toLowerCase() ? column.slice(dot + 1) : column
}

export async function runInsert({ lake, catalog }: StatementContext, s: StatementOf<'insert'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const snapshot = await lake.snapshot(path)
  const label = tableLabel(s.table)
  const parts = [sourceSql(s.source), ...(s.replaceWhere ? [s.replaceWhere.sql] : [])]
  return withEmbedded(lake, catalog, parts, async ([source, predicate], tables) => {
    const db = await lake.duckdb()
    const described = await db.describe(`SELECT * FROM (${source})`)
    const rows = insertProjection(
      snapshot.schema,
      described.map((c) => c.name),
      source,
      s,
      label,
    )
    let write: WriteSummary
    if (s.overwrite || predicate !== undefined) {
      const result = await overwrite(lake, path, rows, { predicate })
      write = summary(label, path, 'WRITE', result)
    } else {
      const result = await appendQuery(lake, path, rows, { snapshot, schemaMode: 'strict', sourceSchema: snapshot.schema })
      write = { table: label, path, operation: 'WRITE', version: result.version, rowsInserted: result.rows }
    }
    return { ...affectedRows(write, 'insert'), tables }
  })
}

/**
 * The source's rows as the table's columns, in its order and types: by position (all columns, or
 * those listed), or BY NAME; columns not given are NULL (and refused if NOT NULL, when written).
 */
function insertProjection(schema: StructType, sourceColumns: string[], source: string, s: StatementOf<'insert'>, label: string): string {
  const fields = schema.fields
  const find = (name: string) => {
    const field = fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
    if (!field)
      throw new DeltaError('SCHEMA_MISMATCH', `INSERT INTO ${label}: column '${name}' is not in the table (columns: ${fields.map((f) => f.name).join(', ')})`)
    return field.name
  }
  const targets = s.byName ? sourceColumns.map(find) : s.columns ? s.columns.map(find) : fields.map((f) => f.name)
  if (!s.byName && targets.length !== sourceColumns.length) {
    throw new DeltaError(
      'SCHEMA_MISMATCH',
      `INSERT INTO ${label}: the ${s.columns ? 'column list' : 'table'} has ${targets.length} columns (${targets.join(', ')}) but the data has ${sourceColumns.length}; use BY NAME to match columns by name`,
    )
  }
  const seen = new Set<string>()
  for (const target of targets) {
    if (seen.has(target.toLowerCase())) throw new DeltaError('SCHEMA_MISMATCH', `INSERT INTO ${label}: column '${target}' is given twice`)
    seen.add(target.toLowerCase())
  }
  const given = new Map(targets.map((name, i) => [name, `"__c${i}"`]))
  const projection = fields.map((f) => `CAST(${given.get(f.name) ?? 'NULL'} AS ${duckdbType(f.type)}) AS ${quoteIdentifier(f.name)}`)
  return `SELECT ${projection.join(', ')} FROM (${source}) AS __insert_source(${sourceColumns.map((_, i) => `"__c${i}"`).join(', ')})`
}

export async function runUpdate({ lake, catalog }: StatementContext, s: StatementOf<'update'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  const parts = [...s.set.map((a) => a.value.sql), ...(s.where ? [s.where.sql] : [])]
  const snapshot = await lake.snapshot(path)
  return withEmbedded(lake, catalog, parts, async (rewritten, tables) => {
    const set = recomputeGenerated(snapshot.schema, Object.fromEntries(s.set.map((a, i) => [targetColumn(a.column, s.alias), rewritten[i]])))
    const result = await update(lake, path, s.where ? rewritten[s.set.length] : undefined, set, { alias: s.alias, snapshot })
    return { ...affectedRows(summary(label, path, 'UPDATE', result), 'update'), tables }
  })
}

export async function runDelete({ lake, catalog }: StatementContext, s: StatementOf<'delete'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  return withEmbedded(lake, catalog, s.where ? [s.where.sql] : [], async ([where], tables) => {
    const result = await deleteRows(lake, path, where, { alias: s.alias })
    return { ...affectedRows(summary(label, path, 'DELETE', result), 'delete'), tables }
  })
}

/** TRUNCATE TABLE: every file removed in one commit (readers of the change feed see the rows deleted). */
export async function runTruncate({ lake, catalog }: StatementContext, s: StatementOf<'truncate'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const snapshot = await lake.snapshot(path)
  const now = Date.now()
  const removes = snapshot.files.map(({ add }) => ({ remove: removeFileFor(add, now) }))
  const rows = snapshot.files.reduce((sum, f) => sum + (statsNumRecords(f.add.stats) ?? 0), 0)
  const result = await commitTable(lake, {
    table: path,
    snapshot,
    actions: removes,
    operation: 'TRUNCATE',
    operationParameters: {},
    operationMetrics: { numRemovedFiles: String(removes.length) },
    readSet: { files: new Set(snapshot.files.map((f) => fileKey(f.path, f.add))), readData: true, appIds: new Set() },
  })
  const write: WriteSummary = { table: tableLabel(s.table), path, operation: 'TRUNCATE', version: result.version, rowsDeleted: rows }
  return { ...affectedRows(write, 'delete'), rows: [], columns: [], write }
}

export async function runMerge({ lake, catalog }: StatementContext, s: StatementOf<'merge'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.target)
  const label = tableLabel(s.target)
  const parts: string[] = []
  const part = (sql: string) => parts.push(sql) - 1
  const sourceIndex = part(sourceSql(s.source))
  const onIndex = part(s.on.sql)
  const clauseParts = s.clauses.map((clause) => ({
    condition: clause.condition ? part(clause.condition.sql) : undefined,
    set: 'set' in clause && clause.set !== '*' ? clause.set.map((a) => ({ column: a.column, index: part(a.value.sql) })) : undefined,
    values:
      clause.action === 'insert' && clause.columns !== '*' ? clause.columns.map((column, i) => ({ column, index: part(clause.values[i].sql) })) : undefined,
  }))
  const { schema } = await lake.snapshot(path)
  const generated = generatedColumns(schema)
  return withEmbedded(lake, catalog, parts, async (sql, tables) => {
    // UPDATE SET * on a table with generated columns: each from the source's column, or computed when the source has none.
    let sourceColumns: Set<string> | undefined
    if (generated.size && s.clauses.some((c) => 'set' in c && c.set === '*')) {
      const db = await lake.duckdb()
      sourceColumns = new Set((await db.describe(`SELECT * FROM (${sql[sourceIndex]})`)).map((c) => c.name.toLowerCase()))
    }
    const starUpdate = (): '*' | Record<string, string> => {
      if (!sourceColumns) return '*'
      const known = sourceColumns
      return Object.fromEntries(
        schema.fields.flatMap((f) =>
          known.has(f.name.toLowerCase())
            ? [[f.name, `${quoteIdentifier(s.sourceAlias)}.${quoteIdentifier(f.name)}`]]
            : generated.has(f.name)
              ? [[f.name, 'NULL']]
              : [],
        ),
      )
    }
    const whenMatched: MatchedClause[] = []
    const whenNotMatched: NotMatchedClause[] = []
    const bySource: BySourceClause[] = []
    s.clauses.forEach((clause, i) => {
      const p = clauseParts[i]
      const condition = p.condition === undefined ? undefined : sql[p.condition]
      const assignments = (list?: { column: string; index: number }[]) =>
        Object.fromEntries((list ?? []).map((a) => [targetColumn(a.column, s.targetAlias), sql[a.index]]))
      if (clause.when === 'matched')
        whenMatched.push(
          clause.action === 'delete'
            ? { condition, delete: true }
            : { condition, update: clause.set === '*' ? starUpdate() : recomputeGenerated(schema, assignments(p.set)) },
        )
      else if (clause.when === 'notMatched') whenNotMatched.push({ condition, insert: clause.columns === '*' ? '*' : assignments(p.values) })
      else bySource.push(clause.action === 'delete' ? { condition, delete: true } : { condition, update: recomputeGenerated(schema, assignments(p.set)) })
    })
    if (!s.schemaEvolution && s.clauses.some((c) => ('set' in c && c.set === '*') || (c.action === 'insert' && c.columns === '*'))) {
      await checkStarColumns(lake, path, sql[sourceIndex], label)
    }
    const result = await merge(lake, path, sql[sourceIndex], {
      on: sql[onIndex],
      whenMatched,
      whenNotMatched,
      whenNotMatchedBySourceClauses: bySource,
      targetAlias: s.targetAlias,
      sourceAlias: s.sourceAlias,
      schemaMode: s.schemaEvolution ? 'evolve' : 'strict',
    })
    return { ...affectedRows(summary(label, path, 'MERGE', result), 'merge'), tables }
  })
}

/**
 * UPDATE SET * and INSERT * take every target column from the source: without schema evolution, all
 * must be there (extra source columns are ignored, as in Delta).
 */
async function checkStarColumns(lake: LakeEngine, path: string, source: string, label: string): Promise<void> {
  const snapshot = await lake.snapshot(path)
  const db = await lake.duckdb()
  const sourceColumns = new Set((await db.describe(`SELECT * FROM (${source})`)).map((c) => c.name.toLowerCase()))
  const generated = generatedColumns(snapshot.schema)
  const missing = snapshot.schema.fields.filter((f) => !sourceColumns.has(f.name.toLowerCase()) && !generated.has(f.name)).map((f) => f.name)
  if (missing.length)
    throw new DeltaError(
      'SCHEMA_MISMATCH',
      `MERGE INTO ${label}: UPDATE SET * / INSERT * need every target column in the source, and it lacks ${missing.join(', ')}`,
    )
}
