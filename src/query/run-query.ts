/**
 * Running a SQL text over the lake: Delta tables named by path are scanned at their latest
 * snapshot (one snapshot per table per query), everything else is DuckDB SQL.
 */
import type { Json } from '@duckdb/node-api'
import * as path from 'node:path'
import { dropScan, type LakeEngine, type RegisteredScan } from '../engine'
import { rowsAsJson } from './json-values'
import { findDeltaPathReferences, replaceReferences } from './table-references'

export interface QueryOptions {
  /** Relative table paths resolve against this folder (the lake). */
  lakeDir: string
}

export interface QueryOutput {
  columns: { name: string; type: string }[]
  rows: Record<string, Json>[]
}

export async function runQuery(lake: LakeEngine, sql: string, options: QueryOptions): Promise<QueryOutput> {
  const references = findDeltaPathReferences(sql)
  const scans = new Map<string, RegisteredScan>()
  const db = await lake.duckdb()
  try {
    for (const ref of references) {
      const table = path.resolve(options.lakeDir, ref.path)
      if (!scans.has(table)) scans.set(table, await lake.scan(table))
    }
    const rewritten = replaceReferences(sql, references, (ref) => scans.get(path.resolve(options.lakeDir, ref.path))!.sql)
    const result = await db.connection.runAndReadAll(rewritten)
    const names = result.columnNames()
    const types = result.columnTypes()
    return { columns: names.map((name, i) => ({ name, type: types[i].toString() })), rows: rowsAsJson(result) }
  } finally {
    for (const scan of scans.values()) await dropScan(db, scan)
  }
}
