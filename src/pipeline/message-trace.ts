/**
 * Lineage from a Kafka message to the lake: what the message at (topic, partition, offset)
 * became in each source reading the topic: a raw row (its table, the version that wrote it, its
 * key and time), or a dead letter (its reason and what became of it: open, replayed into a raw
 * version, discarded). The raw version is read from the raw table's change feed (raw tables are
 * created with it on); when those versions are vacuumed away it is unknown. A message that
 * `dead-letters produce` sent is also traced to the letter it repairs (from the letters' states,
 * which record where each produced letter landed).
 */
import { dropScan, snapshotOrNothing, type LakeEngine } from '../engine'
import { quoteString } from '../delta'
import type { LakeCatalog } from '../engine'
import { selectLetters } from './dead-letter-replay'
import type { DeadLetter } from './dead-letter-state'
import { refinedFates, type ReplayedRow } from './lineage'
import type { FlowSpec, Pipeline, SourceSpec } from './pipeline-file'

export interface MessageCoordinates {
  topic: string
  partition: number
  offset: string
}

export type MessageFate =
  | {
      source: string
      kind: 'row'
      table: string
      rawVersion: number | null
      key: string | null
      timestamp: string | null
      tombstone: boolean
      refined: ReplayedRow[]
    }
  | { source: string; kind: 'dead-letter'; letter: DeadLetter }
  | { source: string; kind: 'produced-from-letter'; letter: DeadLetter }
  | { source: string; kind: 'not-ingested'; table: string; detail: string }

const reads = (source: SourceSpec, topic: string) =>
  source.topic === topic ||
  (source.topicPattern !== undefined && new RegExp(`^(?:${source.topicPattern})$`).test(topic)) ||
  (source.file !== undefined && topic === `file:${source.file.split('/').pop()}`)

/** A capture file (`kcat -J`) keeps its messages' topics: any file source may hold the topic. */
const mayHold = (source: SourceSpec) => source.file !== undefined

/**
 * What the message became in each source of the pipeline that reads its topic, and then in the
 * flows reading that source's table (`flows`: the pipeline's, plus those of its SQL definitions).
 */
export async function traceMessage(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  at: MessageCoordinates,
  flows: FlowSpec[] = pipeline.flows ?? [],
): Promise<MessageFate[]> {
  const fates: MessageFate[] = (await selectLetters(lake, catalog, { producedAt: at }, ['produced'])).map((letter) => ({
    source: letter.source,
    kind: 'produced-from-letter',
    letter,
  }))
  const where = `_topic = ${quoteString(at.topic)} AND _partition = ${at.partition} AND _offset = ${BigInt(at.offset)}`
  for (const source of pipeline.sources.filter((s) => reads(s, at.topic) || mayHold(s))) {
    const named = reads(source, at.topic)
    const [letter] = await selectLetters(lake, catalog, { ids: [`${source.name}/${at.topic}/${at.partition}/${at.offset}`] })
    if (letter) fates.push({ source: source.name, kind: 'dead-letter', letter })
    const snapshot = await snapshotOrNothing(lake, await catalog.confinedPathOf(source.table))
    const row = snapshot ? await findRow(lake, snapshot, where) : undefined
    if (row) {
      const rawVersion = await rowVersion(lake, await catalog.confinedPathOf(source.table), where)
      const refined = rawVersion === null ? [] : await refinedFates(lake, catalog, flows, source.table, rawVersion, at)
      fates.push({ source: source.name, kind: 'row', table: source.table, rawVersion, ...row, refined })
    } else if (!letter && named) {
      fates.push({
        source: source.name,
        kind: 'not-ingested',
        table: source.table,
        detail: snapshot
          ? `${source.table} holds no row of this message, and no dead letter names it: not ingested yet (or the offset is not on the topic)`
          : `${source.table} does not exist yet`,
      })
    }
  }
  return fates
}

async function findRow(lake: LakeEngine, snapshot: Parameters<LakeEngine['scan']>[0], where: string) {
  const db = await lake.duckdb()
  const scan = await lake.scan(snapshot)
  try {
    const [row] = await db.rows(
      `SELECT _key, strftime(_timestamp AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g UTC') AS ts, _tombstone FROM ${scan.sql} WHERE ${where} LIMIT 1`,
    )
    return row
      ? { key: row._key == null ? null : String(row._key), timestamp: row.ts == null ? null : String(row.ts), tombstone: row._tombstone === true }
      : undefined
  } finally {
    await dropScan(db, scan)
  }
}

/** The version that inserted the row, from the change feed; null when it cannot be read. */
async function rowVersion(lake: LakeEngine, table: string, where: string): Promise<number | null> {
  const db = await lake.duckdb()
  try {
    const feed = await lake.changes(table, { startVersion: 0 })
    try {
      const [row] = await db.rows(`SELECT min(_commit_version) AS v FROM ${feed.sql} WHERE _change_type = 'insert' AND ${where}`)
      return row?.v == null ? null : Number(row.v)
    } finally {
      await dropScan(db, feed)
    }
  } catch {
    return null
  }
}
