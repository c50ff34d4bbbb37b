/**
 * `lakehouse refresh`: the pipeline's materialized views, in dependency order, incrementally
 * where their query allows it (--full: recomputed whole); each writes only the rows that changed.
 */
import { LakeEngine } from '../engine'
import { LakeCatalog, pipelineDefinitions, refreshViews, withDefinitionFlows } from '../query'
import { CommandError, parseCommand, UsageError, type Out } from './args'
import { pipelineFrom } from './ingest-command'
import { describeRefresh } from './refine-command'

export async function refreshCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'refresh',
    args,
    { pipeline: { type: 'string' }, view: { type: 'string', multiple: true }, full: { type: 'boolean', default: false } },
    [],
  )
  const pipeline = pipelineFrom(values.pipeline)
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  try {
    const definitions = await pipelineDefinitions(catalog, pipeline)
    if (definitions.views.length === 0)
      throw new UsageError(`${pipeline.file} defines no materialized view (its "definitions": ${JSON.stringify(pipeline.definitions ?? [])})`)
    for (const name of values.view ?? []) {
      if (!definitions.views.some((v) => v.name === name))
        throw new UsageError(`no materialized view '${name}' in the definitions (views: ${definitions.views.map((v) => v.name).join(', ')})`)
    }
    const result = await refreshViews(lake, catalog, withDefinitionFlows(pipeline, definitions), definitions, { views: values.view, full: values.full })
    for (const report of result.reports) out(`${describeRefresh(report)}\n`)
    if (result.failed.length) throw new CommandError(result.failed.map((f) => `${f.job}: ${f.error}`).join('\n'))
    return 0
  } finally {
    await lake.close()
  }
}
