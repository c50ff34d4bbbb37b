/**
 * What the topic panel shows of a sample: a message's summary row, its bytes as text or hex, the
 * partitions with their offsets and lag, and the schema inferred from the sampled values (with the
 * paths the source's schema hints override).
 */
import { applyHintsToStruct, childPath, hintedPaths, mergeInferred, normaliseHints, type Decoded } from '../../decode'
import { describeType, isArray, isMap, isStruct, type DataType, type StructType } from '../../delta'
import type { CapturedMessage } from '../../pipeline/file-source'
import type { PreviewTable } from '../../pipeline/flow-preview'
import type { SourceSpec } from '../../pipeline/pipeline-file'
import type { JsonValue, MessageSummary, PartitionInfo, SchemaNode } from '../../../webview/shared/protocol'
import type { BrokerPartition } from './topic-broker'

const PREVIEW_CHARS = 300
export const HEX_BYTES = 4096

export interface SampledMessage {
  message: CapturedMessage
  decoded: Decoded
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const lenientUtf8 = new TextDecoder('utf-8')

export function previewTable(table: PreviewTable) {
  const names = table.columns.map((c) => c.name)
  return {
    table: table.table,
    columns: table.columns.map((c) => ({ name: c.name, type: describeType(c.type) })),
    rows: table.rows.map((row) => names.map((name) => asJson(row[name]))),
  }
}

export function summary(entry: SampledMessage, index: number): MessageSummary {
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
export function partitionsOf(sampled: SampledMessage[], broker: BrokerPartition[] = []): PartitionInfo[] {
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
export function sampleSchema(sampled: SampledMessage[]): StructType {
  let schema: StructType = { type: 'struct', fields: [] }
  for (const { decoded } of sampled) if (decoded.kind === 'row') schema = mergeInferred(schema, decoded.schema)
  return schema
}

/** The sample's schema as ingest would type it: the source's schemaHints applied, and the columns they typed marked. */
export function hintedSchemaNodes(schema: StructType, schemaHints: SourceSpec['schemaHints']): SchemaNode[] {
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

export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')
}

/** Decoded values are JSON-safe already; this also turns big integers from DuckDB into text. */
export function asJson(value: unknown): JsonValue {
  if (value === undefined) return null
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as JsonValue
}
