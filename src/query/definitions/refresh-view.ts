/**
 * Refreshing a materialized view. Its table records, in the same commit as its rows, the version
 * of every source it reflects (txn `lakehouse/view/<name>/<zone.table>`) and a hash of its
 * definition, so a refresh knows exactly what changed since, and a crash before the commit
 * leaves the view as it was (the refresh runs again, once). Each refresh reads every source at
 * one version (pinned with `@v`), then either
 *   - writes nothing: no source has a new version and the definition is the same;
 *   - incremental, method `maintain` (aggregate-plan.ts, aggregate-refresh.ts): a grouped view's
 *     count/sum/min/max are updated from the change rows; only groups the view's columns cannot
 *     settle are recomputed. Chosen unless rows were removed and the view has aggregates that
 *     could then need the sources (a group read again costs a read of the sources, which the
 *     other method pays once for all changed groups);
 *   - incremental, method `recompute` (view-shape.ts): the scope values of the sources' changes are
 *     collected, the query recomputed for them only;
 * and the difference written;
 *   - full: the query recomputed whole, and the difference written.
 * Either way the view's table receives only the rows that changed (table/write-difference.ts),
 * so its own change feed is meaningful. Expectations are applied to the rows computed.
 */
import { DeltaError, isDeltaError, quoteIdentifier, type Snapshot, type Txn } from '../../delta'
import { dropScan, snapshotOrNothing, type LakeEngine, type RegisteredScan } from '../../engine'
import { writesDeletionVectors } from '../../table'
import type { LakeCatalog } from '../../engine'
import { prepareQuery } from '../prepare'
import type { MaterializedView } from './ast'
import { aggregatePlan } from './aggregate-plan'
import { maintainAggregates, type MaintainedRows } from './aggregate-refresh'
import { applyExpectations, type ExpectationCount } from './expectations'
import { RefreshPhases } from './refresh-phases'
import { writeView } from './write-view'
import { parseSelect, treeSql, viewShape, type ViewShape } from './view-shape'

export interface ViewRefreshReport {
  view: string
  mode: 'incremental' | 'full' | 'unchanged'
  /**
   * How an incremental refresh computed the changed rows: `maintain`, aggregates updated from the
   * change rows; `recompute`, the query rerun for the changed scope values.
   */
  method?: 'maintain' | 'recompute'
  /** Method `maintain`: the groups the change rows touched, and how many of them were recomputed from the sources. */
  groups?: { changed: number; recomputed: number }
  /** Why a refresh went the way it did, in words (also in the commit's operationParameters). */
  reason: string
  version?: number
  rowsInserted: number
  rowsUpdated: number
  rowsDeleted: number
  /** Each source's version before (when recorded) and now. */
  sources: { table: string; from?: number; to: number }[]
  expectations: ExpectationCount[]
  durationMs: number
  /**
   * How the difference was found: `maintained`, from the old and new row of each changed group
   * (method maintain, view table with deletion vectors, no expectations); `compared`, the rows
   * computed compared with the view's rows (in scope).
   */
  difference?: 'maintained' | 'compared'
  /** Milliseconds per phase of the refresh (sources, feeds, choice, maintain or scope, prepare, difference rows, difference write, cleanup). */
  phases?: Record<string, number>
}

export interface RefreshOptions {
  /** Recompute the whole view (`lakehouse refresh --full`). */
  full?: boolean
  /**
   * The method of an incremental refresh of a grouped view, instead of the choice made per refresh
   * (maintain, unless rows were removed and the view has aggregates that could then need the sources).
   */
  method?: 'maintain' | 'recompute'
  /** Known keys of source tables (cdc flows' keys): preferred as scope columns. */
  keys?: Map<string, string[]>
}

const q = quoteIdentifier
let keysCounter = 0

export function viewAppId(view: string, part: string): string {
  return `lakehouse/view/${view}/${part}`
}

/** A 31-bit FNV-1a hash of the definition: recorded as a txn version, it tells a changed definition. */
export function definitionHash(view: MaterializedView): number {
  let hash = 0x811c9dc5
  const text = `${view.query.sql}\n${view.expectations.map((e) => `${e.name}:${e.condition.sql}:${e.onViolation}`).join('\n')}`
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash & 0x7fffffff
}

type Json = Record<string, unknown>

export async function refreshView(lake: LakeEngine, catalog: LakeCatalog, view: MaterializedView, options: RefreshOptions = {}): Promise<ViewRefreshReport> {
  const started = performance.now()
  const phases = new RefreshPhases()
  const db = await lake.duckdb()
  let node: Json
  try {
    node = await parseSelect(db, view.query.sql)
  } catch (error) {
    throw new DeltaError('INVALID_ARGUMENT', `materialized view ${view.name}: ${(error as Error).message}`, { table: view.name })
  }
  const tables = await sourceTables(lake, catalog, node)
  const shape = await viewShape(db, node, new Map([...tables].map(([name, t]) => [name, t.columns])), options.keys)
  const path = await catalog.confinedPathOf(view.name)
  const current = await snapshotOrNothing(lake, path)
  for (const [name, t] of tables) t.recorded = current?.txns.get(viewAppId(view.name, name))?.version
  const hash = definitionHash(view)
  const sameDefinition = current?.txns.get(viewAppId(view.name, 'definition'))?.version === hash
  phases.end('sources')
  const sources = [...tables].map(([table, t]) => ({ table, from: t.recorded, to: t.version }))
  const report = (mode: ViewRefreshReport['mode'], reason: string): ViewRefreshReport => ({
    view: view.name,
    mode,
    reason,
    rowsInserted: 0,
    rowsUpdated: 0,
    rowsDeleted: 0,
    sources,
    expectations: [],
    durationMs: 0,
  })
  if (current && sameDefinition && !options.full && [...tables.values()].every((t) => t.recorded === t.version)) {
    return { ...report('unchanged', 'no source has a new version'), durationMs: performance.now() - started }
  }

  let mode: 'incremental' | 'full' = 'full'
  let reason = !current
    ? 'first refresh'
    : options.full
      ? 'full refresh asked for'
      : !sameDefinition
        ? 'the definition changed'
        : !shape.incremental
          ? `not incremental: ${shape.reason}`
          : ''
  const scans: RegisteredScan[] = []
  let keysTable: string | undefined
  let nulls: boolean[] = []
  let method: ViewRefreshReport['method']
  let maintained: MaintainedRows | undefined
  try {
    if (!reason && shape.incremental && current) {
      const chosen = await incrementalScope(lake, catalog, { node, shape, view, current, tables, scans, method: options.method, phases })
      reason = chosen.reason
      if (chosen.mode === 'incremental') ({ mode, keysTable, nulls, method, maintained } = chosen)
    }
    // The difference straight from the maintained groups: nothing to check, nothing to copy.
    const given = maintained?.changes && !view.expectations.length && current && writesDeletionVectors(current.protocol, current.metadata)
    const pinned = given
      ? maintained!.changes!
      : maintained
        ? maintained.sql
        : await pinnedQuery(db, node, tables, mode === 'incremental' && shape.incremental && keysTable ? { shape, keysTable, nulls } : undefined)
    const prepared = await prepareQuery(lake, catalog, pinned)
    const changes = given ? prepared.sql : undefined
    try {
      const rowsSql = changes ? `SELECT ${current!.schema.fields.map((f) => q(f.name)).join(', ')} FROM (${changes}) c` : prepared.sql
      const checked = await applyExpectations(db, view, rowsSql)
      phases.end('prepare')
      try {
        const txns: Txn[] = [
          ...[...tables].map(([name, t]) => ({ appId: viewAppId(view.name, name), version: t.version })),
          { appId: viewAppId(view.name, 'definition'), version: hash },
        ]
        const operationParameters = {
          refresh: mode,
          ...(method ? { method } : {}),
          reason,
          sources: JSON.stringify(Object.fromEntries([...tables].map(([name, t]) => [name, t.version]))),
        }
        const key = shape.incremental ? shape.key : undefined
        const moved = !sameDefinition || [...tables.values()].some((t) => t.recorded !== t.version)
        const scope = mode === 'incremental' && keysTable && shape.incremental ? { columns: shape.scope.map((s) => s.output), keysTable } : undefined
        const result = await writeView(lake, path, current, checked.sql, { view, txns, moved, key, scope, operationParameters, phases, changes })
        if (result.replaced) reason = `${reason}; the columns changed, so the table was replaced`
        const groups = maintained ? { groups: { changed: maintained.groups, recomputed: maintained.recomputed } } : {}
        return {
          ...report(mode, reason),
          ...(method ? { method } : {}),
          ...groups,
          ...result.rows,
          ...(current && !result.replaced ? { difference: changes ? ('maintained' as const) : ('compared' as const) } : {}),
          expectations: checked.counts,
          durationMs: performance.now() - started,
          phases: phases.ms,
        }
      } finally {
        await checked.dispose()
      }
    } finally {
      await prepared.release()
    }
  } finally {
    if (maintained) await maintained.dispose()
    else if (keysTable) await db.run(`DROP TABLE IF EXISTS ${keysTable}`)
    for (const scan of scans) await dropScan(db, scan)
  }
}

/** The change feed of every source with new versions; or, when one cannot be read, why not. */
async function openFeeds(
  lake: LakeEngine,
  tables: Map<string, { path: string; version: number; recorded?: number }>,
  scans: RegisteredScan[],
): Promise<Map<string, RegisteredScan> | string> {
  const feeds = new Map<string, RegisteredScan>()
  for (const [name, t] of tables) {
    if (t.recorded === t.version) continue
    try {
      const feed = await lake.changes(t.path, { startVersion: t.recorded! + 1, endVersion: t.version })
      scans.push(feed)
      feeds.set(name, feed)
    } catch (error) {
      if (isDeltaError(error, 'VERSION_NOT_FOUND') || isDeltaError(error, 'MISSING_FILE') || isDeltaError(error, 'INVALID_ARGUMENT')) {
        return `the changes of ${name} (versions ${t.recorded! + 1}..${t.version}) cannot be read: ${(error as Error).message}`
      }
      throw error
    }
  }
  return feeds
}

/** How many rows the change feeds remove (deletes and update pre-images). */
async function removedRows(db: Awaited<ReturnType<LakeEngine['duckdb']>>, feeds: Map<string, RegisteredScan>): Promise<number> {
  let removed = 0
  for (const feed of feeds.values()) {
    const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${feed.sql} WHERE _change_type IN ('delete', 'update_preimage')`)
    removed += Number(n)
  }
  return removed
}

/** The scope values the sources' changes touch (before and after images, inserts and deletes), in a temp table with columns k0, k1, …. */
async function collectScopeValues(
  db: Awaited<ReturnType<LakeEngine['duckdb']>>,
  shape: Extract<ViewShape, { incremental: true }>,
  feeds: Map<string, RegisteredScan>,
): Promise<{ table: string; count: number; nulls: boolean[] }> {
  const selects: string[] = []
  for (const [name, feed] of feeds) {
    for (const r of shape.references.filter((ref) => `${ref.zone}.${ref.table}` === name)) {
      selects.push(`SELECT ${shape.scope.map((s, i) => `${q(s.sources.get(r.alias)!)} AS k${i}`).join(', ')} FROM ${feed.sql}`)
    }
  }
  const table = `__view_keys_${++keysCounter}`
  await db.run(`CREATE TEMP TABLE ${table} AS SELECT DISTINCT * FROM (${selects.join(' UNION ALL ')})`)
  const [counts] = await db.rows(`SELECT count(*) AS n, ${shape.scope.map((_, i) => `bool_or(k${i} IS NULL) AS n${i}`).join(', ')} FROM ${table}`)
  return { table, count: Number(counts.n), nulls: shape.scope.map((_, i) => counts[`n${i}`] === true) }
}

/**
 * The query with every lake table pinned at the version read (`zone."table@vN"`) and, for an
 * incremental refresh, each table reference filtered to the scope values: DuckDB's parse tree is
 * edited and turned back into SQL (json_deserialize_sql).
 */
async function pinnedQuery(
  db: Awaited<ReturnType<LakeEngine['duckdb']>>,
  node: Json,
  tables: Map<string, { version: number }>,
  incremental?: { shape: Extract<ViewShape, { incremental: true }>; keysTable: string; nulls: boolean[] },
): Promise<string> {
  const tree = structuredClone(node)
  walk(tree, (n) => {
    if (n.type !== 'BASE_TABLE' || !n.schema_name) return
    const name = `${String(n.schema_name)}.${String(n.table_name)}`
    if (!n.alias) n.alias = n.table_name
    n.table_name = `${String(n.table_name)}@v${tables.get(name)!.version}`
  })
  if (incremental) {
    const { shape, keysTable, nulls } = incremental
    // A plain IN is a semi join DuckDB pushes into each table's scan; nulls are tested only where the changes had one.
    const filters = shape.scope.flatMap((s, i) =>
      shape.references.map((r) => {
        const column = `${q(r.alias)}.${q(s.sources.get(r.alias)!)}`
        return nulls[i] ? `(${column} IN (SELECT k${i} FROM ${keysTable}) OR ${column} IS NULL)` : `${column} IN (SELECT k${i} FROM ${keysTable})`
      }),
    )
    const probe = await parseSelect(db, `SELECT 1 WHERE ${filters.join(' AND ')}`)
    const where = probe.where_clause as Json
    tree.where_clause = tree.where_clause
      ? { class: 'CONJUNCTION', type: 'CONJUNCTION_AND', alias: '', query_location: 0, children: [tree.where_clause, where] }
      : where
  }
  return treeSql(db, tree)
}

function walk(node: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit)
  else if (node && typeof node === 'object') {
    visit(node as Json)
    for (const value of Object.values(node)) walk(value, visit)
  }
}

type SourceTables = Map<string, { path: string; version: number; columns: string[]; recorded?: number }>

/** Every lake table the query names (subqueries and CTEs included), at its latest version. */
async function sourceTables(lake: LakeEngine, catalog: LakeCatalog, node: Json): Promise<SourceTables> {
  const tables: SourceTables = new Map()
  const baseTables: Json[] = []
  walk(node, (n) => {
    if (n.type === 'BASE_TABLE' && n.schema_name) baseTables.push(n)
  })
  for (const t of baseTables) {
    const name = `${String(t.schema_name)}.${String(t.table_name)}`
    if (tables.has(name)) continue
    const entry = await catalog.resolve(name)
    const snapshot = await lake.snapshot(entry.path)
    tables.set(name, { path: entry.path, version: snapshot.version, columns: snapshot.schema.fields.map((f) => f.name) })
  }
  return tables
}

interface IncrementalContext {
  node: Json
  shape: Extract<ViewShape, { incremental: true }>
  view: MaterializedView
  current: Snapshot
  tables: SourceTables
  /** Scans opened here (the sources' change feeds), dropped by the caller when the refresh ends. */
  scans: RegisteredScan[]
  method: RefreshOptions['method']
  phases: RefreshPhases
}

type IncrementalScope =
  | { mode: 'full'; reason: string }
  | { mode: 'incremental'; reason: string; keysTable: string; nulls: boolean[]; method: 'maintain' | 'recompute'; maintained?: MaintainedRows }

/**
 * How an incremental refresh scopes its work: the changed groups maintained from the change rows
 * (`maintain`), or the changed scope values whose rows are recomputed (`recompute`); or, when a
 * source's changes cannot be read, why the refresh is a full one.
 */
async function incrementalScope(lake: LakeEngine, catalog: LakeCatalog, context: IncrementalContext): Promise<IncrementalScope> {
  const { node, shape, view, current, tables, scans, phases } = context
  const db = await lake.duckdb()
  const missing = [...tables].find(([, t]) => t.recorded === undefined)
  const feeds = missing ? `${missing[0]} is a new source of the view` : await openFeeds(lake, tables, scans)
  phases.end('feeds')
  if (typeof feeds === 'string') return { mode: 'full', reason: feeds }
  const changed = [...feeds.keys()].map((name) => `${name} v${tables.get(name)!.recorded! + 1}..${tables.get(name)!.version}`).join(', ')
  const columns = current.schema.fields.map((f) => f.name)
  let plan = context.method === 'recompute' ? 'asked for' : aggregatePlan(node, shape, view, columns)
  if (typeof plan !== 'string' && plan.removalsNeedSources && !context.method) {
    // A group that needs the sources costs one read of them, as recomputing every changed group does.
    const removed = await removedRows(db, feeds)
    if (removed)
      plan = `${removed} source row(s) removed or updated, and the view has ${plan.removalsNeedSources}: recomputing the changed groups reads the sources once, as settling those groups would`
  }
  phases.end('choice')
  const maintained =
    typeof plan === 'string'
      ? plan
      : await maintainAggregates(lake, catalog, {
          node,
          plan,
          shape,
          tables,
          feeds,
          view: current,
          recompute: (keys, keyNulls) => pinnedQuery(db, node, tables, { shape, keysTable: keys, nulls: keyNulls }),
        })
  if (typeof maintained === 'string') {
    const collected = await collectScopeValues(db, shape, feeds)
    phases.end('scope')
    const reason = `${shape.description}: ${collected.count} value(s) changed in ${changed}${shape.key ? `; groups recomputed: ${maintained}` : ''}`
    return { mode: 'incremental', reason, keysTable: collected.table, nulls: collected.nulls, method: 'recompute' }
  }
  phases.end('maintain')
  try {
    const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${maintained.keysTable}`)
    const reason =
      `${shape.description}: ${Number(n)} value(s) changed in ${changed}; aggregates maintained from the change rows: ` +
      `${maintained.groups - maintained.recomputed} group(s) from their deltas, ${maintained.recomputed} recomputed` +
      (maintained.recomputed ? ' (a removed value could have been their min/max, or their count of rows or of values may have reached 0)' : '')
    return { mode: 'incremental', reason, keysTable: maintained.keysTable, nulls: maintained.nulls, method: 'maintain', maintained }
  } catch (error) {
    await maintained.dispose()
    throw error
  }
}
