/**
 * Reading a scan plan's rows with DuckDB. Files are read with `read_parquet` (union by name, so
 * files written before a column was added still read), joined to a small table of per-file
 * partition values, and rows marked in deletion vectors are dropped by file_row_number.
 * Column mapping is undone by selecting physical names as logical ones, recursively.
 */
import type { Storage } from '../delta/engine'
import { decodeDeletionVectorFile, decodeInlineDeletionVector } from '../delta/deletion-vectors'
import { DeltaError } from '../delta/errors'
import type { ScanFile, ScanPlan } from '../delta/scan'
import {
  deltaTypeFromDuckdb, duckdbType, isArray, isMap, isStruct, physicalName, quoteIdentifier, quoteString,
  type ColumnMappingMode, type DataType, type StructType,
} from '../delta/schema'
import type { DuckDb } from './duckdb'

let scanCounter = 0

export interface RegisteredScan {
  /** A parenthesised SELECT that yields the table's rows with logical column names and types. */
  sql: string
  /** Temporary tables backing the scan; drop them with `dropScan` when done. */
  temporaryTables: string[]
}

export async function registerScan(db: DuckDb, storage: Storage, plan: ScanPlan): Promise<RegisteredScan> {
  const logical = plan.schema.fields
  if (plan.files.length === 0) {
    const columns = logical.map((f) => `NULL::${duckdbType(f.type)} AS ${quoteIdentifier(f.name)}`)
    return { sql: `(SELECT ${columns.join(', ') || '1 AS "_"'} WHERE false)`, temporaryTables: [] }
  }
  const id = ++scanCounter
  const filesTable = `__delta_files_${id}`
  const deletedTable = `__delta_deleted_${id}`
  const partitionFields = plan.partitionColumns.map((name) => logical.find((f) => f.name === name)!)
  await createFilesTable(db, filesTable, plan.files, partitionFields.map((f) => ({ name: f.name, type: duckdbType(f.type) })))
  const hasDeletes = await createDeletedRowsTable(db, storage, deletedTable, plan)

  const paths = plan.files.map((f) => quoteString(f.path)).join(', ')
  const source = `read_parquet([${paths}], filename = true, file_row_number = ${hasDeletes}, union_by_name = true)`
  const available = await describeFiles(db, source, plan)
  const availableTypes = new Map(available.map((c) => [c.name, c.type]))

  const projection = logical.map((field) => {
    const alias = quoteIdentifier(field.name)
    if (plan.partitionColumns.includes(field.name)) return `f.${alias} AS ${alias}`
    const physical = physicalName(field, plan.columnMapping)
    const sourceType = availableTypes.get(physical)
    if (sourceType === undefined) return `NULL::${duckdbType(field.type)} AS ${alias}`
    return `${convert(`d.${quoteIdentifier(physical)}`, deltaTypeFromDuckdbSafe(sourceType), field.type, plan.columnMapping)} AS ${alias}`
  })
  const antiJoin = hasDeletes
    ? ` ANTI JOIN ${deletedTable} x ON x.path = d.filename AND x.row_index = d.file_row_number`
    : ''
  const sql = `(SELECT ${projection.join(', ')} FROM ${source} d JOIN ${filesTable} f ON f.path = d.filename${antiJoin})`
  return { sql, temporaryTables: hasDeletes ? [filesTable, deletedTable] : [filesTable] }
}

export async function dropScan(db: DuckDb, scan: RegisteredScan): Promise<void> {
  for (const table of scan.temporaryTables) await db.run(`DROP TABLE IF EXISTS ${table}`)
}

/** The union of the files' columns. Reading every footer here also finds missing or broken files early. */
async function describeFiles(db: DuckDb, source: string, plan: ScanPlan): Promise<{ name: string; type: string }[]> {
  try {
    return await db.describe(`SELECT * FROM ${source}`)
  } catch (cause) {
    const message = (cause as Error).message
    const missing = /No files found that match the pattern "([^"]+)"|Cannot open file "([^"]+)"/.exec(message)
    if (missing) {
      throw new DeltaError('MISSING_FILE', `data file ${missing[1] ?? missing[2]} is listed in version ${plan.version} of the log but is missing on disk`, { table: plan.table, cause })
    }
    throw new DeltaError('CORRUPT_LOG', `a data file of version ${plan.version} cannot be read: ${message.split('\n')[0]}`, { table: plan.table, cause })
  }
}

async function createFilesTable(db: DuckDb, name: string, files: ScanFile[], partitions: { name: string; type: string }[]): Promise<void> {
  const columns = [`path VARCHAR`, ...partitions.map((p) => `${quoteIdentifier(p.name)} ${p.type}`)]
  await db.run(`CREATE TEMP TABLE ${name} (${columns.join(', ')})`)
  for (let start = 0; start < files.length; start += 1000) {
    const values = files.slice(start, start + 1000).map((file) => {
      const literals = partitions.map((p) => partitionLiteral(file.partitionValues[p.name], p.type))
      return `(${[quoteString(file.path), ...literals].join(', ')})`
    })
    await db.run(`INSERT INTO ${name} VALUES ${values.join(', ')}`)
  }
}

function partitionLiteral(value: string | null | undefined, type: string): string {
  if (value === null || value === undefined) return `NULL::${type}`
  // Binary partition values are the bytes of the string as written.
  if (type === 'BLOB') return `encode(${quoteString(value)})`
  return `CAST(${quoteString(value)} AS ${type})`
}

/** Deleted row indexes of every file that has a deletion vector; false when there are none. */
async function createDeletedRowsTable(db: DuckDb, storage: Storage, name: string, plan: ScanPlan): Promise<boolean> {
  const withDv = plan.files.filter((f) => f.deletionVector)
  if (withDv.length === 0) return false
  await db.run(`CREATE TEMP TABLE ${name} (path VARCHAR, row_index BIGINT)`)
  const fileCache = new Map<string, Uint8Array>()
  for (const file of withDv) {
    const dv = file.deletionVector!
    let rows: number[]
    if (dv.storageType === 'i') rows = decodeInlineDeletionVector(dv)
    else {
      const location = dv.resolvedPath!
      let bytes = fileCache.get(location)
      if (!bytes) {
        bytes = await storage.read(location)
        if (!bytes) throw new DeltaError('MISSING_FILE', `deletion vector file ${location} (for ${file.path}) is missing`, { table: plan.table })
        fileCache.set(location, bytes)
      }
      rows = decodeDeletionVectorFile(bytes, dv)
    }
    for (let start = 0; start < rows.length; start += 100_000) {
      const list = rows.slice(start, start + 100_000).join(',')
      await db.run(`INSERT INTO ${name} SELECT ${quoteString(file.path)}, unnest([${list}]::BIGINT[])`)
    }
  }
  return true
}

function deltaTypeFromDuckdbSafe(type: string): DataType | undefined {
  try {
    return deltaTypeFromDuckdb(type)
  } catch {
    return undefined
  }
}

/**
 * An expression turning a physical value into the logical column: nested fields renamed from
 * physical to logical names, fields missing from older files filled with NULL, and every leaf
 * cast to the table's type (which also applies type widening).
 */
function convert(expression: string, source: DataType | undefined, target: DataType, mapping: ColumnMappingMode): string {
  if (isStruct(target)) {
    if (!source || !isStruct(source)) return `CAST(${expression} AS ${duckdbType(target)})`
    const sourceFields = new Map(source.fields.map((f) => [f.name, f.type]))
    const members = target.fields.map((field) => {
      const physical = physicalName(field, mapping)
      const alias = quoteIdentifier(field.name)
      if (!sourceFields.has(physical)) return `${alias} := NULL::${duckdbType(field.type)}`
      return `${alias} := ${convert(`${expression}.${quoteIdentifier(physical)}`, sourceFields.get(physical), field.type, mapping)}`
    })
    return `CASE WHEN ${expression} IS NULL THEN NULL ELSE struct_pack(${members.join(', ')}) END`
  }
  if (isArray(target) && source && isArray(source) && needsRewrite(target.elementType, mapping)) {
    return `list_transform(${expression}, __e -> ${convert('__e', source.elementType, target.elementType, mapping)})`
  }
  if (isMap(target) && source && isMap(source) && (needsRewrite(target.keyType, mapping) || needsRewrite(target.valueType, mapping))) {
    const key = convert('__m.key', source.keyType, target.keyType, mapping)
    const value = convert('__m.value', source.valueType, target.valueType, mapping)
    return `map_from_entries(list_transform(map_entries(${expression}), __m -> {'key': ${key}, 'value': ${value}}))`
  }
  return `CAST(${expression} AS ${duckdbType(target)})`
}

function needsRewrite(type: DataType, mapping: ColumnMappingMode): boolean {
  if (isStruct(type)) return true
  if (isArray(type)) return needsRewrite(type.elementType, mapping)
  if (isMap(type)) return needsRewrite(type.keyType, mapping) || needsRewrite(type.valueType, mapping)
  return false
}

export type { StructType }
