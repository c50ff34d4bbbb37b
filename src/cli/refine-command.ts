/**
 * `lakehouse refine` (a pipeline's flows, from the raw tables' change feeds) and `lakehouse run`
 * (its sources and flows together, until Ctrl-C).
 */
import { LakeEngine } from '../engine'
import type { FlowSpec } from '../pipeline/pipeline-file'
import { refineFlow, type RefineBatchReport } from '../pipeline/refine'
import { runPipeline, type PipelineEvent } from '../pipeline/run-pipeline'
import { LakeCatalog } from '../query'
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
  b.writes.filter((w) => w.version !== undefined).map((w) => `version ${w.version}`).join(', ') +
  (b.patchesWithoutDocument ? ` (${b.patchesWithoutDocument} updates of documents never seen whole were skipped)` : '') + ` (${b.durationMs.toFixed(0)} ms)`

export async function refineCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('refine', args, {
    pipeline: { type: 'string' }, flow: { type: 'string' }, 'until-caught-up': { type: 'boolean', default: false }, 'full-refresh': { type: 'boolean', default: false },
  }, [])
  const pipeline = pipelineFrom(values.pipeline)
  const all = pipeline.flows ?? []
  if (all.length === 0) throw new UsageError(`${pipeline.file} has no flows`)
  let flows: FlowSpec[] = all
  if (values.flow) {
    const flow = all.find((f) => f.name === values.flow)
    if (!flow) throw new UsageError(`no flow '${values.flow}' in ${pipeline.file} (flows: ${all.map((f) => f.name).join(', ')})`)
    flows = [flow]
  }
  if (values['full-refresh'] && !values.flow) throw new UsageError('--full-refresh rebuilds one flow: name it with --flow')
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  try {
    return await untilSignal(async (signal) => {
      const reports = await Promise.all(flows.map((flow) => refineFlow(lake, catalog, flow, {
        untilCaughtUp: values['until-caught-up'], fullRefresh: values['full-refresh'], signal,
        onBatch: (batch) => process.stderr.write(`${describeBatch(batch)}\n`),
      }).catch((error: unknown) => {
        throw new CommandError((error as Error).message)
      })))
      for (const r of reports) out(`${r.flow}: ${r.batches} batches, ${r.changes} changes${r.sourceVersion === undefined ? ' (nothing new)' : `, up to ${flows.find((f) => f.name === r.flow)!.from} version ${r.sourceVersion}`}\n`)
      return 0
    })
  } finally {
    await lake.close()
  }
}

export async function runCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('run', args, {
    pipeline: { type: 'string' }, source: { type: 'string', multiple: true }, flow: { type: 'string', multiple: true },
    'until-caught-up': { type: 'boolean', default: false }, events: { type: 'boolean', default: false },
  }, [])
  const pipeline = pipelineFrom(values.pipeline)
  for (const name of values.source ?? []) if (!pipeline.sources.some((s) => s.name === name)) throw new UsageError(`no source '${name}' in ${pipeline.file}`)
  for (const name of values.flow ?? []) if (!(pipeline.flows ?? []).some((f) => f.name === name)) throw new UsageError(`no flow '${name}' in ${pipeline.file}`)
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  // --events: one JSON object per line on stdout, for programs (the VS Code extension); else a log on stderr.
  const onEvent = values.events
    ? (event: PipelineEvent) => out(`${JSON.stringify(event)}\n`)
    : (event: PipelineEvent) => process.stderr.write(`${event.job}: ${describeEvent(event)}\n`)
  try {
    const report = await untilSignal((signal) => runPipeline(lake, catalog, pipeline, {
      sources: values.source, flows: values.flow, untilCaughtUp: values['until-caught-up'], signal, onEvent,
    }))
    if (report.failed.length) throw new CommandError(report.failed.map((f) => `${f.job}: ${f.error}`).join('\n'))
    return 0
  } finally {
    await lake.close()
  }
}

/** One line of `lakehouse run`'s log on stderr. */
function describeEvent(event: PipelineEvent): string {
  switch (event.type) {
    case 'job': return `${event.state}${event.error ? ` — ${event.error}` : ''}`
    case 'batch': return `${event.rows} rows → ${event.table}${event.version === undefined ? '' : ` version ${event.version}`}`
    case 'warning': return `warning: ${event.message}`
  }
}
