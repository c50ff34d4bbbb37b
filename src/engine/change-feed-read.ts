/**
 * A change-feed plan's rows in DuckDB: change data files (which carry `_change_type`) and rows
 * derived from adds and removes, with `_commit_version` and `_commit_timestamp`, in version order.
 * DuckDB streams the result: the range is never loaded into memory as a whole.
 *
 * Sorting by version costs more than reading the files (a full sort of every column). When no
 * deletion vector selects rows, every file of the range is read by one scan listing them in
 * version order, and DuckDB keeps a scan's order (preserve_insertion_order, its default, which
 * the engine never turns off): the rows come out in version order without a sort.
 */
import { type ChangeFeedPlan, type ChangeFile, quoteString, type Storage, type StructType } from '../delta'
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
  const commitColumns = [
    { name: '_commit_version', type: 'BIGINT' },
    { name: '_commit_timestamp', type: 'TIMESTAMPTZ' },
  ]

  // Change data files: `_change_type` is a column of the file itself (never column-mapped).
  const cdcSchema: StructType = { type: 'struct', fields: [...plan.schema.fields, { name: '_change_type', type: 'string', nullable: true, metadata: {} }] }
  const cdc = await registerFileRead(db, storage, {
    ...base,
    schema: cdcSchema,
    constants: commitColumns,
    kind: 'change data file',
    entries: plan.changeDataFiles.map((file) => ({ path: file.path, partitionValues: file.partitionValues, constants: commitConstants(file) })),
  })

  if (plan.dataFiles.every((file) => !file.selection || (file.selection.kind === 'all-but' && !file.selection.deletionVector))) {
    return registerInVersionOrder(db, storage, plan)
  }
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
  const data = await registerFileRead(db, storage, {
    ...base,
    schema: plan.schema,
    constants: [{ name: '_change_type', type: 'VARCHAR' }, ...commitColumns],
    entries,
  })
  const sql = `(SELECT * FROM (SELECT * FROM ${cdc.sql} UNION ALL BY NAME SELECT * FROM ${data.sql}) ORDER BY _commit_version)`
  return { sql, temporaryTables: [...cdc.temporaryTables, ...data.temporaryTables] }
}

/**
 * Change data files and data files in one scan, in version order: `_change_type` is the change
 * data file's own column, or the data file's constant (`__change_type`, null for change data files).
 */
async function registerInVersionOrder(db: DuckDb, storage: Storage, plan: ChangeFeedPlan): Promise<RegisteredScan> {
  const files = [
    ...plan.changeDataFiles.map((file) => ({ file, constants: commitConstants(file) })),
    ...plan.dataFiles.map((file) => ({ file, constants: { ...commitConstants(file), __change_type: quoteString(file.changeType!) } })),
  ].sort((a, b) => a.file.version - b.file.version)
  const schema: StructType = { type: 'struct', fields: [...plan.schema.fields, { name: '_change_type', type: 'string', nullable: true, metadata: {} }] }
  const scan = await registerFileRead(db, storage, {
    table: plan.table,
    version: plan.endVersion,
    partitionColumns: plan.partitionColumns,
    columnMapping: plan.columnMapping,
    schema,
    constants: [
      { name: '__change_type', type: 'VARCHAR' },
      { name: '_commit_version', type: 'BIGINT' },
      { name: '_commit_timestamp', type: 'TIMESTAMPTZ' },
    ],
    kind: 'data or change data file',
    entries: files.map(({ file, constants }) => ({ path: file.path, partitionValues: file.partitionValues, constants })),
  })
  return {
    sql: `(SELECT * EXCLUDE (__change_type) REPLACE (coalesce(_change_type, __change_type) AS _change_type) FROM ${scan.sql})`,
    temporaryTables: scan.temporaryTables,
  }
}

export { dropScan }
