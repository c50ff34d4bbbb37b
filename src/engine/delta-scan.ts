/**
 * A snapshot's rows in DuckDB: the scan plan's files, each with its partition values, minus the
 * rows its deletion vector marks.
 */
import type { ScanPlan, Storage } from '../delta'
import { DeletionVectorLoader } from './deletion-vector-loader'
import type { DuckDb } from './duckdb'
import { registerFileRead, type FileEntry, type RegisteredScan } from './file-read'

export { dropScan, type RegisteredScan } from './file-read'

export async function registerScan(db: DuckDb, storage: Storage, plan: ScanPlan): Promise<RegisteredScan> {
  const deletionVectors = new DeletionVectorLoader(storage, plan.table)
  const entries: FileEntry[] = []
  for (const file of plan.files) {
    const entry: FileEntry = { path: file.path, partitionValues: file.partitionValues }
    if (file.deletionVector) entry.selection = { mode: 'exclude', rows: await deletionVectors.rows(file.deletionVector, file.path) }
    entries.push(entry)
  }
  return registerFileRead(db, storage, { ...plan, entries })
}
