/**
 * `lakehouse refine` (a pipeline's flows, from the raw tables' change feeds) and `lakehouse run`
 * (its sources and flows together, until Ctrl-C).
 */
import { LakeEngine } from '../engine'
import { refineFlow, type FlowSpec, type RefineBatchReport, type PipelineEvent } from '../pipeline'
import { LakeCatalog, lakeTableReader, pipelineDefinitions, refreshViews, runWithDefinitions, withDefinitionFlows } from '../query'
import type { ViewRefreshReport } from '../query'
import { CommandError, parseCommand, UsageError, type Out } from './args'
import { pipelineFrom } from './ingest-command'

/** SIGINT/SIGTERM abort the signal: jobs finish their batch and stop. */
async function untilSignal<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await body(stop.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

const describeBatch = (b: RefineBatchReport) =>
  `${b.flow}: ${b.fromSnapshot ? `snapshot of version ${b.toVersion}` : `versions ${b.fromVersion}..${b.toVersion}`}, ${b.changes} changes → ` +
  b.writes
    .filter((w) => w.version !== undefined)
    .map((w) => `version ${w.version}`)
    .join(', ') +
  (b.patchesWithoutDocument ? ` (${b.patchesWithoutDocument} updates of documents never seen whole were skipped)` : '') +
  ` (${b.durationMs.toFixed(0)} ms)`

export async function refineCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'refine',
    args,
    {
      pipeline: { type: 'string' },
      flow: { type: 'string' },
      'until-caught-up': { type: 'boolean', default: false },
      'full-refresh': { type: 'boolean', default: false },
    },
    [],
  )
  const declared = pipelineFrom(values.pipeline)
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(declared.lakeDir, lake.io.storage)
  const definitions = await pipelineDefinitions(catalog, declared).catch(async (error: unknown) => {
    await lake.close()
    throw error
  })
  const pipeline = withDefinitionFlows(declared, definitions)
  const all = pipeline.flows ?? []
  if (all.length === 0 && definitions.views.length === 0) {
    await lake.close()
    throw new UsageError(`${pipeline.file} has no flows`)
  }
  let flows: FlowSpec[] = all
  if (values.flow) {
    const flow = all.find((f) => f.name === values.flow)
    if (!flow) {
      await lake.close()
      throw new UsageError(`no flow '${values.flow}' in ${pipeline.file} (flows: ${all.map((f) => f.name).join(', ')})`)
    }
    flows = [flow]
  }
  if (values['full-refresh'] && !values.flow) {
    await lake.close()
    throw new UsageError('--full-refresh rebuilds one flow: name it with --flow')
  }
  try {
    return await untilSignal(async (signal) => {
      const reports = await Promise.all(
        flows.map((flow) =>
          refineFlow(lake, catalog, flow, {
            untilCaughtUp: values['until-caught-up'],
            fullRefresh: values['full-refresh'],
            signal,
            lakeTables: lakeTableReader(lake, catalog),
            onBatch: (batch) => process.stderr.write(`${describeBatch(batch)}\n`),
          }).catch((error: unknown) => {
            throw new CommandError((error as Error).message)
          }),
        ),
      )
      for (const r of reports)
        out(
          `${r.flow}: ${r.batches} batches, ${r.changes} changes${r.sourceVersion === undefined ? ' (nothing new)' : `, up to ${flows.find((f) => f.name === r.flow)!.from} version ${r.sourceVersion}`}\n`,
        )
      // The materialized views after the flows (all of them when every flow ran).
      if (!values.flow) {
        const views = await refreshViews(lake, catalog, pipeline, definitions)
        for (const r of views.reports) out(`${describeRefresh(r)}\n`)
        if (views.failed.length) throw new CommandError(views.failed.map((f) => `${f.job}: ${f.error}`).join('\n'))
      }
      return 0
    })
  } finally {
    await lake.close()
  }
}

export async function runCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'run',
    args,
    {
      pipeline: { type: 'string' },
      source: { type: 'string', multiple: true },
      flow: { type: 'string', multiple: true },
      'until-caught-up': { type: 'boolean', default: false },
      events: { type: 'boolean', default: false },
    },
    [],
  )
  const pipeline = pipelineFrom(values.pipeline)
  for (const name of values.source ?? []) if (!pipeline.sources.some((s) => s.name === name)) throw new UsageError(`no source '${name}' in ${pipeline.file}`)
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  try {
    const definitionFlows = (await pipelineDefinitions(catalog, pipeline)).flows
    for (const name of values.flow ?? []) {
      if (![...(pipeline.flows ?? []), ...definitionFlows].some((f) => f.name === name)) throw new UsageError(`no flow '${name}' in ${pipeline.file}`)
    }
  } catch (error) {
    await lake.close()
    throw error
  }
  // --events: one JSON object per line on stdout, for programs (the VS Code extension); else a log on stderr.
  const onEvent = values.events
    ? (event: PipelineEvent) => out(`${JSON.stringify(event)}\n`)
    : (event: PipelineEvent) => process.stderr.write(`${event.job}: ${describeEvent(event)}\n`)
  try {
    const report = await untilSignal((signal) =>
      runWithDefinitions(lake, catalog, pipeline, {
        sources: values.source,
        flows: values.flow,
        untilCaughtUp: values['until-caught-up'],
        signal,
        onEvent,
      }),
    )
    if (report.failed.length) throw new CommandError(report.failed.map((f) => `${f.job}: ${f.error}`).join('\n'))
    return 0
  } finally {
    await lake.close()
  }
}

/** One line of `lakehouse run`'s log on stderr. */
function describeEvent(event: PipelineEvent): string {
  switch (event.type) {
    case 'job':
      return `${event.state}${event.error ? ` — ${event.error}` : ''}`
    case 'batch':
      return `${event.rows} rows → ${event.table}${event.version === undefined ? '' : ` version ${event.version}`}`
    case 'warning':
      return `warning: ${event.message}`
    case 'refresh':
      return `${event.mode} refresh (${event.reason})${event.version === undefined ? '' : ` → version ${event.version}`}: +${event.rowsInserted} ~${event.rowsUpdated} -${event.rowsDeleted} rows${describeExpectations(event.expectations)}`
  }
}

function describeExpectations(counts: { name: string; passed: number; failed: number; onViolation: string }[]): string {
  return counts.length
    ? `; expectations: ${counts.map((c) => `${c.name} ${c.passed} passed, ${c.failed} ${c.onViolation === 'drop' ? 'dropped' : 'failed'}`).join(', ')}`
    : ''
}

/** One line per view refresh, as `lakehouse refresh` and `refine` print them. */
export function describeRefresh(r: ViewRefreshReport): string {
  const what =
    r.mode === 'unchanged'
      ? 'up to date'
      : `${r.mode} refresh${r.version === undefined ? ', nothing changed' : ` → version ${r.version}`}: +${r.rowsInserted} ~${r.rowsUpdated} -${r.rowsDeleted} rows`
  return `${r.view}: ${what} (${r.reason}; ${r.durationMs.toFixed(0)} ms)${describeExpectations(r.expectations)}`
}
