/**
 * `trace TABLE --where …`: where rows of a lake table came from, whatever wrote the table:
 *   - a raw table: the row is a message; its coordinates are its own columns;
 *   - a flow's table (target or child): the raw rows replayed through the flow (pipeline/lineage);
 *   - a materialized view: the source rows of the row's scope values, each traced in turn.
 */
import { dropScan, type LakeCatalog, type LakeEngine } from '../engine'
import { flowOf, rowKeySql, traceFlowRows, type FlowSpec, type Pipeline, type ReplayedRow, type RowLineage } from '../pipeline'
import { pipelineDefinitions, type LoadedDefinitions } from './definitions'
import { viewRowSources } from './definitions/view-lineage'

export type TracedRow =
  | ({ kind: 'flow' } & RowLineage)
  | { kind: 'raw'; table: string; row: Record<string, string | null>; origins: ReplayedRow[] }
  | { kind: 'view'; table: string; row: Record<string, string | null>; sources: { table: string; version?: number; rows: TracedRow[] }[]; note?: string }

export interface TraceOptions {
  /** At most this many rows of the table asked about (default 100). */
  limit?: number
  version?: number
}

/** Thrown for a table the pipeline does not write: the message lists what it does write. */
export class NotTraceable extends Error {}

export async function traceRows(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  table: string,
  where: string,
  options: TraceOptions = {},
): Promise<TracedRow[]> {
  const loaded = pipeline.definitions?.length ? await pipelineDefinitions(catalog, pipeline) : undefined
  return trace({ lake, catalog, pipeline, loaded, flows: [...(pipeline.flows ?? []), ...(loaded?.flows ?? [])] }, table, where, options, 0)
}

interface Context {
  lake: LakeEngine
  catalog: LakeCatalog
  pipeline: Pipeline
  loaded?: LoadedDefinitions
  flows: FlowSpec[]
}

async function trace(context: Context, table: string, where: string, options: TraceOptions, depth: number): Promise<TracedRow[]> {
  const { lake, catalog, pipeline, loaded, flows } = context
  const view = loaded?.views.find((v) => v.name === table)
  if (view) {
    if (depth > 8) throw new NotTraceable(`${table}: views nest deeper than 8 levels`)
    const plan = await viewRowSources(lake, catalog, view, where, options.limit ?? 100)
    if (!plan.traceable) {
      const rows = await viewRows(lake, catalog, table, where, options.limit ?? 100)
      const note = `the rows of ${table} cannot be traced one by one (its query has ${plan.reason}); it reads ${plan.sources.join(', ')}`
      return rows.map((row) => ({ kind: 'view', table, row, sources: [], note }))
    }
    const traced: TracedRow[] = []
    for (const { row, sources } of plan.rows) {
      const inputs = []
      for (const source of sources)
        inputs.push({
          table: source.table,
          version: source.version,
          rows: await trace(context, source.table, source.where, { version: source.version }, depth + 1),
        })
      traced.push({ kind: 'view', table, row, sources: inputs })
    }
    return traced
  }
  if (flowOf(flows, table)) return (await traceFlowRows(lake, catalog, flows, table, where, options)).map((r) => ({ kind: 'flow', ...r }))
  const source = pipeline.sources.find((s) => s.table === table)
  if (source) return rawRows(lake, catalog, table, where, options)
  throw new NotTraceable(
    `${table} is not written by ${pipeline.file}: it traces raw tables (${pipeline.sources.map((s) => s.table).join(', ')}), flow tables (${flows.map((f) => f.to).join(', ') || 'none'}) and views (${loaded?.views.map((v) => v.name).join(', ') || 'none'})`,
  )
}

/** A raw row is a message: its coordinates are columns, the version that wrote it is in the change feed. */
async function rawRows(lake: LakeEngine, catalog: LakeCatalog, table: string, where: string, options: TraceOptions): Promise<TracedRow[]> {
  const db = await lake.duckdb()
  const path = await catalog.confinedPathOf(table)
  const feed = await lake.changes(path, { startVersion: 0, ...(options.version === undefined ? {} : { endVersion: options.version }) })
  try {
    const rows =
      await db.rows(`SELECT "_topic" AS topic, "_partition" AS p, "_offset" AS o, min("_commit_version") AS v, CAST(any_value("_key") AS VARCHAR) AS k,
        strftime(any_value("_timestamp") AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g UTC') AS ts
      FROM ${feed.sql} WHERE "_change_type" = 'insert' AND (${where}) GROUP BY "_topic", "_partition", "_offset" ORDER BY 1, 2, 3 LIMIT ${options.limit ?? 100}`)
    return rows.map((r) => {
      const row = { _topic: String(r.topic), _partition: String(r.p), _offset: String(r.o) }
      const origin: ReplayedRow = {
        table,
        row,
        rowKey: JSON.stringify(row),
        refinedVersion: Number(r.v),
        rawTable: table,
        rawVersion: Number(r.v),
        topic: String(r.topic),
        partition: Number(r.p),
        offset: String(r.o),
        key: r.k == null ? null : String(r.k),
        timestamp: r.ts == null ? null : String(r.ts),
        change: 'insert',
        sequence: null,
        position: null,
        applied: true,
      }
      return { kind: 'raw', table, row, origins: [origin] }
    })
  } finally {
    await dropScan(db, feed)
  }
}

async function viewRows(lake: LakeEngine, catalog: LakeCatalog, table: string, where: string, limit: number): Promise<Record<string, string | null>[]> {
  const db = await lake.duckdb()
  const snapshot = await lake.snapshot(await catalog.confinedPathOf(table))
  const scan = await lake.scan(snapshot)
  try {
    const columns = snapshot.schema.fields.map((f) => f.name)
    return (await db.rows(`SELECT ${rowKeySql(columns)} AS k FROM ${scan.sql} WHERE (${where}) LIMIT ${limit}`)).map(
      (r) => JSON.parse(String(r.k)) as Record<string, string | null>,
    )
  } finally {
    await dropScan(db, scan)
  }
}
