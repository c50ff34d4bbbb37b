/**
 * The topic panel's host side for a captured topic (a kcat -J or NDJSON file, the file source of
 * the pipeline) or a topic on a broker: a sample of its messages decoded with the source's format,
 * the schema inferred from them (and where it comes from: a Connect `schema`, the Schema
 * Registry), per-partition offsets and the pipeline group's lag, and for a selected message its
 * raw bytes, decoded value and the row the flow's transforms make of it (previewTransforms, on the
 * lake's DuckDB).
 */
import { createDecoder, mergeInferred, usesSchemaRegistry, type Decoded, type DecoderOptions, type Format } from '../../decode'
import { describeType, isArray, isMap, isStruct, type DataType, type StructType } from '../../delta'
import type { LakeEngine } from '../../engine'
import { readCapture, type CapturedMessage } from '../../pipeline/file-source'
import { previewTransforms, type Transform } from '../../transform'
import type { KafkaSettings } from '../../pipeline/pipeline-file'
import type { JsonValue, MessageSummary, PartitionInfo, SchemaNode, SchemaSource, TopicToHost, TopicToPanel } from '../../../webview/shared/protocol'
import { topicToHost } from '../../../webview/shared/protocol'
import { errorText, routeMessages, type PanelHandler, type PanelLog } from './message-router'
import type { BrokerPartition } from './topic-broker'

interface SourceCommon {
  format: Format
  /** The pipeline's name for the source, shown in the title. */
  name?: string
  schemaRegistry?: DecoderOptions['schemaRegistry']
}

export interface FileTopicSource extends SourceCommon {
  /** The capture file (absolute). */
  file: string
}

export interface KafkaTopicSource extends SourceCommon {
  kafka: KafkaSettings
  topic: string
  /** The pipeline source's consumer group: its committed offsets give the lag. */
  groupId?: string
  /** The SASL password, when the cluster wants one. */
  password?: string
}

export type TopicSource = FileTopicSource | KafkaTopicSource

const isKafka = (source: TopicSource): source is KafkaTopicSource => 'topic' in source

/** The flow reading this source: its transforms make the flattened preview. */
export interface TopicFlow {
  transforms: Transform[]
  key?: string[]
}

export interface TopicPanelInit {
  source: TopicSource
  flow?: TopicFlow
  /** What reopens the panel after a reload (see the protocol's `restore`). */
  restore?: Record<string, JsonValue>
}

export interface TopicHandlerDeps {
  lake: LakeEngine
  log: PanelLog
}

export interface TopicHandler extends PanelHandler {
  /** The flow changed (the user edited the pipeline file): the selected message's preview is redone. */
  setFlow(flow: TopicFlow | undefined): Promise<void>
}

/** Messages read from the capture at most. */
export const TOPIC_SAMPLE_LIMIT = 1000
const PREVIEW_CHARS = 300
const HEX_BYTES = 4096

interface SampledMessage {
  message: CapturedMessage
  decoded: Decoded
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const lenientUtf8 = new TextDecoder('utf-8')

export function createTopicHandler(deps: TopicHandlerDeps, init: TopicPanelInit, post: (message: TopicToPanel) => void): TopicHandler {
  const { source } = init
  let flow = init.flow
  let sample: SampledMessage[] = []
  let selected: { requestId: number; index: number } | undefined

  async function sendTopic(): Promise<void> {
    const decoder = createDecoder(source.format, { schemaRegistry: source.schemaRegistry })
    const sampled: SampledMessage[] = []
    let truncated = false
    let offsets: BrokerPartition[] = []
    if (isKafka(source)) {
      const { sampleBrokerTopic } = await import('./topic-broker')
      const fromBroker = await sampleBrokerTopic({ kafka: source.kafka, topic: source.topic, groupId: source.groupId, password: source.password }, TOPIC_SAMPLE_LIMIT)
      for (const message of fromBroker.messages) sampled.push({ message, decoded: await decoder.decode(message) })
      truncated = fromBroker.truncated
      offsets = fromBroker.partitions
    } else {
      for await (const message of readCapture(source.file)) {
        if (sampled.length === TOPIC_SAMPLE_LIMIT) {
          truncated = true
          break
        }
        sampled.push({ message, decoded: await decoder.decode(message) })
      }
    }
    sample = sampled
    const partitions = partitionsOf(sampled, offsets)
    const lagged = partitions.filter((p) => p.lag !== undefined)
    post({
      type: 'topic',
      source: source.name ?? (isKafka(source) ? source.topic : source.file),
      format: source.format,
      partitions,
      schema: schemaNodes(sampleSchema(sampled)),
      schemaSource: await schemaSourceOf(sampled, source),
      ...(lagged.length ? { lag: lagged.reduce((n, p) => n + p.lag!, 0) } : {}),
      origin: isKafka(source) ? 'kafka' : 'file',
      messages: sampled.map(summary),
      truncated,
      restore: init.restore ?? {},
    })
  }

  async function sendMessage(requestId: number, index: number): Promise<void> {
    const entry = sample[index]
    if (!entry) throw new Error(`there is no message #${index} in the sample (it holds ${sample.length})`)
    selected = { requestId, index }
    const value = entry.message.value
    const decoded = entry.decoded
    post({
      type: 'message',
      requestId,
      index,
      text: value === null ? null : utf8Text(value),
      hex: value === null ? '' : hex(value.subarray(0, HEX_BYTES)),
      decoded: decoded.kind === 'row' ? { type: 'row', value: asJson(decoded.row) }
        : decoded.kind === 'tombstone' ? { type: 'tombstone' }
        : { type: 'error', reason: decoded.reason, ...(decoded.detail === undefined ? {} : { detail: decoded.detail }) },
      ...(flow && decoded.kind === 'row' ? { flattened: await flattened(deps.lake, decoded, flow) } : {}),
    })
  }

  const receive = routeMessages<TopicToHost>('topic', topicToHost, {
    ready: sendTopic,
    reload: sendTopic,
    select: ({ requestId, index }) => sendMessage(requestId, index),
  }, post, deps.log)

  return {
    receive,
    async setFlow(next) {
      flow = next
      if (selected) await sendMessage(selected.requestId, selected.index).catch((error) => deps.log.error(`topic panel: ${errorText(error)}`))
    },
    dispose: async () => {
      sample = []
    },
  }
}

async function flattened(lake: LakeEngine, decoded: Extract<Decoded, { kind: 'row' }>, flow: TopicFlow) {
  try {
    const preview = await previewTransforms(lake, { rows: [decoded.row], schema: decoded.schema }, flow.transforms, { key: flow.key, limit: 50 })
    if (preview.error) {
      const op = flow.transforms[preview.error.step]?.op ?? 'transform'
      return { type: 'error' as const, message: `transform ${preview.error.step + 1} (${op}): ${preview.error.message}` }
    }
    const last = preview.steps.at(-1)!
    const names = last.columns.map((c) => c.name)
    return {
      type: 'rows' as const,
      columns: last.columns.map((c) => ({ name: c.name, type: describeType(c.type) })),
      rows: last.rows.map((row) => names.map((name) => asJson(row[name]))),
    }
  } catch (error) {
    return { type: 'error' as const, message: errorText(error) }
  }
}

function summary(entry: SampledMessage, index: number): MessageSummary {
  const { message, decoded } = entry
  const timestamp = Number(message.timestamp)
  return {
    index,
    key: message.key === null ? null : lenientUtf8.decode(message.key),
    partition: message.partition,
    offset: message.offset,
    timestamp: Number.isFinite(timestamp) ? timestamp : 0,
    headers: { ...message.headers },
    size: message.value?.length ?? 0,
    preview: message.value === null ? '' : lenientUtf8.decode(message.value.subarray(0, PREVIEW_CHARS * 4)).slice(0, PREVIEW_CHARS),
    status: decoded.kind,
  }
}

/** Per partition: the sample's offsets, and the broker's (retained, committed, lag) when it came from one. */
function partitionsOf(sampled: SampledMessage[], broker: BrokerPartition[] = []): PartitionInfo[] {
  const byPartition = new Map<number, PartitionInfo>()
  for (const p of broker) {
    const { partition, low, high, committed, lag } = p
    byPartition.set(partition, { partition, messages: 0, firstOffset: '', lastOffset: '', low, high, ...(committed === undefined ? {} : { committed }), ...(lag === undefined ? {} : { lag }) })
  }
  for (const { message } of sampled) {
    const entry = byPartition.get(message.partition)
    if (entry && entry.messages === 0) {
      Object.assign(entry, { messages: 1, firstOffset: message.offset, lastOffset: message.offset })
      continue
    }
    if (!entry) {
      byPartition.set(message.partition, { partition: message.partition, messages: 1, firstOffset: message.offset, lastOffset: message.offset })
      continue
    }
    entry.messages++
    if (BigInt(message.offset) < BigInt(entry.firstOffset)) entry.firstOffset = message.offset
    if (BigInt(message.offset) > BigInt(entry.lastOffset)) entry.lastOffset = message.offset
  }
  return [...byPartition.values()].sort((a, b) => a.partition - b.partition)
}

/** One schema for the sample: each decoded row's schema merged by the ingest job's own rules. */
function sampleSchema(sampled: SampledMessage[]): StructType {
  let schema: StructType = { type: 'struct', fields: [] }
  for (const { decoded } of sampled) if (decoded.kind === 'row') schema = mergeInferred(schema, decoded.schema)
  return schema
}

function schemaNodes(schema: StructType): SchemaNode[] {
  return schema.fields.map((field) => schemaNode(field.name, field.type, field.nullable))
}

function schemaNode(name: string, type: DataType, nullable: boolean): SchemaNode {
  if (isStruct(type)) return { name, type: 'struct', nullable, children: schemaNodes(type) }
  if (isArray(type)) {
    const element = type.elementType
    return { name, type: `array<${typeof element === 'string' ? element : element.type}>`, nullable, children: isStruct(element) || isArray(element) || isMap(element) ? [schemaNode('element', element, type.containsNull)] : [] }
  }
  if (isMap(type)) return { name, type: describeType(type), nullable, children: [] }
  return { name, type, nullable, children: [] }
}

function utf8Text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
}

/** Decoded values are JSON-safe already; this also turns big integers from DuckDB into text. */
function asJson(value: unknown): JsonValue {
  if (value === undefined) return null
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as JsonValue
}

const REGISTRY_TIMEOUT_MS = 3_000

/**
 * Where the sample's schema comes from: the Schema Registry for Avro, Protobuf and JSON Schema (the id in the messages, and
 * the subject and version when the registry says, `GET /schemas/ids/{id}/versions`); a Kafka
 * Connect `schema` when the values carry JsonConverter's envelope; else inferred from the values.
 */
async function schemaSourceOf(sampled: SampledMessage[], source: TopicSource): Promise<SchemaSource> {
  const values = sampled.map((s) => s.message.value).filter((v): v is Uint8Array => v !== null && v.length > 0)
  if (usesSchemaRegistry(source.format)) {
    const framed = values.find((v) => v.length >= 5 && v[0] === 0)
    if (!framed) return { kind: 'registry' }
    const id = new DataView(framed.buffer, framed.byteOffset, framed.byteLength).getUint32(1)
    const found = source.schemaRegistry ? await registryVersion(source.schemaRegistry, id) : undefined
    return { kind: 'registry', id, ...(found ?? {}) }
  }
  for (const value of values.slice(0, 20)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(lenientUtf8.decode(value))
    } catch {
      continue
    }
    if (parsed && typeof parsed === 'object' && 'schema' in parsed && 'payload' in parsed) {
      const schema = (parsed as { schema: unknown }).schema
      if (!schema || typeof schema !== 'object') continue
      const { name, version } = schema as { name?: unknown; version?: unknown }
      return { kind: 'connect', ...(typeof name === 'string' ? { name: name.slice(0, 4096) } : {}), ...(Number.isSafeInteger(version) && (version as number) >= 0 ? { version: version as number } : {}) }
    }
  }
  return { kind: 'inferred' }
}

async function registryVersion(registry: NonNullable<DecoderOptions['schemaRegistry']>, id: number): Promise<{ subject: string; version: number } | undefined> {
  const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' }
  if (registry.username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password ?? ''}`).toString('base64')}`
  try {
    const response = await (registry.fetch ?? fetch)(`${registry.url.replace(/\/+$/, '')}/schemas/ids/${id}/versions`, { headers, signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS) })
    if (!response.ok) return undefined
    const body: unknown = await response.json()
    const first = Array.isArray(body) ? (body[0] as { subject?: unknown; version?: unknown } | undefined) : undefined
    return typeof first?.subject === 'string' && Number.isSafeInteger(first.version) ? { subject: first.subject.slice(0, 4096), version: first.version as number } : undefined
  } catch {
    // The subject is a nicety: an older registry or a network hiccup leaves the id alone.
    return undefined
  }
}
