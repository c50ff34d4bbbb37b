/**
 * The flow whose transforms the topic panel previews: in the pipeline file, the flow that reads
 * the source's raw table. Read from the file's current text (possibly unsaved, possibly broken
 * JSON while the user types), so nothing here throws.
 */
import type { Transform } from '../../transform'
import type { TopicFlow } from './topic-handler'

interface SourceLike {
  name?: string
  table?: string
}

export function flowForSource(pipelineText: string, source: SourceLike): TopicFlow | undefined {
  let document: unknown
  try {
    document = JSON.parse(pipelineText)
  } catch {
    return undefined
  }
  if (!isObject(document)) return undefined
  const sources = Array.isArray(document.sources) ? document.sources.filter(isObject) : []
  const table = source.table ?? sources.find((s) => s.name === source.name)?.table
  if (typeof table !== 'string') return undefined
  const flows = Array.isArray(document.flows) ? document.flows.filter(isObject) : []
  const flow = flows.find((f) => f.from === table)
  if (!flow) return undefined
  const transforms = Array.isArray(flow.transforms) ? (flow.transforms.filter(isObject) as unknown as Transform[]) : []
  const key = Array.isArray(flow.key) && flow.key.every((k) => typeof k === 'string') ? (flow.key as string[]) : undefined
  return { transforms, ...(key ? { key } : {}) }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
