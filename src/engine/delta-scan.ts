/**
 * A snapshot's rows in DuckDB: the scan plan's files, each with its partition values, minus the
 * rows its deletion vector marks.
 */
import { logicalPartitionValues, type ActiveFile, type ScanPlan, type Snapshot, type Storage, type StructType } from '../delta'
import { DeletionVectorLoader } from './deletion-vector-loader'
import type { DuckDb } from './duckdb'
import { registerFileRead, type FileEntry, type FileReadPlan, type RegisteredScan } from './file-read'

export { dropScan, type RegisteredScan } from './file-read'

export async function registerScan(
  db: DuckDb,
  storage: Storage,
  plan: ScanPlan,
  options: Pick<FileReadPlan, 'missingFilesReportedByCaller'> = {},
): Promise<RegisteredScan> {
  const deletionVectors = new DeletionVectorLoader(storage, plan.table)
  const entries: FileEntry[] = []
  for (const file of plan.files) {
    const entry: FileEntry = { path: file.path, partitionValues: file.partitionValues }
    if (file.deletionVector) entry.selection = { mode: 'exclude', rows: await deletionVectors.rows(file.deletionVector, file.path) }
    entries.push(entry)
  }
  return registerFileRead(db, storage, { ...plan, ...options, entries })
}

/**
 * `files` of a table (by default all its files, read with `schema`, by default its schema) with each
 * row's file (`__file`) and index in it (`__row`), less the rows their deletion vectors mark: the
 * positions a deletion vector marks, for the writes that change rows in place. `only`: read just
 * these rows of each file (resolved path → row indexes, found by an earlier read that left out the
 * rows the deletion vectors mark); a file it does not list is not read.
 */
export async function registerPositionedRows(
  db: DuckDb,
  storage: Storage,
  snapshot: Snapshot,
  options: { schema?: StructType; files?: ActiveFile[]; deletionVectors?: DeletionVectorLoader; only?: Map<string, number[]> } = {},
): Promise<RegisteredScan> {
  const deletionVectors = options.deletionVectors ?? new DeletionVectorLoader(storage, snapshot.table)
  const schema = options.schema ?? snapshot.schema
  const entries: FileEntry[] = []
  for (const file of options.files ?? snapshot.files) {
    const entry: FileEntry = { path: file.path, partitionValues: logicalPartitionValues(file.add.partitionValues, snapshot) }
    if (options.only) entry.selection = { mode: 'only', rows: options.only.get(file.path) ?? [] }
    else if (file.add.deletionVector) entry.selection = { mode: 'exclude', rows: await deletionVectors.rows(file.add.deletionVector, file.path) }
    entries.push(entry)
  }
  return registerFileRead(db, storage, {
    table: snapshot.table,
    version: snapshot.version,
    schema,
    // A narrow schema (a key pass) may leave out partition columns: only those it reads are partitions of the read.
    partitionColumns: snapshot.partitionColumns.filter((name) => schema.fields.some((f) => f.name === name)),
    columnMapping: snapshot.columnMapping,
    fileColumn: '__file',
    rowIndexColumn: '__row',
    entries,
  })
}
