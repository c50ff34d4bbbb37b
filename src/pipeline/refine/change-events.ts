/**
 * A batch of change events, read from the source table's change feed, as the changes to apply:
 * one row per event with the entity it changes (document id or Kafka key), the kind of change,
 * its order and its row image. Events before the batch's last truncate are dropped. MongoDB
 * updates that carry only an update description are resolved here into whole documents, from the
 * document before them (earlier in the batch, or the flow's document state).
 * With `history` off (SCD type 1) only each entity's last change is kept.
 */
import { typeExtendedJson } from '../../decode/extended-json'
import { mergeTypes } from '../../decode/merge'
import { DeltaError, isArray, isMap, isStruct, quoteString, type DataType, type StructField, type StructType } from '../../delta'
import type { DuckDb } from '../../engine'
import { jsonStructure } from '../../transform'
import { applyLegacyPatch, applyUpdateDescription, parseDocument, PatchError, stringifyExact, type Document, type UpdateDescription } from './mongo-patch'
import { conform, type RawShape } from './raw-shape'

export interface ChangeBatchOptions {
  /** The flow's sequenceBy: SQL over a raw row. */
  sequenceBy?: string
  /** Keep every change (SCD type 2) rather than each entity's last. */
  history: boolean
  /** MongoDB: the documents as of the batch's start, by entity (the flow's document state). */
  documents?: (entities: string[]) => Promise<Map<string, string>>
  table: string
  /**
   * A batch that keeps one change per entity (no history, truncate or partial update) may hold
   * the image's fields in `final`'s own columns: the table is then a MERGE source as it is (see
   * ChangeBatch.unnested). Not done when a field's name begins with two underscores, as final's own do.
   */
  unnestImage?: boolean
}

export interface ChangeBatch {
  /**
   * Temp table: __entity, __op ('upsert' | 'delete'), __pos, __seq, __version, __image, and __partition, __offset (lineage).
   * __pos is the change's place in the batch's order; null when the batch keeps one change per
   * entity and has no truncate or partial update (nothing then compares changes of different entities).
   */
  final: string
  /**
   * final has the image's fields as columns beside __entity, __op and __version (no __image,
   * __pos, __seq, __partition or __offset): each entity's last change, asked for by unnestImage.
   */
  unnested: boolean
  image: StructType
  /** The batch's last truncate, if it has one: its source version and (SQL) its sequence value. */
  truncate?: { version: number; sequence: string }
  counts: { events: number; patches: number; patchesWithoutDocument: number }
  dispose(): Promise<void>
}

let batchCounter = 0

export async function readChangeBatch(db: DuckDb, changes: string, shape: RawShape, options: ChangeBatchOptions): Promise<ChangeBatch> {
  const id = ++batchCounter
  const events = `__refine_events_${id}`
  const final = `__refine_final_${id}`
  const resolved = `__refine_resolved_${id}`
  const dispose = async () => db.run(`DROP TABLE IF EXISTS ${events}; DROP TABLE IF EXISTS ${final}; DROP TABLE IF EXISTS ${resolved}`)
  try {
    const isPatch = shape.kind === 'mongo' ? `("after" IS NULL AND (${shape.updateDescription} IS NOT NULL OR ${shape.legacyPatch} IS NOT NULL))` : 'false'
    const opSql = shape.op
    // The events, read from the feed where they are used: most batches keep only each entity's last.
    const normalised = `(SELECT * FROM (
        SELECT CAST(${shape.entity} AS VARCHAR) AS __entity,
          CASE WHEN ${opSql} = 'd' THEN 'delete' WHEN ${opSql} = 't' THEN 'truncate' WHEN ${opSql} = 'u' AND ${isPatch} THEN 'patch' ELSE 'upsert' END AS __op,
          ${options.sequenceBy ?? shape.sequence} AS __seq,
          "_commit_version" AS __version, ${shape.partition} AS __partition, ${shape.offset} AS __offset,
          CASE WHEN ${opSql} = 'd' THEN ${shape.deleteImage} WHEN ${opSql} = 't' THEN NULL ELSE ${shape.upsertImage} END AS __image,
          ${shape.kind === 'mongo' ? `CAST(${shape.updateDescription} AS VARCHAR) AS __update, ${shape.legacyPatch} AS __legacy` : 'NULL::VARCHAR AS __update, NULL::VARCHAR AS __legacy'}
        FROM ${changes}
        WHERE NOT ${shape.skip} AND (${opSql} IS NULL OR ${opSql} IN ('c', 'r', 'u', 'd', 't')))
      WHERE __op <> 'upsert' OR __image IS NOT NULL)`

    if (!options.history) {
      const unnest = options.unnestImage === true && !shape.image.fields.some((f) => f.name.startsWith('__'))
      const latest = await latestPerEntity(db, normalised, final, options.table, shape, unnest)
      if (latest) return { final, unnested: unnest, image: shape.image, counts: latest, dispose }
    }
    // Every event's place in the batch's order (a sort of them all), for what compares events of
    // different entities: history, a truncate (what comes after it), partial updates.
    await db.run(
      `CREATE TEMP TABLE ${events} AS SELECT *, row_number() OVER (ORDER BY __seq NULLS FIRST, __version, __partition, __offset) AS __pos FROM ${normalised}`,
    )
    const [summary] = await db.rows(`SELECT count(*) AS events,
        count(*) FILTER (WHERE __op = 'patch') AS patches,
        count(*) FILTER (WHERE __entity IS NULL AND __op <> 'truncate') AS unkeyed,
        max(__version) FILTER (WHERE __op = 'truncate') AS truncate_version
      FROM ${events}`)
    refuseUnkeyed(Number(summary.unkeyed), shape, options.table)
    const counts = { events: Number(summary.events), patches: Number(summary.patches), patchesWithoutDocument: 0 }
    const [{ cut: lastTruncate }] = await db.rows(`SELECT max(__pos) FILTER (WHERE __op = 'truncate') AS cut FROM ${events}`)
    const cut = lastTruncate === null ? 0 : Number(lastTruncate)
    const after = `__pos > ${cut} AND __op IN ('upsert', 'delete', 'patch')`
    const patchEntities = `(SELECT DISTINCT __entity FROM ${events} WHERE ${after} AND __op = 'patch')`

    let image = shape.image
    let resolvedRows = ''
    if (counts.patches > 0) {
      const resolution = await resolvePatches(db, events, after, patchEntities, cut > 0, shape, options)
      counts.patchesWithoutDocument = resolution.withoutDocument
      image = resolution.image
      await db.run(`CREATE TEMP TABLE ${resolved} (__pos BIGINT, __op VARCHAR, __doc VARCHAR)`)
      for (let i = 0; i < resolution.rows.length; i += 500) {
        await db.run(
          `INSERT INTO ${resolved} VALUES ${resolution.rows
            .slice(i, i + 500)
            .map((r) => `(${r.pos}, '${r.op}', ${r.doc === null ? 'NULL' : quoteString(r.doc)})`)
            .join(', ')}`,
        )
      }
      const structure = quoteString(JSON.stringify(jsonStructure(image)))
      resolvedRows = `UNION ALL
        SELECT e.__entity, r.__op, r.__pos, e.__seq, e.__version, e.__partition, e.__offset,
          CASE WHEN r.__op = 'upsert' THEN json_transform(r.__doc, ${structure}) ELSE ${conform('e.__image', shape.image, image)} END
        FROM ${resolved} r JOIN ${events} e USING (__pos)`
    }
    const latestOnly = options.history ? '' : 'QUALIFY row_number() OVER (PARTITION BY __entity ORDER BY __pos DESC) = 1'
    await db.run(`CREATE TEMP TABLE ${final} AS
      SELECT __entity, __op, __pos, __seq, __version, __partition, __offset, ${conform('__image', shape.image, image)} AS __image FROM ${events}
      WHERE ${after} AND __op <> 'patch' AND __entity NOT IN ${patchEntities}
      ${latestOnly}
      ${resolvedRows}`)
    return {
      final,
      unnested: false,
      image,
      counts,
      dispose,
      ...(summary.truncate_version === null
        ? {}
        : { truncate: { version: Number(summary.truncate_version), sequence: `(SELECT __seq FROM ${events} WHERE __pos = ${cut})` } }),
    }
  } catch (error) {
    await dispose()
    throw error
  }
}

function refuseUnkeyed(unkeyed: number, shape: RawShape, table: string): void {
  if (unkeyed === 0) return
  throw new DeltaError(
    'INVALID_ARGUMENT',
    `${unkeyed} change events have no key (${shape.kind === 'mongo' ? 'the document id' : shape.kind === 'envelope' ? "the Kafka message key, or the flow's key columns in the row images" : 'the Kafka message key'}): a cdc flow cannot tell which row they change`,
    { table },
  )
}

/**
 * Each entity's last change into `final`, in one pass over the events that also counts them; the
 * counts undefined (and `final` dropped) when the batch has a truncate or a partial update, which
 * compare changes of different entities. "Last" is the order below, reversed (sequence, commit
 * version, Kafka partition, offset), within the entity only: an ordered `first` per group, which
 * costs less than a window over every event and lets the counting share the pass. `unnest`: only
 * what the batch's writes read is kept (op, version, the image's fields as columns): every field
 * carried through the grouping costs a copy per event.
 */
async function latestPerEntity(
  db: DuckDb,
  normalised: string,
  final: string,
  table: string,
  shape: RawShape,
  unnest: boolean,
): Promise<{ events: number; patches: number; patchesWithoutDocument: number } | undefined> {
  const [kept, columns] = unnest
    ? ['__op, __version, __image', '__last.__version, unnest(__last.__image)']
    : [
        '__op, __seq, __version, __partition, __offset, __image',
        'NULL::BIGINT AS __pos, __last.__seq, __last.__version, __last.__partition, __last.__offset, __last.__image',
      ]
  await db.run(`CREATE TEMP TABLE ${final} AS
    SELECT __entity, __last.__op, ${columns}, __events, __patches, __truncates
    FROM (SELECT __entity,
        first(struct_pack(${kept})
          ORDER BY __seq DESC NULLS LAST, __version DESC NULLS FIRST, __partition DESC NULLS FIRST, __offset DESC NULLS FIRST) AS __last,
        count(*) AS __events, count(*) FILTER (WHERE __op = 'patch') AS __patches, count(*) FILTER (WHERE __op = 'truncate') AS __truncates
      FROM ${normalised} GROUP BY __entity)`)
  const [summary] = await db.rows(`SELECT coalesce(sum(__events), 0) AS events, coalesce(sum(__patches), 0) AS patches,
      coalesce(sum(__truncates), 0) AS truncates, coalesce(sum(__events - __truncates) FILTER (WHERE __entity IS NULL), 0) AS unkeyed
    FROM ${final}`)
  refuseUnkeyed(Number(summary.unkeyed), shape, table)
  if (Number(summary.patches) > 0 || Number(summary.truncates) > 0) {
    await db.run(`DROP TABLE ${final}`)
    return undefined
  }
  await db.run(`ALTER TABLE ${final} DROP COLUMN __events; ALTER TABLE ${final} DROP COLUMN __patches; ALTER TABLE ${final} DROP COLUMN __truncates`)
  return { events: Number(summary.events), patches: 0, patchesWithoutDocument: 0 }
}

interface ResolvedRow {
  pos: number
  op: 'upsert' | 'delete'
  doc: string | null
}

/**
 * The entities with partial updates, event by event in JavaScript: MongoDB's dotted paths into
 * nested documents and arrays have no SQL equivalent. Few entities per batch take this path.
 */
async function resolvePatches(
  db: DuckDb,
  events: string,
  after: string,
  patchEntities: string,
  truncated: boolean,
  shape: RawShape,
  options: ChangeBatchOptions,
): Promise<{ rows: ResolvedRow[]; image: StructType; withoutDocument: number }> {
  const rows = await db.rows(`SELECT __entity, __op, __pos, to_json(__image)::VARCHAR AS doc, __update, __legacy FROM ${events}
    WHERE ${after} AND __entity IN ${patchEntities} ORDER BY __entity, __pos`)
  const entities = [...new Set(rows.map((r) => String(r.__entity)))]
  // After a truncate in this batch, nothing from before it survives.
  const base = truncated || !options.documents ? new Map<string, string>() : await options.documents(entities)
  const resolved: ResolvedRow[] = []
  let withoutDocument = 0
  let newFields: DataType | undefined
  let index = 0
  for (const entity of entities) {
    const stored = base.get(entity)
    let document: Document | undefined = stored === undefined ? undefined : parseDocument(stored, `the stored document of ${entity}`)
    const emitted: ResolvedRow[] = []
    for (; index < rows.length && rows[index].__entity === entity; index++) {
      const event = rows[index]
      const pos = Number(event.__pos)
      if (event.__op === 'delete') {
        document = undefined
        emitted.push({ pos, op: 'delete', doc: null })
        continue
      }
      if (event.__op === 'upsert') document = parseDocument(String(event.doc), `the document of ${entity}`)
      else if (!document) {
        // An update of a document this flow never saw (it started after the insert): nothing to apply it to.
        withoutDocument++
        continue
      } else {
        try {
          document =
            event.__update !== null
              ? applyUpdateDescription(document, JSON.parse(String(event.__update)) as UpdateDescription)
              : applyLegacyPatch(document, String(event.__legacy))
        } catch (error) {
          if (error instanceof PatchError)
            throw new DeltaError('INVALID_ARGUMENT', `the update of document ${entity} cannot be applied: ${error.message}`, { table: options.table })
          throw error
        }
        const type = typeExtendedJson(document).type
        newFields = newFields === undefined ? type : mergeTypes(newFields, type)
      }
      emitted.push({ pos, op: 'upsert', doc: stringifyExact(document) })
    }
    resolved.push(...(options.history ? emitted : emitted.slice(-1)))
  }
  // Patched documents may have fields no whole image had yet.
  const image = newFields && isStruct(newFields) ? withMissingFields(shape.image, newFields) : shape.image
  return { rows: resolved, image, withoutDocument }
}

/** `base` plus the fields of `extra` it lacks (recursively into structs, list elements and map values); base's types win. */
export function withMissingFields(base: StructType, extra: StructType): StructType {
  const fields: StructField[] = base.fields.map((field) => {
    const other = extra.fields.find((f) => f.name.toLowerCase() === field.name.toLowerCase())
    return other ? { ...field, type: withMissingNested(field.type, other.type) } : field
  })
  for (const field of extra.fields) {
    if (field.type === 'void') continue
    if (!base.fields.some((f) => f.name.toLowerCase() === field.name.toLowerCase())) fields.push({ ...field, nullable: true })
  }
  return { type: 'struct', fields }
}

function withMissingNested(base: DataType, extra: DataType): DataType {
  if (isStruct(base) && isStruct(extra)) return withMissingFields(base, extra)
  if (isArray(base) && isArray(extra)) return { ...base, elementType: withMissingNested(base.elementType, extra.elementType) }
  if (isMap(base) && isMap(extra)) return { ...base, valueType: withMissingNested(base.valueType, extra.valueType) }
  return base
}
