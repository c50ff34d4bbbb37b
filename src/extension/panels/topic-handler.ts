/**
 * The topic panel's host side for a captured topic (a kcat -J or NDJSON file, the file source of
 * the pipeline) or a topic on a broker: a sample of its messages decoded with the source's format,
 * the schema inferred from them (and where it comes from: a Connect `schema`, the Schema
 * Registry), per-partition offsets and the pipeline group's lag, and for a selected message its
 * raw bytes, decoded value, the raw row ingest writes and what the flow writes for it: the jobs' own
 * code run on that one message in a scratch lake (pipeline/flow-preview.ts).
 */
import {
  applyHintsToStruct,
  childPath,
  createDecoder,
  hintedPaths,
  mergeInferred,
  normaliseHints,
  usesSchemaRegistry,
  type Decoded,
  type DecoderOptions,
  type Format,
} from '../../decode'
import { describeType, isArray, isMap, isStruct, type DataType, type StructType } from '../../delta'
import type { LakeEngine } from '../../engine'
import { readCapture, type CapturedMessage } from '../../pipeline/file-source'
import type { FlowPreview, PreviewTable } from '../../pipeline/flow-preview'
import type { FlowSpec, KafkaSettings, SourceSpec } from '../../pipeline/pipeline-file'
import type { LakeCatalog } from '../../engine'
import type {
  JsonValue,
  MessageSummary,
  OutgoingMessage,
  PartitionInfo,
  SchemaNode,
  SchemaSource,
  TopicToHost,
  TopicToPanel,
} from '../../../webview/shared/protocol'
import { topicToHost } from '../../../webview/shared/protocol'
import { errorText, routeMessages, type PanelHandler, type PanelLog } from './message-router'
import type { BrokerPartition } from './topic-broker'
import { ExtensionError } from '../errors'

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
  /** The pipeline file that names the cluster: Produce's refusal says to mark the cluster dev there. */
  pipelineFile?: string
}

export type TopicSource = FileTopicSource | KafkaTopicSource

const isKafka = (source: TopicSource): source is KafkaTopicSource => 'topic' in source

/**
 * The pipeline file's source for this topic and the flow reading its raw table: the preview runs
 * them. `problem` when the file cannot run them (broken JSON, an invalid flow), said instead.
 */
export type TopicFlow = { source: SourceSpec; flow: FlowSpec } | { problem: string }

export interface TopicPanelInit {
  source: TopicSource
  flow?: TopicFlow
  /** Open at this message, selected (from "Show source"), even when it is not among the latest sampled. */
  at?: { partition: number; offset: string }
  /** What reopens the panel after a reload (see the protocol's `restore`). */
  restore?: Record<string, JsonValue>
}

export interface TopicHandlerDeps {
  lake: LakeEngine
  /** The lake the flow writes: the preview's scratch tables copy its tables' shapes. */
  catalog: LakeCatalog
  log: PanelLog
}

export interface TopicHandler extends PanelHandler {
  /** The flow changed (the user edited the pipeline file): the selected message's preview is redone. */
  setFlow(flow: TopicFlow | undefined): Promise<void>
  /** The pipeline file's cluster settings changed (saved): Produce is allowed or refused anew. */
  setCluster(kafka: KafkaSettings): Promise<void>
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
  let { source } = init
  let flow = init.flow
  let sample: SampledMessage[] = []
  let selected: { requestId: number; index: number } | undefined
  /** The message to open at: selected once, with the first sample. */
  let openAt = init.at

  async function sendTopic(): Promise<void> {
    const decoder = createDecoder(source.format, { schemaRegistry: source.schemaRegistry })
    const sampled: SampledMessage[] = []
    let truncated = false
    let offsets: BrokerPartition[] = []
    if (isKafka(source)) {
      const { sampleBrokerTopic } = await import('./topic-broker')
      const fromBroker = await sampleBrokerTopic(
        { kafka: source.kafka, topic: source.topic, groupId: source.groupId, password: source.password },
        TOPIC_SAMPLE_LIMIT,
      )
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
    const at = openAt
    openAt = undefined
    if (at && !sampled.some((m) => m.message.partition === at.partition && String(m.message.offset) === at.offset)) {
      const { brokerMessageAt, captureMessageAt } = await import('./topic-message-at')
      const message = isKafka(source) ? await brokerMessageAt(source, at) : await captureMessageAt(source.file, at)
      if (message) sampled.push({ message, decoded: await decoder.decode(message) })
    }
    sample = sampled
    const partitions = partitionsOf(sampled, offsets)
    const lagged = partitions.filter((p) => p.lag !== undefined)
    post({
      type: 'topic',
      source: source.name ?? (isKafka(source) ? source.topic : source.file),
      format: source.format,
      partitions,
      schema: hintedSchemaNodes(sampleSchema(sampled), flow && 'source' in flow ? flow.source.schemaHints : undefined),
      schemaSource: await schemaSourceOf(sampled, source),
      ...(lagged.length ? { lag: lagged.reduce((n, p) => n + p.lag!, 0) } : {}),
      origin: isKafka(source) ? 'kafka' : 'file',
      messages: sampled.map(summary),
      truncated,
      restore: init.restore ?? {},
      ...(at ? { select: at } : {}),
    })
    await sendProduceAccess()
  }

  /** Produce is offered for topics on a broker; the host checks the cluster again at each send. */
  async function sendProduceAccess(): Promise<void> {
    if (!isKafka(source)) return
    const { produceAccess } = await import('./topic-produce')
    post({ type: 'produceAccess', ...produceAccess(source) })
  }

  async function produce(requestId: number, message: OutgoingMessage): Promise<void> {
    if (!isKafka(source)) throw new ExtensionError('this topic comes from a capture file: there is no broker to produce to')
    const { produceFromPanel } = await import('./topic-produce')
    const landed = await produceFromPanel(source, message)
    deps.log.info(`topic panel: produced to ${source.topic} partition ${landed.partition} offset ${landed.offset}`)
    post({ type: 'produced', requestId, ...landed })
    await sendTopic()
  }

  async function sendMessage(requestId: number, index: number): Promise<void> {
    const entry = sample[index]
    if (!entry) throw new ExtensionError(`there is no message #${index} in the sample (it holds ${sample.length})`)
    selected = { requestId, index }
    const value = entry.message.value
    const decoded = entry.decoded
    post({
      type: 'message',
      requestId,
      index,
      text: value === null ? null : utf8Text(value),
      hex: value === null ? '' : hex(value.subarray(0, HEX_BYTES)),
      decoded:
        decoded.kind === 'row'
          ? { type: 'row', value: asJson(decoded.row) }
          : decoded.kind === 'tombstone'
            ? { type: 'tombstone' }
            : { type: 'error', reason: decoded.reason, ...(decoded.detail === undefined ? {} : { detail: decoded.detail }) },
      ...(flow ? { flattened: await flattened(deps, entry, flow) } : {}),
    })
  }

  const receive = routeMessages<TopicToHost>(
    'topic',
    topicToHost,
    {
      ready: sendTopic,
      reload: sendTopic,
      select: ({ requestId, index }) => sendMessage(requestId, index),
      produce: ({ requestId, message }) => produce(requestId, message),
    },
    post,
    deps.log,
  )

  return {
    receive,
    async setFlow(next) {
      flow = next
      if (selected) await sendMessage(selected.requestId, selected.index).catch((error) => deps.log.error(`topic panel: ${errorText(error)}`))
    },
    async setCluster(kafka) {
      if (!isKafka(source)) return
      source = { ...source, kafka }
      await sendProduceAccess()
    },
    dispose: async () => {
      sample = []
    },
  }
}

async function flattened(deps: TopicHandlerDeps, entry: SampledMessage, flow: TopicFlow) {
  if ('problem' in flow) return { type: 'error' as const, message: flow.problem }
  try {
    const { previewFlowWrite } = await import('../../pipeline/flow-preview')
    const preview: FlowPreview = await previewFlowWrite(deps.lake, deps.catalog, flow.source, flow.flow, { ...entry.message, decoded: entry.decoded })
    if (preview.deadLetter) {
      const { reason, detail } = preview.deadLetter
      return { type: 'dead-letter' as const, reason, ...(detail === undefined ? {} : { detail }) }
    }
    const [target, ...children] = preview.tables
    return {
      type: 'rows' as const,
      flow: flow.flow.name,
      ...previewTable(target),
      ...(preview.note ? { note: preview.note } : {}),
      ...(preview.raw ? { raw: previewTable(preview.raw) } : {}),
      children: children.map(previewTable),
    }
  } catch (error) {
    return { type: 'error' as const, message: errorText(error) }
  }
}

function previewTable(table: PreviewTable) {
  const names = table.columns.map((c) => c.name)
  return {
    table: table.table,
    columns: table.columns.map((c) => ({ name: c.name, type: describeType(c.type) })),
    rows: table.rows.map((row) => names.map((name) => asJson(row[name]))),
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
    byPartition.set(partition, {
      partition,
      messages: 0,
      firstOffset: '',
      lastOffset: '',
      low,
      high,
      ...(committed === undefined ? {} : { committed }),
      ...(lag === undefined ? {} : { lag }),
    })
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

/** The sample's schema as ingest would type it: the source's schemaHints applied, and the columns they typed marked. */
function hintedSchemaNodes(schema: StructType, schemaHints: SourceSpec['schemaHints']): SchemaNode[] {
  const hints = normaliseHints(schemaHints)
  const hinted = applyHintsToStruct(schema, hints)
  return schemaNodes(hinted, '', hintedPaths(hinted, hints))
}

function schemaNodes(schema: StructType, path: string, hinted: ReadonlySet<string>): SchemaNode[] {
  return schema.fields.map((field) => schemaNode(field.name, field.type, field.nullable, childPath(path, field.name), hinted))
}

function schemaNode(name: string, type: DataType, nullable: boolean, path: string, hinted: ReadonlySet<string>): SchemaNode {
  const hint = hinted.has(path) ? { hint: true } : {}
  if (isStruct(type)) return { name, type: 'struct', nullable, ...hint, children: schemaNodes(type, path, hinted) }
  if (isArray(type)) {
    const element = type.elementType
    return {
      name,
      type: `array<${typeof element === 'string' ? element : element.type}>`,
      nullable,
      ...hint,
      children:
        isStruct(element) || isArray(element) || isMap(element) ? [schemaNode('element', element, type.containsNull, childPath(path, 'element'), hinted)] : [],
    }
  }
  if (isMap(type)) return { name, type: describeType(type), nullable, ...hint, children: [] }
  return { name, type, nullable, ...hint, children: [] }
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
      return {
        kind: 'connect',
        ...(typeof name === 'string' ? { name: name.slice(0, 4096) } : {}),
        ...(Number.isSafeInteger(version) && (version as number) >= 0 ? { version: version as number } : {}),
      }
    }
  }
  return { kind: 'inferred' }
}

async function registryVersion(registry: NonNullable<DecoderOptions['schemaRegistry']>, id: number): Promise<{ subject: string; version: number } | undefined> {
  const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' }
  if (registry.username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password ?? ''}`).toString('base64')}`
  try {
    const response = await (registry.fetch ?? fetch)(`${registry.url.replace(/\/+$/, '')}/schemas/ids/${id}/versions`, {
      headers,
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
    })
    if (!response.ok) return undefined
    const body: unknown = await response.json()
    const first = Array.isArray(body) ? (body[0] as { subject?: unknown; version?: unknown } | undefined) : undefined
    return typeof first?.subject === 'string' && Number.isSafeInteger(first.version)
      ? { subject: first.subject.slice(0, 4096), version: first.version as number }
      : undefined
  } catch {
    // The subject is a nicety: an older registry or a network hiccup leaves the id alone.
    return undefined
  }
}
