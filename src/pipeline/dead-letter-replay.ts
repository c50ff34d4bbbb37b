/**
 * Replaying dead letters into their source's raw table, exactly once, keeping each letter's Kafka
 * coordinates (so lineage from raw rows back to messages holds). A letter is decoded again with
 * the pipeline file as it is now (a changed format or schemaHints apply), or with a fix: an edited
 * value for one letter, or a JSON Patch (RFC 6902) applied to the JSON value of every letter
 * selected.
 *
 * Exactly once, whatever crashes: the raw table itself says whether a letter landed. Ingest
 * writes a message either as a raw row or as a dead letter, never both, so a raw row at a
 * letter's coordinates (topic, partition, offset) can only be that letter replayed. A replay
 * reads the raw snapshot, leaves out the letters that already have a row there, and commits the
 * others' rows on top of that very snapshot with a txn of its own (appId
 * `lakehouse-replay/<source>`, version one more than the last replay's): a replay of the same
 * source committing in between makes this commit conflict instead of landing twice. Only then is
 * each letter's new state appended to raw._dead_letter_states; a replay killed after its raw
 * commit and before that is completed by the next run, which finds the rows at the letters'
 * coordinates and records the letters as replayed without writing them again.
 */
// The default export: node's ESM loader sees no named exports in the package's CommonJS main.
import jsonPatch, { type Operation } from 'fast-json-patch'
import { createDecoder, type Decoded, type DecoderOptions } from '../decode'
import { quoteString } from '../delta'
import { dropScan, snapshotOrNothing, type LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import {
  DEAD_LETTER_STATES_TABLE,
  LETTER_STATES,
  letterId,
  letterOf,
  LETTERS_WITH_STATE,
  queryLetterTables,
  recordStates,
  type DeadLetter,
  type StateChange,
} from './dead-letter-state'
import type { IngestMessage } from './ingest-message'
import type { Pipeline, SourceSpec } from './pipeline-file'
import { writeRawBatch } from './raw-batch'

export interface LetterSelection {
  source?: string
  reason?: string
  /** letterId()s. */
  ids?: string[]
  /** The letter produced to this message (its state says where it landed). */
  producedAt?: { topic: string; partition: number; offset: string }
}

export interface LetterFix {
  /** The value to decode instead of the letter's (one letter only), as bytes in the source's format. */
  value?: Uint8Array
  /** Applied to each selected letter's value read as JSON text. */
  patch?: Operation[]
}

export interface StillFailing {
  id: string
  reason: string
  detail?: string
}

export interface SourceReplay {
  source: string
  table: string
  replayed: number
  rawVersion?: number
  /** Letters found already in the raw table (an earlier replay was interrupted before recording them). */
  recovered: number
  stillFailing: StillFailing[]
}

export class LetterSelectionError extends Error {}

const where = (s: LetterSelection, states: readonly string[]) =>
  [
    `state IN (${states.map(quoteString).join(', ')})`,
    ...(s.source ? [`source = ${quoteString(s.source)}`] : []),
    ...(s.reason ? [`reason = ${quoteString(s.reason)}`] : []),
    ...(s.ids ? [`(source || '/' || _topic || '/' || _partition || '/' || _offset) IN (${s.ids.map(quoteString).join(', ') || 'NULL'})`] : []),
    ...(s.producedAt
      ? [
          `produced_topic = ${quoteString(s.producedAt.topic)} AND produced_partition = ${s.producedAt.partition} AND produced_offset = ${BigInt(s.producedAt.offset)}`,
        ]
      : []),
  ].join(' AND ')

/** The selected letters (with their current state), ordered by source and coordinates. */
export async function selectLetters(
  lake: LakeEngine,
  catalog: LakeCatalog,
  selection: LetterSelection,
  states: readonly string[] = LETTER_STATES,
): Promise<DeadLetter[]> {
  const rows = await queryLetterTables(
    lake,
    catalog,
    `SELECT * FROM (${LETTERS_WITH_STATE}) WHERE ${where(selection, states)} ORDER BY source, _topic, _partition, _offset`,
  )
  return rows.map(letterOf)
}

/** The letter's message as the decoders take it: key and headers back to bytes/text as ingest had them. */
export function letterMessage(letter: DeadLetter, value: Uint8Array | null = letter.value): IngestMessage & { decoded: Decoded } {
  const key = letter.key === null ? null : letter.key.startsWith('base64:') ? Buffer.from(letter.key.slice(7), 'base64') : Buffer.from(letter.key, 'utf8')
  const millis = letter.timestamp === null ? Date.now() : Date.parse(letter.timestamp)
  return {
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    timestamp: String(Number.isNaN(millis) ? Date.now() : millis),
    key,
    value,
    headers: letter.headers,
    decoded: { kind: 'tombstone' },
  }
}

/** The value a fix makes of a letter's (the letter's own without a fix). */
export function fixedValue(letter: DeadLetter, fix: LetterFix): Uint8Array | null {
  if (fix.value !== undefined) return fix.value
  if (!fix.patch) return letter.value
  let document: unknown
  try {
    document = JSON.parse((letter.value ?? Buffer.alloc(0)).toString('utf8'))
  } catch (error) {
    throw new PatchError(`its value is not JSON, so a JSON Patch cannot apply (${(error as Error).message}): edit it with --value instead`)
  }
  try {
    return Buffer.from(JSON.stringify(jsonPatch.applyPatch(document, fix.patch, true, false).newDocument), 'utf8')
  } catch (error) {
    throw new PatchError(`the patch does not apply: ${(error as Error).message.split('\n')[0]}`)
  }
}

export class PatchError extends Error {}

/** Decode a letter (fixed) with the source's decoder as the pipeline file says now. */
export async function decodeLetter(letter: DeadLetter, source: SourceSpec, fix: LetterFix, decoderOptions: DecoderOptions): Promise<Decoded> {
  let value: Uint8Array | null
  try {
    value = fixedValue(letter, fix)
  } catch (error) {
    if (error instanceof PatchError) return { kind: 'error', reason: 'patch-failed', detail: error.message }
    throw error
  }
  return createDecoder(source.format, decoderOptions).decode(letterMessage(letter, value))
}

const at = (l: DeadLetter) => ({ source: l.source, topic: l.topic, partition: l.partition, offset: l.offset })

export const replayAppId = (source: string) => `lakehouse-replay/${source}`

/** Which of `letters` already have a row in the raw table's `scanSql` (their coordinates). */
async function landedIn(lake: LakeEngine, scanSql: string, letters: DeadLetter[]): Promise<Set<string>> {
  if (letters.length === 0) return new Set()
  const db = await lake.duckdb()
  const values = letters.map((l) => `(${quoteString(l.topic)}, ${l.partition}, ${BigInt(l.offset)})`).join(', ')
  const rows = await db.rows(
    `SELECT DISTINCT r._topic, r._partition, r._offset FROM ${scanSql} r JOIN (VALUES ${values}) c(t, p, o) ON r._topic = c.t AND r._partition = c.p AND r._offset = c.o`,
  )
  return new Set(rows.map((r) => `${r._topic}/${r._partition}/${r._offset}`))
}

export interface ReplayOptions {
  fix?: LetterFix
  decoder: DecoderOptions
  /** Called before each commit (tests and progress). */
  onStep?: (step: 'recovered' | 'raw-commit' | 'states', source: string) => void
}

/** Replay the selected open letters, source by source. */
export async function replayLetters(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  selection: LetterSelection,
  options: ReplayOptions,
): Promise<SourceReplay[]> {
  const letters = await selectLetters(lake, catalog, selection, ['open'])
  const fix = options.fix ?? {}
  if (fix.value !== undefined && letters.length > 1)
    throw new LetterSelectionError(`an edited value replaces one letter's, but the selection holds ${letters.length} open letters: name one letter`)
  const bySource = new Map<string, DeadLetter[]>()
  for (const letter of letters) bySource.set(letter.source, [...(bySource.get(letter.source) ?? []), letter])
  const reports: SourceReplay[] = []
  for (const [name, ofSource] of bySource) {
    const source = pipeline.sources.find((s) => s.name === name)
    if (!source)
      throw new LetterSelectionError(
        `letters of source '${name}' cannot be replayed: ${pipeline.file} has no such source (sources: ${pipeline.sources.map((s) => s.name).join(', ')})`,
      )
    reports.push(await replaySource(lake, catalog, source, ofSource, fix, options))
  }
  return reports
}

async function replaySource(
  lake: LakeEngine,
  catalog: LakeCatalog,
  source: SourceSpec,
  letters: DeadLetter[],
  fix: LetterFix,
  options: ReplayOptions,
): Promise<SourceReplay> {
  const report: SourceReplay = { source: source.name, table: source.table, replayed: 0, recovered: 0, stillFailing: [] }
  const rawPath = await catalog.confinedPathOf(source.table)
  const snapshot = await snapshotOrNothing(lake, rawPath)
  let landed = new Set<string>()
  if (snapshot) {
    const scan = await lake.scan(snapshot)
    try {
      landed = await landedIn(lake, scan.sql, letters)
    } finally {
      await dropScan(await lake.duckdb(), scan)
    }
  }
  const coordinates = (l: DeadLetter) => `${l.topic}/${l.partition}/${l.offset}`
  const recovered = letters.filter((l) => landed.has(coordinates(l)))
  if (recovered.length) {
    options.onStep?.('recovered', source.name)
    await recordStates(
      lake,
      catalog,
      recovered.map((l) => ({
        ...at(l),
        state: 'replayed',
        rawTable: source.table,
        note: 'found in the raw table: an earlier replay committed it and was interrupted before recording it',
      })),
    )
    report.recovered = recovered.length
  }
  const messages: IngestMessage[] = []
  const replayed: DeadLetter[] = []
  for (const letter of letters.filter((l) => !landed.has(coordinates(l)))) {
    const decoded = await decodeLetter(letter, source, fix, options.decoder)
    if (decoded.kind === 'error') {
      report.stillFailing.push({ id: letterId(letter), reason: decoded.reason, ...(decoded.detail ? { detail: decoded.detail } : {}) })
      continue
    }
    messages.push({ ...letterMessage(letter, fixedValue(letter, fix)), decoded })
    replayed.push(letter)
  }
  if (messages.length === 0) return report
  const appId = replayAppId(source.name)
  options.onStep?.('raw-commit', source.name)
  const result = await writeRawBatch(lake, catalog, source, messages, [], {
    snapshot,
    txn: { appId, version: (snapshot?.txns.get(appId)?.version ?? 0) + 1 },
    operationParameters: { replayedLetters: String(messages.length), fix: fixName(fix) },
  })
  report.replayed = messages.length
  report.rawVersion = result.rawVersion
  options.onStep?.('states', source.name)
  const changes: StateChange[] = replayed.map((l) => ({
    ...at(l),
    state: 'replayed',
    rawTable: source.table,
    ...(result.rawVersion !== undefined ? { rawVersion: result.rawVersion } : {}),
    fix: fixName(fix),
  }))
  await recordStates(lake, catalog, changes)
  return report
}

function fixName(fix: LetterFix): string {
  if (fix.value !== undefined) return 'edited value'
  if (fix.patch) return `JSON Patch ${JSON.stringify(fix.patch)}`
  return 'decoded with the pipeline file as it is now'
}

/** Mark the selected open letters as discarded, with a note saying why. */
export async function discardLetters(lake: LakeEngine, catalog: LakeCatalog, selection: LetterSelection, note: string): Promise<DeadLetter[]> {
  const letters = await selectLetters(lake, catalog, selection, ['open'])
  await recordStates(
    lake,
    catalog,
    letters.map((l) => ({ ...at(l), state: 'discarded', note })),
  )
  return letters
}

export { DEAD_LETTER_STATES_TABLE }
