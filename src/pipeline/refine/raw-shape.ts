/**
 * What a raw table of change events looks like, from its schema: the Debezium envelope
 * (op, before, after, source...), the MongoDB connector's (plus key and update_description or the
 * 1.x patch), or ExtractNewRecordState's flat rows (the row's columns plus op). Gives the row
 * image type (before and after merged) and the SQL that reads each part.
 */
import { mergeTypes } from '../../decode/merge'
import { DeltaError, duckdbType as duckdb, isStruct, quoteIdentifier, sameType, type DataType, type StructField, type StructType } from '../../delta'
import { jsonStructure } from '../../transform'

/** Columns ingest adds to every raw row (Kafka coordinates), never part of a row image. */
export const KAFKA_COLUMNS = ['_topic', '_partition', '_offset', '_timestamp', '_key', '_headers', '_tombstone']

export interface RawShape {
  /** changes: a Delta table's own change feed (a refined table read by the next layer). */
  kind: 'envelope' | 'mongo' | 'flat' | 'changes'
  /** The row image: the after and before images' fields merged (flat: the row's own columns). */
  image: StructType
  /** SQL over a raw row: its op code (c, r, u, d, t; null for a flat upsert). */
  op: string
  /** SQL over a raw row: what identifies the changed row (MongoDB: the document id; otherwise the Kafka key). */
  entity: string
  /** SQL over a raw row: the default sequence (the source's ts_ms, the envelope's ts_ms, the Kafka timestamp). */
  sequence: string
  /** SQL over a raw row yielding the `image` struct for an upsert and for a delete, or null. */
  upsertImage: string
  deleteImage: string
  /** SQL over a raw row: rows that are not changes (Kafka tombstones). */
  skip: string
  /** SQL over a raw row: the tie-breakers after the sequence (Kafka partition and offset). */
  partition: string
  offset: string
  /** Change types of the source's change feed to read. */
  changeTypes: string[]
  /** MongoDB: SQL for the update description as JSON, and the 1.x patch text (null when absent). */
  updateDescription?: string
  legacyPatch?: string
}

function field(schema: StructType, name: string): StructField | undefined {
  return schema.fields.find((f) => f.name === name)
}

const INTEGER_TYPES: DataType[] = ['byte', 'short', 'integer', 'long']

/**
 * SQL for milliseconds since the epoch as a point in time, for the sequence's coalesce with the
 * Kafka timestamp (TIMESTAMPTZ). epoch_ms yields a TIMESTAMP, whose cast to TIMESTAMPTZ goes
 * through ICU's calendar value by value (about a fifth of a batch's pass over its events);
 * integer milliseconds become the same instant through make_timestamptz, without it (the
 * engine's session time zone is UTC, in which the two agree).
 */
function epochMillis(sql: string, type: DataType, schema: StructType): string {
  const kafkaTimestamp = field(schema, '_timestamp')?.type === 'timestamp'
  return kafkaTimestamp && INTEGER_TYPES.includes(type) ? `make_timestamptz(CAST(${sql} AS BIGINT) * 1000)` : `epoch_ms(${sql})`
}

/** AUTO CDC's conditions over a source row, which make it a delete or a truncate (the others are upserts). */
export interface ChangeConditions {
  deleteWhen?: string
  truncateWhen?: string
}

export function rawShape(schema: StructType, table: string, key: string[] = [], conditions: ChangeConditions = {}): RawShape {
  const kafka = field(schema, '_offset') !== undefined
  const common = {
    skip: field(schema, '_tombstone') ? 'coalesce("_tombstone", false)' : 'false',
    partition: kafka ? '"_partition"' : 'NULL::INTEGER',
    offset: kafka ? '"_offset"' : 'NULL::BIGINT',
    changeTypes: ['insert'],
  }
  const op = field(schema, 'op')
  const after = field(schema, 'after')
  const before = field(schema, 'before')
  const isMongo = op && field(schema, 'key') && (field(schema, 'update_description') || field(schema, 'patch'))
  const sequenceParts: string[] = []
  const source = field(schema, 'source')
  const sourceTs = source && isStruct(source.type) ? source.type.fields.find((f) => f.name === 'ts_ms') : undefined
  if (sourceTs) sequenceParts.push(epochMillis('"source"."ts_ms"', sourceTs.type, schema))
  const ts = field(schema, 'ts_ms')
  if (ts) sequenceParts.push(epochMillis('"ts_ms"', ts.type, schema))
  sequenceParts.push('"_timestamp"')
  const sequence = `coalesce(${sequenceParts.join(', ')})`

  if (op && (after || before)) {
    const imageTypes = [after?.type, before?.type].filter((t): t is DataType => t !== undefined && isStruct(t))
    const image = (imageTypes.length ? imageTypes.reduce((a, b) => mergeTypes(a, b)) : { type: 'struct', fields: [] }) as StructType
    if (image.fields.length === 0)
      throw new DeltaError('SCHEMA_MISMATCH', 'the change events carry no row images yet (before and after were always null)', { table })
    const conformed = (column: StructField | undefined) => (column ? conform(quoteIdentifier(column.name), column.type, image) : `NULL::${duckdb(image)}`)
    const keyImage = isMongo ? mongoKeyImage(image) : kafkaKeyImage(image)
    return {
      ...common,
      kind: isMongo ? 'mongo' : 'envelope',
      image,
      op: '"op"',
      entity: isMongo ? '"key"' : relationalEntity(key, after, before),
      sequence,
      upsertImage: conformed(after),
      deleteImage: `coalesce(${conformed(before)}, ${keyImage})`,
      ...(isMongo
        ? {
            updateDescription: field(schema, 'update_description') ? 'to_json("update_description")' : 'NULL::JSON',
            legacyPatch: field(schema, 'patch') ? '"patch"' : 'NULL::VARCHAR',
          }
        : {}),
    }
  }
  if (conditions.deleteWhen || conditions.truncateWhen) {
    // Plain rows, each a key's new state, unless the conditions say delete or truncate.
    const fields = schema.fields.filter((f) => !KAFKA_COLUMNS.includes(f.name))
    const image: StructType = { type: 'struct', fields }
    const row = `struct_pack(${fields.map((f) => `${quoteIdentifier(f.name)} := ${quoteIdentifier(f.name)}`).join(', ')})`
    const when = (condition: string | undefined, code: string) => (condition ? `WHEN coalesce((${condition}), false) THEN '${code}' ` : '')
    return {
      ...common,
      kind: 'flat',
      image,
      op: `CASE ${when(conditions.truncateWhen, 't')}${when(conditions.deleteWhen, 'd')}ELSE 'u' END`,
      // The row's key identifies the entity (a Kafka key may name something else, or nothing).
      entity: key.length ? `to_json(struct_pack(${key.map((k) => `${quoteIdentifier(k)} := ${quoteIdentifier(k)}`).join(', ')}))` : '"_key"',
      sequence,
      upsertImage: row,
      deleteImage: row,
    }
  }
  const opColumn = field(schema, '__op') ?? op
  if (opColumn && opColumn.type === 'string') {
    const fields = schema.fields.filter((f) => f !== opColumn && !KAFKA_COLUMNS.includes(f.name))
    const image: StructType = { type: 'struct', fields }
    const row = `struct_pack(${fields.map((f) => `${quoteIdentifier(f.name)} := ${quoteIdentifier(f.name)}`).join(', ')})`
    return { ...common, kind: 'flat', image, op: quoteIdentifier(opColumn.name), entity: '"_key"', sequence, upsertImage: row, deleteImage: row }
  }
  const keyFields = key.map((name) => schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase()))
  if (!kafka && key.length && keyFields.every((f) => f !== undefined)) {
    // Another flow's table: its change feed's inserts and post-images are upserts, its deletes deletes.
    const fields = schema.fields
    const image: StructType = { type: 'struct', fields }
    const row = `struct_pack(${fields.map((f) => `${quoteIdentifier(f.name)} := ${quoteIdentifier(f.name)}`).join(', ')})`
    return {
      ...common,
      kind: 'changes',
      image,
      op: `CASE "_change_type" WHEN 'delete' THEN 'd' ELSE 'u' END`,
      entity: `to_json(struct_pack(${keyFields.map((f) => `${quoteIdentifier(f!.name)} := ${quoteIdentifier(f!.name)}`).join(', ')}))`,
      sequence: '"_commit_version"',
      upsertImage: row,
      deleteImage: row,
      changeTypes: ['insert', 'update_postimage', 'delete'],
    }
  }
  throw new DeltaError(
    'SCHEMA_MISMATCH',
    'a cdc flow reads Debezium change events (an "op" column with "before"/"after", or ExtractNewRecordState rows with "__op") or another flow\'s table that has the key columns, and this table is none of those; use mode "append" for plain events',
    { table },
  )
}

/**
 * SQL converting `expr` (of type `from`) to type `to`, field by field: the before and after
 * images may each lack fields the other has, and DuckDB casts structs only between equal shapes.
 */
export function conform(expr: string, from: DataType | undefined, to: DataType): string {
  if (from === undefined || from === 'void') return `NULL::${duckdb(to)}`
  // Already the image's type (the usual case: before and after alike): rebuilding the struct
  // field by field would cost a struct_pack and casts on every row for the same value.
  if (sameType(from, to)) return expr
  if (isStruct(to) && isStruct(from)) {
    const fields = to.fields.map((f) => {
      const inner = from.fields.find((g) => g.name === f.name) ?? from.fields.find((g) => g.name.toLowerCase() === f.name.toLowerCase())
      return `${quoteIdentifier(f.name)} := ${conform(`struct_extract(${expr}, ${sqlString(inner?.name ?? f.name)})`, inner?.type, f.type)}`
    })
    return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${fields.join(', ')}) END`
  }
  if (
    typeof to === 'object' &&
    to.type === 'array' &&
    typeof from === 'object' &&
    from.type === 'array' &&
    (isStruct(to.elementType) || isStruct(from.elementType))
  ) {
    return `list_transform(${expr}, __e -> ${conform('__e', from.elementType, to.elementType)})`
  }
  return `CAST(${expr} AS ${duckdb(to)})`
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** A delete without a before image (MongoDB's default): the image holds just _id, from the key. */
function mongoKeyImage(image: StructType): string {
  const id = image.fields.find((f) => f.name === '_id')
  if (!id) return `NULL::${duckdb(image)}`
  const value = isStruct(id.type)
    ? `json_transform("key", '${JSON.stringify(jsonStructure(id.type)).replaceAll("'", "''")}')`
    : `TRY_CAST("key" AS ${duckdb(id.type)})`
  return `struct_pack(${image.fields.map((f) => `${quoteIdentifier(f.name)} := ${f === id ? value : `NULL::${duckdb(f.type)}`}`).join(', ')})`
}

/**
 * A relational delete without a before image: the Kafka key is the primary key's columns as
 * JSON (JsonConverter with schemas wraps it as {"schema", "payload"}).
 */
/**
 * Which row a relational change event is about: its Kafka message key, which Debezium makes from
 * the primary key. A table without one gets null keys (unless the connector sets
 * `message.key.columns`): then the flow's key columns, read from the after image (the before image
 * for a delete), when the images have them all.
 */
function relationalEntity(key: string[], after: StructField | undefined, before: StructField | undefined): string {
  // Column names compare case-insensitively, as Delta's do.
  const has = (image: StructField | undefined, name: string) =>
    image !== undefined && isStruct(image.type) && image.type.fields.some((f) => f.name.toLowerCase() === name.toLowerCase())
  if (key.length === 0 || !key.every((k) => has(after, k) || has(before, k))) return '"_key"'
  const value = (k: string) => {
    const parts = [after, before].filter((image) => has(image, k)).map((image) => `${quoteIdentifier(image!.name)}.${quoteIdentifier(k)}`)
    return parts.length === 1 ? parts[0] : `coalesce(${parts.join(', ')})`
  }
  // Only for the events without a key: CASE evaluates the image's columns for those rows alone. A
  // null key column names no row (the event is counted as unkeyed).
  const present = key.map((k) => `${value(k)} IS NOT NULL`).join(' AND ')
  return `CASE WHEN "_key" IS NOT NULL THEN "_key" WHEN ${present} THEN to_json(struct_pack(${key.map((k) => `${quoteIdentifier(k)} := ${value(k)}`).join(', ')})) END`
}

function kafkaKeyImage(image: StructType): string {
  const structure = JSON.stringify(jsonStructure(image)).replaceAll("'", "''")
  const payload = `CASE WHEN json_exists("_key", '$.schema') AND json_exists("_key", '$.payload') THEN json_extract("_key", '$.payload') ELSE "_key"::JSON END`
  return `CASE WHEN json_valid("_key") THEN json_transform(${payload}, '${structure}') END`
}
