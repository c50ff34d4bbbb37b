/**
 * An oracle for how many rows a snapshot holds that does not go through our scan: the row counts in
 * each live data file's Parquet footer (read with hyparquet, not DuckDB), less the rows its deletion
 * vector marks deleted (the cardinality the log records). The file list is the snapshot's log replay.
 */
import { existsSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet'

interface LiveFile {
  add: { path: string; deletionVector?: { cardinality: number } | null }
}

/** Where a data file named in the log lies: a URI, an absolute path, or relative to the table (URL-encoded). */
export function dataFileLocation(table: string, logPath: string): string {
  if (/^file:/i.test(logPath)) return fileURLToPath(logPath)
  const decoded = decodeURIComponent(logPath)
  return path.isAbsolute(decoded) ? decoded : path.join(table, decoded)
}

export interface FooterCount {
  /** Rows in the footers less deleted rows; undefined when a data file is absent. */
  rows?: number
  /** Data files named in the log that are not on disk. */
  missing: string[]
}

export async function rowsByFooters(table: string, files: readonly LiveFile[]): Promise<FooterCount> {
  let rows = 0
  const missing: string[] = []
  for (const { add } of files) {
    const location = dataFileLocation(table, add.path)
    if (!existsSync(location)) {
      missing.push(location)
      continue
    }
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(location))
    rows += Number(metadata.num_rows) - (add.deletionVector?.cardinality ?? 0)
  }
  return missing.length > 0 ? { missing } : { rows, missing }
}
