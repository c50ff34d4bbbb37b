/**
 * `lakehouse run` / `refine` / `refresh` with a pipeline's SQL definitions: the JSON flows and the
 * flows the definitions map onto run together (runPipeline), their `sql` steps able to read other
 * lake tables, and the materialized views are refreshed after them, in dependency order (a view
 * after every view it reads). Until caught up: once, after the flows. Otherwise: after the flows
 * started, and again each time a table a view reads gets a commit.
 */
import type { LakeEngine } from '../../engine'
import type { Pipeline } from '../../pipeline'
import { runPipeline, waitForCommit, type PipelineEvent, type RunOptions, type RunReport } from '../../pipeline'
import type { LakeCatalog } from '../../engine'
import { lakeTableReader } from '../lake-reads'
import type { MaterializedView } from './ast'
import { loadDefinitions, type LoadedDefinitions } from './load-definitions'
import { refreshView, type ViewRefreshReport } from './refresh-view'

/** The pipeline's definitions, checked against the tables the lake has. */
export async function pipelineDefinitions(catalog: LakeCatalog, pipeline: Pipeline): Promise<LoadedDefinitions> {
  const existing = (await catalog.tables()).map((t) => t.name)
  return loadDefinitions(pipeline, { existingTables: existing })
}

/** The pipeline with the definitions' flows added to its JSON flows. */
export function withDefinitionFlows(pipeline: Pipeline, loaded: LoadedDefinitions): Pipeline {
  return { ...pipeline, flows: [...(pipeline.flows ?? []), ...loaded.flows] }
}

export interface ViewRunOptions {
  /** Only these views (by name); all when empty. */
  views?: string[]
  full?: boolean
  onEvent?: (event: PipelineEvent) => void
}

/** Refreshes the views in order; one failing does not stop the others (a view reading it sees its last state). */
export async function refreshViews(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  loaded: LoadedDefinitions,
  options: ViewRunOptions = {},
): Promise<{ reports: ViewRefreshReport[]; failed: RunReport['failed'] }> {
  const emit = (event: PipelineEvent) => options.onEvent?.(event)
  const byName = new Map(loaded.views.map((v) => [v.name, v]))
  const keys = new Map(
    (pipeline.flows ?? [])
      .concat(loaded.flows)
      .filter((f) => f.key)
      .map((f) => [f.to, f.key!]),
  )
  const reports: ViewRefreshReport[] = []
  const failed: RunReport['failed'] = []
  for (const name of loaded.refreshOrder) {
    if (options.views?.length && !options.views.includes(name)) continue
    const view = byName.get(name)!
    const job = `view:${name}`
    emit({ type: 'job', job, state: 'running', at: Date.now() })
    try {
      const report = await refreshView(lake, catalog, view, { full: options.full, keys })
      reports.push(report)
      emit({
        type: 'refresh',
        job,
        table: name,
        mode: report.mode,
        ...(report.method ? { method: report.method } : {}),
        reason: report.reason,
        version: report.version,
        rowsInserted: report.rowsInserted,
        rowsUpdated: report.rowsUpdated,
        rowsDeleted: report.rowsDeleted,
        expectations: report.expectations,
        durationMs: report.durationMs,
        at: Date.now(),
      })
      emit({ type: 'job', job, state: 'idle', at: Date.now() })
    } catch (error) {
      const message = `${(error as Error).message} (${view.file})`
      failed.push({ job, error: message })
      emit({ type: 'job', job, state: 'failed', error: message, at: Date.now() })
    }
  }
  return { reports, failed }
}

export interface DefinitionsRunOptions extends RunOptions {
  /** Run the sources and flows (false: views only, as `lakehouse refresh`). */
  flowsToo?: boolean
  views?: string[]
  fullViews?: boolean
}

export async function runWithDefinitions(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  options: DefinitionsRunOptions = {},
): Promise<RunReport & { views: ViewRefreshReport[] }> {
  const loaded = await pipelineDefinitions(catalog, pipeline)
  const combined = withDefinitionFlows(pipeline, loaded)
  const viewOptions = { views: options.views, full: options.fullViews, onEvent: options.onEvent }
  const pipelineRun = () => runPipeline(lake, catalog, combined, { ...options, lakeTables: lakeTableReader(lake, catalog) })
  if (options.untilCaughtUp || options.flowsToo === false) {
    const flowsReport = options.flowsToo === false ? { failed: [] } : await pipelineRun()
    const views = await refreshViews(lake, catalog, combined, loaded, viewOptions)
    return { failed: [...flowsReport.failed, ...views.failed], views: views.reports }
  }
  const all: ViewRefreshReport[] = []
  const failed: RunReport['failed'] = []
  const followViews = async () => {
    while (!options.signal?.aborted) {
      // Versions first, then the refresh: a commit landing during it wakes the next round.
      const watched = await sourceVersions(lake, catalog, loaded.views)
      const round = await refreshViews(lake, catalog, combined, loaded, viewOptions)
      all.push(...round.reports)
      failed.push(...round.failed.filter((f) => !failed.some((g) => g.job === f.job && g.error === f.error)))
      await anyCommit(lake, watched, options.signal)
    }
  }
  const [flowsReport] = await Promise.all([pipelineRun(), loaded.views.length ? followViews() : Promise.resolve()])
  return { failed: [...flowsReport.failed, ...failed], views: all }
}

async function sourceVersions(lake: LakeEngine, catalog: LakeCatalog, views: MaterializedView[]): Promise<{ path: string; version: number }[]> {
  const tables = new Set(views.flatMap((v) => v.reads.map((r) => r.table)))
  const found: { path: string; version: number }[] = []
  for (const table of tables) {
    const path = catalog.pathOf(table)
    const version = await lake.snapshot(path).then(
      (s) => s.version,
      () => -1,
    )
    found.push({ path, version })
  }
  return found
}

/** Resolves when any of the tables gets a commit after the version seen, or the signal aborts. */
async function anyCommit(lake: LakeEngine, tables: { path: string; version: number }[], signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return
  const stop = new AbortController()
  const onAbort = () => stop.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await Promise.race(tables.map((t) => waitForCommit(lake.io.storage, t.path, t.version, stop.signal)))
  } finally {
    stop.abort()
    signal?.removeEventListener('abort', onAbort)
  }
}
