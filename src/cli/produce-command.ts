/**
 * `lakehouse produce`: test messages to a topic of a dev cluster, from a `kcat -J` capture, an
 * NDJSON file (one value per line) or one value given on the command line. When a source of the
 * pipeline reads the topic in a registry format (avro, protobuf, json-schema), each value is JSON
 * encoded with the subject's latest schema; otherwise values are sent as their text.
 */
import { createRegistryEncoder, EncodeError, usesSchemaRegistry } from '../decode'
import { assertDevCluster, NotADevClusterError, produceMessages, schemaRegistryOptions, type OutgoingMessage, type ProduceSummary } from '../kafka'
import { readCapture, type Pipeline, type SourceSpec } from '../pipeline'
import { CommandError, parseCommand, UsageError, wholeNumber, type Out } from './args'
import { pipelineFrom } from './ingest-command'

const decoder = new TextDecoder('utf-8', { fatal: false })

/** `--rate 50/s` or `--rate 50`: messages per second. */
export function parseRate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(value)
  if (!match || Number(match[1]) <= 0) throw new UsageError(`--rate must be messages per second, e.g. 50/s, not '${value}'`)
  return Number(match[1])
}

/** `--header k=v`, repeatable; a name given twice keeps its last value (as a topic's row does). */
export function parseHeaders(values: string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const entry of values ?? []) {
    const at = entry.indexOf('=')
    if (at <= 0) throw new UsageError(`--header must be name=value, not '${entry}'`)
    headers[entry.slice(0, at)] = entry.slice(at + 1)
  }
  return headers
}

/** The source that reads `topic` (by name or pattern), whose format the values are written in. */
export function sourceReading(pipeline: Pipeline, topic: string): SourceSpec | undefined {
  return (
    pipeline.sources.find((s) => s.topic === topic) ??
    pipeline.sources.find((s) => s.topicPattern !== undefined && new RegExp(`^(?:${s.topicPattern})$`).test(topic))
  )
}

interface TextMessage {
  key: string | null
  value: string | null
  headers: Record<string, string>
}

async function* fromFile(file: string): AsyncGenerator<TextMessage & { line: number }> {
  let line = 0
  for await (const m of readCapture(file)) {
    line++
    const headers = Object.fromEntries(Object.entries(m.headers).filter((e): e is [string, string] => e[1] !== null))
    yield { key: m.key === null ? null : decoder.decode(m.key), value: m.value === null ? null : decoder.decode(m.value), headers, line }
  }
}

export async function produceCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'produce',
    args,
    {
      pipeline: { type: 'string' },
      topic: { type: 'string' },
      file: { type: 'string' },
      value: { type: 'string' },
      key: { type: 'string' },
      header: { type: 'string', multiple: true },
      partition: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
    },
    [],
  )
  const pipeline = pipelineFrom(values.pipeline)
  const topic = values.topic
  if (!topic) throw new UsageError('produce: --topic T is required')
  if ((values.file === undefined) === (values.value === undefined))
    throw new UsageError('produce: give either --file CAPTURE (kcat -J output or NDJSON) or --value JSON')
  if (values.file !== undefined && (values.key !== undefined || values.header))
    throw new UsageError('produce: --key and --header go with --value (a capture file carries its own keys and headers)')
  const partition = values.partition === undefined ? undefined : wholeNumber(values.partition, '--partition')
  const count = values.count === undefined ? undefined : wholeNumber(values.count, '--count', 1)
  const rate = parseRate(values.rate)
  const headers = parseHeaders(values.header)
  if (!pipeline.kafka) throw new CommandError(`${pipeline.file} has no "kafka" section: there is no cluster to produce to`)
  try {
    assertDevCluster(pipeline.kafka)
  } catch (error) {
    if (error instanceof NotADevClusterError)
      throw new CommandError(`${error.message}. If ${pipeline.kafka.brokers.join(', ')} is yours to write to, add "dev": true to "kafka" in ${pipeline.file}`)
    throw error
  }
  if (values.value !== undefined) {
    try {
      JSON.parse(values.value)
    } catch (error) {
      throw new UsageError(`--value must be JSON (e.g. '{"id":1}'): ${(error as Error).message}`)
    }
  }

  const source = sourceReading(pipeline, topic)
  const format = source?.format ?? 'json'
  let encode = (text: string): Buffer | string => text
  let how = source ? `as ${format} (source '${source.name}')` : 'as text (no source of the pipeline reads this topic)'
  if (usesSchemaRegistry(format)) {
    const registry = schemaRegistryOptions(pipeline.kafka)
    if (!registry) throw new CommandError(`source '${source!.name}' is ${format}, which needs kafka.schemaRegistry`)
    const encoder = await createRegistryEncoder(format, topic, registry).catch((error: unknown) => {
      throw new CommandError((error as Error).message)
    })
    how = `as ${format}, schema ${encoder.schemaId} of subject '${encoder.subject}'`
    encode = (text) => encoder.encode(JSON.parse(text))
  }

  async function* messages(): AsyncGenerator<OutgoingMessage> {
    let sent = 0
    const one = (m: TextMessage, where: string): OutgoingMessage => {
      let value: Buffer | string | null
      try {
        value = m.value === null ? null : encode(m.value)
      } catch (error) {
        if (error instanceof EncodeError || error instanceof SyntaxError) throw new CommandError(`${where}: ${(error as Error).message}`)
        throw error
      }
      return { key: m.key, value, headers: m.headers, ...(partition !== undefined ? { partition } : {}) }
    }
    if (values.value !== undefined) {
      for (let i = 0; i < (count ?? 1); i++) yield one({ key: values.key ?? null, value: values.value, headers }, '--value')
      return
    }
    for await (const m of fromFile(values.file!)) {
      if (count !== undefined && sent >= count) return
      sent++
      yield one(m, `${values.file}:${m.line}`)
    }
  }

  process.stderr.write(`producing to ${topic} on ${pipeline.kafka.brokers.join(', ')} ${how}\n`)
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  let lastReport = 0
  let summary: ProduceSummary
  try {
    summary = await produceMessages(pipeline.kafka, topic, messages(), {
      rate,
      signal: stop.signal,
      onProgress: ({ produced, last }) => {
        if (Date.now() - lastReport < 1000) return
        lastReport = Date.now()
        process.stderr.write(`${produced} produced (last: partition ${last.partition} offset ${last.offset})\n`)
      },
    })
  } catch (error) {
    if (error instanceof CommandError) throw error
    throw new CommandError(`producing to ${topic}: ${(error as Error).message}`)
  } finally {
    process.off('SIGINT', onSignal)
  }
  out(`${summary.produced} message${summary.produced === 1 ? '' : 's'} produced to ${topic} in ${summary.durationMs} ms\n`)
  for (const p of summary.partitions) {
    out(`  partition ${p.partition}: ${p.messages} at offset${p.messages === 1 ? ` ${p.firstOffset}` : `s ${p.firstOffset}–${p.lastOffset}`}\n`)
  }
  return 0
}
