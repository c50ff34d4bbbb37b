/**
 * Lineage of refined rows, both ways, with nothing stored for it at write time:
 *   - row → messages: the row's key, looked up in the table's own change feed, gives the versions
 *     that touched it; each was written by a refine commit whose txn says which source versions it
 *     consumed (refine-ranges.ts); replaying the flow over those versions (replay-flow.ts) gives
 *     the raw rows the row came from, with their Kafka coordinates. For a cdc table that is the
 *     chain of changes, in sequence order, since the key was last deleted.
 *   - message → rows: the raw version that holds a message falls in one refine commit per output
 *     table; replaying it gives the rows the message became.
 */
import { DeltaError, isDeltaError, quoteString } from '../../delta'
import { dropScan, missingFileError, type LakeEngine, type LakeCatalog } from '../../engine'
import type { FlowSpec } from '../pipeline-file'
import { refineRanges, type RefineRange } from './refine-ranges'
import { NotReplayable, replayRange, rowKeySql, targetKey, type ReplayedRow } from './replay-flow'
import { PipelineError } from '../errors'

export interface RowLineage {
  table: string
  /** The row's key columns as text (every column for a keyless append flow). */
  row: Record<string, string | null>
  flow: string
  mode: FlowSpec['mode']
  /** The raw rows it came from, oldest first: append, the row it was; cdc, the chain of changes. */
  origins: ReplayedRow[]
  /** Why the origins are incomplete, when they are. */
  note?: string
}

export interface TraceRowsOptions {
  /** At most this many matching rows (default 100). */
  limit?: number
  /** Read the table as of this version (a view's pinned source version). */
  version?: number
}

/** The flow writing `table` (its target, or a child table of its `explode … into`), and how its rows are named. */
export function flowOf(flows: FlowSpec[], table: string): { flow: FlowSpec; key: (columns: string[]) => string[] } | undefined {
  for (const flow of flows) {
    if (flow.to === table) return { flow, key: (columns) => targetKey(flow, columns) }
    for (const t of flow.transforms ?? []) {
      if (t.op === 'explode' && t.into === table) return { flow, key: () => [...(flow.key ?? []), t.index ?? `${t.column}_index`] }
    }
  }
  return undefined
}

export async function traceFlowRows(
  lake: LakeEngine,
  catalog: LakeCatalog,
  flows: FlowSpec[],
  table: string,
  where: string,
  options: TraceRowsOptions = {},
): Promise<RowLineage[]> {
  const found = flowOf(flows, table)
  if (!found) throw new PipelineError(`no flow of the pipeline writes ${table}`)
  const { flow } = found
  const path = await catalog.confinedPathOf(table)
  const snapshot = await lake.snapshot(path, options.version === undefined ? {} : { version: options.version })
  const key = found.key(snapshot.schema.fields.map((f) => f.name))
  const db = await lake.duckdb()
  const scan = await lake.scan(snapshot)
  let matched: { rowKey: string }[]
  try {
    matched = (await db.rows(`SELECT DISTINCT ${rowKeySql(key)} AS k FROM ${scan.sql} WHERE (${where}) LIMIT ${options.limit ?? 100}`)).map((r) => ({
      rowKey: String(r.k),
    }))
  } finally {
    await dropScan(db, scan)
  }
  if (matched.length === 0) return []
  const keys = matched.map((m) => quoteString(m.rowKey)).join(', ')
  const ranges = await refineRanges(lake, path, flow.name)
  const notes: string[] = []
  let touched: RefineRange[]
  try {
    const versions = await versionsTouching(lake, path, key, keys, flow.mode, snapshot.version)
    touched = ranges.filter((r) => r.refinedVersion <= snapshot.version && versions.has(r.refinedVersion))
  } catch (error) {
    if (!(error instanceof DeltaError)) throw error
    notes.push(`the change feed of ${table} cannot be read (${(error as Error).message}): every refine commit was replayed`)
    touched = ranges.filter((r) => r.refinedVersion <= snapshot.version)
  }
  const origins: ReplayedRow[] = []
  for (const range of touched) {
    try {
      origins.push(...(await replayRange(lake, catalog, flow, range, `__table = ${quoteString(table)} AND __row_key IN (${keys})`)))
    } catch (error) {
      const gone = isDeltaError(error, 'VERSION_NOT_FOUND') || isDeltaError(error, 'MISSING_FILE') || missingFileError(error) !== undefined
      if (!(error instanceof NotReplayable) && !gone) throw error
      notes.push(
        `${table} version ${range.refinedVersion} was refined from ${flow.from} versions ${range.from}..${range.to}, which cannot be read again (${(error as Error).message}): its rows' sources are not listed`,
      )
    }
  }
  const note = notes.length ? notes.join('; ') : undefined
  return matched.map(({ rowKey }) => {
    const mine = origins.filter((o) => o.rowKey === rowKey).sort((a, b) => a.refinedVersion - b.refinedVersion || (a.position ?? 0) - (b.position ?? 0))
    const lastDelete = flow.mode === 'cdc' ? mine.map((o) => o.change).lastIndexOf('delete') : -1
    return {
      table,
      row: JSON.parse(rowKey) as Record<string, string | null>,
      flow: flow.name,
      mode: flow.mode,
      origins: mine.slice(lastDelete + 1),
      ...(note ? { note } : {}),
    }
  })
}

/** The table versions whose change feed has a change of these rows (inserts only for append flows). */
async function versionsTouching(lake: LakeEngine, path: string, key: string[], keys: string, mode: FlowSpec['mode'], upTo: number): Promise<Set<number>> {
  const db = await lake.duckdb()
  const feed = await lake.changes(path, { startVersion: 0, endVersion: upTo })
  try {
    const kinds = mode === 'append' ? `AND "_change_type" = 'insert'` : ''
    const rows = await db.rows(`SELECT DISTINCT "_commit_version" AS v FROM ${feed.sql} WHERE ${rowKeySql(key)} IN (${keys}) ${kinds}`)
    return new Set(rows.map((r) => Number(r.v)))
  } finally {
    await dropScan(db, feed)
  }
}

/** What one raw row (a message) became in the flows reading its table: each output row, the version that wrote it, and whether it was the change applied. */
export async function refinedFates(
  lake: LakeEngine,
  catalog: LakeCatalog,
  flows: FlowSpec[],
  rawTable: string,
  rawVersion: number,
  at: { topic: string; partition: number; offset: string },
): Promise<ReplayedRow[]> {
  const fates: ReplayedRow[] = []
  const filter = `__raw_version = ${rawVersion} AND __topic = ${quoteString(at.topic)} AND __partition = ${at.partition} AND __offset = ${quoteString(String(BigInt(at.offset)))}`
  for (const flow of flows.filter((f) => f.from === rawTable)) {
    const tables = [flow.to, ...(flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))]
    for (const table of tables) {
      const path = catalog.pathOf(table)
      const ranges = await refineRanges(lake, path, flow.name).catch(() => [] as RefineRange[])
      const range = ranges.find((r) => r.from <= rawVersion && rawVersion <= r.to)
      if (!range) continue
      const rows = await replayRange(lake, catalog, flow, range, `${filter} AND __table = ${quoteString(table)}`)
      fates.push(...rows.sort((a, b) => a.rowKey.localeCompare(b.rowKey, 'en', { numeric: true })))
    }
  }
  return fates
}
