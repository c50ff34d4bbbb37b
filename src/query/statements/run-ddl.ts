/**
 * CREATE TABLE (columns, AS SELECT, LIKE; OR REPLACE; IF NOT EXISTS), DROP TABLE and ALTER TABLE,
 * each one Delta commit with Spark's operation name and parameters. Protocol versions and
 * features go up only as far as the table needs (change data feed, CHECK constraints).
 */
import { rm } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import {
  DeltaError,
  checkConstraints,
  generatedColumns,
  isDeletionVectorsEnabled,
  protocolWithDeletionVectors,
  writerFeatures,
  enableNameMapping,
  protocolWithColumnMapping,
  withSchema as metadataWithSchema,
  columnMappingMode,
  duckdbType,
  parseSchema,
  quoteIdentifier,
  type Action,
  type Metadata,
  type Protocol,
  type StructField,
  type StructType,
  type Snapshot,
} from '../../delta'
import { dropScan, snapshotOrNothing, type LakeCatalog, type LakeEngine } from '../../engine'
import { appendQuery, atLeast, commitTable, createTable, newTableActions, replaceTable } from '../../table'
import type { ColumnDefinition, Statement } from './ast'
import { withEmbedded } from './embedded'
import { resultOf, type StatementOutput } from './output'
import type { StatementContext } from './run-dml'
import { sparkType } from './spark-types'
import { tableLabel, tablePath } from './targets'

type Of<K extends Statement['kind']> = Extract<Statement, { kind: K }>

/** The `delta.` properties this writer honours; any other `delta.` key is refused rather than ignored. */
const KNOWN_DELTA_PROPERTIES = new Set([
  'delta.enableChangeDataFeed',
  'delta.appendOnly',
  'delta.checkpointInterval',
  'delta.logRetentionDuration',
  'delta.deletedFileRetentionDuration',
  'delta.dataSkippingNumIndexedCols',
  'delta.dataSkippingStatsColumns',
  'delta.checkpoint.writeStatsAsJson',
  'delta.checkpoint.writeStatsAsStruct',
  'delta.setTransactionRetentionDuration',
  'delta.columnMapping.mode',
  'delta.enableDeletionVectors',
])

function checkProperties(properties: Record<string, string>, label: string): void {
  for (const key of Object.keys(properties)) {
    if (key.startsWith('delta.constraints.'))
      throw new DeltaError('INVALID_ARGUMENT', `${label}: add CHECK constraints with ALTER TABLE … ADD CONSTRAINT, not as a property ('${key}')`)
    if (key === 'delta.columnMapping.mode' && !['name', 'none'].includes(properties[key])) {
      throw new DeltaError('INVALID_ARGUMENT', `${label}: delta.columnMapping.mode '${properties[key]}': this writer maps columns by 'name' only`)
    }
    if (key.startsWith('delta.') && !KNOWN_DELTA_PROPERTIES.has(key)) {
      throw new DeltaError('INVALID_ARGUMENT', `${label}: table property '${key}' is not one this writer supports (${[...KNOWN_DELTA_PROPERTIES].join(', ')})`)
    }
  }
}

function fieldOf(column: ColumnDefinition): StructField {
  const metadata: Record<string, unknown> = {}
  if (column.comment !== undefined) metadata.comment = column.comment
  // Stored as written (Spark SQL); every write computes a value left out and checks one given.
  if (column.generatedAs) metadata['delta.generationExpression'] = column.generatedAs.text
  return { name: column.name, type: sparkType(column.type), nullable: !column.notNull, metadata }
}

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

export async function runCreateTable({ lake, catalog }: StatementContext, s: Of<'createTable'>): Promise<StatementOutput> {
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
  s: Of<'createTable'>,
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
    actions.push({
      remove: {
        path: add.path,
        deletionTimestamp: now,
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: add.partitionValues,
        size: add.size,
        stats: add.stats,
        deletionVector: add.deletionVector,
      },
    })
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

export async function runDropTable({ lake, catalog }: StatementContext, s: Of<'dropTable'>): Promise<StatementOutput> {
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  if (!(await snapshotOrNothing(lake, path))) {
    if (s.ifExists) return resultOf([], [])
    throw new DeltaError('TABLE_NOT_FOUND', `table ${label} does not exist (DROP TABLE IF EXISTS ignores that)`)
  }
  await rm(path, { recursive: true, force: true })
  return resultOf([], [], { table: label, path, operation: 'DROP TABLE' })
}

/** One metadata (and maybe protocol) commit on the table, for the ALTER TABLE forms. */
async function alterCommit(
  lake: LakeEngine,
  path: string,
  label: string,
  snapshot: Snapshot,
  change: { metadata: Metadata; protocol?: Protocol; operation: string; parameters: Record<string, unknown> },
): Promise<StatementOutput> {
  const actions: Action[] = []
  if (change.protocol && change.protocol !== snapshot.protocol) actions.push({ protocol: change.protocol })
  actions.push({ metaData: change.metadata })
  const result = await commitTable(lake, { table: path, snapshot, actions, operation: change.operation, operationParameters: change.parameters })
  return resultOf([], [], { table: label, path, operation: change.operation, version: result.version })
}

function findField(schema: StructType, name: string, label: string): StructField {
  const field = schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
  if (!field) throw new DeltaError('SCHEMA_MISMATCH', `${label}: no column '${name}' (columns: ${schema.fields.map((f) => f.name).join(', ')})`)
  return field
}

/** The protocol with a writer feature the table now uses (table features when legacy versions do not imply it). */
function withWriterFeature(protocol: Protocol, feature: string, legacyVersion: number): Protocol {
  if (writerFeatures(protocol).includes(feature)) return protocol
  if (protocol.minWriterVersion < 7 && legacyVersion <= 4 && protocol.minWriterVersion < legacyVersion && feature !== 'changeDataFeed') {
    return atLeast(protocol, { minReaderVersion: 1, minWriterVersion: legacyVersion })
  }
  return atLeast(protocol, { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: [...writerFeatures(protocol), feature] })
}

export async function runAlter({ lake, catalog }: StatementContext, s: Exclude<Statement, { kind: 'query' }>): Promise<StatementOutput> {
  if (!('table' in s)) throw new DeltaError('INVALID_ARGUMENT', `unexpected statement ${s.kind}`)
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  const snapshot = await lake.snapshot(path)
  const metadata = snapshot.metadata
  const schema = snapshot.schema
  // Fields added to a table that maps columns get ids and physical names.
  const withSchema = (fields: StructField[]): Metadata => metadataWithSchema(metadata, { type: 'struct', fields })
  switch (s.kind) {
    case 'addColumns': {
      const fields = s.columns.map((column) => {
        if (schema.fields.some((f) => f.name.toLowerCase() === column.name.toLowerCase()))
          throw new DeltaError('SCHEMA_MISMATCH', `${label}: column '${column.name}' already exists`)
        if (column.notNull)
          throw new DeltaError('SCHEMA_MISMATCH', `${label}: column '${column.name}' cannot be NOT NULL: the rows already in the table would have no value`)
        return fieldOf(column)
      })
      return alterCommit(lake, path, label, snapshot, {
        metadata: withSchema([...schema.fields, ...fields]),
        operation: 'ADD COLUMNS',
        parameters: { columns: JSON.stringify(fields.map((column) => ({ column }))) },
      })
    }
    case 'setProperties': {
      checkProperties(s.properties, label)
      const { 'delta.columnMapping.mode': mappingMode, ...rest } = s.properties
      const current = columnMappingMode(metadata.configuration)
      if (mappingMode !== undefined && mappingMode !== current && mappingMode === 'none') {
        throw new DeltaError('INVALID_ARGUMENT', `${label}: column mapping cannot be turned off once on (the files use physical names)`)
      }
      const configuration = { ...metadata.configuration, ...rest }
      let changed: Metadata = { ...metadata, configuration }
      let protocol = configuration['delta.enableChangeDataFeed'] === 'true' ? withWriterFeature(snapshot.protocol, 'changeDataFeed', 4) : snapshot.protocol
      // Turning deletion vectors on adds the feature; turning them off leaves it (existing DVs stay readable).
      if (isDeletionVectorsEnabled({ configuration })) protocol = protocolWithDeletionVectors(protocol)
      if (mappingMode === 'name') {
        changed = enableNameMapping(changed)
        protocol = protocolWithColumnMapping(protocol)
      }
      return alterCommit(lake, path, label, snapshot, {
        metadata: changed,
        protocol,
        operation: 'SET TBLPROPERTIES',
        parameters: { properties: JSON.stringify(s.properties) },
      })
    }
    case 'renameColumn':
    case 'dropColumns':
      return alterMappedColumns(lake, path, label, snapshot, s)
    case 'unsetProperties': {
      const configuration = { ...metadata.configuration }
      for (const key of s.keys) {
        if (key.startsWith('delta.constraints.'))
          throw new DeltaError('INVALID_ARGUMENT', `${label}: drop CHECK constraints with ALTER TABLE … DROP CONSTRAINT`)
        if (!(key in configuration) && !s.ifExists)
          throw new DeltaError('INVALID_ARGUMENT', `${label}: the table has no property '${key}' (UNSET TBLPROPERTIES IF EXISTS ignores that)`)
        delete configuration[key]
      }
      return alterCommit(lake, path, label, snapshot, {
        metadata: { ...metadata, configuration },
        operation: 'UNSET TBLPROPERTIES',
        parameters: { properties: JSON.stringify(s.keys), ifExists: String(s.ifExists) },
      })
    }
    case 'alterColumn': {
      const field = findField(schema, s.column, label)
      if (s.setNotNull)
        await requireNoRows(
          lake,
          snapshot,
          `${quoteIdentifier(field.name)} IS NULL`,
          `${label}: column '${field.name}' has NULL values, so it cannot be NOT NULL`,
        )
      const changed: StructField = {
        ...field,
        nullable: s.setNotNull ? false : s.dropNotNull ? true : field.nullable,
        metadata: s.comment === undefined ? field.metadata : { ...field.metadata, comment: s.comment },
      }
      return alterCommit(lake, path, label, snapshot, {
        metadata: withSchema(schema.fields.map((f) => (f === field ? changed : f))),
        operation: 'CHANGE COLUMN',
        parameters: { column: JSON.stringify(changed) },
      })
    }
    case 'addConstraint': {
      const key = `delta.constraints.${s.name.toLowerCase()}`
      if (key in metadata.configuration) throw new DeltaError('INVALID_ARGUMENT', `${label}: constraint '${s.name}' already exists`)
      await requireNoRows(
        lake,
        snapshot,
        `NOT coalesce((${s.check.sql}), false)`,
        `${label}: rows already in the table violate CHECK (${s.check.text}), so the constraint cannot be added`,
      )
      return alterCommit(lake, path, label, snapshot, {
        metadata: { ...metadata, configuration: { ...metadata.configuration, [key]: s.check.text } },
        protocol: withWriterFeature(snapshot.protocol, 'checkConstraints', 3),
        operation: 'ADD CONSTRAINT',
        parameters: { name: s.name, expr: s.check.text },
      })
    }
    case 'dropConstraint': {
      const key = `delta.constraints.${s.name.toLowerCase()}`
      const expr = checkConstraints(metadata).get(s.name.toLowerCase())
      if (expr === undefined) {
        if (s.ifExists) return resultOf([], [])
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `${label}: no constraint '${s.name}' (constraints: ${[...checkConstraints(metadata).keys()].join(', ') || 'none'})`,
        )
      }
      const configuration = { ...metadata.configuration }
      delete configuration[key]
      return alterCommit(lake, path, label, snapshot, {
        metadata: { ...metadata, configuration },
        operation: 'DROP CONSTRAINT',
        parameters: { name: s.name, expr },
      })
    }
  }
  throw new DeltaError('INVALID_ARGUMENT', `unexpected statement ${s.kind}`)
}

/**
 * RENAME COLUMN and DROP COLUMN(S): metadata only, which needs column mapping; a table without it
 * gets it in the same commit, as Delta enables it (protocol reader 2 / writer 5 or the
 * columnMapping feature, existing columns keeping their names as physical names).
 */
async function alterMappedColumns(
  lake: LakeEngine,
  path: string,
  label: string,
  snapshot: Snapshot,
  s: Of<'renameColumn'> | Of<'dropColumns'>,
): Promise<StatementOutput> {
  const metadata = enableNameMapping(snapshot.metadata)
  const schema = parseSchema(metadata.schemaString)
  const constraints = checkConstraints(metadata)
  const usedBy = (column: string) =>
    [...constraints].find(([, expr]) => new RegExp(`(^|[^\\w.])\`?${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`?($|[^\\w])`, 'i').test(expr))
  const guard = (field: StructField, what: string) => {
    if (field.name.includes('.')) throw new DeltaError('INVALID_ARGUMENT', `${label}: ${what} of nested fields is not supported`)
    const constraint = usedBy(field.name)
    if (constraint)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${label}: column '${field.name}' is used by CHECK constraint ${constraint[0]} (${constraint[1]}); drop the constraint first`,
      )
    if (snapshot.partitionColumns.includes(field.name) && what === 'DROP COLUMN')
      throw new DeltaError('INVALID_ARGUMENT', `${label}: '${field.name}' is a partition column and cannot be dropped`)
  }
  let fields: StructField[]
  let operation: string
  let parameters: Record<string, unknown>
  let partitionColumns = metadata.partitionColumns
  if (s.kind === 'renameColumn') {
    const field = findField(schema, s.from, label)
    guard(field, 'RENAME COLUMN')
    if (schema.fields.some((f) => f !== field && f.name.toLowerCase() === s.to.toLowerCase()))
      throw new DeltaError('SCHEMA_MISMATCH', `${label}: column '${s.to}' already exists`)
    fields = schema.fields.map((f) => (f === field ? { ...f, name: s.to } : f))
    partitionColumns = partitionColumns.map((c) => (c === field.name ? s.to : c))
    operation = 'RENAME COLUMN'
    parameters = { oldColumnPath: field.name, newColumnPath: s.to }
  } else {
    const dropped = s.columns.flatMap((name) => {
      const field = schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
      if (!field && !s.ifExists) findField(schema, name, label)
      return field ? [field] : []
    })
    if (dropped.length === 0) return resultOf([], [])
    for (const field of dropped) guard(field, 'DROP COLUMN')
    fields = schema.fields.filter((f) => !dropped.includes(f))
    if (fields.length === 0) throw new DeltaError('INVALID_ARGUMENT', `${label}: a table must keep at least one column`)
    operation = 'DROP COLUMNS'
    parameters = { columns: JSON.stringify(dropped.map((f) => f.name)) }
  }
  return alterCommit(lake, path, label, snapshot, {
    metadata: { ...metadata, partitionColumns, schemaString: JSON.stringify({ type: 'struct', fields }) },
    protocol: protocolWithColumnMapping(snapshot.protocol),
    operation,
    parameters,
  })
}

/** Fails with `message` when some row of the table satisfies `condition`. */
async function requireNoRows(lake: LakeEngine, snapshot: Snapshot, condition: string, message: string): Promise<void> {
  const scan = await lake.scan(snapshot)
  const db = await lake.duckdb()
  try {
    const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${scan.sql} WHERE ${condition}`)
    if (Number(n) > 0) throw new DeltaError('INVALID_ARGUMENT', `${message} (${n} row(s))`, { table: snapshot.table })
  } finally {
    await dropScan(db, scan)
  }
}
