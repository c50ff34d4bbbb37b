/**
 * Writing Parquet data files for a table with DuckDB's COPY: rows cast to the table's types,
 * zstd, one directory per partition, and DuckDB's per-file statistics turned into Delta `stats`.
 * Used by appends, MERGE/UPDATE/DELETE rewrites, change data files and OPTIMIZE.
 */
import { mkdir } from 'node:fs/promises'
import * as path from 'node:path'
import {
  type AddFile,
  buildFileStats,
  checkConstraints,
  columnMappingMode,
  type DataType,
  DeltaError,
  duckdbType,
  generatedColumns,
  isArray,
  isMap,
  isStruct,
  leafKey,
  type LeafStatistics,
  percentEncodePath,
  physicalType,
  quoteIdentifier,
  quoteString,
  serializePartitionValue,
  type StructType,
} from '../delta'
import type { DuckDb, JsonRow } from './duckdb'
import type { LakeEngine } from './lake-engine'

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024

export interface WriteFilesOptions {
  /** The table's columns, in order; source columns match by name (case-insensitive), missing ones are NULL. */
  schema: StructType
  partitionColumns: string[]
  configuration: Record<string, string>
  targetFileSize?: number
  /** A folder under the table root (`_change_data` for change data files); default: the root. */
  directory?: string
  /** Columns written after the table's, as they are and without stats (`_change_type`). */
  extraColumns?: string[]
  /** The source's column names, when the caller knows them (saves a DESCRIBE). */
  sourceColumns?: string[]
  /** `dataChange` of the resulting adds (false for OPTIMIZE). */
  dataChange?: boolean
  /** The connection to write on (a sibling, to write beside another statement); default: the lake's. */
  connection?: DuckDb
}

/**
 * A WHERE condition that is true for every row, or stops the write with an error naming the
 * violated NOT NULL column or CHECK constraint and the row (a CHECK that is NULL is violated, as in Delta).
 */
/** A CHECK condition is stored as Spark writes it: its `name`s become DuckDB's "name"s (strings left alone). */
function backticksAsDoubleQuotes(condition: string): string {
  return condition.replace(/'(?:[^']|'')*'|`((?:[^`]|``)*)`/g, (match, name: string | undefined) =>
    name === undefined ? match : quoteIdentifier(name.replaceAll('``', '`')),
  )
}

/** A violated NOT NULL or CHECK (raised by the guards below) as a DeltaError naming the table, without DuckDB's prefix. */
function constraintError(error: unknown, table: string): DeltaError | undefined {
  const message = error instanceof Error ? error.message : String(error)
  const violation = /((?:NOT NULL|CHECK) constraint.*violated.*)$/s.exec(message)
  return violation ? new DeltaError('INVALID_ARGUMENT', violation[1], { table }) : undefined
}

function constraintGuards(schema: StructType, checks: Map<string, string>, generated: Map<string, string>): string | undefined {
  const guards = schema.fields
    .filter((f) => !f.nullable)
    .map(
      (f) =>
        `CASE WHEN ${quoteIdentifier(f.name)} IS NULL THEN error(${quoteString(`NOT NULL constraint violated: column '${f.name}' is NULL in row `)} || to_json(__written)::VARCHAR) ELSE true END`,
    )
  for (const [name, text] of checks) {
    const condition = backticksAsDoubleQuotes(text)
    guards.push(
      `CASE WHEN coalesce((${condition}), false) THEN true ELSE error(${quoteString(`CHECK constraint ${name} (${condition}) violated by row `)} || to_json(__written)::VARCHAR) END`,
    )
  }
  for (const [name, text] of generated) {
    const field = schema.fields.find((f) => f.name === name)!
    const expected = `CAST((${backticksAsDoubleQuotes(text)}) AS ${duckdbType(field.type)})`
    guards.push(
      `CASE WHEN ${quoteIdentifier(name)} IS NOT DISTINCT FROM ${expected} THEN true ELSE error(${quoteString(`CHECK constraint Generated Column (${name} <=> ${text}) violated by row `)} || to_json(__written)::VARCHAR) END`,
    )
  }
  return guards.length ? guards.join(' AND ') : undefined
}

/** Write the rows of `source` (a table name or a parenthesised SELECT) as new data files. */
export async function writeDataFiles(lake: LakeEngine, table: string, source: string, options: WriteFilesOptions): Promise<AddFile[]> {
  const db = options.connection ?? (await lake.duckdb())
  const { schema, partitionColumns } = options
  const sourceColumns = options.sourceColumns ?? (await db.describe(`SELECT * FROM ${source}`)).map((c) => c.name)
  const present = new Map(sourceColumns.map((name) => [name.toLowerCase(), name]))
  const projection = schema.fields.map((field) => {
    const sourceName = present.get(field.name.toLowerCase())
    const value = sourceName === undefined ? 'NULL' : quoteIdentifier(sourceName)
    return `CAST(${value} AS ${duckdbType(field.type)}) AS ${quoteIdentifier(field.name)}`
  })
  const extra = (options.extraColumns ?? []).map(quoteIdentifier)
  projection.push(...extra)
  // Data files (not change data, which holds rows already in the table) must satisfy NOT NULL and CHECK.
  const checked = options.directory ? undefined : constraintGuards(schema, checkConstraints({ configuration: options.configuration }), generatedColumns(schema))
  let rows = `SELECT ${projection.join(', ')} FROM ${source}`
  // Generated columns: a value left out (NULL) is computed from the row, one given must equal it.
  const generated = options.directory ? new Map<string, string>() : generatedColumns(schema)
  if (generated.size) {
    const computed = [...generated].map(([name, expression]) => {
      const field = schema.fields.find((f) => f.name === name)!
      return `coalesce(${quoteIdentifier(name)}, CAST((${backticksAsDoubleQuotes(expression)}) AS ${duckdbType(field.type)})) AS ${quoteIdentifier(name)}`
    })
    rows = `SELECT * REPLACE (${computed.join(', ')}) FROM (${rows}) __given`
  }
  if (checked) rows = `SELECT * FROM (${rows}) __written WHERE ${checked}`
  // With column mapping the files hold each field under its physical name.
  const mapped = columnMappingMode(options.configuration) !== 'none'
  const physical = mapped ? (physicalType(schema) as StructType) : schema
  if (mapped) {
    const columns = schema.fields.map((field, i) => `${physicalValue(quoteIdentifier(field.name), field.type)} AS ${quoteIdentifier(physical.fields[i].name)}`)
    rows = `SELECT ${[...columns, ...extra].join(', ')} FROM (${rows}) __logical`
  }
  const physicalOf = new Map(schema.fields.map((f, i) => [f.name, physical.fields[i].name]))
  // DuckDB splits by size or by partition, not both: partitioned writes get a file per partition.
  const layout = partitionColumns.length
    ? `PARTITION_BY (${partitionColumns.map((c) => quoteIdentifier(physicalOf.get(c)!)).join(', ')})`
    : `FILE_SIZE_BYTES ${options.targetFileSize ?? DEFAULT_TARGET_FILE_SIZE}`
  const directory = options.directory ? path.join(table, options.directory) : table
  // DuckDB creates one folder level, not the lake's zone folders above a new table.
  await mkdir(directory, { recursive: true })
  const written = await db
    .rows(
      `COPY (${rows}) TO ${quoteString(directory)}
     (FORMAT parquet, COMPRESSION zstd, APPEND, ${layout}, FILENAME_PATTERN '${options.directory ? 'cdc' : 'part'}-{uuid}', RETURN_STATS)`,
    )
    .catch((error: unknown) => {
      throw constraintError(error, table) ?? error
    })
  const dataSchema: StructType = { type: 'struct', fields: physical.fields.filter((_, i) => !partitionColumns.includes(schema.fields[i].name)) }
  const numIndexedCols = Number(options.configuration['delta.dataSkippingNumIndexedCols'] ?? 32)
  const now = Date.now()
  return written
    .filter((file) => Number(file.count) > 0)
    .map((file): AddFile => {
      const relative = path.relative(table, String(file.filename)).split(path.sep).join('/')
      const partitionValues: Record<string, string | null> = {}
      const keys = mapEntries(file.partition_keys)
      for (const column of partitionColumns) {
        const field = schema.fields.find((f) => f.name === column)!
        const key = physicalOf.get(column)!
        partitionValues[key] = serializePartitionValue(keys.get(key) ?? null, field.type, column, table)
      }
      return {
        path: percentEncodePath(relative),
        partitionValues,
        size: Number(file.file_size_bytes),
        modificationTime: now,
        dataChange: options.dataChange ?? true,
        stats: buildFileStats(dataSchema, Number(file.count), columnStatistics(file), { numIndexedCols }),
      }
    })
}

/** A logical value in the physical shape: struct fields, at any depth, renamed to their physical names. */
function physicalValue(expression: string, type: DataType): string {
  if (isStruct(type)) {
    const members = type.fields.map((field) => {
      const name =
        typeof field.metadata['delta.columnMapping.physicalName'] === 'string' ? (field.metadata['delta.columnMapping.physicalName'] as string) : field.name
      return `${quoteIdentifier(name)} := ${physicalValue(`${expression}.${quoteIdentifier(field.name)}`, field.type)}`
    })
    return `CASE WHEN ${expression} IS NULL THEN NULL ELSE struct_pack(${members.join(', ')}) END`
  }
  if (isArray(type) && hasStruct(type.elementType)) return `list_transform(${expression}, __e -> ${physicalValue('__e', type.elementType)})`
  if (isMap(type) && (hasStruct(type.keyType) || hasStruct(type.valueType))) {
    return `map_from_entries(list_transform(map_entries(${expression}), __m -> {'key': ${physicalValue('__m.key', type.keyType)}, 'value': ${physicalValue('__m.value', type.valueType)}}))`
  }
  return expression
}

function hasStruct(type: DataType): boolean {
  return isStruct(type) || (isArray(type) && hasStruct(type.elementType)) || (isMap(type) && (hasStruct(type.keyType) || hasStruct(type.valueType)))
}

/** DuckDB MAPs arrive as [{key, value}] lists in JSON form. */
function mapEntries(value: unknown): Map<string, string | null> {
  const entries = new Map<string, string | null>()
  if (!Array.isArray(value)) return entries
  for (const entry of value as { key: string; value: unknown }[]) {
    entries.set(entry.key, entry.value === null ? null : String(entry.value))
  }
  return entries
}

/** RETURN_STATS names leaves `"a"."b"`; list elements (`"l"."element"`) get no Delta stats. */
function columnStatistics(file: JsonRow): Map<string, LeafStatistics> {
  const result = new Map<string, LeafStatistics>()
  for (const entry of (file.column_statistics as unknown as { key: string; value: unknown }[]) ?? []) {
    const values = mapEntries(entry.value)
    result.set(leafKey(parseQuotedPath(entry.key)), { min: values.get('min'), max: values.get('max'), nullCount: values.get('null_count') })
  }
  return result
}

function parseQuotedPath(text: string): string[] {
  const parts: string[] = []
  let i = 0
  while (i < text.length) {
    if (text[i] === '"') {
      let name = ''
      i++
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          name += '"'
          i += 2
          continue
        }
        if (text[i] === '"') {
          i++
          break
        }
        name += text[i++]
      }
      parts.push(name)
    } else if (text[i] === '.') i++
    else {
      const end = text.indexOf('.', i)
      parts.push(text.slice(i, end === -1 ? undefined : end))
      i = end === -1 ? text.length : end
    }
  }
  return parts
}
