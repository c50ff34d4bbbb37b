/**
 * The queries and expressions inside a statement (INSERT's SELECT, MERGE's source and
 * conditions, UPDATE's values) may read lake tables. They are prepared together, as one probe
 * query, so each table they name is registered once for the statement; the callback gets them
 * back rewritten for DuckDB, and the tables are released when it returns.
 */
import type { LakeEngine } from '../../engine'
import type { LakeCatalog } from '../../engine'
import { prepareQuery, type TableRead } from '../prepare'

export async function withEmbedded<T>(
  lake: LakeEngine,
  catalog: LakeCatalog,
  parts: string[],
  body: (rewritten: string[], tables: TableRead[]) => Promise<T>,
): Promise<T> {
  if (parts.length === 0) return body([], [])
  const held = await withEmbeddedHeld(lake, catalog, parts)
  try {
    return await body(held.queries, held.tables)
  } finally {
    await held.release()
  }
}

/** As withEmbedded, the tables held until `release` (a refine batch reads them across several steps). */
export async function withEmbeddedHeld(
  lake: LakeEngine,
  catalog: LakeCatalog,
  parts: string[],
): Promise<{ queries: string[]; tables: TableRead[]; release(): Promise<void> }> {
  const marker = (i: number) => `) AS "__part_${i}"`
  const probe = `SELECT ${parts.map((part, i) => `(${part}\n${marker(i)}`).join(', ')}`
  const prepared = await prepareQuery(lake, catalog, probe)
  try {
    const rewritten: string[] = []
    let cursor = 'SELECT ('.length
    for (let i = 0; i < parts.length; i++) {
      const end = prepared.sql.indexOf(marker(i), cursor)
      rewritten.push(prepared.sql.slice(cursor, end).replace(/\n$/, ''))
      cursor = end + marker(i).length + ', ('.length
    }
    return { queries: rewritten, tables: prepared.tables, release: prepared.release }
  } catch (error) {
    await prepared.release()
    throw error
  }
}
