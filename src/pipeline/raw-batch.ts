/**
 * Writing one micro-batch of consumed messages into the raw zone, exactly once. Decoded rows go
 * to the source's raw table; messages that cannot be decoded or written go to the dead-letter
 * table with the reason. Each table's commit carries, per topic partition, the batch's last
 * offset as a `txn` action (appId `lakehouse/<source>/<topic>/<partition>`): on restart the job
 * resumes after the lower of the two, and a message already recorded in its table is skipped, so
 * a crash at any instant loses nothing and duplicates nothing.
 */
import { promises as fs } from 'node:fs'
import type { Txn } from '../delta/actions'
import { DeltaError, isDeltaError } from '../delta/errors'
import { duckdbType, quoteString, sameType, type StructField, type StructType } from '../delta/schema'
import type { Snapshot } from '../delta/snapshot'
import { fitRow, normaliseHints, RESCUED_DATA_COLUMN, TextRow, type Decoded } from '../decode'
import { appendQuery, NdjsonLines, objectSizeLimit, stagingFile, type LakeEngine } from '../engine'
import type { LakeCatalog } from '../query/catalog'
import type { SourceSpec } from './pipeline-file'
import { evolveRawSchema, fitsWhateverTheValues, mergeBatchSchemas, storable } from './raw-schema'

export const DEAD_LETTERS_TABLE = 'raw._dead_letters'

export interface IngestMessage {
  topic: string
  partition: number
  /** Kafka offsets are 64-bit: kept as decimal text. */
  offset: string
  /** Milliseconds since the epoch, as text (kafkajs's form). */
  timestamp: string
  key: Uint8Array | null
  value: Uint8Array | null
  headers: Record<string, string | null>
  decoded: Decoded
}

/**
 * A shaped row (decode/shape.ts) as a TextRow: its JSON text (or the message's bytes, when the
 * decoder matched them), the row itself parsed again only if asked for (the first row of a shape,
 * or a schema change). The open batch then holds no parsed values' objects.
 */
export function compactRow(decoded: Decoded): Decoded {
  if (decoded instanceof TextRow || decoded.kind !== 'row' || decoded.shape === undefined) return decoded
  return new TextRow(JSON.stringify(decoded.row), decoded.schema, decoded.shape)
}

export interface RawBatchResult {
  /** Versions committed to the raw and dead-letter tables, when there was something to commit. */
  rawVersion?: number
  deadLetterVersion?: number
  rows: number
  tombstones: number
  deadLetters: number
  /** Messages already recorded by an earlier run (replayed after a crash). */
  skipped: number
}

export function offsetAppId(source: string, topic: string, partition: number): string {
  return `lakehouse/${source}/${topic}/${partition}`
}

/** The Kafka coordinates every raw row carries, ahead of the decoded columns. */
const METADATA_FIELDS: StructField[] = [
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
const RESERVED_NAMES: ReadonlySet<string> = new Set([...METADATA_NAMES, RESCUED_DATA_COLUMN])

/** Added to a raw table when a row first has something to rescue (decode/rescue.ts). */
const RESCUED_FIELD: StructField = { name: RESCUED_DATA_COLUMN, type: 'string', nullable: true, metadata: { comment: 'values that did not fit their column: a JSON object of path → value' } }

const DEAD_LETTER_SCHEMA: StructType = {
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

/** A key as text when it is UTF-8, else `base64:` and its bytes in base64. */
export function keyText(key: Uint8Array | null): string | null {
  if (key === null) return null
  try {
    return utf8.decode(key)
  } catch {
    return `base64:${Buffer.from(key).toString('base64')}`
  }
}

/** One row as an NDJSON line (bigints, which some decoders may leave, as their digits). */
function ndjsonLine(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
}

/**
 * The line `ndjsonLine({ ...row, ...meta })` gives, from the row's JSON text and the text of
 * meta's members (no braces; not empty): the same keys in the same order, when the row has none
 * of meta's keys and no bigints (JSON.parse's output has none).
 */
function spliceMembers(rowText: string, members: string): string {
  return rowText === '{}' ? `{${members}}` : `${rowText.slice(0, -1)},${members}}`
}

/** A message's Kafka coordinates as written in raw rows (and, without _tombstone, in dead letters). */
function coordinates(m: IngestMessage) {
  return {
    _topic: m.topic, _partition: m.partition, _offset: m.offset, _timestamp: isoTimestamp(m.timestamp),
    _key: keyText(m.key), _headers: m.headers,
  }
}

/**
 * The members of JSON.stringify({ ...coordinates(m), _tombstone: false }), without its braces,
 * written piece by piece: a row's coordinates cost one small string per column instead of an
 * object and its serialisation. Pieces JSON.stringify would leave out (undefined) take the object
 * path, so the text is the same.
 */
function liveCoordinateMembers(m: IngestMessage): string {
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

/**
 * Per table schema, the shapes (decode/shape.ts) already decided to fit it as they are, each with
 * the row schema it was decided for. The decision depends only on the shape's names and types and
 * on the table's schema, so it is kept across batches and jobs, keyed by the schema's JSON text.
 */
const decidedShapes = new Map<string, Map<string, StructType>>()
let rowsDecidedByShape = 0

/** How many rows so far (this process) took the shape's decision instead of their own (for tests and benchmarks). */
export function rowsDecidedByShapeSoFar(): number {
  return rowsDecidedByShape
}
const MAX_DECIDED_SCHEMAS = 16
const MAX_DECIDED_SHAPES = 10_000

function shapesFitting(schema: StructType): Map<string, StructType> {
  const key = JSON.stringify(schema)
  let shapes = decidedShapes.get(key)
  if (shapes && shapes.size >= MAX_DECIDED_SHAPES) shapes.clear()
  if (!shapes) {
    if (decidedShapes.size >= MAX_DECIDED_SCHEMAS) decidedShapes.delete(decidedShapes.keys().next().value!)
    decidedShapes.set(key, shapes = new Map())
  }
  return shapes
}

/** The table's latest snapshot, or undefined when it does not exist yet (other errors are thrown). */
export async function snapshotOrNothing(lake: LakeEngine, table: string): Promise<Snapshot | undefined> {
  try {
    return await lake.snapshot(table)
  } catch (error) {
    if (isDeltaError(error, 'TABLE_NOT_FOUND')) return undefined
    throw error
  }
}

/**
 * True when the row's keys are exactly its schema's columns (no value left untyped, such as a
 * column seen only as null or []) and each of those columns has the same type in the table.
 */
function typedExactlyAsTable(row: Record<string, unknown>, rowSchema: StructType, table: StructType): boolean {
  if (Object.keys(row).length !== rowSchema.fields.length) return false
  const byName = new Map(table.fields.map((f) => [f.name, f.type]))
  return rowSchema.fields.every((f) => {
    const tableType = byName.get(f.name)
    return tableType !== undefined && sameType(f.type, tableType)
  })
}

/**
 * recordedOffset of one table for one source, remembering the last partition asked for (a
 * batch's messages come in runs per partition): no appId text per message.
 */
function recordedOffsets(snapshot: Snapshot | undefined, source: string): (topic: string, partition: number) => number {
  let lastTopic: string | undefined
  let lastPartition = -1
  let lastOffset = -1
  return (topic, partition) => {
    if (topic !== lastTopic || partition !== lastPartition) {
      lastOffset = recordedOffset(snapshot, source, topic, partition)
      lastTopic = topic
      lastPartition = partition
    }
    return lastOffset
  }
}

/** The offset each table has recorded for a partition (-1: nothing yet). */
export function recordedOffset(snapshot: Snapshot | undefined, source: string, topic: string, partition: number): number {
  return snapshot?.txns.get(offsetAppId(source, topic, partition))?.version ?? -1
}

/**
 * The last offset both tables hold for a partition, or -1 when neither records anything. The
 * dead-letter table is committed first in every batch that has dead letters, and once it exists
 * every batch records its offsets there too: so a partition it has no offset for never had a
 * dead letter committed, and the raw table's offset alone is safe (this spares re-reading the
 * whole partition on every run of a source that has never had a dead letter).
 */
export function resumeAfter(raw: Snapshot | undefined, dead: Snapshot | undefined, source: string, topic: string, partition: number): number {
  const r = recordedOffset(raw, source, topic, partition)
  const d = recordedOffset(dead, source, topic, partition)
  return d < 0 ? r : Math.min(r, d)
}

/**
 * The schema of the batch's rows together (raw-schema.ts), in storable form: each distinct row
 * schema merged once (the rows of one shape share theirs).
 */
function batchSchema(messages: IngestMessage[]): StructType {
  const seen = new Set<StructType>()
  let merged: StructType | undefined
  for (const m of messages) {
    if (m.decoded.kind !== 'row') continue
    const schema = m.decoded.schema
    if (seen.has(schema)) continue
    seen.add(schema)
    merged = merged === undefined ? schema : mergeBatchSchemas(merged, schema)
  }
  return merged === undefined ? { type: 'struct', fields: [] } : storable(merged) as StructType
}

/** Whether the row has a top-level key the job writes itself. */
function hasReservedName(row: Record<string, unknown>): boolean {
  for (const name of RESERVED_NAMES) if (Object.hasOwn(row, name)) return true
  return false
}

export async function writeRawBatch(lake: LakeEngine, catalog: LakeCatalog, source: SourceSpec, messages: IngestMessage[]): Promise<RawBatchResult> {
  const rawPath = catalog.pathOf(source.table)
  const deadPath = catalog.pathOf(DEAD_LETTERS_TABLE)
  const [raw, dead] = await Promise.all([snapshotOrNothing(lake, rawPath), snapshotOrNothing(lake, deadPath)])
  const result: RawBatchResult = { rows: 0, tombstones: 0, deadLetters: 0, skipped: 0 }

  // Per partition, the batch's last offset: both tables record it, whatever each received.
  const last = new Map<string, { topic: string; partition: number; offset: number }>()
  for (const m of messages) {
    const key = `${m.topic}\u0000${m.partition}`
    const offset = Number(m.offset)
    if (offset > (last.get(key)?.offset ?? -1)) last.set(key, { topic: m.topic, partition: m.partition, offset })
  }
  const txns = (snapshot: Snapshot | undefined): Txn[] => [...last.values()]
    .filter((p) => p.offset > recordedOffset(snapshot, source.name, p.topic, p.partition))
    .map((p) => ({ appId: offsetAppId(source.name, p.topic, p.partition), version: p.offset }))

  // The NDJSON lines of the raw rows, each serialised as soon as it is decided.
  const rows = new NdjsonLines()
  const deadLetters: Record<string, unknown>[] = []
  // New columns are typed by the whole batch, not by the first message that has them: a field
  // seen both whole and fractional is double (decode/merge.ts), and a hint names a type up front.
  const hints = normaliseHints(source.schemaHints)
  let schema: StructType = evolveRawSchema(raw?.schema ?? { type: 'struct', fields: [...METADATA_FIELDS] }, batchSchema(messages), hints, RESERVED_NAMES)
  let fits = shapesFitting(schema)
  let fitsSchema = schema
  const now = new Date().toISOString()
  const deadFloor = recordedOffsets(dead, source.name)
  const rawFloor = recordedOffsets(raw, source.name)
  const toDeadLetter = (m: IngestMessage, reason: string, detail?: string) => {
    if (Number(m.offset) <= deadFloor(m.topic, m.partition)) { result.skipped++; return }
    deadLetters.push({ source: source.name, ...coordinates(m), value: m.value ? Buffer.from(m.value).toString('base64') : null, reason, detail: detail ?? null, failed_at: now })
  }
  for (const m of messages) {
    if (m.decoded.kind === 'error') { toDeadLetter(m, m.decoded.reason, m.decoded.detail); continue }
    if (Number(m.offset) <= rawFloor(m.topic, m.partition)) { result.skipped++; continue }
    if (m.decoded.kind === 'tombstone') {
      rows.add(ndjsonLine({ ...coordinates(m), _tombstone: true }))
      result.tombstones++
      continue
    }
    const shape = m.decoded.shape
    // A shape already decided against this schema: every step below would accept the row
    // unchanged, and its line is what the last line of the loop would write (see spliceMembers).
    if (shape !== undefined && fits.get(shape) === m.decoded.schema) {
      rowsDecidedByShape++
      const bytes = m.decoded instanceof TextRow ? m.decoded.bytes : undefined
      if (bytes !== undefined) rows.addWithMembers(bytes, liveCoordinateMembers(m))
      else rows.add(spliceMembers(m.decoded instanceof TextRow ? m.decoded.text : JSON.stringify(m.decoded.row), liveCoordinateMembers(m)))
      continue
    }
    const row = m.decoded.row
    // The table takes what is new in the row (at any depth) and keeps its types: a value that does
    // not fit its column is rescued while the rest of the row lands (raw-schema.ts, decode/rescue.ts).
    const rowSchema = storable(m.decoded.schema) as StructType
    const merged = evolveRawSchema(schema, rowSchema, hints, RESERVED_NAMES)
    const reservedName = hasReservedName(row)
    // Values were typed from themselves: when every column the row has is typed as the table's,
    // or in a type any of whose values fits the table's (long into double), they fit, and the
    // per-value check (the costliest step of a batch) can be skipped.
    // (A shaped row's integers are safe ones: a double holds them all.)
    const fitByType = !reservedName && (typedExactlyAsTable(row, rowSchema, merged) || (shape !== undefined && fitsWhateverTheValues(rowSchema, merged)))
    const fitted = fitByType ? { row, rescued: undefined } : fitRow(row, merged, RESERVED_NAMES)
    // Decided by the shape alone (its names and types) when nothing depended on the values: no
    // schema change, no per-value check, and no column the coordinates would overwrite.
    if (shape !== undefined && fitByType && merged === schema) fits.set(shape, m.decoded.schema)
    if (merged !== schema) schema = merged
    let rescued: string | undefined
    if (fitted.rescued !== undefined) {
      if (!schema.fields.some((f) => f.name === RESCUED_DATA_COLUMN)) schema = { type: 'struct', fields: [...schema.fields, RESCUED_FIELD] }
      rescued = ndjsonLine(fitted.rescued)
    }
    if (schema !== fitsSchema) fits = shapesFitting(fitsSchema = schema)
    rows.add(ndjsonLine(rescued === undefined ? { ...fitted.row, ...coordinates(m), _tombstone: false } : { ...fitted.row, ...coordinates(m), _tombstone: false, [RESCUED_DATA_COLUMN]: rescued }))
  }
  result.rows = rows.count - result.tombstones
  result.deadLetters = deadLetters.length

  // Dead letters first: if the raw commit then fails, the restart replays from the raw table's
  // offsets and skips what the dead-letter table already holds.
  const deadTxns = txns(dead)
  if (deadLetters.length || (dead && deadTxns.length)) {
    const lines = new NdjsonLines()
    for (const letter of deadLetters) lines.add(ndjsonLine(letter))
    result.deadLetterVersion = await appendRows(lake, deadPath, DEAD_LETTER_SCHEMA, lines, deadTxns, dead, source)
  }
  const rawTxns = txns(raw)
  if (rows.count || rawTxns.length) result.rawVersion = await appendRows(lake, rawPath, schema, rows, rawTxns, raw, source)
  return result
}

/** Append NDJSON lines of JSON-safe rows, DuckDB reading them with the table's column types. */
async function appendRows(
  lake: LakeEngine, table: string, schema: StructType, rows: NdjsonLines, txns: Txn[], snapshot: Snapshot | undefined, source: SourceSpec,
): Promise<number> {
  // Left behind only by a killed job; the next job removes it once it is an hour old.
  const file = await stagingFile('lakehouse-batch-', '.ndjson')
  try {
    await rows.writeTo(file)
    const columns = schema.fields.map((f) => `${quoteString(f.name)}: ${quoteString(duckdbType(f.type))}`).join(', ')
    const sql = rows.count
      ? `SELECT * FROM read_json(${quoteString(file)}, format = 'newline_delimited', columns = {${columns}}, maximum_object_size = ${objectSizeLimit(rows.longestBytes)})`
      : `SELECT * FROM read_json(${quoteString(file)}, format = 'newline_delimited', columns = {${columns}}) WHERE false`
    const result = await appendQuery(lake, table, sql, {
      snapshot,
      txns,
      sourceSchema: schema,
      create: { properties: { 'delta.enableChangeDataFeed': 'true' } },
      operationParameters: { source: source.name },
    })
    return result.version
  } catch (error) {
    if (error instanceof DeltaError) throw error
    throw new DeltaError('INVALID_ARGUMENT', `writing a batch of source '${source.name}' failed: ${(error as Error).message.split('\n')[0]}`, { table, cause: error })
  } finally {
    await fs.rm(file, { force: true })
  }
}
