/**
 * CREATE TABLE (columns, AS SELECT, LIKE, SHALLOW CLONE; OR REPLACE; IF NOT EXISTS) and DROP TABLE,
 * each one Delta commit with Spark's operation name and parameters. Protocol versions and features
 * go up only as far as the table needs (change data feed, CHECK constraints, generated columns).
 */
import { rm } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import {
  DeltaError,
  generatedColumns,
  duckdbType,
  quoteIdentifier,
  type Action,
  type Metadata,
  type Protocol,
  type StructType,
  type Snapshot,
  removeFileFor,
} from '../../delta'
import { snapshotOrNothing, type LakeCatalog, type LakeEngine } from '../../engine'
import { appendQuery, atLeast, commitTable, createTable, newTableActions, replaceTable } from '../../table'
import type { StatementOf } from './ast'
import { withEmbedded } from './embedded'
import { resultOf, type StatementOutput } from './output'
import type { StatementContext } from './run-dml'
import { tableLabel, tablePath } from './targets'
import { checkProperties, fieldOf } from './table-definition'

/** Partition columns spelled as the schema spells them; an unknown one is an error. */
function partitionColumns(schema: StructType | undefined, names: string[], label: string): string[] {
  if (!schema) return names
  return names.map((name) => {
    const field = schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
    if (!field)
      throw new DeltaError('SCHEMA_MISMATCH', `${label}: partition column '${name}' is not one of the columns (${schema.fields.map((f) => f.name).join(', ')})`)
    return field.name
  })
}

export async function runCreateTable({ lake, catalog }: StatementContext, s: StatementOf<'createTable'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  const existing = await snapshotOrNothing(lake, path)
  const done = (operation: string, version?: number, rows?: number) => resultOf([], [], { table: label, path, operation, version, rowsInserted: rows })
  if (existing && s.ifNotExists) return resultOf([], [])
  if (existing && !s.orReplace)
    throw new DeltaError('TABLE_EXISTS', `table ${label} already exists (use CREATE OR REPLACE TABLE or IF NOT EXISTS)`, { table: path })
  checkProperties(s.properties, label)
  if (s.shallowCloneOf) return shallowClone(lake, catalog, s, path, label, existing)
  let schema: StructType | undefined
  let properties = s.properties
  let description = s.comment
  let partitionBy = s.partitionedBy
  if (s.like) {
    const like = await lake.snapshot(await tablePath(catalog, s.like), { version: s.like.version, timestamp: s.like.timestamp })
    schema = like.schema
    partitionBy = like.partitionColumns
    properties = { ...like.metadata.configuration, ...s.properties }
    description ??= like.metadata.description ?? undefined
  } else if (s.columns) {
    schema = { type: 'struct', fields: s.columns.map(fieldOf) }
    await checkGenerationExpressions(lake, schema, label)
  }
  const partitions = partitionColumns(schema, partitionBy, label)
  const parameters = { isManaged: 'true', description: description ?? null, partitionBy: JSON.stringify(partitions), properties: JSON.stringify(properties) }
  if (s.asSelect) {
    if (s.columns) throw new DeltaError('INVALID_ARGUMENT', `${label}: CREATE TABLE … AS SELECT takes its columns from the query; leave out the column list`)
    return withEmbedded(lake, catalog, [s.asSelect.sql], async ([query], tables) => {
      if (existing) {
        const operation = 'CREATE OR REPLACE TABLE AS SELECT'
        const result = await replaceTable(lake, existing, {
          sourceSql: query,
          partitionColumns: partitions,
          properties,
          description,
          operation,
          operationParameters: parameters,
        })
        return { ...done(operation, result.version, result.rows), tables }
      }
      const result = await appendQuery(lake, path, query, {
        create: { partitionColumns: partitions, properties, description },
        operation: 'CREATE TABLE AS SELECT',
        operationParameters: parameters,
      })
      return { ...done('CREATE TABLE AS SELECT', result.version, result.rows), tables }
    })
  }
  if (existing) {
    const result = await replaceTable(lake, existing, {
      schema,
      partitionColumns: partitions,
      properties,
      description,
      operation: 'CREATE OR REPLACE TABLE',
      operationParameters: parameters,
    })
    return done('CREATE OR REPLACE TABLE', result.version)
  }
  const result = await createTable(lake, path, { schema: schema!, partitionColumns: partitions, properties, description }, parameters)
  return done('CREATE TABLE', result.version)
}

/**
 * CREATE [OR REPLACE] TABLE t SHALLOW CLONE source: one commit whose adds name the source's files
 * by absolute file: URI (nothing copied), with the source's schema, partitioning and properties.
 * As in Delta, a VACUUM of the source can delete files the clone still uses.
 */
async function shallowClone(
  lake: LakeEngine,
  catalog: LakeCatalog,
  s: StatementOf<'createTable'>,
  path: string,
  label: string,
  existing: Snapshot | undefined,
): Promise<StatementOutput> {
  const from = s.shallowCloneOf!
  const sourcePath = await tablePath(catalog, from)
  if (sourcePath === path) throw new DeltaError('INVALID_ARGUMENT', `${label}: a table cannot be cloned onto itself`)
  const source = await lake.snapshot(sourcePath, { version: from.version, timestamp: from.timestamp })
  const configuration = { ...source.metadata.configuration, ...s.properties }
  const now = Date.now()
  const actions: Action[] = []
  const created = newTableActions(
    path,
    { schema: source.schema, partitionColumns: source.partitionColumns, properties: configuration, description: source.metadata.description ?? undefined },
    lake.newTableProperties,
  )
  const protocol = atLeast(existing?.protocol ?? (created[0] as { protocol: Protocol }).protocol, source.protocol)
  actions.push(
    { protocol },
    { metaData: { ...source.metadata, id: existing?.metadata.id ?? (created[1] as { metaData: Metadata }).metaData.id, configuration, createdTime: now } },
  )
  for (const { add } of existing?.files ?? []) {
    actions.push({ remove: removeFileFor(add, now) })
  }
  for (const file of source.files) {
    const dv = file.add.deletionVector
    if (dv && dv.storageType === 'u')
      throw new DeltaError('UNSUPPORTED_WRITER_FEATURE', `${label}: the source's deletion vectors live beside its files; cloning them is not supported`)
    actions.push({ add: { ...file.add, path: pathToFileURL(file.path).href, dataChange: true, modificationTime: file.add.modificationTime } })
  }
  const size = source.files.reduce((sum, f) => sum + f.add.size, 0)
  const result = await commitTable(lake, {
    table: path,
    snapshot: existing,
    actions,
    operation: 'CLONE',
    operationParameters: { source: tableLabel(from), sourceVersion: String(source.version), isShallow: 'true' },
    operationMetrics: {
      sourceTableSize: String(size),
      sourceNumOfFiles: String(source.files.length),
      numRemovedFiles: String(existing?.files.length ?? 0),
      numCopiedFiles: '0',
      copiedFilesSize: '0',
    },
    readSet: existing ? { files: new Set(), readData: true, appIds: new Set() } : undefined,
  })
  return resultOf(
    [
      ['source_table_size', 'BIGINT'],
      ['source_num_of_files', 'BIGINT'],
      ['num_removed_files', 'BIGINT'],
      ['num_copied_files', 'BIGINT'],
    ],
    [{ source_table_size: size, source_num_of_files: source.files.length, num_removed_files: existing?.files.length ?? 0, num_copied_files: 0 }],
    { table: label, path, operation: 'CLONE', version: result.version },
  )
}

/** Each GENERATED ALWAYS AS expression must bind over the table's other columns and cast to its column's type. */
async function checkGenerationExpressions(lake: LakeEngine, schema: StructType, label: string): Promise<void> {
  const generated = generatedColumns(schema)
  if (generated.size === 0) return
  const db = await lake.duckdb()
  const row = schema.fields
    .filter((f) => !generated.has(f.name))
    .map((f) => `NULL::${duckdbType(f.type)} AS ${quoteIdentifier(f.name)}`)
    .join(', ')
  for (const [name, expression] of generated) {
    const type = duckdbType(schema.fields.find((f) => f.name === name)!.type)
    const sql = expression.replace(/'(?:[^']|'')*'|`((?:[^`]|``)*)`/g, (match, quoted: string | undefined) =>
      quoted === undefined ? match : quoteIdentifier(quoted.replaceAll('``', '`')),
    )
    try {
      await db.rows(`SELECT CAST((${sql}) AS ${type}) FROM (SELECT ${row || '1 AS __none'}) LIMIT 0`)
    } catch (error) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${label}: column '${name}' GENERATED ALWAYS AS (${expression}) must be an expression over the other columns: ${(error as Error).message.split('\n')[0]}`,
      )
    }
  }
}

export async function runDropTable({ lake, catalog }: StatementContext, s: StatementOf<'dropTable'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  if (!(await snapshotOrNothing(lake, path))) {
    if (s.ifExists) return resultOf([], [])
    throw new DeltaError('TABLE_NOT_FOUND', `table ${label} does not exist (DROP TABLE IF EXISTS ignores that)`)
  }
  await rm(path, { recursive: true, force: true })
  return resultOf([], [], { table: label, path, operation: 'DROP TABLE' })
}
