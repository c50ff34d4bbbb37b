/**
 * The topic panel's host side for a captured topic (a kcat -J or NDJSON file, the file source of
 * the pipeline): a sample of its messages decoded with the source's format, the schema inferred
 * from them, per-partition offsets, and for a selected message its raw bytes, decoded value and
 * the row the flow's transforms make of it (previewTransforms, on the lake's DuckDB).
 */
import { createDecoder, mergeInferred, type Decoded, type DecoderOptions, type Format } from '../../decode'
import { describeType, isArray, isMap, isStruct, type DataType, type StructType } from '../../delta'
import type { LakeEngine } from '../../engine'
import { readCapture, type CapturedMessage } from '../../pipeline/file-source'
import { previewTransforms, type Transform } from '../../transform'
import type { JsonValue, MessageSummary, SchemaNode, TopicToHost, TopicToPanel } from '../../../webview/shared/protocol'
import { topicToHost } from '../../../webview/shared/protocol'
import { errorText, routeMessages, type PanelHandler, type PanelLog } from './message-router'

export interface TopicSource {
  /** The capture file (absolute). */
  file: string
  format: Format
  /** The pipeline's name for the source, shown in the title. */
  name?: string
  schemaRegistry?: DecoderOptions['schemaRegistry']
}

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
    for await (const message of readCapture(source.file)) {
      if (sampled.length === TOPIC_SAMPLE_LIMIT) {
        truncated = true
        break
      }
      sampled.push({ message, decoded: await decoder.decode(message) })
    }
    sample = sampled
    post({
      type: 'topic',
      source: source.name ?? source.file,
      format: source.format,
      partitions: partitionsOf(sampled),
      schema: schemaNodes(sampleSchema(sampled)),
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

function partitionsOf(sampled: SampledMessage[]) {
  const byPartition = new Map<number, { partition: number; messages: number; firstOffset: string; lastOffset: string }>()
  for (const { message } of sampled) {
    const entry = byPartition.get(message.partition)
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
