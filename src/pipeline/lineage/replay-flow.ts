/**
 * Replays one refine commit for lineage: the source versions it consumed (refine-ranges.ts) are read
 * again from the source's change feed and put through the flow's transforms, as the batch did, with
 * one bookkeeping column carried through every step (a row number in append mode, the change's
 * position in cdc mode) that leads back to the raw row and its Kafka coordinates. Nothing is
 * written. The caller's filter, SQL over the replayed rows' columns (`__table`, `__row_key`,
 * `__raw_version`, `__topic`, `__partition`, `__offset`), keeps the rows it asks about.
 *
 * A row is named by its table and `__row_key`: the JSON of its key columns, each cast to text
 * (the flow's key; a child table's parent key and index; every column of a keyless append flow),
 * so a replayed row and a row read from the table compare by value whatever their types.
 */
import { quoteIdentifier, quoteString } from '../../delta'
import { dropScan, type LakeEngine, type RegisteredScan } from '../../engine'
import type { LakeCatalog } from '../../engine'
import { applyTransforms, describeRelation, type Relation, type Transform, type TransformedBatch } from '../../transform'
import type { FlowSpec } from '../pipeline-file'
import { readChangeBatch } from '../refine/change-events'
import { documentStateTable, storedDocuments } from '../refine/document-state'
import { rawShape } from '../refine/raw-shape'
import type { RefineRange } from './refine-ranges'

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** A raw row as one replayed refine commit used it. */
export interface ReplayedRow {
  /** The output table (`zone.table`): the flow's target or one of its child tables. */
  table: string
  /** The output row's key columns, as text. */
  row: Record<string, string | null>
  rowKey: string
  /** The output table's version that commit wrote. */
  refinedVersion: number
  /** The raw table and the version of it that holds the row. */
  rawTable: string
  rawVersion: number
  topic: string | null
  partition: number | null
  offset: string | null
  key: string | null
  timestamp: string | null
  /** append: insert; cdc: the change it is (upsert or delete), its sequence value and position in the batch. */
  change: 'insert' | 'upsert' | 'delete'
  sequence: string | null
  position: number | null
  /** cdc: whether this change is the one the batch applied to the row (its last); append rows always are. */
  applied: boolean
}

/** The flow's transforms cannot carry the bookkeeping column (a sql step that leaves it out). */
export class NotReplayable extends Error {}

const q = quoteIdentifier
const HIDDEN = ['_change_type', '_commit_version', '_commit_timestamp', '_tombstone']
let replayCounter = 0

/** `to_json` of the columns as text: how a row is named by its key (see the header). */
export function rowKeySql(columns: string[], alias = ''): string {
  return `to_json(struct_pack(${columns.map((c) => `${q(c)} := CAST(${alias}${q(c)} AS VARCHAR)`).join(', ')}))::VARCHAR`
}

/**
 * The key columns that name a row of the flow's target: every column when the flow has no key, in
 * name order (the table's order and the replayed rows' may differ).
 */
export function targetKey(flow: FlowSpec, columns: string[]): string[] {
  return flow.key?.length ? flow.key : columns.filter((c) => !c.startsWith('__')).sort()
}

export async function replayRange(lake: LakeEngine, catalog: LakeCatalog, flow: FlowSpec, range: RefineRange, filter: string): Promise<ReplayedRow[]> {
  const db = await lake.duckdb()
  const rawPath = catalog.pathOf(flow.from)
  const schema = (await lake.snapshot(rawPath, { version: range.to })).schema
  const shape = flow.mode === 'cdc' ? rawShape(schema, flow.from, flow.key, flow) : undefined
  const types = (shape?.changeTypes ?? ['insert']).map(quoteString).join(', ')
  const raw = `__lineage_raw_${++replayCounter}`
  let feed: RegisteredScan | undefined
  try {
    feed = await lake.changes(rawPath, { startVersion: range.from, endVersion: range.to })
    await db.run(`CREATE TEMP TABLE ${raw} AS SELECT *, row_number() OVER () AS __lineage_id FROM ${feed.sql} WHERE "_change_type" IN (${types})`)
    const columns = (await describeRelation(db, raw)).map((c) => c.name)
    const kafka = columns.includes('_offset')
    const coordinates = kafka
      ? `r."_topic" AS __topic, r."_partition" AS __partition, CAST(r."_offset" AS VARCHAR) AS __offset, CAST(r."_key" AS VARCHAR) AS __key,
         strftime(r."_timestamp" AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%g UTC') AS __time`
      : 'NULL::VARCHAR AS __topic, NULL::INTEGER AS __partition, NULL::VARCHAR AS __offset, NULL::VARCHAR AS __key, NULL::VARCHAR AS __time'
    const replayed = shape
      ? await replayChanges(lake, flow, catalog.pathOf(documentStateTable(flow.to, flow.name)), raw, shape, coordinates, kafka, filter)
      : await replayAppends(lake, flow, raw, columns, coordinates, filter)
    return replayed.map((r) => ({
      table: String(r.__table),
      row: JSON.parse(String(r.__row_key)) as Record<string, string | null>,
      rowKey: String(r.__row_key),
      refinedVersion: range.refinedVersion,
      rawTable: flow.from,
      rawVersion: Number(r.__raw_version),
      topic: r.__topic == null ? null : String(r.__topic),
      partition: r.__partition == null ? null : Number(r.__partition),
      offset: r.__offset == null ? null : String(r.__offset),
      key: r.__key == null ? null : String(r.__key),
      timestamp: r.__time == null ? null : String(r.__time),
      change: String(r.__change) as ReplayedRow['change'],
      sequence: r.__seq == null ? null : String(r.__seq),
      position: r.__pos == null ? null : Number(r.__pos),
      applied: r.__applied === true,
    }))
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${raw}`)
    if (feed) await dropScan(db, feed)
  }
}

type Row = Record<string, unknown>

async function replayAppends(lake: LakeEngine, flow: FlowSpec, raw: string, columns: string[], coordinates: string, filter: string): Promise<Row[]> {
  const db = await lake.duckdb()
  const hidden = HIDDEN.filter((c) => columns.includes(c))
  const skip = columns.includes('_tombstone') ? 'WHERE NOT coalesce("_tombstone", false)' : ''
  const input = `(SELECT * EXCLUDE (${hidden.map(q).join(', ')}) FROM ${raw} ${skip})`
  const batch = await transform(lake, flow, { sql: input, columns: await describeRelation(db, input) }, '__lineage_id')
  try {
    const mainKey = targetKey(
      flow,
      batch.main.columns.map((c) => c.name),
    )
    const outputs = [
      `SELECT ${quoteString(flow.to)} AS __table, ${rowKeySql(mainKey)} AS __row_key, __lineage_id FROM ${batch.main.sql}`,
      ...childRows(batch, '__lineage_id'),
    ]
    return await db.rows(`SELECT o.__table, o.__row_key, r."_commit_version" AS __raw_version, ${coordinates},
        'insert' AS __change, NULL::VARCHAR AS __seq, NULL::BIGINT AS __pos, true AS __applied
      FROM (${outputs.join(' UNION ALL ')}) o JOIN ${raw} r USING (__lineage_id)
      WHERE ${filter}`)
  } finally {
    await batch.dispose()
  }
}

/**
 * cdc: every change of the range (history kept, so none is folded away), its image transformed as
 * the batch did (upserts with the flow's filters, deletes without), named by its position.
 */
async function replayChanges(
  lake: LakeEngine,
  flow: FlowSpec,
  documentsPath: string,
  raw: string,
  shape: ReturnType<typeof rawShape>,
  coordinates: string,
  kafka: boolean,
  filter: string,
): Promise<Row[]> {
  const db = await lake.duckdb()
  // The stored documents are the latest, not those as of the replayed range: a partial update
  // resolves against them, which names the same document (its id does not change).
  const documents = shape.kind === 'mongo' ? (entities: string[]) => storedDocuments(lake, documentsPath, entities) : undefined
  const changes = await readChangeBatch(db, raw, shape, { sequenceBy: flow.sequenceBy, history: true, table: flow.to, documents })
  const images = async (op: string): Promise<Relation> => {
    const sql = `(SELECT unnest(__image), __pos FROM ${changes.final} WHERE __op = '${op}')`
    return { sql, columns: await describeRelation(db, sql) }
  }
  let upserts: TransformedBatch | undefined
  let deletes: TransformedBatch | undefined
  try {
    upserts = await transform(lake, flow, await images('upsert'), '__pos')
    deletes = await transform(lake, { ...flow, transforms: (flow.transforms ?? []).filter((t) => t.op !== 'filter') }, await images('delete'), '__pos')
    const key = targetKey(
      flow,
      upserts.main.columns.map((c) => c.name),
    )
    const outputs = [
      `SELECT ${quoteString(flow.to)} AS __table, ${rowKeySql(key)} AS __row_key, __pos, 'upsert' AS __change FROM ${upserts.main.sql}`,
      `SELECT ${quoteString(flow.to)} AS __table, ${rowKeySql(key)} AS __row_key, __pos, 'delete' AS __change FROM ${deletes.main.sql}`,
      ...childRows(upserts, '__pos', `'upsert' AS __change`),
    ]
    const join = kafka ? `r."_commit_version" = f.__version AND r."_partition" = f.__partition AND r."_offset" = f.__offset` : 'false'
    return await db.rows(`SELECT * FROM (
        SELECT o.__table, o.__row_key, f.__version AS __raw_version, ${coordinates}, o.__change, CAST(f.__seq AS VARCHAR) AS __seq, o.__pos,
          row_number() OVER (PARTITION BY o.__table, o.__row_key ORDER BY o.__pos DESC) = 1 AS __applied
        FROM (${outputs.join(' UNION ALL ')}) o JOIN ${changes.final} f USING (__pos) LEFT JOIN ${raw} r ON ${join})
      WHERE ${filter}`)
  } finally {
    await upserts?.dispose()
    await deletes?.dispose()
    await changes.dispose()
  }
}

/** Child rows of `explode … into`, led back through their parent row at the explode step. */
function childRows(batch: TransformedBatch, carried: string, extra = ''): string[] {
  return batch.children.map((child) => {
    const parent = batch.steps[child.step]
    const on = child.parentKey.map((k) => `c.${q(k)} IS NOT DISTINCT FROM p.${q(k)}`).join(' AND ')
    return `SELECT DISTINCT ${quoteString(child.table)} AS __table, ${rowKeySql(child.key, 'c.')} AS __row_key, p.${carried}${extra ? `, ${extra}` : ''}
      FROM ${child.relation.sql} c JOIN ${parent.sql} p ON ${on}`
  })
}

async function transform(lake: LakeEngine, flow: FlowSpec, input: Relation, carried: string): Promise<TransformedBatch> {
  try {
    return await applyTransforms(await lake.duckdb(), input, (flow.transforms ?? []) as Transform[], { key: flow.key, keep: [carried] })
  } catch (error) {
    if (error instanceof Error && 'step' in error) {
      throw new NotReplayable(`flow '${flow.name}' transforms[${(error as { step: number }).step}] cannot be replayed for lineage: ${error.message}`)
    }
    throw error
  }
}
