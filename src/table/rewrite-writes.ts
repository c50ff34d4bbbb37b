/**
 * The files a rewrite (table/rewrite.ts) writes from its changes table: the data files and, with
 * the change data feed on, the change data files, written side by side.
 */
import type { AddCDCFile, AddFile } from '../delta'
import { type DuckDb, type LakeEngine, writeDataFiles } from '../engine'

/**
 * The data files (rows `kept`) and, with `changeData`, the change data files of a commit that
 * rewrites files: readers then take all of its changes from them (inserts too), so every change is
 * there (an insert-only commit needs none: its adds say it all). The change rows are written on a
 * sibling connection while this one writes the data rows: each write scans a table too small for
 * DuckDB to split, so one after the other they would use one core.
 */
export async function writeRows(
  lake: LakeEngine,
  db: DuckDb,
  table: string,
  kept: string,
  changeData: { changes: string; columns: string[] } | undefined,
  fileOptions: Parameters<typeof writeDataFiles>[3],
): Promise<[AddFile[], AddCDCFile[]]> {
  const data = writeDataFiles(lake, table, kept, fileOptions)
  if (!changeData) return [await data, []]
  const changeRows = db.withSibling((connection) =>
    writeChangeRows(lake, table, changeRowsSql(changeData.changes, changeData.columns), { ...fileOptions, connection }),
  )
  return allWritten<[AddFile[], AddCDCFile[]]>([data, changeRows])
}

/** Every change row: pre- and post-images of updates, old images of deletes, inserts. */
function changeRowsSql(changes: string, columns: string[]): string {
  const old = `unnest(__old)`
  return `(
    SELECT ${old}, 'update_preimage' AS _change_type FROM ${changes} WHERE __action = 'update'
    UNION ALL SELECT ${columns.join(', ')}, 'update_postimage' FROM ${changes} WHERE __action = 'update'
    UNION ALL SELECT ${old}, 'delete' FROM ${changes} WHERE __action = 'delete'
    UNION ALL SELECT ${columns.join(', ')}, 'insert' FROM ${changes} WHERE __action = 'insert')`
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
