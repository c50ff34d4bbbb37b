/** `lakehouse export-spark`: the pipeline as PySpark jobs that continue from the lake. */
import * as path from 'node:path'
import { writeSparkExport } from '../export'
import { parseCommand, UsageError, type Out } from './args'
import { pipelineFrom } from './ingest-command'

export async function exportSparkCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('export-spark', args, { pipeline: { type: 'string' }, out: { type: 'string' } }, [])
  const pipeline = pipelineFrom(values.pipeline)
  if (!values.out) throw new UsageError('--out DIR is required')
  const { written, export: result } = await writeSparkExport(pipeline, path.resolve(values.out))
  const lines = [`Wrote ${written.length} files to ${path.resolve(values.out)}:`, ...written.map((file) => `  ${path.basename(file)}`)]
  if (!result.lakeFound) lines.push(`The lake ${pipeline.lakeDir} does not exist yet: the jobs start from the pipeline file's startingOffsets.`)
  for (const source of pipeline.sources) {
    const offsets = result.state.sources.get(source.name)?.offsets ?? []
    if (offsets.length) lines.push(`  source ${source.name}: continues at ${offsets.map((o) => `${o.topic}[${o.partition}]@${o.next}`).join(', ')}`)
  }
  for (const flow of pipeline.flows ?? []) {
    const version = result.state.flows.get(flow.name)?.startingVersion
    if (version !== undefined) lines.push(`  flow ${flow.name}: continues at ${flow.from} version ${version}`)
  }
  out(`${lines.join('\n')}\n`)
  return 0
}
