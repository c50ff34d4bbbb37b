/**
 * Lineage of a materialized view's rows. A view whose refresh is incremental has scope columns
 * (view-shape.ts): the rows of one scope value depend only on the source rows carrying that value.
 * So a view row comes from the source rows with its scope values, read at the versions the view
 * last reflected (its txns `lakehouse/view/<name>/<table>`); each of those is traced further by
 * the caller (to raw rows and messages). Rows of those values that the query's own WHERE leaves
 * out are listed too. A view of another shape has no such partition: its sources are named, with
 * the reason, and no rows.
 */
import { quoteString } from '../../delta'
import { dropScan, type LakeCatalog, type LakeEngine } from '../../engine'
import { rowKeySql } from '../../pipeline'
import type { MaterializedView } from './ast'
import { viewAppId } from './refresh-view'
import { parseSelect, viewShape } from './view-shape'

export interface ViewRowSources {
  /** The view's row, by its scope columns (as text). */
  row: Record<string, string | null>
  /** Per source table: the version read and the predicate that selects the row's source rows there. */
  sources: { table: string; version?: number; where: string }[]
}

export type ViewLineagePlan = { traceable: true; rows: ViewRowSources[] } | { traceable: false; reason: string; sources: string[] }

export async function viewRowSources(lake: LakeEngine, catalog: LakeCatalog, view: MaterializedView, where: string, limit: number): Promise<ViewLineagePlan> {
  const db = await lake.duckdb()
  const node = await parseSelect(db, view.query.sql)
  const columns = new Map<string, string[]>()
  for (const { table: name } of view.reads) {
    if (!columns.has(name))
      columns.set(
        name,
        (await lake.snapshot((await catalog.resolve(name)).path)).schema.fields.map((f) => f.name),
      )
  }
  const shape = await viewShape(db, node, columns)
  const names = [...new Set(shape.references.map((r) => `${r.zone}.${r.table}`))]
  if (!shape.incremental) return { traceable: false, reason: shape.reason, sources: names }
  const snapshot = await lake.snapshot(await catalog.confinedPathOf(view.name))
  const scan = await lake.scan(snapshot)
  let rows: Record<string, string | null>[]
  try {
    rows = (await db.rows(`SELECT DISTINCT ${rowKeySql(shape.scope.map((s) => s.output))} AS k FROM ${scan.sql} WHERE (${where}) LIMIT ${limit}`)).map(
      (r) => JSON.parse(String(r.k)) as Record<string, string | null>,
    )
  } finally {
    await dropScan(db, scan)
  }
  return {
    traceable: true,
    rows: rows.map((row) => ({
      row,
      sources: shape.references.map((reference) => {
        const table = `${reference.zone}.${reference.table}`
        const where = shape.scope
          .map((s) => {
            const column = `"${s.sources.get(reference.alias)!.replaceAll('"', '""')}"`
            const value = row[s.output]
            return value === null ? `${column} IS NULL` : `CAST(${column} AS VARCHAR) = ${quoteString(value)}`
          })
          .join(' AND ')
        return { table, version: snapshot.txns.get(viewAppId(view.name, table))?.version, where }
      }),
    })),
  }
}
