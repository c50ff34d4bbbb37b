/**
 * A table's rows, or the change rows of one of its versions, read through a scan registered for
 * the read and dropped after it: `select` turns the scan's SQL into the statement to run.
 */
import type { JsonRow, LakeEngine } from '../../src/engine'
import { dropScan } from '../../src/engine'

export async function scanRows(lake: LakeEngine, table: string, select: (from: string) => string, options: { version?: number } = {}): Promise<JsonRow[]> {
  const db = await lake.duckdb()
  const scan = await lake.scan(table, options.version === undefined ? {} : { version: options.version })
  try {
    return await db.rows(select(scan.sql))
  } finally {
    await dropScan(db, scan)
  }
}

/** The change rows version `version` wrote (its change data feed, that version alone). */
export async function versionChangeRows(lake: LakeEngine, table: string, version: number, select: (from: string) => string): Promise<JsonRow[]> {
  const db = await lake.duckdb()
  const feed = await lake.changes(table, { startVersion: version, endVersion: version })
  try {
    return await db.rows(select(feed.sql))
  } finally {
    await dropScan(db, feed)
  }
}
