/** `lakehouse graph`: the pipeline's sources, tables, flows and views with their state, as text, dot or JSON. */
import { LakeEngine } from '../engine'
import { graphDot, graphText, LakeCatalog, pipelineDefinitions, pipelineGraph, withTableStates } from '../query'
import { parseCommand, UsageError, type Out } from './args'
import { pipelineFrom } from './ingest-command'

export async function graphCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('graph', args, { pipeline: { type: 'string' }, format: { type: 'string', default: 'text' } }, [])
  if (!['text', 'dot', 'json'].includes(values.format!)) throw new UsageError(`--format is text, dot or json, not '${values.format}'`)
  const pipeline = pipelineFrom(values.pipeline)
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  try {
    const graph = await withTableStates(lake, catalog, pipelineGraph(pipeline, await pipelineDefinitions(catalog, pipeline)))
    out(values.format === 'json' ? `${JSON.stringify(graph, null, 2)}\n` : values.format === 'dot' ? graphDot(graph) : graphText(graph))
    return 0
  } finally {
    await lake.close()
  }
}
