/**
 * The source and flow whose writes the topic panel previews: in the pipeline file, the source of
 * the topic and the flow that reads its raw table. Read from the file's current text (possibly
 * unsaved, possibly broken JSON while the user types), so nothing here throws: what keeps the jobs
 * from running this flow is said as a problem instead.
 */
import { checkPipeline, type FlowSpec, type PipelineSpec, type SourceSpec } from '../../pipeline/pipeline-file'
import type { TopicFlow } from './topic-handler'

interface SourceLike {
  name?: string
  table?: string
  topic?: string
  file?: string
}

export function flowForSource(pipelineText: string, source: SourceLike): TopicFlow | undefined {
  let document: unknown
  try {
    document = JSON.parse(pipelineText)
  } catch (error) {
    return { problem: `the pipeline file is not valid JSON (${(error as Error).message}): the preview waits for it` }
  }
  if (!isObject(document)) return undefined
  const sources = Array.isArray(document.sources) ? document.sources : []
  const sourceIndex = sources.findIndex(
    (s) =>
      isObject(s) &&
      (source.name !== undefined
        ? s.name === source.name
        : source.table !== undefined
          ? s.table === source.table
          : s.topic === source.topic && s.file === source.file),
  )
  if (sourceIndex < 0) return undefined
  const spec = sources[sourceIndex] as SourceSpec
  const flows = Array.isArray(document.flows) ? document.flows : []
  const flowIndex = flows.findIndex((f) => isObject(f) && f.from === spec.table)
  if (flowIndex < 0) return undefined
  // The jobs refuse a file with problems; those of this source and flow are what the user must fix first.
  const own = checkPipeline(document).filter((p) =>
    [`$.sources[${sourceIndex}]`, `$.flows[${flowIndex}]`].some((at) => p.path === at || p.path.startsWith(`${at}.`) || p.path.startsWith(`${at}[`)),
  )
  if (own.length) return { problem: `the pipeline file has problems the jobs would stop at: ${own.map((p) => `${p.path}: ${p.message}`).join('; ')}` }
  return { source: spec, flow: (flows as PipelineSpec['flows'] & object)[flowIndex] as FlowSpec }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
