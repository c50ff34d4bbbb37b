/**
 * "Show source" for a row a panel shows: which pipeline writes its table, the predicate that names
 * the row (its key columns when the row has them, else its text and whole-number columns), and the
 * lineage `lakehouse trace TABLE --where` computes, shaped for the panel. No `vscode` here.
 */
import * as path from 'node:path'
import { quoteIdentifier, quoteString } from '../../delta'
import type { LakeEngine } from '../../engine'
import { flowOf, type Pipeline, type ReplayedRow } from '../../pipeline'
import { pipelineDefinitions, traceRows, type LakeCatalog, type TracedRow } from '../../query'
import type { JsonValue, OpenMessageRequest, SourceAnswer, SourceOrigin, SourceRow } from '../../../webview/shared/protocol'

/** What the query and Changes panels' handlers are given for "Show source" (the glue binds it to the workspace). */
export interface SourceLookup {
  trace(row: RowToTrace): Promise<Omit<SourceAnswer, 'type' | 'requestId'>>
  /** Open the message in the topic panel, selected. */
  openMessage(message: OpenMessageRequest): void
}

export interface RowSourceDeps {
  lake: LakeEngine
  catalog: LakeCatalog
  /** The workspace's valid pipeline files. */
  pipelines(): Promise<Pipeline[]>
}

export interface RowToTrace {
  /** Candidate tables (a query's tables, in order): the first one a pipeline writes is traced. */
  tables: string[]
  columns: string[]
  values: JsonValue[]
  /** As of this version of the table (a change's). */
  version?: number
}

const RAW_KEY = ['_topic', '_partition', '_offset']

export async function rowSource(deps: RowSourceDeps, row: RowToTrace): Promise<Omit<SourceAnswer, 'type' | 'requestId'>> {
  const found = await writer(deps, row.tables)
  if (!found) {
    const tables = row.tables.length ? row.tables.join(', ') : 'no lake table'
    return {
      table: row.tables[0] ?? '',
      rows: [],
      note: `The row comes from ${tables}, which no pipeline file of the workspace writes into ${deps.catalog.lakeDir}: its source cannot be traced.`,
    }
  }
  const { pipeline, table, key, columns } = found
  // Only the table's own columns (a query may add others, computed).
  const values = new Map(row.columns.flatMap((c, i) => (columns.includes(c) ? [[c, row.values[i]] as const] : [])))
  const keyed =
    key.length > 0 && key.every((k) => values.has(k))
      ? key
      : [...values.keys()].filter((c) => typeof values.get(c) === 'string' || Number.isSafeInteger(values.get(c)))
  if (keyed.length === 0)
    return { table, rows: [], note: `The row has none of the columns that name a row of ${table} (${key.join(', ') || 'a text or whole-number column'}).` }
  const where = keyed
    .map((c) => {
      const value = values.get(c)
      return value === null || value === undefined
        ? `${quoteIdentifier(c)} IS NULL`
        : `CAST(${quoteIdentifier(c)} AS VARCHAR) = ${quoteString(typeof value === 'string' ? value : JSON.stringify(value))}`
    })
    .join(' AND ')
  const traced = await traceRows(deps.lake, deps.catalog, pipeline, table, where, { limit: 20, ...(row.version === undefined ? {} : { version: row.version }) })
  return {
    table,
    rows: traced.flatMap((r) => panelRows(r)),
    ...(traced.length === 0 ? { note: `No row of ${table} matches ${where}${row.version === undefined ? '' : ` as of version ${row.version}`}.` } : {}),
  }
}

/** The pipeline writing one of the tables (a raw table, a flow's, a view), and the columns that name its rows. */
async function writer(deps: RowSourceDeps, tables: string[]): Promise<{ pipeline: Pipeline; table: string; key: string[]; columns: string[] } | undefined> {
  const lakeDir = path.resolve(deps.catalog.lakeDir)
  const pipelines = (await deps.pipelines()).filter((p) => path.resolve(p.lakeDir) === lakeDir)
  const columnsOf = async (table: string) => (await deps.lake.snapshot(await deps.catalog.confinedPathOf(table))).schema.fields.map((f) => f.name)
  for (const table of tables) {
    for (const pipeline of pipelines) {
      if (pipeline.sources.some((s) => s.table === table)) return { pipeline, table, key: RAW_KEY, columns: await columnsOf(table) }
      const definitions = pipeline.definitions?.length ? await pipelineDefinitions(deps.catalog, pipeline).catch(() => undefined) : undefined
      const flows = [...(pipeline.flows ?? []), ...(definitions?.flows ?? [])]
      const flow = flowOf(flows, table)
      if (flow) {
        const columns = await columnsOf(table)
        return { pipeline, table, key: flow.key(columns), columns }
      }
      if (definitions?.views.some((v) => v.name === table)) return { pipeline, table, key: [], columns: await columnsOf(table) }
    }
  }
  return undefined
}

const rowLabel = (table: string, row: Record<string, string | null>) =>
  `${table} ${Object.entries(row)
    .map(([k, v]) => `${k}=${v ?? 'NULL'}`)
    .join(' ')}`

function panelRows(traced: TracedRow, via?: string): SourceRow[] {
  if (traced.kind === 'view') {
    const label = rowLabel(traced.table, traced.row)
    const inner = traced.sources.flatMap((s) => s.rows.flatMap((r) => panelRows(r, via ? `${label}, ${via}` : label)))
    return inner.length ? inner : [{ label, origins: [], ...(traced.note ? { note: traced.note } : {}) }]
  }
  const note = traced.kind === 'flow' ? traced.note : undefined
  return [{ label: rowLabel(traced.table, traced.row), origins: traced.origins.map(origin), ...(via ? { via } : {}), ...(note ? { note } : {}) }]
}

function origin(o: ReplayedRow): SourceOrigin {
  return {
    rawTable: o.rawTable,
    rawVersion: o.rawVersion,
    topic: o.topic,
    partition: o.partition,
    offset: o.offset,
    key: o.key,
    timestamp: o.timestamp,
    change: o.change,
    sequence: o.sequence,
    applied: o.applied,
    table: o.table,
    refinedVersion: o.refinedVersion,
  }
}

/** The pipeline source that wrote a raw table, and its pipeline: the topic panel opens on it. */
export async function sourceOfRawTable(
  deps: Pick<RowSourceDeps, 'pipelines' | 'catalog'>,
  rawTable: string,
): Promise<{ pipeline: Pipeline; source: Pipeline['sources'][number] } | undefined> {
  const lakeDir = path.resolve(deps.catalog.lakeDir)
  for (const pipeline of (await deps.pipelines()).filter((p) => path.resolve(p.lakeDir) === lakeDir)) {
    const source = pipeline.sources.find((s) => s.table === rawTable)
    if (source) return { pipeline, source }
  }
  return undefined
}
