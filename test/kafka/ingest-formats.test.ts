/**
 * Every payload format end to end: the real mock broker (broker.ts), ingestKafka with
 * untilCaughtUp, and the raw table read back through DuckDB. One topic per format:
 * - Debezium relational events from 3-debezium (schemaless and with JsonConverter schemas, a
 *   schema-change record, both tombstone forms): op/before/after/source columns, typed values;
 * - Debezium MongoDB events (paimon's Debezium 2.7 events and the documentation's change-streams
 *   ones with updateDescription): `after` parsed from Extended JSON into a struct;
 * - Confluent-framed Avro (4-schema-registry-avro) against a local HTTP schema registry, with an
 *   unknown schema id and a truncated body going to dead letters;
 * - schema evolution of plain JSON across batches: new top-level and nested columns, a type conflict.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Kafka } from 'kafkajs'
import { LakeEngine } from '../../src/engine'
import { ingestKafka, type KafkaBatchReport } from '../../src/pipeline/ingest-kafka'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, runQuery } from '../../src/query'
import { avroDir, debeziumDir, eventDocuments, unwrapFragment } from '../decode/fixtures'
import { produceJson, type JsonMessage } from './broker'
import { LocalRegistry } from '../helpers/schema-registry'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const skip = (!debeziumDir || !avroDir) && 'conformance data not found'

/**
 * The (first) JSON document of a conformance event file as text, documentation examples repaired.
 * Never through JSON.parse: that would round the 64-bit numbers and wide decimals under test.
 */
const doc = (rel: string): string => {
  const [json] = eventDocuments(rel)
  return unwrapFragment(rel, json).trim()
}
/** A message whose value is the file's JSON text as it is (a Buffer is sent unchanged). */
const fileValue = (rel: string, key?: string | null): JsonMessage => ({ key: key ?? null, value: Buffer.from(doc(rel)) })

describe('Kafka ingest of every payload format', { skip }, () => {
  let kafka: Kafka
  let lake: LakeEngine
  let catalog: LakeCatalog
  let pipeline: Pipeline
  const registry = new LocalRegistry()
  const began = Date.now()
  const clientOptions = INGEST_CLIENT_OPTIONS
  let env: IngestLake | undefined

  before(async () => {
    const registryUrl = await registry.start()
    const topics = ['dbz', 'mongo', 'mongo-docs', 'avro', 'evolve']
    env = await startIngestLake({ name: 'ingest-formats-test', topics: topics.map((name) => ({ name, partitions: 1 })), schemaRegistryUrl: registryUrl })
    ;({ kafka, lake, catalog, pipeline } = env)
  })
  after(async () => {
    await env?.stop()
    await registry.stop()
    console.log(`  ingest-formats: ${Date.now() - began} ms in all`)
  })

  const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows
  const columnTypes = async (table: string) => Object.fromEntries((await query(`DESCRIBE ${table}`)).map((r) => [String(r.column_name), String(r.column_type)]))
  const deadLetters = async (source: string) =>
    (await query(`SELECT _offset, reason, detail FROM raw._dead_letters WHERE source = '${source}' ORDER BY _offset`)).map((r) => ({
      offset: Number(r._offset),
      reason: r.reason,
      detail: String(r.detail),
    }))
  /** Rows + tombstones + dead letters = messages, and every offset 0..n-1 once in one of the two tables. */
  const assertEveryOffsetOnce = async (source: string, table: string, n: number) => {
    const rows = await query(`SELECT _offset FROM ${table} UNION ALL SELECT _offset FROM raw._dead_letters WHERE source = '${source}' ORDER BY 1`)
    assert.deepEqual(
      rows.map((r) => Number(r._offset)),
      Array.from({ length: n }, (_, i) => i),
      `${source}: every offset once`,
    )
  }
  const timed = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const start = Date.now()
    try {
      return await run()
    } finally {
      console.log(`  ${what}: ${Date.now() - start} ms`)
    }
  }

  test('Debezium relational events, schemaless and with JsonConverter schemas: typed op/before/after/source, tombstones, a schema-change dead letter', async () => {
    const P = 'paimon/'
    // One connector's stream: Debezium ≥ 1.x (source.snapshot is a string), schemaless events
    // first. (A schemaless event after one typed by a schema conflicts wherever inference says
    // long and the schema said int32: see the report.)
    const messages: JsonMessage[] = [
      fileValue('debezium-examples/engine-wasm-mysql-r-id1004.json'), // 0: r, schemaless, 3.0.1
      fileValue('debezium-examples/engine-wasm-mysql-u-id1001.json'), // 1: u, before + after
      ...[0, 1, 2, 3].map((i) => fileValue(`${P}debezium-database-include-topic0-debezium-data-1-0${i}-value-op-c.json`)), // 2-5
      fileValue(`${P}debezium-nullvalue-debezium-data-1-00-value-op-c.json`), // 6
      fileValue(`${P}debezium-schema-schemaevolution-debezium-data-with-delete-00-value-op-d.json`), // 7: {"schema":null,"payload":{op:d}}
      fileValue(`${P}debezium-schema-alltype-debezium-data-1-00-value-op-r.json`), // 8: with schema, all MySQL types
      fileValue(`${P}debezium-schema-include-debezium-data-1-00-value-op-c.json`), // 9: with schema, 1.1.1
      fileValue(`${P}mysql-debezium-event-change-00-value.json`), // 10: a schema-change record → dead letter
      // 11: JsonConverter's tombstone, keyed as in the tutorial (the key file is a doc example with a missing comma: sent as written)
      {
        key: readFileSync(path.join(debeziumDir!, 'debezium-docs/tutorial-mysql/tombstone-key.doc.txt'), 'utf8').trim(),
        value: Buffer.from(doc('debezium-docs/tutorial-mysql/tombstone-value.json')),
      },
      // 12: a Kafka tombstone (null value) with the tutorial's delete key
      { key: doc('debezium-docs/tutorial-mysql/delete-key.json'), value: null },
    ]
    await produceJson(kafka, 'dbz', messages)
    const source: SourceSpec = { name: 'dbz', topic: 'dbz', format: 'debezium', table: 'raw.dbz', batch: { maxMessages: 100, maxMs: 200 } }
    const report = await timed('debezium: 13 messages', () => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions }))
    assert.deepEqual(report, { source: 'dbz', messages: 13, rows: 10, tombstones: 2, deadLetters: 1, skipped: 0, batches: 1 })
    await assertEveryOffsetOnce('dbz', 'raw.dbz', 13)

    const types = await columnTypes('raw.dbz')
    for (const column of ['op', 'ts_ms', 'before', 'after', 'source', '_tombstone']) assert.ok(types[column], `column ${column}: ${JSON.stringify(types)}`)
    assert.equal(types.op, 'VARCHAR')
    assert.equal(types.ts_ms, 'BIGINT')
    assert.match(types.after, /^STRUCT\(/)
    assert.match(types.source, /^STRUCT\(/)
    assert.equal(types._tombstone, 'BOOLEAN')

    // The all-types snapshot read (offset 8): decimals, a date and timestamps keep their values;
    // decimals of up to 18 digits are stored with 18 (DECIMAL(2,1) → DECIMAL(18,1), the scale kept),
    // so a precision raised at the source later still fits.
    const [typed] = await query(`SELECT op, typeof(after.pt) AS pt_type, after.pt::VARCHAR AS pt,
        typeof(after._big_decimal) AS big_type, after._big_decimal::VARCHAR AS big,
        typeof(after._numeric) AS numeric_type, after._numeric::VARCHAR AS numeric,
        typeof(after._date) AS date_type, after._date::VARCHAR AS date,
        typeof(after._timestamp) AS ts_type, epoch_us(after._timestamp) AS ts_us,
        epoch_us(after._datetime6) AS dt6_us, typeof(after._bigint) AS bigint_type, after._bigint AS bigint,
        typeof(before) AS before_type, before IS NULL AS no_before, source.snapshot AS snapshot, source.table AS tbl
      FROM raw.dbz WHERE _offset = 8`)
    assert.deepEqual(typed, {
      op: 'r',
      pt_type: 'DECIMAL(18,1)',
      pt: '1.1',
      big_type: 'DECIMAL(38,10)',
      big: '2222222222222222300000001111.1234567890',
      numeric_type: 'DECIMAL(18,3)',
      numeric: '12345.110',
      date_type: 'DATE',
      date: '2023-03-23',
      ts_type: 'TIMESTAMP WITH TIME ZONE',
      ts_us: Date.parse('2023-03-23T22:00:10.123Z') * 1000 + 456,
      dt6_us: Date.parse('2023-03-23T14:30:05.123Z') * 1000 + 456,
      bigint_type: 'BIGINT',
      bigint: 10000000000,
      before_type: typed.before_type,
      no_before: true,
      snapshot: 'false',
      tbl: typed.tbl,
    })
    assert.match(String(typed.before_type), /^STRUCT\(/)

    // Schemaless events: inferred images; the update keeps before and after; they read NULL in the all-types columns.
    const updates = await query(
      `SELECT _offset, op, before.first_name AS was, after.first_name AS now, after.id AS id, after.pt IS NULL AS no_pt FROM raw.dbz WHERE _offset IN (0, 1) ORDER BY _offset`,
    )
    assert.deepEqual(updates, [
      { _offset: 0, op: 'r', was: null, now: 'Anne', id: 1004, no_pt: true },
      { _offset: 1, op: 'u', was: 'Sally', now: 'Sarah', id: 1001, no_pt: true },
    ])
    const [deleted] = await query(`SELECT op, after IS NULL AS no_after, before.weight AS weight FROM raw.dbz WHERE _offset = 7`)
    assert.deepEqual(deleted, { op: 'd', no_after: true, weight: 3.14 })
    assert.deepEqual(
      (await query(`SELECT op, count(*) AS n FROM raw.dbz WHERE NOT _tombstone GROUP BY 1 ORDER BY 1`)).map((r) => [r.op, Number(r.n)]),
      [
        ['c', 6],
        ['d', 1],
        ['r', 2],
        ['u', 1],
      ],
    )

    // Tombstones: both forms, keys kept, nothing else set.
    const tombstones = await query(`SELECT _offset, _key, op, after IS NULL AS no_after FROM raw.dbz WHERE _tombstone ORDER BY _offset`)
    assert.deepEqual(
      tombstones.map((r) => [Number(r._offset), r.op, r.no_after]),
      [
        [11, null, true],
        [12, null, true],
      ],
    )
    assert.equal(tombstones[1]._key, doc('debezium-docs/tutorial-mysql/delete-key.json'))
    assert.match(String(tombstones[0]._key), /customers\.Key/)
    assert.deepEqual(
      (await deadLetters('dbz')).map((d) => [d.offset, d.reason]),
      [[10, 'debezium-schema-change']],
    )
  })

  test('Debezium MongoDB events: Extended JSON `after` parsed into a struct ($oid, $date, $numberLong), updateDescription, keys', async () => {
    const P = 'paimon/debezium-bson-event-event-'
    const pair = (name: string, op: string): JsonMessage => fileValue(`${P}${name}-value-op-${op}.json`, doc(`${P}${name}-key.json`))
    const paimon: JsonMessage[] = [
      pair('insert-00', 'c'),
      pair('update-00', 'u'),
      pair('update-01', 'u'),
      pair('delete-00', 'd'),
      pair('delete-01', 'd'),
      pair('delete-02', 'd'),
      { key: doc(`${P}delete-02-key.json`), value: null }, // the tombstone after a delete
    ]
    // The documentation's change-streams events (another collection and Debezium version, so a
    // table of their own). Their update and delete examples abbreviate the schema to `{ ... }`,
    // which reads as schemaless: they go first, the create with its full schema last.
    const D = 'debezium-docs/mongodb/current/'
    const docsKey = doc(`${D}key-with-schema.json`)
    const docs: JsonMessage[] = [
      fileValue(`${D}update-change-streams.doc.txt`, docsKey),
      fileValue(`${D}delete.doc.txt`, docsKey),
      fileValue(`${D}create-with-schema.doc.txt`, docsKey),
    ]
    await produceJson(kafka, 'mongo', paimon)
    await produceJson(kafka, 'mongo-docs', docs)
    const mongo: SourceSpec = { name: 'mongo', topic: 'mongo', format: 'debezium-mongodb', table: 'raw.mongo', batch: { maxMessages: 100, maxMs: 200 } }
    const mongoDocs: SourceSpec = {
      name: 'mongo_docs',
      topic: 'mongo-docs',
      format: 'debezium-mongodb',
      table: 'raw.mongo_docs',
      batch: { maxMessages: 100, maxMs: 200 },
    }
    // Two jobs (own groups, own tables) at once: the group joins overlap.
    const [report, docsReport] = await timed('debezium-mongodb: 7 + 3 messages, two jobs at once', () =>
      Promise.all([
        ingestKafka(lake, catalog, pipeline, mongo, { untilCaughtUp: true, client: clientOptions }),
        ingestKafka(lake, catalog, pipeline, mongoDocs, { untilCaughtUp: true, client: clientOptions }),
      ]),
    )
    assert.deepEqual(report, { source: 'mongo', messages: 7, rows: 6, tombstones: 1, deadLetters: 0, skipped: 0, batches: 1 })
    assert.deepEqual(docsReport, { source: 'mongo_docs', messages: 3, rows: 3, tombstones: 0, deadLetters: 0, skipped: 0, batches: 1 })
    await assertEveryOffsetOnce('mongo', 'raw.mongo', 7)
    await assertEveryOffsetOnce('mongo_docs', 'raw.mongo_docs', 3)

    const types = await columnTypes('raw.mongo')
    assert.equal(types.key, 'VARCHAR')
    assert.match(types.after, /^STRUCT\(/)
    assert.match(types.update_description, /^STRUCT\(/)
    const [insert] = await query(`SELECT op, key, after._id AS id, typeof(after._id) AS id_type,
        after.created_at AS created_at, typeof(after.created_at) AS created_type,
        epoch_ms(after.updated_at) AS updated_ms, typeof(after.updated_at) AS updated_type,
        after.created_by AS created_by, after.tags AS tags, typeof(after.tags) AS tags_type, before IS NULL AS no_before
      FROM raw.mongo WHERE _offset = 0`)
    assert.deepEqual(insert, {
      op: 'c',
      key: '67ab25755c0d5ac87eb8c632',
      id: '67ab25755c0d5ac87eb8c632',
      id_type: 'VARCHAR', // $oid
      created_at: 1736207571013,
      created_type: 'BIGINT', // $numberLong
      updated_ms: 1739455297970,
      updated_type: 'TIMESTAMP WITH TIME ZONE', // $date
      created_by: 'peter',
      tags: ['pending'],
      tags_type: 'VARCHAR[]',
      no_before: true,
    })
    const images = await query(
      `SELECT _offset, op, key, before.tags AS was, after.tags AS now, epoch_ms(after.updated_at) AS updated_ms FROM raw.mongo WHERE _offset BETWEEN 1 AND 5 ORDER BY _offset`,
    )
    assert.deepEqual(
      images.map((r) => [r.op, r.key, r.was, r.now]),
      [
        ['u', '67ab25755c0d5ac87eb8c632', null, ['succeed']],
        ['u', '67ab25755c0d5ac87eb8c632', ['pending'], images[1].now],
        ['d', '67ab25755c0d5ac87eb8c632', null, null],
        ['d', '67ab25755c0d5ac87eb8c632', null, null], // a key whose id is a JSON string
        ['d', '67ab25755c0d5ac87eb8c632', images[4].was, null],
      ],
    )
    assert.equal(images[1].updated_ms, Date.parse('2025-02-13T14:03:17.970Z'))
    assert.deepEqual(await query(`SELECT _tombstone, _key FROM raw.mongo WHERE _offset = 6`), [{ _tombstone: true, _key: doc(`${P}delete-02-key.json`) }])

    // Change streams: updateDescription, $numberLong ids, a 64-bit ts_ns.
    const docsRows =
      await query(`SELECT _offset, op, key, after._id AS id, typeof(after._id) AS id_type, after.first_name AS first_name, before.first_name AS was,
        update_description.updated_fields AS updated, ts_ns::VARCHAR AS ts_ns FROM raw.mongo_docs ORDER BY _offset`)
    assert.deepEqual(docsRows, [
      {
        _offset: 0,
        op: 'u',
        key: '1004',
        id: 1004,
        id_type: 'BIGINT',
        first_name: 'Anne Marie',
        was: 'unknown',
        updated: '{"first_name":"Anne Marie"}',
        ts_ns: '1465491461815698142',
      },
      { _offset: 1, op: 'd', key: '1004', id: null, id_type: 'BIGINT', first_name: null, was: 'Anne Marie', updated: null, ts_ns: '1465495462115748263' },
      { _offset: 2, op: 'c', key: '1004', id: 1004, id_type: 'BIGINT', first_name: 'Anne', was: null, updated: null, ts_ns: '1558965515240142879' },
    ])
  })

  test('Confluent-framed Avro with a local schema registry; an unknown schema id and a truncated body are dead letters', async () => {
    const bin = readFileSync(path.join(avroDir!, 'value.bin'))
    registry.schemas.set(6, { schema: readFileSync(path.join(avroDir!, 'value-schema.avsc'), 'utf8') })
    const unknownId = Buffer.from(bin)
    unknownId.writeUInt32BE(4242, 1)
    const messages: JsonMessage[] = [
      { key: 'c1001', value: bin },
      { key: 'unknown', value: unknownId },
      { key: 'cut', value: bin.subarray(0, 100) },
      { key: 'c1001', value: null },
      { key: 'again', value: bin },
    ]
    await produceJson(kafka, 'avro', messages)
    const source: SourceSpec = { name: 'avro', topic: 'avro', format: 'avro', table: 'raw.avro', batch: { maxMessages: 100, maxMs: 200 } }
    const report = await timed('avro: 5 messages', () => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions }))
    assert.deepEqual(report, { source: 'avro', messages: 5, rows: 2, tombstones: 1, deadLetters: 2, skipped: 0, batches: 1 })
    await assertEveryOffsetOnce('avro', 'raw.avro', 5)
    assert.deepEqual(
      registry.requests.filter((u) => u === '/schemas/ids/6'),
      ['/schemas/ids/6'],
      'schema 6 fetched once',
    )
    assert.ok(registry.requests.includes('/schemas/ids/4242'))

    const expected = JSON.parse(readFileSync(path.join(avroDir!, 'expected-decoded.json'), 'utf8')) as {
      value: { after: Record<string, unknown>; source: Record<string, unknown> }
    }
    const rows =
      await query(`SELECT _offset, _key, op, ts_ms, after.id AS id, after.first_name AS first_name, after.last_name AS last_name, after.email AS email,
        typeof(after.id) AS id_type, source.version AS version, source.snapshot AS snapshot, source.ts_ms AS source_ts_ms, before IS NULL AS no_before
      FROM raw.avro WHERE NOT _tombstone ORDER BY _offset`)
    assert.equal(rows.length, 2)
    for (const [r, offset, key] of [
      [rows[0], 0, 'c1001'],
      [rows[1], 4, 'again'],
    ] as const) {
      assert.deepEqual(r, {
        _offset: offset,
        _key: key,
        op: 'r',
        ts_ms: 1676303732937,
        ...expected.value.after,
        id_type: 'BIGINT',
        version: expected.value.source.version,
        snapshot: 'first_in_data_collection',
        source_ts_ms: expected.value.source.ts_ms,
        no_before: true,
      })
    }
    assert.deepEqual(await query(`SELECT _offset, _key FROM raw.avro WHERE _tombstone`), [{ _offset: 3, _key: 'c1001' }])
    const dead = await deadLetters('avro')
    assert.deepEqual(
      dead.map((d) => [d.offset, d.reason]),
      [
        [1, 'unknown-schema-id'],
        [2, 'truncated-avro'],
      ],
    )
    assert.match(dead[0].detail, /4242/)
    const [kept] = await query(`SELECT value FROM raw._dead_letters WHERE source = 'avro' AND _offset = 2`)
    assert.deepEqual(Buffer.from(String(kept.value), 'base64'), bin.subarray(0, 100), 'the truncated bytes are kept')
  })

  test('schema evolution across batches: new columns and nested fields are added as nullable, a value that does not fit its column is rescued', async () => {
    const messages: JsonMessage[] = []
    for (let i = 0; i < 8; i++) messages.push({ key: `e${i}`, value: { id: i, name: `n${i}` } }) // 0-7: id, name
    for (let i = 8; i < 16; i++) messages.push({ key: `e${i}`, value: { id: i, name: `n${i}`, email: `u${i}@x`, address: { city: `c${i}` } } }) // 8-15: + email, address.city
    for (let i = 16; i < 24; i++) messages.push({ key: `e${i}`, value: { id: i, name: `n${i}`, address: { city: `c${i}`, geo: { lat: i + 0.5 } }, score: i } }) // 16-23: + address.geo.lat, score
    messages.push({ key: 'e24', value: { id: 'twenty-four', name: 'n24' } }) // 24: a string where id is a number
    messages.push({ key: 'e25', value: { id: 25, address: { city: 25 } } }) // 25: a number in a text column: its text
    messages.push({ key: 'e26', value: null }) // 26: a tombstone
    messages.push({ key: 'e27', value: { id: 27, tags: ['a'], rank: 1 } }) // 27: + tags, rank …
    messages.push({ key: 'e28', value: { id: 28, rank: 'first' } }) // 28: … and rank conflicts in the same batch it was added
    messages.push({ key: 'e29', value: { id: 29, score: 2.5 } }) // 29: a double where score is a long
    await produceJson(kafka, 'evolve', messages)
    const source: SourceSpec = { name: 'evolve', topic: 'evolve', format: 'json', table: 'raw.evolve', batch: { maxMessages: 4, maxMs: 200 } }
    const batches: KafkaBatchReport[] = []
    const report = await timed('json evolution: 30 messages in batches of 4', () =>
      ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions, onBatch: (b) => batches.push(b) }),
    )
    assert.equal(report.messages, 30)
    assert.equal(report.rows + report.tombstones + report.deadLetters, report.messages, 'rows + tombstones + dead letters = messages')
    assert.equal(report.tombstones, 1)
    assert.equal(report.batches, 8)
    assert.ok(batches.every((b) => b.messages <= 4))
    await assertEveryOffsetOnce('evolve', 'raw.evolve', 30)

    assert.equal(report.deadLetters, 0, 'every message was readable: no dead letters')
    assert.equal(report.rows, 29)
    // Each value that did not fit its column is kept with its path; the rest of its row landed.
    const rescued = await query(`SELECT _offset, id, rank, score, _rescued_data AS r FROM raw.evolve WHERE _rescued_data IS NOT NULL ORDER BY _offset`)
    assert.deepEqual(rescued, [
      { _offset: 24, id: null, rank: null, score: null, r: '{"id":"twenty-four"}' },
      { _offset: 28, id: 28, rank: null, score: null, r: '{"rank":"first"}' },
      { _offset: 29, id: 29, rank: null, score: null, r: '{"score":2.5}' },
    ])
    assert.deepEqual(await query(`SELECT address.city AS city FROM raw.evolve WHERE _offset = 25`), [{ city: '25' }])

    const types = await columnTypes('raw.evolve')
    assert.deepEqual(
      [types.id, types.name, types.email, types.score, types.tags, types.rank],
      ['BIGINT', 'VARCHAR', 'VARCHAR', 'BIGINT', 'VARCHAR[]', 'BIGINT'],
    )
    assert.equal(types.address, 'STRUCT(city VARCHAR, geo STRUCT(lat DOUBLE))')
    // The column was added by a later commit: the first batch's version did not have it.
    const firstVersion = batches[0].rawVersion!
    const history = await lake.snapshot(catalog.pathOf('raw.evolve'))
    assert.ok(history.version > firstVersion)
    const first = await lake.snapshot(catalog.pathOf('raw.evolve'), { version: firstVersion })
    assert.deepEqual(
      first.schema.fields.map((f) => f.name).filter((n) => !n.startsWith('_')),
      ['id', 'name'],
      'the first batch wrote id and name only',
    )

    const rows = await query(
      `SELECT _offset, id, name, email, address.city AS city, address.geo.lat AS lat, score, tags, rank FROM raw.evolve WHERE _offset IN (0, 7, 8, 15, 16, 23, 27) ORDER BY _offset`,
    )
    assert.deepEqual(rows, [
      { _offset: 0, id: 0, name: 'n0', email: null, city: null, lat: null, score: null, tags: null, rank: null },
      { _offset: 7, id: 7, name: 'n7', email: null, city: null, lat: null, score: null, tags: null, rank: null },
      { _offset: 8, id: 8, name: 'n8', email: 'u8@x', city: 'c8', lat: null, score: null, tags: null, rank: null },
      { _offset: 15, id: 15, name: 'n15', email: 'u15@x', city: 'c15', lat: null, score: null, tags: null, rank: null },
      { _offset: 16, id: 16, name: 'n16', email: null, city: 'c16', lat: 16.5, score: 16, tags: null, rank: null },
      { _offset: 23, id: 23, name: 'n23', email: null, city: 'c23', lat: 23.5, score: 23, tags: null, rank: null },
      { _offset: 27, id: 27, name: null, email: null, city: null, lat: null, score: null, tags: ['a'], rank: 1 },
    ])
    assert.equal(
      Number((await query(`SELECT count(*) AS n FROM raw.evolve WHERE address IS NULL AND NOT _tombstone`))[0].n),
      8 + 4,
      'rows 0-7, 24 and 27-29 have no address',
    )
  })
})
