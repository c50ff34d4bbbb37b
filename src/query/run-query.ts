/**
 * Running one SQL text over the lake and collecting every row (the CLI and tests; the editor
 * pages through results instead, see query-session.ts).
 */
import { rowsAsJson, type Json, type LakeCatalog, type LakeEngine } from '../engine'
import { prepareQuery, type TableRead } from './prepare'

export interface QueryOutput {
  columns: { name: string; type: string }[]
  rows: Record<string, Json>[]
  tables: TableRead[]
}

export async function runQuery(lake: LakeEngine, catalog: LakeCatalog, sql: string): Promise<QueryOutput> {
  const prepared = await prepareQuery(lake, catalog, sql, { reportsErrors: true })
  try {
    const db = await lake.duckdb()
    const result = await db.connection.runAndReadAll(prepared.sql).catch((error: unknown) => {
      throw prepared.inQueryText(error)
    })
    const names = result.columnNames()
    const types = result.columnTypes()
    return { columns: names.map((name, i) => ({ name, type: types[i].toString() })), rows: rowsAsJson(result), tables: prepared.tables }
  } finally {
    await prepared.release()
  }
}
