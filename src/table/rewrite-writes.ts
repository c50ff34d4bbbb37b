/**
 * The files a rewrite (table/rewrite.ts) writes from its changes table: the data files and, with
 * the change data feed on, the change data files, written side by side.
 */
import type { AddCDCFile, AddFile } from '../delta'
import { type DuckDb, type LakeEngine, writeDataFiles } from '../engine'

/**
 * Change rows from which a commit's old images (pre-images, deletes) and new images (post-images,
 * inserts) are written as two change data files side by side; fewer go to one file. Measured on 2
 * cores: 170k change rows (the MERGE bench) 281–297 ms split against 297–305 ms in one file; 95k
 * (the refine bench) 228–242 ms split against 220–229 ms in one file (the third statement costs
 * more than it saves).
 */
export const SPLIT_CHANGE_ROWS = 120_000

/**
 * The data files (rows `kept`) and, with `changeData`, the change data files of a commit that
 * rewrites files: readers then take all of its changes from them (inserts too), so every change is
 * there (an insert-only commit needs none: its adds say it all). The change rows are written on
 * sibling connections while this one writes the data rows: each write scans a table too small for
 * DuckDB to split, so one after the other they would use one core.
 */
export async function writeRows(
  lake: LakeEngine,
  db: DuckDb,
  table: string,
  kept: string,
  changeData: { changes: string; columns: string[]; rows: number } | undefined,
  fileOptions: Parameters<typeof writeDataFiles>[3],
): Promise<[AddFile[], AddCDCFile[]]> {
  const data = writeDataFiles(lake, table, kept, fileOptions)
  if (!changeData) return [await data, []]
  const changeRows = (images: Images) =>
    db.withSibling((connection) => writeChangeRows(lake, table, changeRowsSql(changeData.changes, changeData.columns, images), { ...fileOptions, connection }))
  if (changeData.rows < SPLIT_CHANGE_ROWS) return allWritten<[AddFile[], AddCDCFile[]]>([data, changeRows('all')])
  const [adds, old, fresh] = await allWritten<[AddFile[], AddCDCFile[], AddCDCFile[]]>([data, changeRows('old'), changeRows('new')])
  return [adds, [...old, ...fresh]]
}

type Images = 'old' | 'new' | 'all'

/** The change rows from the old images (pre-images of updates, deletes), from the new ones (post-images, inserts) or all. */
function changeRowsSql(changes: string, columns: string[], images: Images): string {
  const old = `unnest(__old)`
  const preimages = `SELECT ${old}, 'update_preimage' AS _change_type FROM ${changes} WHERE __action = 'update'`
  const postimages = `SELECT ${columns.join(', ')}, 'update_postimage' AS _change_type FROM ${changes} WHERE __action = 'update'`
  const deletes = `SELECT ${old}, 'delete' FROM ${changes} WHERE __action = 'delete'`
  const inserts = `SELECT ${columns.join(', ')}, 'insert' FROM ${changes} WHERE __action = 'insert'`
  const rows = images === 'old' ? [preimages, deletes] : images === 'new' ? [postimages, inserts] : [preimages, postimages, deletes, inserts]
  return `(${rows.join('\n    UNION ALL ')})`
}

async function writeChangeRows(lake: LakeEngine, table: string, changeRows: string, fileOptions: Parameters<typeof writeDataFiles>[3]): Promise<AddCDCFile[]> {
  const written = await writeDataFiles(lake, table, changeRows, { ...fileOptions, directory: '_change_data', extraColumns: ['_change_type'] })
  return written.map(({ path, partitionValues, size }) => ({ path, partitionValues, size, dataChange: false }))
}

/** Every write's files; when one fails, its error once all have ended (the changes table is dropped after). */
async function allWritten<T extends unknown[]>(writes: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(writes)
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as T
}
