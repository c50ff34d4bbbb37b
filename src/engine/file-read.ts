/**
 * Reading a list of Delta data files with DuckDB as one relation. Files are read with
 * `read_parquet` (union by name, so files written before a column was added still read), joined
 * to a small table with one row per entry: its partition values, constant columns (such as a change
 * feed's `_change_type` and `_commit_version`) and a row selection by `file_row_number` (drop the
 * rows a deletion vector marks, or keep only them). One file may appear in several entries.
 * Column mapping is undone by selecting physical names as logical ones, recursively.
 */
import { access } from 'node:fs/promises'
import * as path from 'node:path'
import {
  type ColumnMappingMode,
  DeltaError,
  duckdbType,
  physicalName,
  quoteIdentifier,
  quoteString,
  type StructField,
  type Storage,
  type StructType,
} from '../delta'
import type { DuckDb } from './duckdb'
import { fileColumnIsTableColumn } from './file-column-type'
import { convertColumn, deltaTypeFromDuckdbSafe, holdsVariant } from './column-conversion'

let readCounter = 0

export interface FileEntry {
  path: string
  /** Logical partition column → canonical text, or null. */
  partitionValues: Record<string, string | null>
  /** Constant column name → SQL literal, for the plan's `constants`. */
  constants?: Record<string, string>
  selection?: { mode: 'exclude' | 'only'; rows: number[] }
}

export interface FileReadPlan {
  table: string
  version: number
  schema: StructType
  partitionColumns: string[]
  columnMapping: ColumnMappingMode
  constants?: { name: string; type: string }[]
  entries: FileEntry[]
  /** What the files are, for error messages ("data file", "change data file"). */
  kind?: string
  /** Also select each row's index in its file under this name (rows are then identified by file + index). */
  rowIndexColumn?: string
  /** Also select each row's file (its entry's path) under this name. */
  fileColumn?: string
  /**
   * Rebuild every column (rename, fill, cast) even where the files already hold the table's type:
   * the reference the direct read is tested against.
   */
  rebuildEveryColumn?: boolean
  /**
   * The caller turns a missing file's error into its message when the read runs (the query layer
   * does): a kept description of the same files is then used without first checking that each
   * still exists (a stat per file, before every query).
   */
  missingFilesReportedByCaller?: boolean
}

export interface RegisteredScan {
  /** A parenthesised SELECT that yields the rows with logical column names and types. */
  sql: string
  /** Temporary tables backing it; drop them with `dropScan` when done. */
  temporaryTables: string[]
}

const MODE = { all: 0, exclude: 1, only: 2 } as const

export async function registerFileRead(db: DuckDb, storage: Storage, plan: FileReadPlan): Promise<RegisteredScan> {
  const constants = plan.constants ?? []
  const entries = plan.entries.filter((e) => !(e.selection?.mode === 'only' && e.selection.rows.length === 0))
  if (entries.length === 0) {
    const columns = [
      ...plan.schema.fields.map((f) => `NULL::${duckdbType(f.type)} AS ${quoteIdentifier(f.name)}`),
      ...constants.map((c) => `NULL::${c.type} AS ${quoteIdentifier(c.name)}`),
      ...(plan.rowIndexColumn ? [`NULL::BIGINT AS ${quoteIdentifier(plan.rowIndexColumn)}`] : []),
      ...(plan.fileColumn ? [`NULL::VARCHAR AS ${quoteIdentifier(plan.fileColumn)}`] : []),
    ]
    return { sql: `(SELECT ${columns.join(', ') || '1 AS "_"'} WHERE false)`, temporaryTables: [] }
  }
  const partitionColumns = plan.partitionColumns.map((name) => ({ name, type: duckdbType(plan.schema.fields.find((f) => f.name === name)!.type) }))
  const paths = [...new Set(entries.map((e) => e.path))].map(quoteString).join(', ')
  // The join to the entries table costs as much as the read itself: without row selections, each
  // entry's values come from the files alone (partition values spelled exactly in Hive-style paths)
  // or from a list indexed by the row's file_index (one file per entry, listed in entry order).
  // Entries that each keep only listed rows of a distinct file (a MERGE's matched rows) are read
  // the same way, with a semi join on (filename, file_row_number).
  const unique = new Set(entries.map((e) => e.path)).size === entries.length
  const onlyListed = unique && entries.every((e) => e.selection?.mode === 'only')
  const hive =
    constants.length === 0 &&
    unique &&
    (partitionColumns.length === 0 || (partitionColumns.every((p) => HIVE_TYPES.has(p.type)) && partitionsInPaths(plan, entries)))
  // A filter on the file (a read that exposes it, or the listed rows' semi join) makes DuckDB prune
  // the files and number those left from 0, so values looked up by file_index would come from
  // another file: such reads take their values from the entries table, joined by path.
  const byFileIndex = !hive && (partitionColumns.length > 0 || constants.length > 0)
  const fileFiltered = plan.fileColumn !== undefined || onlyListed
  if ((entries.every((e) => !e.selection) || onlyListed) && !(byFileIndex && fileFiltered)) {
    const options =
      hive && partitionColumns.length
        ? `, hive_partitioning = true, hive_types = {${partitionColumns.map((p) => `${quoteString(p.name)}: ${p.type}`).join(', ')}}`
        : ', hive_partitioning = false'
    const extra = `${plan.fileColumn || onlyListed ? ', filename = true' : ''}${plan.rowIndexColumn || onlyListed ? ', file_row_number = true' : ''}`
    const listed = hive ? paths : entries.map((e) => quoteString(e.path)).join(', ')
    const source = `read_parquet([${listed}], union_by_name = true${options}${extra})`
    const byEntry = (values: string[]) => `([${values.join(', ')}])[d.file_index::BIGINT + 1]`
    const partition = (alias: string) => {
      if (hive) return `d.${alias}`
      const column = partitionColumns.find((p) => quoteIdentifier(p.name) === alias)!
      return byEntry(entries.map((e) => partitionLiteral(e.partitionValues[column.name], column.type)))
    }
    const available = new Map((await describeFiles(db, storage, source, plan)).map((c) => [c.name, c.type]))
    const projection = plan.schema.fields.map((field) => projectField(field, plan, available, partition))
    projection.push(
      ...constants.map((c) => `CAST(${byEntry(entries.map((e) => e.constants?.[c.name] ?? `NULL::${c.type}`))} AS ${c.type}) AS ${quoteIdentifier(c.name)}`),
    )
    // filename is the path exactly as listed (the entries table's join relies on the same).
    if (plan.fileColumn) projection.push(`d.filename AS ${quoteIdentifier(plan.fileColumn)}`)
    if (plan.rowIndexColumn) projection.push(`d.file_row_number AS ${quoteIdentifier(plan.rowIndexColumn)}`)
    if (onlyListed) {
      const rowsTable = `__delta_rows_${++readCounter}`
      const listed = await listedRowsFilter(db, rowsTable, entries)
      return { sql: `(SELECT ${projection.join(', ')} FROM ${source} d ${listed})`, temporaryTables: [rowsTable] }
    }
    return { sql: `(SELECT ${projection.join(', ')} FROM ${source} d)`, temporaryTables: [] }
  }

  const id = ++readCounter
  const filesTable = `__delta_files_${id}`
  const rowsTable = `__delta_rows_${id}`
  await createEntriesTable(db, filesTable, entries, partitionColumns, constants)
  const selective = await createRowsTable(db, rowsTable, entries)
  const withRowNumbers = selective || plan.rowIndexColumn !== undefined
  const source = `read_parquet([${paths}], filename = true, file_row_number = ${withRowNumbers}, union_by_name = true, hive_partitioning = false)`
  const available = new Map((await describeFiles(db, storage, source, plan)).map((c) => [c.name, c.type]))
  const projection = plan.schema.fields.map((field) => projectField(field, plan, available, (alias) => `f.${alias}`))
  projection.push(...constants.map((c) => `f.${quoteIdentifier(c.name)} AS ${quoteIdentifier(c.name)}`))
  if (plan.rowIndexColumn) projection.push(`d.file_row_number AS ${quoteIdentifier(plan.rowIndexColumn)}`)
  if (plan.fileColumn) projection.push(`f.path AS ${quoteIdentifier(plan.fileColumn)}`)
  let sql = `SELECT ${projection.join(', ')} FROM ${source} d JOIN ${filesTable} f ON f.path = d.filename`
  if (selective) {
    sql +=
      ` LEFT JOIN ${rowsTable} x ON x.entry = f.entry AND x.row_index = d.file_row_number` +
      ` WHERE f.mode = ${MODE.all} OR (f.mode = ${MODE.exclude} AND x.entry IS NULL) OR (f.mode = ${MODE.only} AND x.entry IS NOT NULL)`
  }
  return { sql: `(${sql})`, temporaryTables: selective ? [filesTable, rowsTable] : [filesTable] }
}

/** One logical column: a partition column from `partition(alias)`, a data column from the file. */
function projectField(field: StructField, plan: FileReadPlan, available: Map<string, string>, partition: (alias: string) => string): string {
  const alias = quoteIdentifier(field.name)
  if (plan.partitionColumns.includes(field.name)) return `CAST(${partition(alias)} AS ${duckdbType(field.type)}) AS ${alias}`
  const physical = physicalName(field, plan.columnMapping)
  const sourceType = available.get(physical)
  if (sourceType === undefined) return `NULL::${duckdbType(field.type)} AS ${alias}`
  // A shredded variant keeps part of its value in typed columns beside the binary one: refused, not read half.
  if (holdsVariant(field.type) && /\btyped_value\b/.test(sourceType)) {
    throw new DeltaError('UNSUPPORTED_READER_FEATURE', `column ${field.name} holds shredded variant values, which this reader does not read`, {
      table: plan.table,
    })
  }
  if (!plan.rebuildEveryColumn && fileColumnIsTableColumn(sourceType, field.type)) return `d.${quoteIdentifier(physical)} AS ${alias}`
  return `${convertColumn(`d.${quoteIdentifier(physical)}`, deltaTypeFromDuckdbSafe(sourceType), field.type, plan.columnMapping)} AS ${alias}`
}

/** Partition column types DuckDB's `hive_types` takes by name (DECIMAL(p,s) and the like fall back to the join). */
const HIVE_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'VARCHAR', 'DATE', 'BOOLEAN'])

/**
 * True when DuckDB's Hive partitioning reads exactly the log's partition values: every file sits
 * under `column=value` folders spelled like the value (plain characters, no escaping, no NULL),
 * and no folder above the table looks like a partition folder.
 */
function partitionsInPaths(plan: FileReadPlan, entries: FileEntry[]): boolean {
  if (plan.table.includes('=')) return false
  return entries.every((entry) =>
    plan.partitionColumns.every((column) => {
      const value = entry.partitionValues[column]
      if (value === null || value === undefined || !/^[A-Za-z0-9_.-]+$/.test(value) || !/^[A-Za-z0-9_]+$/.test(column)) return false
      return entry.path.includes(`/${column}=${value}/`) && entry.path.startsWith(plan.table)
    }),
  )
}

export async function dropScan(db: DuckDb, scan: RegisteredScan): Promise<void> {
  for (const table of scan.temporaryTables) await db.run(`DROP TABLE IF EXISTS ${table}`)
}

/**
 * The union of the files' columns. Reading every footer here also finds missing or broken files
 * early. Data files never change once written, so the answer is kept for the same file list as
 * long as every file is still there (a cheap check next to reading the footers again).
 */
const describeCache = new Map<string, { name: string; type: string }[]>()

async function describeFiles(db: DuckDb, storage: Storage, source: string, plan: FileReadPlan): Promise<{ name: string; type: string }[]> {
  const cached = describeCache.get(source)
  if (cached && plan.missingFilesReportedByCaller) return cached
  if (cached) {
    const present = await Promise.all(
      [...new Set(plan.entries.map((e) => e.path))].map((file) =>
        access(file).then(
          () => true,
          () => false,
        ),
      ),
    )
    if (present.every(Boolean)) return cached
    describeCache.delete(source)
  }
  const kind = plan.kind ?? 'data file'
  await refuseEscapingLinks(storage, plan, kind)
  try {
    const columns = await db.describe(`SELECT * FROM ${source}`)
    if (describeCache.size >= 256) describeCache.delete(describeCache.keys().next().value!)
    describeCache.set(source, columns)
    return columns
  } catch (cause) {
    const message = (cause as Error).message
    const missing = missingFileError(cause, `${kind} %s is listed in version ${plan.version} of the log but is missing on disk`, plan.table)
    if (missing) throw missing
    throw new DeltaError('CORRUPT_LOG', `a ${kind} of version ${plan.version} cannot be read: ${message.split('\n')[0]}`, { table: plan.table, cause })
  }
}

/**
 * A file inside the table folder must stay inside it once symbolic links are followed: a link to
 * elsewhere on the disk is refused, named. (Files the log names by absolute path, as shallow
 * clones do, are not inside the folder and are read where they are.)
 */
async function refuseEscapingLinks(storage: Storage, plan: FileReadPlan, kind: string): Promise<void> {
  if (!storage.realPath) return
  const realPath = (file: string) => storage.realPath?.(file).catch(() => undefined)
  const root = plan.table + path.sep
  const inside = [...new Set(plan.entries.map((e) => e.path))].filter((file) => file.startsWith(root))
  if (inside.length === 0) return
  const tableReal = await realPath(plan.table)
  if (!tableReal) return
  const reals = await Promise.all(inside.map(realPath))
  inside.forEach((file, i) => {
    const real = reals[i]
    if (real && !real.startsWith(tableReal + path.sep)) {
      throw new DeltaError('CORRUPT_LOG', `${kind} ${file} of version ${plan.version} is a symbolic link to ${real}, outside the table folder: refused`, {
        table: plan.table,
      })
    }
  })
}

/**
 * DuckDB's error for a file that is gone, as a MISSING_FILE DeltaError (`%s` in `what` is the
 * path); undefined for any other error. Queries map errors through this too, since a file can
 * disappear between planning and reading.
 */
export function missingFileError(error: unknown, what = 'file %s of the table is missing on disk', table?: string): DeltaError | undefined {
  const missing = /No files found that match the pattern "([^"]+)"|Cannot open file "([^"]+)"/.exec((error as Error)?.message ?? '')
  if (!missing) return undefined
  return new DeltaError(
    'MISSING_FILE',
    `${what.replace('%s', missing[1] ?? missing[2])} (VACUUM deletes files of versions older than its retention; otherwise the table is damaged)`,
    { table, cause: error },
  )
}

async function createEntriesTable(
  db: DuckDb,
  name: string,
  entries: FileEntry[],
  partitions: { name: string; type: string }[],
  constants: { name: string; type: string }[],
): Promise<void> {
  const columns = [
    'entry BIGINT',
    'path VARCHAR',
    'mode TINYINT',
    ...partitions.map((p) => `${quoteIdentifier(p.name)} ${p.type}`),
    ...constants.map((c) => `${quoteIdentifier(c.name)} ${c.type}`),
  ]
  await db.run(`CREATE TEMP TABLE ${name} (${columns.join(', ')})`)
  for (let start = 0; start < entries.length; start += 1000) {
    const values = entries.slice(start, start + 1000).map((entry, i) => {
      const literals = [
        String(start + i),
        quoteString(entry.path),
        String(MODE[entry.selection?.mode ?? 'all']),
        ...partitions.map((p) => partitionLiteral(entry.partitionValues[p.name], p.type)),
        ...constants.map((c) => entry.constants?.[c.name] ?? `NULL::${c.type}`),
      ]
      return `(${literals.join(', ')})`
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

/**
 * A semi join keeping each entry's listed rows, by file name (not file_index: DuckDB numbers the
 * files that are left after pruning, and a filter on the file name prunes), with the range of the
 * listed indexes as a filter DuckDB applies in the scan (a join's filter does not reach it): rows
 * that sit together are then decoded alone.
 */
async function listedRowsFilter(db: DuckDb, rowsTable: string, entries: FileEntry[]): Promise<string> {
  await db.run(`CREATE TEMP TABLE ${rowsTable} (path VARCHAR, row_index BIGINT)`)
  const values = entries.map((e) => `(${quoteString(e.path)}, [${e.selection!.rows.join(',')}]::BIGINT[])`)
  for (let start = 0; start < values.length; start += 1000) {
    await db.run(`INSERT INTO ${rowsTable} SELECT path, unnest(rows) FROM (VALUES ${values.slice(start, start + 1000).join(', ')}) v(path, rows)`)
  }
  let [lo, hi] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
  for (const entry of entries) for (const row of entry.selection?.rows ?? []) [lo, hi] = [Math.min(lo, row), Math.max(hi, row)]
  return `SEMI JOIN ${rowsTable} x ON x.path = d.filename AND x.row_index = d.file_row_number WHERE d.file_row_number BETWEEN ${lo} AND ${hi}`
}

/** The selected row indexes per entry; false when no entry selects rows. */
async function createRowsTable(db: DuckDb, name: string, entries: FileEntry[]): Promise<boolean> {
  if (!entries.some((e) => e.selection && e.selection.rows.length > 0)) return false
  await db.run(`CREATE TEMP TABLE ${name} (entry BIGINT, row_index BIGINT)`)
  // Up to 100k rows per statement, several entries in one (a statement per entry cost more than the rows for many small DVs).
  let batch: string[] = []
  let batched = 0
  const flush = async () => {
    if (batch.length) await db.run(`INSERT INTO ${name} SELECT entry, unnest(rows) FROM (VALUES ${batch.join(', ')}) v(entry, rows)`)
    batch = []
    batched = 0
  }
  for (let i = 0; i < entries.length; i++) {
    const rows = entries[i].selection?.rows ?? []
    for (let start = 0; start < rows.length; start += 100_000) {
      const part = rows.slice(start, start + 100_000)
      if (batched + part.length > 100_000) await flush()
      batch.push(`(${i}::BIGINT, [${part.join(',')}]::BIGINT[])`)
      batched += part.length
    }
  }
  await flush()
  return true
}
