/**
 * Writing one micro-batch of consumed messages into the raw zone, exactly once. Decoded rows go
 * to the source's raw table; messages that cannot be decoded or written go to the dead-letter
 * table with the reason. Each table's commit carries the batch's offsets as the offset ledger
 * says (offset-ledger.ts), so a crash at any instant loses nothing and duplicates nothing; a
 * message already recorded in its table is skipped. The rows' layout is raw-zone.ts.
 */
import { promises as fs } from 'node:fs'
import { DeltaError, duckdbType, quoteString, type Txn, type StructType, type Snapshot } from '../delta'
import { fitRow, normaliseHints, RESCUED_DATA_COLUMN, TextRow } from '../decode'
import { NdjsonLines, objectSizeLimit, snapshotOrNothing, stagingFile, type LakeEngine } from '../engine'
import { appendQuery } from '../table'
import type { LakeCatalog } from '../engine'
import type { IngestMessage } from './ingest-message'
import { lastOffsets, offsetTxns, recordedOffsetLookup, type PartitionOffset } from './offset-ledger'
import type { SourceSpec } from './pipeline-file'
import { evolveRawSchema, fitsWhateverTheValues, mergeBatchSchemas, storable } from './raw-schema'
import {
  coordinates,
  DEAD_LETTER_SCHEMA,
  DEAD_LETTERS_TABLE,
  deadLetterRow,
  liveCoordinateMembers,
  METADATA_FIELDS,
  ndjsonLine,
  RESCUED_FIELD,
  RESERVED_NAMES,
  spliceMembers,
} from './raw-zone'
import { countRowDecidedByShape, shapesFitting, typedExactlyAsTable } from './shape-decisions'
import { PipelineError } from './errors'

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
  return merged === undefined ? { type: 'struct', fields: [] } : (storable(merged) as StructType)
}

/** Whether the row has a top-level key the job writes itself. */
function hasReservedName(row: Record<string, unknown>): boolean {
  for (const name of RESERVED_NAMES) if (Object.hasOwn(row, name)) return true
  return false
}

/**
 * Rows of dead letters replayed (dead-letter-replay.ts): written below the offsets the ledger
 * records, into the raw table as it was at `snapshot` (what the caller checked for letters that
 * already landed), with the replay's own txn, so a concurrent replay of the source conflicts.
 */
export interface ReplayCommit {
  snapshot: Snapshot | undefined
  txn: Txn
  operationParameters: Record<string, string>
}

/**
 * Write a batch to the source's raw table and the dead-letter table. `last` is the batch's last
 * offset per partition (lastOffsets(messages)), when the caller has it already.
 */
export async function writeRawBatch(
  lake: LakeEngine,
  catalog: LakeCatalog,
  source: SourceSpec,
  messages: IngestMessage[],
  last: readonly PartitionOffset[] = lastOffsets(messages),
  replay?: ReplayCommit,
): Promise<RawBatchResult> {
  try {
    return await writeRawBatchOnce(lake, catalog, source, messages, last, replay)
  } catch (error) {
    // Every source shares raw._dead_letters: two sources' first letters can race to create it.
    // The loser has committed nothing yet (letters go first), so it decides the batch again on
    // the table the winner made, whose offsets it reads like any other writer's.
    if (!(error instanceof DeltaError && error.code === 'TABLE_EXISTS' && error.table === catalog.pathOf(DEAD_LETTERS_TABLE))) throw error
    return writeRawBatchOnce(lake, catalog, source, messages, last, replay)
  }
}

async function writeRawBatchOnce(
  lake: LakeEngine,
  catalog: LakeCatalog,
  source: SourceSpec,
  messages: IngestMessage[],
  last: readonly PartitionOffset[],
  replay: ReplayCommit | undefined,
): Promise<RawBatchResult> {
  const rawPath = catalog.pathOf(source.table)
  const deadPath = catalog.pathOf(DEAD_LETTERS_TABLE)
  const [raw, dead] = replay ? [replay.snapshot, undefined] : await Promise.all([snapshotOrNothing(lake, rawPath), snapshotOrNothing(lake, deadPath)])
  const result: RawBatchResult = { rows: 0, tombstones: 0, deadLetters: 0, skipped: 0 }

  // Per partition, the batch's last offset: both tables record it, whatever each received.
  const txns = (snapshot: Snapshot | undefined): Txn[] => offsetTxns(last, snapshot, source.name)

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
  const deadFloor = recordedOffsetLookup(dead, source.name)
  const rawFloor = replay ? () => -1 : recordedOffsetLookup(raw, source.name)
  const toDeadLetter = (m: IngestMessage, reason: string, detail?: string) => {
    if (Number(m.offset) <= deadFloor(m.topic, m.partition)) {
      result.skipped++
      return
    }
    deadLetters.push(deadLetterRow(source.name, m, reason, detail, now))
  }
  for (const m of messages) {
    if (m.decoded.kind === 'error') {
      toDeadLetter(m, m.decoded.reason, m.decoded.detail)
      continue
    }
    if (Number(m.offset) <= rawFloor(m.topic, m.partition)) {
      result.skipped++
      continue
    }
    if (m.decoded.kind === 'tombstone') {
      rows.add(ndjsonLine({ ...coordinates(m), _tombstone: true }))
      result.tombstones++
      continue
    }
    const shape = m.decoded.shape
    // A shape already decided against this schema: every step below would accept the row
    // unchanged, and its line is what the last line of the loop would write (see spliceMembers).
    if (shape !== undefined && fits.get(shape) === m.decoded.schema) {
      countRowDecidedByShape()
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
    const taken = m.decoded.rescued ? { ...m.decoded.rescued, ...fitted.rescued } : fitted.rescued
    if (taken !== undefined) {
      if (!schema.fields.some((f) => f.name === RESCUED_DATA_COLUMN)) schema = { type: 'struct', fields: [...schema.fields, RESCUED_FIELD] }
      rescued = ndjsonLine(taken)
    }
    if (schema !== fitsSchema) fits = shapesFitting((fitsSchema = schema))
    rows.add(
      ndjsonLine(
        rescued === undefined
          ? { ...fitted.row, ...coordinates(m), _tombstone: false }
          : { ...fitted.row, ...coordinates(m), _tombstone: false, [RESCUED_DATA_COLUMN]: rescued },
      ),
    )
  }
  result.rows = rows.count - result.tombstones
  result.deadLetters = deadLetters.length

  // Dead letters first: if the raw commit then fails, the restart replays from the raw table's
  // offsets and skips what the dead-letter table already holds.
  if (replay && deadLetters.length) throw new PipelineError('a replay writes only the letters that decode')
  const deadTxns = txns(dead)
  if (deadLetters.length || (dead && deadTxns.length)) {
    const lines = new NdjsonLines()
    for (const letter of deadLetters) lines.add(ndjsonLine(letter))
    result.deadLetterVersion = await appendRows(lake, deadPath, DEAD_LETTER_SCHEMA, lines, deadTxns, dead, source)
  }
  const rawTxns = replay ? [replay.txn] : txns(raw)
  if (rows.count || rawTxns.length) result.rawVersion = await appendRows(lake, rawPath, schema, rows, rawTxns, raw, source, replay?.operationParameters)
  return result
}

/** Append NDJSON lines of JSON-safe rows, DuckDB reading them with the table's column types. */
async function appendRows(
  lake: LakeEngine,
  table: string,
  schema: StructType,
  rows: NdjsonLines,
  txns: Txn[],
  snapshot: Snapshot | undefined,
  source: SourceSpec,
  parameters: Record<string, string> = {},
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
      operationParameters: { source: source.name, ...parameters },
    })
    return result.version
  } catch (error) {
    if (error instanceof DeltaError) throw error
    throw new DeltaError('INVALID_ARGUMENT', `writing a batch of source '${source.name}' failed: ${(error as Error).message.split('\n')[0]}`, {
      table,
      cause: error,
    })
  } finally {
    await fs.rm(file, { force: true })
  }
}
