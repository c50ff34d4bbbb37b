/**
 * The raw zone's tables as the ingest jobs write them: every raw row carries its message's Kafka
 * coordinates (`_topic`, `_partition`, `_offset`, `_timestamp`, `_key`, `_headers`, `_tombstone`)
 * ahead of the decoded columns, and messages that cannot be decoded or written go to
 * `raw._dead_letters` with the reason. Rows are written as NDJSON lines; a row's coordinates are
 * spliced in as text, since they cost more than the row itself when serialised as objects.
 */
import type { StructField, StructType } from '../delta'
import { RESCUED_DATA_COLUMN } from '../decode'
import type { IngestMessage } from './ingest-message'

export const DEAD_LETTERS_TABLE = 'raw._dead_letters'

/** The Kafka coordinates every raw row carries, ahead of the decoded columns. */
export const METADATA_FIELDS: StructField[] = [
  { name: '_topic', type: 'string', nullable: true, metadata: {} },
  { name: '_partition', type: 'integer', nullable: true, metadata: {} },
  { name: '_offset', type: 'long', nullable: true, metadata: {} },
  { name: '_timestamp', type: 'timestamp', nullable: true, metadata: {} },
  { name: '_key', type: 'string', nullable: true, metadata: {} },
  { name: '_headers', type: { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true }, nullable: true, metadata: {} },
  { name: '_tombstone', type: 'boolean', nullable: true, metadata: {} },
]

const METADATA_NAMES = new Set(METADATA_FIELDS.map((f) => f.name))

/** Top-level names the job writes itself: a message's own values under these names are rescued. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([...METADATA_NAMES, RESCUED_DATA_COLUMN])

/** Added to a raw table when a row first has something to rescue (decode/rescue.ts). */
export const RESCUED_FIELD: StructField = {
  name: RESCUED_DATA_COLUMN,
  type: 'string',
  nullable: true,
  metadata: { comment: 'values that did not fit their column: a JSON object of path → value' },
}

export const DEAD_LETTER_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'source', type: 'string', nullable: true, metadata: {} },
    ...METADATA_FIELDS.filter((f) => f.name !== '_tombstone'),
    { name: 'value', type: 'string', nullable: true, metadata: { comment: 'the raw value bytes, base64' } },
    { name: 'reason', type: 'string', nullable: true, metadata: {} },
    { name: 'detail', type: 'string', nullable: true, metadata: {} },
    { name: 'failed_at', type: 'timestamp', nullable: true, metadata: {} },
  ],
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A key (or header value) as text when it is UTF-8, else `base64:` and its bytes in base64. */
export function keyText(key: Uint8Array | null): string | null {
  if (key === null) return null
  try {
    return utf8.decode(key)
  } catch {
    return `base64:${Buffer.from(key).toString('base64')}`
  }
}

/** Shared by every message without headers (most): nothing writes to a message's headers. */
const NO_HEADERS: Record<string, string | null> = Object.freeze({}) as Record<string, string | null>

/** Header values as text, as raw rows keep them (bytes that are not UTF-8 as `base64:…`). */
export function headerTexts(headers: Record<string, Uint8Array | string | undefined>): Record<string, string | null> {
  const names = Object.keys(headers)
  if (names.length === 0) return NO_HEADERS
  const text: Record<string, string | null> = {}
  for (const name of names) {
    const value = headers[name]
    text[name] = value === undefined ? null : typeof value === 'string' ? value : keyText(value)
  }
  return text
}

/** One row as an NDJSON line (bigints, which some decoders may leave, as their digits). */
export function ndjsonLine(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
}

/**
 * The line `ndjsonLine({ ...row, ...meta })` gives, from the row's JSON text and the text of
 * meta's members (no braces; not empty): the same keys in the same order, when the row has none
 * of meta's keys and no bigints (JSON.parse's output has none).
 */
export function spliceMembers(rowText: string, members: string): string {
  return rowText === '{}' ? `{${members}}` : `${rowText.slice(0, -1)},${members}}`
}

/** A message's Kafka coordinates as written in raw rows (and, without _tombstone, in dead letters). */
export function coordinates(m: IngestMessage) {
  return {
    _topic: m.topic,
    _partition: m.partition,
    _offset: m.offset,
    _timestamp: isoTimestamp(m.timestamp),
    _key: keyText(m.key),
    _headers: m.headers,
  }
}

/** A dead-letter row: the message's coordinates, its value bytes and why it was not written. */
export function deadLetterRow(source: string, m: IngestMessage, reason: string, detail: string | undefined, failedAt: string): Record<string, unknown> {
  return { source, ...coordinates(m), value: m.value ? Buffer.from(m.value).toString('base64') : null, reason, detail: detail ?? null, failed_at: failedAt }
}

/**
 * The members of JSON.stringify({ ...coordinates(m), _tombstone: false }), without its braces,
 * written piece by piece: a row's coordinates cost one small string per column instead of an
 * object and its serialisation. Pieces JSON.stringify would leave out (undefined) take the object
 * path, so the text is the same.
 */
export function liveCoordinateMembers(m: IngestMessage): string {
  const offset = JSON.stringify(m.offset)
  const headers = isEmpty(m.headers) ? '{}' : JSON.stringify(m.headers)
  const partition = partitionMembers(m.topic, m.partition)
  if (partition === undefined || offset === undefined || headers === undefined) {
    return JSON.stringify({ ...coordinates(m), _tombstone: false }).slice(1, -1)
  }
  return `${partition},"_offset":${offset},"_timestamp":${quotedTimestamp(m.timestamp)},"_key":${JSON.stringify(keyText(m.key))},"_headers":${headers},"_tombstone":false`
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false
  return true
}

/** `"_topic":…,"_partition":…` of the last partition asked for (a batch's messages come in runs per partition). */
let lastTopic: string | undefined
let lastPartition = -1
let lastPartitionMembers: string | undefined
function partitionMembers(topic: string, partition: number): string | undefined {
  if (topic !== lastTopic || partition !== lastPartition) {
    const topicText = JSON.stringify(topic)
    const partitionText = JSON.stringify(partition)
    lastPartitionMembers = topicText === undefined || partitionText === undefined ? undefined : `"_topic":${topicText},"_partition":${partitionText}`
    lastTopic = topic
    lastPartition = partition
  }
  return lastPartitionMembers
}

/** Kafka's milliseconds (text) as an ISO timestamp; the last answer is kept, since a producer's batch shares one time. */
let lastTimestamp: string | undefined
let lastIso = ''
let lastQuoted = ''
function isoTimestamp(millis: string): string {
  if (millis !== lastTimestamp) {
    lastIso = new Date(Number(millis)).toISOString()
    lastQuoted = JSON.stringify(lastIso)
    lastTimestamp = millis
  }
  return lastIso
}

/** JSON.stringify(isoTimestamp(millis)), kept likewise. */
function quotedTimestamp(millis: string): string {
  isoTimestamp(millis)
  return lastQuoted
}
