/**
 * Materialized view benchmark: a view joining 1M orders with 100k customers, aggregated per
 * customer (count, sum, max), refreshed after 1% of the orders changed (70% updates of amounts,
 * 20% new orders, 10% deletes, spread over all customers), on a fresh copy of the lake per
 * repetition (cp -r; median of the repetitions):
 *   - incremental: refreshView as it chooses (here: orders were deleted and updated and the view
 *     has a max, so method recompute: every customer the change feed touched recomputed);
 *   - maintain: refreshView with method maintain (count/sum/max from the change rows; the groups
 *     whose max was removed with nothing as large added, recomputed);
 *   - full: refreshView --full (the whole view recomputed, the difference written);
 *   - ceiling: the same DuckDB statements a hand-written full recompute would run: the query over
 *     read_parquet of the two tables' current data files, COPY to one Parquet file.
 * Ratios: incremental ms / full ms (the issue's aim: ≤ 0.1), and each / ceiling ms (> 1 is slower).
 * incrementalPhases / maintainPhases: the median ms of each phase of those refreshes (the refresh
 * report's phases: sources, feeds, choice, scope or maintain, prepare, difference rows, difference
 * write; rest = the time outside them).
 * The same for a view with count and sum only (`sumsOnly`): nothing there needs a recompute.
 */
import { execFile } from 'node:child_process'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { appendQuery } from '../src/table/delta-writer'
import type { LakeEngine } from '../src/engine/lake-engine'
import { LakeCatalog, parseDefinitions, refreshView, runScript, type MaterializedView } from '../src/query'
import { log, median, round, tempDir, timed } from './util'

export interface ViewBenchOptions {
  orders: number
  customers: number
  repetitions: number
  /** uniform: the changed orders are spread over all customers (~10% of the view's rows change); clustered: they are the orders of 1% of the customers. */
  spread: 'uniform' | 'clustered'
}

const VIEW = `CREATE MATERIALIZED VIEW business.revenue AS
SELECT c.id, c.name, count(*) AS orders, sum(o.amount) AS revenue, max(o.amount) AS largest
FROM refined.customers c JOIN refined.orders o ON o.cid = c.id
GROUP BY c.id, c.name`

const SUMS_VIEW = `CREATE MATERIALIZED VIEW business.totals AS
SELECT c.id, c.name, count(*) AS orders, sum(o.amount) AS revenue
FROM refined.customers c JOIN refined.orders o ON o.cid = c.id
GROUP BY c.id, c.name`

const run = promisify(execFile)

export async function runViewBench(lake: LakeEngine, options: ViewBenchOptions) {
  const base = await tempDir('view')
  const catalog = new LakeCatalog(base, lake.io.storage)
  // Copy-on-write sources (no deletion vectors), so the ceiling can read their data files as they are.
  const properties = { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': 'false' }
  await appendQuery(lake, catalog.pathOf('refined.customers'), `SELECT i::BIGINT AS id, 'customer ' || i AS name FROM range(${options.customers}) t(i)`, {
    create: { properties },
  })
  await appendQuery(
    lake,
    catalog.pathOf('refined.orders'),
    `SELECT i::BIGINT AS oid, (hash(i) % ${options.customers})::BIGINT AS cid, ((hash(i * 7) % 100000) / 100.0)::DECIMAL(12,2) AS amount FROM range(${options.orders}) t(i)`,
    { create: { properties } },
  )
  const [view] = parseDefinitions('/bench/views.sql', VIEW) as MaterializedView[]
  const [sumsView] = parseDefinitions('/bench/sums.sql', SUMS_VIEW) as MaterializedView[]
  const initial = await timed(() => refreshView(lake, catalog, view))
  await refreshView(lake, catalog, sumsView)
  log(`view: first refresh of ${options.orders} orders in ${initial.ms.toFixed(0)} ms`)
  const changes = Math.round(options.orders / 100)
  const every = Math.round(options.orders / (changes * 0.7))
  const few = Math.round(options.customers / 100)
  await runScript(
    lake,
    catalog,
    options.spread === 'uniform'
      ? `
    UPDATE refined.orders SET amount = amount + 1 WHERE oid % ${every} = 3;
    INSERT INTO refined.orders SELECT ${options.orders} + i, (hash(i + 99) % ${options.customers})::BIGINT, 5.00 FROM range(${Math.round(changes * 0.2)}) t(i);
    DELETE FROM refined.orders WHERE oid % ${Math.round(options.orders / (changes * 0.1))} = 5`
      : `
    UPDATE refined.orders SET amount = amount + 1 WHERE cid < ${few} AND oid % 10 < 7;
    INSERT INTO refined.orders SELECT ${options.orders} + i, (i % ${few})::BIGINT, 5.00 FROM range(${Math.round(changes * 0.2)}) t(i);
    DELETE FROM refined.orders WHERE cid < ${few} AND oid % 10 = 9`,
  )

  const copy = async () => {
    const dir = await tempDir('view-copy')
    await run('cp', ['-r', `${base}/.`, dir])
    return new LakeCatalog(dir, lake.io.storage)
  }
  const incremental: number[] = []
  const maintain: number[] = []
  const full: number[] = []
  const ceiling: number[] = []
  const sums = { incremental: [] as number[], maintain: [] as number[], full: [] as number[], recomputedGroups: 0, method: '' }
  const phases = { incremental: [] as Record<string, number>[], maintain: [] as Record<string, number>[] }
  let touched = 0
  let method = ''
  let groups: { changed: number; recomputed: number } | undefined
  /** An incremental refresh on a fresh copy: the method chosen per refresh, or the one given. */
  const incrementally = async (target: MaterializedView, forced?: 'maintain') => {
    const a = await copy()
    const refreshed = await timed(() => refreshView(lake, a, target, { method: forced }))
    if (refreshed.value.mode !== 'incremental' || (forced && refreshed.value.method !== forced)) {
      throw new Error(`the bench view refreshed ${refreshed.value.mode} (${refreshed.value.method}): ${refreshed.value.reason}`)
    }
    return refreshed
  }
  for (let r = 0; r < options.repetitions; r++) {
    const inc = await incrementally(view)
    touched = inc.value.rowsUpdated + inc.value.rowsInserted + inc.value.rowsDeleted
    method = inc.value.method ?? ''
    incremental.push(inc.ms)
    phases.incremental.push(withRest(inc.value.phases, inc.ms))
    const kept = await incrementally(view, 'maintain')
    groups = kept.value.groups
    maintain.push(kept.ms)
    phases.maintain.push(withRest(kept.value.phases, kept.ms))
    const b = await copy()
    full.push((await timed(() => refreshView(lake, b, view, { full: true }))).ms)
    ceiling.push(await ceilingMs(lake, b))
    const sumsInc = await incrementally(sumsView)
    sums.method = sumsInc.value.method ?? ''
    sums.incremental.push(sumsInc.ms)
    const sumsKept = await incrementally(sumsView, 'maintain')
    sums.recomputedGroups = sumsKept.value.groups?.recomputed ?? 0
    sums.maintain.push(sumsKept.ms)
    const c = await copy()
    sums.full.push((await timed(() => refreshView(lake, c, sumsView, { full: true }))).ms)
  }
  const result = {
    spread: options.spread,
    orders: options.orders,
    customers: options.customers,
    changedOrders: changes,
    viewRowsChanged: touched,
    incrementalMethod: method,
    maintainGroupsChanged: groups?.changed,
    maintainGroupsRecomputed: groups?.recomputed,
    firstRefreshMs: round(initial.ms, 0),
    incrementalMs: round(median(incremental), 0),
    fullMs: round(median(full), 0),
    ceilingMs: round(median(ceiling), 0),
    maintainMs: round(median(maintain), 0),
    incrementalToFull: round(median(incremental) / median(full), 3),
    maintainToFull: round(median(maintain) / median(full), 3),
    /** Median ms per phase of the refreshes (`rest`: the time outside the phases, e.g. dropping temp tables). */
    incrementalPhases: medianPhases(phases.incremental),
    maintainPhases: medianPhases(phases.maintain),
    incrementalToCeiling: round(median(incremental) / median(ceiling), 3),
    fullToCeiling: round(median(full) / median(ceiling), 3),
    sumsOnly: {
      incrementalMethod: sums.method,
      incrementalMs: round(median(sums.incremental), 0),
      maintainMs: round(median(sums.maintain), 0),
      fullMs: round(median(sums.full), 0),
      maintainGroupsRecomputed: sums.recomputedGroups,
      incrementalToFull: round(median(sums.incremental) / median(sums.full), 3),
      maintainToFull: round(median(sums.maintain) / median(sums.full), 3),
    },
  }
  log('view:', JSON.stringify(result))
  return result
}

/** A refresh's phases, with `rest`: the time the refresh took outside them. */
function withRest(phases: Record<string, number> | undefined, ms: number): Record<string, number> {
  const known = Object.values(phases ?? {}).reduce((a, b) => a + b, 0)
  return { ...phases, rest: ms - known }
}

function medianPhases(runs: Record<string, number>[]): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))]
  return Object.fromEntries(names.map((name) => [name, round(median(runs.map((r) => r[name] ?? 0)), 1)]))
}

/** The full recompute as DuckDB statements over the tables' current data files, written to one Parquet file. */
async function ceilingMs(lake: LakeEngine, catalog: LakeCatalog): Promise<number> {
  const files = async (table: string) => {
    const snapshot = await lake.snapshot(catalog.pathOf(table))
    return `[${snapshot.files.map((f) => `'${path.isAbsolute(f.path) ? f.path : path.join(snapshot.table, f.path)}'`).join(', ')}]`
  }
  const [customers, orders] = [await files('refined.customers'), await files('refined.orders')]
  const db = await lake.duckdb()
  const out = path.join(await tempDir('view-ceiling'), 'view.parquet')
  const { ms } = await timed(() =>
    db.run(`COPY (SELECT c.id, c.name, count(*) AS orders, sum(o.amount) AS revenue, max(o.amount) AS largest
    FROM read_parquet(${customers}) c JOIN read_parquet(${orders}) o ON o.cid = c.id GROUP BY c.id, c.name) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`),
  )
  return ms
}
