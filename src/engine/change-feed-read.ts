/**
 * A change-feed plan's rows in DuckDB: change data files (which carry `_change_type`) and rows
 * derived from adds and removes, with `_commit_version` and `_commit_timestamp`, in version order.
 * DuckDB streams the result: the range is never loaded into memory as a whole.
 */
import type { ChangeFeedPlan, ChangeFile } from '../delta/change-feed'
import type { Storage } from '../delta/engine'
import { quoteString, type StructType } from '../delta/schema'
import { DeletionVectorLoader } from './deletion-vector-loader'
import type { DuckDb } from './duckdb'
import { dropScan, registerFileRead, type FileEntry, type RegisteredScan } from './file-read'

export const CHANGE_COLUMNS = ['_change_type', '_commit_version', '_commit_timestamp'] as const

function commitConstants(file: ChangeFile): Record<string, string> {
  return {
    _commit_version: `${file.version}::BIGINT`,
    _commit_timestamp: `make_timestamptz(${Math.round(file.timestamp * 1000)}::BIGINT)`,
  }
}

export async function registerChangeFeed(db: DuckDb, storage: Storage, plan: ChangeFeedPlan): Promise<RegisteredScan> {
  const base = { table: plan.table, version: plan.endVersion, partitionColumns: plan.partitionColumns, columnMapping: plan.columnMapping }
  const commitColumns = [{ name: '_commit_version', type: 'BIGINT' }, { name: '_commit_timestamp', type: 'TIMESTAMPTZ' }]

  // Change data files: `_change_type` is a column of the file itself (never column-mapped).
  const cdcSchema: StructType = { type: 'struct', fields: [...plan.schema.fields, { name: '_change_type', type: 'string', nullable: true, metadata: {} }] }
  const cdc = await registerFileRead(db, {
    ...base, schema: cdcSchema, constants: commitColumns, kind: 'change data file',
    entries: plan.changeDataFiles.map((file) => ({ path: file.path, partitionValues: file.partitionValues, constants: commitConstants(file) })),
  })

  const deletionVectors = new DeletionVectorLoader(storage, plan.table)
  const entries: FileEntry[] = []
  for (const file of plan.dataFiles) {
    const entry: FileEntry = {
      path: file.path,
      partitionValues: file.partitionValues,
      constants: { ...commitConstants(file), _change_type: quoteString(file.changeType!) },
    }
    const selection = file.selection
    if (selection?.kind === 'all-but' && selection.deletionVector) {
      entry.selection = { mode: 'exclude', rows: await deletionVectors.rows(selection.deletionVector, file.path) }
    } else if (selection?.kind === 'only') {
      const marked = await deletionVectors.rows(selection.marked, file.path)
      const unless = new Set(selection.unless ? await deletionVectors.rows(selection.unless, file.path) : [])
      entry.selection = { mode: 'only', rows: marked.filter((row) => !unless.has(row)) }
    }
    entries.push(entry)
  }
  const data = await registerFileRead(db, {
    ...base, schema: plan.schema, constants: [{ name: '_change_type', type: 'VARCHAR' }, ...commitColumns], entries,
  })
  const sql = `(SELECT * FROM (SELECT * FROM ${cdc.sql} UNION ALL BY NAME SELECT * FROM ${data.sql}) ORDER BY _commit_version)`
  return { sql, temporaryTables: [...cdc.temporaryTables, ...data.temporaryTables] }
}

export { dropScan }
