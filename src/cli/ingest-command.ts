/**
 * `lakehouse ingest` and `lakehouse sample`: run a pipeline file's sources into the raw zone, or
 * show what a source's messages decode to.
 */
import * as path from 'node:path'
import { applyHintsToStruct, createDecoder, inferSchema, mergeInferred, normaliseHints, type Decoded } from '../decode'
import type { StructType } from '../delta'
import { sampleTopicMessages, schemaRegistryOptions, sourceGroupId, type SampledMessage, type SampledPartition } from '../kafka'
import { readCapture, ingestFile, ingestKafka, type IngestReport, type Pipeline, type SourceSpec } from '../pipeline'
import { loadPipeline, PipelineFileError } from '../pipeline/pipeline-file'
import { LakeEngine } from '../engine'
import { LakeCatalog } from '../query'
import { CommandError, parseCommand, UsageError, wholeNumber, type Out } from './args'

export function pipelineFrom(file: string | undefined): Pipeline {
  if (!file) throw new UsageError('--pipeline FILE is required')
  try {
    return loadPipeline(file)
  } catch (error) {
    if (error instanceof PipelineFileError) {
      throw new UsageError(`the pipeline file has problems:\n${error.problems.map((p) => `  ${error.file} ${p.path}: ${p.message}`).join('\n')}`)
    }
    throw error
  }
}

function selectSources(pipeline: Pipeline, name: string | undefined): SourceSpec[] {
  if (!name) return pipeline.sources
  const source = pipeline.sources.find((s) => s.name === name)
  if (!source) throw new UsageError(`no source '${name}' in ${pipeline.file} (sources: ${pipeline.sources.map((s) => s.name).join(', ')})`)
  return [source]
}

const describe = (r: IngestReport) =>
  `${r.source}: ${r.messages} messages → ${r.rows} rows, ${r.tombstones} tombstones, ${r.deadLetters} dead letters, ${r.skipped} already recorded (${r.batches} batches)`

export async function ingestCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'ingest',
    args,
    {
      pipeline: { type: 'string' },
      source: { type: 'string' },
      'until-caught-up': { type: 'boolean', default: false },
    },
    [],
  )
  const pipeline = pipelineFrom(values.pipeline)
  const sources = selectSources(pipeline, values.source)
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  // SIGINT/SIGTERM: Kafka jobs finish their open batch and stop; nothing is lost or duplicated.
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const reports = await Promise.all(
      sources.map(async (source) => {
        if (source.file) return ingestFile(lake, catalog, pipeline, source, { schemaRegistry: schemaRegistryOptions(pipeline.kafka) })
        return ingestKafka(lake, catalog, pipeline, source, {
          untilCaughtUp: values['until-caught-up'],
          signal: stop.signal,
          onBatch: (batch) =>
            process.stderr.write(`${source.name}: batch of ${batch.messages} → raw version ${batch.rawVersion ?? '-'} (${batch.durationMs.toFixed(0)} ms)\n`),
          onDataLoss: (_gaps, message) => process.stderr.write(`${source.name}: warning: data loss accepted (failOnDataLoss false):\n${message}\n`),
        }).catch((error: unknown) => {
          throw new CommandError(`source '${source.name}': ${(error as Error).message}`)
        })
      }),
    )
    for (const report of reports) out(`${describe(report)}\n`)
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await lake.close()
  }
}

/**
 * Decoded messages of a source and the schema inferred from them (with the source's schema hints
 * applied), as JSON: a capture file's first N messages, or a Kafka topic's latest N (spread over
 * its partitions; nobody's offsets change).
 */
export async function sampleCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('sample', args, { pipeline: { type: 'string' }, source: { type: 'string' }, limit: { type: 'string' } }, [])
  const pipeline = pipelineFrom(values.pipeline)
  if (!values.source) throw new UsageError('--source NAME is required')
  const [source] = selectSources(pipeline, values.source)
  const limit = values.limit === undefined ? 20 : wholeNumber(values.limit, '--limit', 1)
  const decoder = createDecoder(source.format, { schemaRegistry: schemaRegistryOptions(pipeline.kafka) })
  const samples: { topic: string; partition: number; offset: string; key: string | null; decoded: Decoded }[] = []
  const take = async (message: SampledMessage) => {
    samples.push({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key ? Buffer.from(message.key).toString('utf8') : null,
      decoded: await decoder.decode(message),
    })
  }
  let partitions: SampledPartition[] | undefined
  let unreadable: string[] = []
  if (source.file) {
    for await (const message of readCapture(path.resolve(path.dirname(pipeline.file), source.file))) {
      await take(message)
      if (samples.length >= limit) break
    }
  } else {
    if (!source.topic)
      throw new CommandError(`source '${source.name}' reads a topic pattern (${source.topicPattern}): sampling needs one topic; add a source with "topic"`)
    if (!pipeline.kafka) throw new UsageError(`source '${source.name}' reads Kafka, and the pipeline file has no "kafka" section`)
    const sampled = await sampleTopicMessages(pipeline.kafka, source.topic, { limit, groupId: sourceGroupId(pipeline.kafka, source.name) }).catch(
      (error: unknown) => {
        throw new CommandError(`source '${source.name}': ${(error as Error).message}`)
      },
    )
    partitions = sampled.partitions
    unreadable = sampled.unreadable
    for (const message of sampled.messages) await take(message)
  }
  let inferred: StructType = inferSchema([])
  for (const s of samples) if (s.decoded.kind === 'row') inferred = mergeInferred(inferred, s.decoded.schema)
  const hints = normaliseHints(source.schemaHints)
  const schema = applyHintsToStruct(inferred, hints)
  // A row as users read it: the decoder's bookkeeping (its shape key, a TextRow's bytes) left out;
  // what it took out of the row for `_rescued_data` (names that clash in case) shown.
  const shown = samples.map((s) =>
    s.decoded.kind === 'row'
      ? { ...s, decoded: { kind: 'row', row: s.decoded.row, schema: s.decoded.schema, ...(s.decoded.rescued ? { rescued: s.decoded.rescued } : {}) } }
      : s,
  )
  out(
    JSON.stringify(
      {
        source: source.name,
        format: source.format,
        schema,
        ...(hints.size ? { inferredSchema: inferred } : {}),
        ...(partitions ? { partitions } : {}),
        ...(unreadable.length ? { unreadable } : {}),
        messages: shown,
      },
      null,
      2,
    ) + '\n',
  )
  return 0
}
