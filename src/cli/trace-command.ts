/**
 * `lakehouse trace --message TOPIC/PARTITION/OFFSET`: what a Kafka message became in the lake (a
 * raw row and the version that wrote it, or a dead letter and what became of it), for each source
 * of the pipeline that reads its topic.
 */
import { traceMessage, type MessageFate } from '../pipeline'
import { LakeEngine } from '../engine'
import { LakeCatalog } from '../query'
import { parseCommand, UsageError, type Out } from './args'
import { pipelineFrom } from './ingest-command'

export function parseMessage(text: string | undefined): { topic: string; partition: number; offset: string } {
  const match = text === undefined ? null : /^([^/]+)\/(\d+)\/(\d+)$/.exec(text)
  if (!match) throw new UsageError(`trace: --message TOPIC/PARTITION/OFFSET is required (e.g. orders/0/17)${text === undefined ? '' : `, not '${text}'`}`)
  return { topic: match[1], partition: Number(match[2]), offset: match[3] }
}

function describe(fate: MessageFate): string {
  if (fate.kind === 'row') {
    return `${fate.source}: a ${fate.tombstone ? 'tombstone row' : 'row'} of ${fate.table}, written by version ${fate.rawVersion ?? '(unknown: its change data is gone)'}; key ${fate.key ?? 'null'}, time ${fate.timestamp ?? '-'}`
  }
  if (fate.kind === 'dead-letter') {
    const l = fate.letter
    const state = l.state === 'replayed' ? `replayed${l.rawVersion !== null ? ` (raw version ${l.rawVersion})` : ''}` : l.state === 'discarded' ? `discarded: ${l.note ?? ''}` : 'open'
    return `${fate.source}: a dead letter (${l.reason}${l.detail ? `: ${l.detail}` : ''}), ${state}`
  }
  return `${fate.source}: ${fate.detail}`
}

export async function traceCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('trace', args, { pipeline: { type: 'string' }, message: { type: 'string' }, json: { type: 'boolean', default: false } }, [])
  const pipeline = pipelineFrom(values.pipeline)
  const at = parseMessage(values.message)
  const lake = new LakeEngine()
  try {
    const fates = await traceMessage(lake, new LakeCatalog(pipeline.lakeDir, lake.io.storage), pipeline, at)
    if (fates.length === 0) throw new UsageError(`no source of ${pipeline.file} reads topic '${at.topic}' (sources: ${pipeline.sources.map((s) => s.name).join(', ')})`)
    if (values.json) out(JSON.stringify(fates.map((f) => (f.kind === 'dead-letter' ? { ...f, letter: { ...f.letter, value: f.letter.value?.toString('base64') ?? null } } : f)), null, 2) + '\n')
    else for (const fate of fates) out(`${describe(fate)}\n`)
    return 0
  } finally {
    await lake.close()
  }
}
