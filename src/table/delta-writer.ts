/**
 * Writing Delta tables: create, and append the rows of any DuckDB query as zstd Parquet files
 * with statistics and partition values, committed with optimistic concurrency. Schema evolution
 * on append adds new nullable columns; type changes are refused.
 */
import { randomUUID } from 'node:crypto'
import {
  type Action,
  type AddFile,
  checkWritable,
  columnMappingMode,
  DEFAULT_TABLE_PROPERTIES,
  DeltaError,
  deltaTypeFromDuckdb,
  duckdbType,
  generatedColumns,
  isChangeDataFeedEnabled,
  isDeletionVectorsEnabled,
  isStruct,
  mergeSchemaForAppend,
  type Metadata,
  parseSchema,
  protocolForNewTable,
  protocolWithColumnMapping,
  type Snapshot,
  statsNumRecords,
  type StructField,
  type StructType,
  type Txn,
  usesTimestampNtz,
  withSchema,
  writerFeatures,
} from '../delta'
import { commitTable, type CommitResult } from './commit-table'
import { snapshotOrNothing } from '../engine'
import { writeDataFiles } from '../engine'
import type { LakeEngine } from '../engine'

export interface CreateTableOptions {
  schema: StructType
  partitionColumns?: string[]
  /** Table properties, e.g. `delta.enableChangeDataFeed: 'true'`, `delta.checkpointInterval: '10'`. */
  properties?: Record<string, string>
  name?: string
  description?: string
}

export interface AppendOptions {
  /** Used when the append creates the table. */
  create?: Omit<CreateTableOptions, 'schema'>
  /** 'merge' (default) adds new nullable columns; 'strict' refuses any schema difference. */
  schemaMode?: 'merge' | 'strict'
  /** Application transaction versions to record in the same commit (e.g. Kafka offsets). */
  txns?: Txn[]
  /** Target size of each data file in bytes (default 128 MiB). */
  targetFileSize?: number
  operationParameters?: Record<string, unknown>
  /** The commit's operation when it is not a plain append (e.g. 'CREATE TABLE AS SELECT'): its parameters are then exactly `operationParameters`. */
  operation?: string
  /** Append to this snapshot rather than the latest (the caller already holds one). */
  snapshot?: Snapshot
  /**
   * The schema the source's columns were typed with (read_json with `columns` of each field's
   * duckdbType, in order): the source then is what DESCRIBE would say, without a DESCRIBE per append.
   */
  sourceSchema?: StructType
}

export interface AppendResult extends CommitResult {
  rows: number
  files: AddFile[]
}

const FORBIDDEN_NAME = /[ ,;{}()\n\t=]/

/** Why a top-level column name cannot be written (see checkColumnNames), or undefined when it can. */
export function columnNameProblem(name: string): string | undefined {
  if (name === '' || FORBIDDEN_NAME.test(name))
    return `column name ${JSON.stringify(name)} contains a character Delta tables without column mapping do not allow (space , ; { } ( ) newline tab =) or is empty`
  return undefined
}

/** Column names Parquet and Spark accept without column mapping. */
function checkColumnNames(schema: StructType, table: string): void {
  const seen = new Set<string>()
  for (const field of schema.fields) {
    if (field.name === '' || FORBIDDEN_NAME.test(field.name)) {
      throw new DeltaError(
        'SCHEMA_MISMATCH',
        `column name '${field.name}' contains a character Delta tables without column mapping do not allow (space , ; { } ( ) newline tab =)`,
        { table },
      )
    }
    const lower = field.name.toLowerCase()
    if (seen.has(lower)) throw new DeltaError('SCHEMA_MISMATCH', `column '${field.name}' appears twice (names are case-insensitive)`, { table })
    seen.add(lower)
  }
}

/**
 * protocol + metaData actions for a new table. `defaults`: the properties a table gets unless
 * its own say otherwise (a lake's `newTableProperties`, as Spark's `spark.databricks.delta.properties.defaults.*`).
 */
export function newTableActions(table: string, options: CreateTableOptions, defaults: Readonly<Record<string, string>> = DEFAULT_TABLE_PROPERTIES): Action[] {
  const partitionColumns = options.partitionColumns ?? []
  checkColumnNames(options.schema, table)
  for (const column of partitionColumns) {
    const field = options.schema.fields.find((f) => f.name === column)
    if (!field) throw new DeltaError('SCHEMA_MISMATCH', `partition column '${column}' is not in the schema`, { table })
    if (typeof field.type !== 'string') throw new DeltaError('SCHEMA_MISMATCH', `partition column '${column}' must have a primitive type`, { table })
  }
  const configuration = { ...defaults, ...(options.properties ?? {}) }
  const unmapped: Metadata = {
    id: randomUUID(),
    name: options.name ?? null,
    description: options.description ?? null,
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(options.schema),
    partitionColumns,
    configuration,
    createdTime: Date.now(),
  }
  // With column mapping every field gets an id and a physical name (withSchema).
  const metadata = withSchema(unmapped, options.schema)
  const protocol = protocolForNewTable({
    changeDataFeed: isChangeDataFeedEnabled(metadata),
    timestampNtz: usesTimestampNtz(options.schema),
    generatedColumns: generatedColumns(options.schema).size > 0,
    deletionVectors: isDeletionVectorsEnabled(metadata),
  })
  return [{ protocol: columnMappingMode(configuration) === 'none' ? protocol : protocolWithColumnMapping(protocol) }, { metaData: metadata }]
}

/** `operationParameters`: the commit's parameters when the caller knows more (Spark's CREATE TABLE records isManaged and description). */
export async function createTable(
  lake: LakeEngine,
  table: string,
  options: CreateTableOptions,
  operationParameters?: Record<string, unknown>,
): Promise<CommitResult> {
  if (await lake.io.storage.stat(lake.io.storage.join(table, '_delta_log/00000000000000000000.json'))) {
    throw new DeltaError('TABLE_EXISTS', 'a Delta table already exists here', { table })
  }
  return commitTable(lake, {
    table,
    actions: newTableActions(table, options, lake.newTableProperties),
    operation: 'CREATE TABLE',
    operationParameters: operationParameters ?? {
      partitionBy: JSON.stringify(options.partitionColumns ?? []),
      properties: JSON.stringify(options.properties ?? {}),
    },
  })
}

/** The table's snapshot, or undefined when there is no table at `table` yet. */
/** Append the rows of `sourceSql` (any DuckDB SELECT, or a table/view name). */
export async function appendQuery(lake: LakeEngine, table: string, sourceSql: string, options: AppendOptions = {}): Promise<AppendResult> {
  const db = await lake.duckdb()
  const source = /^\s*\(?\s*(select|with|values|from)\b/i.test(sourceSql) ? `(${sourceSql})` : sourceSql
  const described = options.sourceSchema
    ? options.sourceSchema.fields.map((f) => ({ name: f.name, type: duckdbType(f.type) }))
    : await db.describe(`SELECT * FROM ${source}`)
  const incoming: StructType = {
    type: 'struct',
    fields: described.map((c): StructField => ({ name: c.name, type: deltaTypeFromDuckdb(c.type), nullable: true, metadata: {} })),
  }
  const snapshot = options.snapshot ?? (await snapshotOrNothing(lake, table))
  const actions: Action[] = []
  let schema: StructType
  let partitionColumns: string[]
  let metadata: Metadata
  if (!snapshot) {
    const created = newTableActions(table, { ...options.create, schema: incoming }, lake.newTableProperties)
    actions.push(...created)
    metadata = (created[1] as { metaData: Metadata }).metaData
    schema = incoming
    partitionColumns = options.create?.partitionColumns ?? []
  } else {
    checkWritable(snapshot.protocol, snapshot.metadata, table)
    metadata = snapshot.metadata
    partitionColumns = snapshot.partitionColumns
    schema = mergeSchemaForAppend(snapshot.schema, incoming, table)
    if (schema !== snapshot.schema) {
      if (options.schemaMode === 'strict') {
        throw new DeltaError(
          'SCHEMA_MISMATCH',
          `the data has columns the table does not: ${newColumnPaths(snapshot.schema, schema).join(', ')} (schemaMode 'strict')`,
          { table },
        )
      }
      checkColumnNames(schema, table)
      if (usesTimestampNtz(schema) && !writerFeatures(snapshot.protocol).includes('timestampNtz')) {
        throw new DeltaError(
          'SCHEMA_MISMATCH',
          'adding a timestamp_ntz column needs the timestampNtz table feature, which this table lacks; cast it to TIMESTAMPTZ',
          { table },
        )
      }
      metadata = withSchema(snapshot.metadata, schema)
      schema = parseSchema(metadata.schemaString, table)
      actions.push({ metaData: metadata })
    }
  }
  for (const txn of options.txns ?? []) actions.push({ txn: { ...txn, lastUpdated: txn.lastUpdated ?? Date.now() } })

  const files = await writeDataFiles(lake, table, source, {
    schema,
    partitionColumns,
    configuration: metadata.configuration,
    targetFileSize: options.targetFileSize,
    sourceColumns: incoming.fields.map((f) => f.name),
  })
  actions.push(...files.map((add) => ({ add })))
  const rows = files.reduce((sum, f) => sum + (statsNumRecords(f.stats) ?? 0), 0)
  const result = await commitTable(lake, {
    table,
    snapshot,
    actions,
    operation: options.operation ?? 'WRITE',
    operationParameters: options.operation
      ? (options.operationParameters ?? {})
      : { mode: 'Append', partitionBy: JSON.stringify(partitionColumns), ...options.operationParameters },
    operationMetrics: {
      numFiles: String(files.length),
      numOutputRows: String(rows),
      numOutputBytes: String(files.reduce((sum, f) => sum + f.size, 0)),
    },
  })
  return { ...result, rows, files }
}

/** Dotted paths of the columns and struct fields `evolved` has and `original` lacks. */
function newColumnPaths(original: StructType, evolved: StructType, prefix = ''): string[] {
  const paths: string[] = []
  for (const field of evolved.fields) {
    const before = original.fields.find((f) => f.name.toLowerCase() === field.name.toLowerCase())
    const where = `${prefix}${field.name}`
    if (!before) paths.push(where)
    else if (isStruct(before.type) && isStruct(field.type)) paths.push(...newColumnPaths(before.type, field.type, `${where}.`))
  }
  return paths
}
