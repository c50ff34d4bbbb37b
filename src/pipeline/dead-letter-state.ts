/**
 * Dead letters and what became of them. The letters themselves stay as ingest wrote them in
 * raw._dead_letters (never rewritten); each decision about one is a row appended to
 * raw._dead_letter_states (source, coordinates, state, the raw version it landed in, the fix, a
 * note, when; for a letter produced back to its topic, where the new message landed): the latest
 * row of a letter is its state, the table (and its Delta history) the record of every decision. A
 * letter without a row is open. The produced_* columns came later: a states table written before
 * them gains them on its next write, and reads fill them with NULL until then.
 */
import { promises as fs } from 'node:fs'
import { duckdbType, quoteString, type StructType } from '../delta'
import { dropScan, NdjsonLines, snapshotOrNothing, stagingFile, type LakeEngine } from '../engine'
import { appendQuery } from '../table'
import type { JsonRow } from '../engine'
import type { LakeCatalog } from '../engine'
import { DEAD_LETTERS_TABLE, ndjsonLine } from './raw-zone'

export const DEAD_LETTER_STATES_TABLE = 'raw._dead_letter_states'

export type LetterState = 'open' | 'replayed' | 'discarded' | 'produced'

export const LETTER_STATES: readonly LetterState[] = ['open', 'replayed', 'discarded', 'produced']

const field = (name: string, type: string) => ({ name, type, nullable: true, metadata: {} })

export const DEAD_LETTER_STATE_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    field('source', 'string'),
    field('_topic', 'string'),
    field('_partition', 'integer'),
    field('_offset', 'long'),
    field('state', 'string'),
    field('raw_table', 'string'),
    field('raw_version', 'long'),
    field('fix', 'string'),
    field('note', 'string'),
    field('changed_at', 'timestamp'),
    field('produced_topic', 'string'),
    field('produced_partition', 'integer'),
    field('produced_offset', 'long'),
  ],
}

/** A letter: where its message was, its bytes, why it failed, and its state now. */
export interface DeadLetter {
  source: string
  topic: string
  partition: number
  offset: string
  timestamp: string | null
  key: string | null
  headers: Record<string, string | null>
  /** The value's bytes, null for a null value. */
  value: Buffer | null
  reason: string
  detail: string | null
  failedAt: string | null
  state: LetterState
  rawVersion: number | null
  note: string | null
  /** For a produced letter: where the fixed value landed. */
  producedTo: ProducedTo | null
}

/** A message a letter was produced to: topic, partition, offset. */
export interface ProducedTo {
  topic: string
  partition: number
  offset: string
}

export interface StateChange {
  source: string
  topic: string
  partition: number
  offset: string
  state: Exclude<LetterState, 'open'>
  rawTable?: string
  rawVersion?: number
  fix?: string
  note?: string
  producedTo?: ProducedTo
}

/** `source/topic/partition/offset`: how a letter is named on the command line and in reports. */
export function letterId(letter: Pick<DeadLetter, 'source' | 'topic' | 'partition' | 'offset'>): string {
  return `${letter.source}/${letter.topic}/${letter.partition}/${letter.offset}`
}

/** Run `sql` with `{letters}` and `{states}` standing for the two tables' current rows (an empty relation for a table not created yet). */
export async function queryLetterTables(lake: LakeEngine, catalog: LakeCatalog, sql: string): Promise<JsonRow[]> {
  const db = await lake.duckdb()
  const [letters, states] = await Promise.all([
    snapshotOrNothing(lake, await catalog.confinedPathOf(DEAD_LETTERS_TABLE)),
    snapshotOrNothing(lake, await catalog.confinedPathOf(DEAD_LETTER_STATES_TABLE)),
  ])
  if (!letters) return []
  const lettersScan = await lake.scan(letters)
  const statesScan = states ? await lake.scan(states) : undefined
  const emptyStates = `(SELECT * FROM (VALUES (NULL::VARCHAR, NULL::VARCHAR, NULL::INTEGER, NULL::BIGINT, NULL::VARCHAR, NULL::VARCHAR, NULL::BIGINT, NULL::VARCHAR, NULL::VARCHAR, NULL::TIMESTAMPTZ, NULL::VARCHAR, NULL::INTEGER, NULL::BIGINT))
    t(source, _topic, _partition, _offset, state, raw_table, raw_version, fix, note, changed_at, produced_topic, produced_partition, produced_offset) WHERE false)`
  // By name: a states table from before a column was added reads it as NULL.
  const allStates = statesScan ? `(SELECT * FROM ${emptyStates} UNION ALL BY NAME SELECT * FROM ${statesScan.sql})` : emptyStates
  try {
    return await db.rows(sql.replaceAll('{letters}', lettersScan.sql).replaceAll('{states}', allStates))
  } finally {
    await dropScan(db, lettersScan)
    if (statesScan) await dropScan(db, statesScan)
  }
}

/** Each letter with its latest state (SQL over {letters} and {states}). */
export const LETTERS_WITH_STATE = `
  SELECT l.*, coalesce(s.state, 'open') AS state, s.raw_version, s.note, s.produced_topic, s.produced_partition, s.produced_offset
  FROM {letters} l
  LEFT JOIN (SELECT * FROM {states} QUALIFY row_number() OVER (PARTITION BY source, _topic, _partition, _offset ORDER BY changed_at DESC) = 1) s
    ON s.source = l.source AND s._topic = l._topic AND s._partition = l._partition AND s._offset = l._offset`

/** A MAP column as DuckDB's rows give it (a list of key/value entries) or an object. */
function headersOf(value: unknown): Record<string, string | null> {
  if (Array.isArray(value)) return Object.fromEntries(value.map((e: { key: string; value: string | null }) => [e.key, e.value]))
  return (value ?? {}) as Record<string, string | null>
}

export function letterOf(row: JsonRow): DeadLetter {
  return {
    source: String(row.source),
    topic: String(row._topic),
    partition: Number(row._partition),
    offset: String(row._offset),
    timestamp: row._timestamp == null ? null : String(row._timestamp),
    key: row._key == null ? null : String(row._key),
    headers: headersOf(row._headers),
    value: row.value == null ? null : Buffer.from(String(row.value), 'base64'),
    reason: String(row.reason),
    detail: row.detail == null ? null : String(row.detail),
    failedAt: row.failed_at == null ? null : String(row.failed_at),
    state: String(row.state ?? 'open') as LetterState,
    rawVersion: row.raw_version == null ? null : Number(row.raw_version),
    note: row.note == null ? null : String(row.note),
    producedTo:
      row.produced_topic == null ? null : { topic: String(row.produced_topic), partition: Number(row.produced_partition), offset: String(row.produced_offset) },
  }
}

/** Append state changes in one commit; returns the state table's new version. */
export async function recordStates(lake: LakeEngine, catalog: LakeCatalog, changes: StateChange[]): Promise<number | undefined> {
  if (changes.length === 0) return undefined
  const table = await catalog.confinedPathOf(DEAD_LETTER_STATES_TABLE)
  const now = new Date().toISOString()
  const lines = new NdjsonLines()
  for (const c of changes) {
    lines.add(
      ndjsonLine({
        source: c.source,
        _topic: c.topic,
        _partition: c.partition,
        _offset: c.offset,
        state: c.state,
        raw_table: c.rawTable ?? null,
        raw_version: c.rawVersion ?? null,
        fix: c.fix ?? null,
        note: c.note ?? null,
        changed_at: now,
        produced_topic: c.producedTo?.topic ?? null,
        produced_partition: c.producedTo?.partition ?? null,
        produced_offset: c.producedTo?.offset ?? null,
      }),
    )
  }
  const file = await stagingFile('lakehouse-letter-states-', '.ndjson')
  try {
    await lines.writeTo(file)
    const columns = DEAD_LETTER_STATE_SCHEMA.fields.map((f) => `${quoteString(f.name)}: ${quoteString(duckdbType(f.type))}`).join(', ')
    const snapshot = await snapshotOrNothing(lake, table)
    const result = await appendQuery(lake, table, `SELECT * FROM read_json(${quoteString(file)}, format = 'newline_delimited', columns = {${columns}})`, {
      snapshot,
      sourceSchema: DEAD_LETTER_STATE_SCHEMA,
      create: { properties: { 'delta.enableChangeDataFeed': 'true' } },
      operationParameters: { states: [...new Set(changes.map((c) => c.state))].join(',') },
    })
    return result.version
  } finally {
    await fs.rm(file, { force: true })
  }
}
