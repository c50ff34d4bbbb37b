/**
 * The bad-input corpus (corpus/) through the real mock broker, one topic per payload format, with a
 * local schema registry for Avro: every bad message ends in raw._dead_letters with a reason and a
 * detail that name the problem, the good messages around them land in raw, the counts add up
 * (rows + dead letters = produced, every offset exactly once), and the job completes.
 *
 * All of it goes through the broker: the mock takes a 10 MB message (a record batch may exceed its
 * 5 MiB per-partition retention as long as it is the partition's newest, so each topic is produced
 * in one send), and bad UTF-8 could not go through a capture file (read as text, it would be
 * replaced by U+FFFD before the decoder saw it).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { SourceFormat, SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery } from '../../src/query'
import { LocalRegistry } from '../helpers/schema-registry'
import { produceJson } from '../kafka/broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from '../kafka/ingest-lake'
import { AVRO_SCHEMAS, avroCorpus, debeziumCorpus, HUGE_BYTES, jsonCorpus, mongoCorpus, type CorpusMessage } from './corpus'

describe('the bad-input corpus through the broker: dead letters with reasons, good rows around them, counts that add up', () => {
  let env: IngestLake
  const registry = new LocalRegistry()

  before(async () => {
    const url = await registry.start()
    for (const [id, schema] of AVRO_SCHEMAS) registry.schemas.set(id, { schema })
    env = await startIngestLake({
      name: 'bad-input',
      topics: ['json', 'dbz', 'mongo', 'avro'].map((name) => ({ name, partitions: 1 })),
      schemaRegistryUrl: url,
    })
  })
  after(async () => {
    await env?.stop()
    await registry.stop()
  })

  const query = async (sql: string) => (await runQuery(env.lake, env.catalog, sql)).rows

  async function ingestCorpus(topic: string, format: SourceFormat, corpus: CorpusMessage[]) {
    await produceJson(
      env.kafka,
      topic,
      corpus.map((m) => ({ key: m.key?.toString('latin1') ?? null, value: m.value })),
      { batchSize: corpus.length },
    )
    const source: SourceSpec = { name: `bad_${topic}`, topic, format, table: `raw.bad_${topic}`, batch: { maxMessages: 1_000, maxMs: 500 } }
    const report = await ingestKafka(env.lake, env.catalog, env.pipeline, source, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })

    const good = corpus.flatMap((m, offset) => ('row' in m.expect ? [offset] : []))
    const bad = corpus.flatMap((m, offset) => ('reason' in m.expect ? [{ offset, name: m.name, ...m.expect }] : []))
    assert.deepEqual(
      report,
      { source: source.name, messages: corpus.length, rows: good.length, tombstones: 0, deadLetters: bad.length, skipped: 0, batches: report.batches },
      'the report adds up',
    )

    const rows = await query(`SELECT * FROM ${source.table} ORDER BY _offset`)
    assert.deepEqual(
      rows.map((r) => Number(r._offset)),
      good,
      `${topic}: the good messages are in raw (${good.map((o) => corpus[o].name).join(', ')})`,
    )
    // What did not fit its column is kept in _rescued_data, and nothing else is.
    rows.forEach((r) => {
      const expect = corpus[Number(r._offset)].expect
      const kept = r._rescued_data === undefined || r._rescued_data === null ? undefined : JSON.parse(String(r._rescued_data))
      assert.deepEqual(kept, 'row' in expect ? expect.rescued : undefined, `${topic} ${corpus[Number(r._offset)].name}: rescued data`)
    })
    const letters = await query(
      `SELECT _offset, reason, detail, length(value) AS value_length FROM raw._dead_letters WHERE source = '${source.name}' ORDER BY _offset`,
    )
    assert.deepEqual(
      letters.map((r) => Number(r._offset)),
      bad.map((b) => b.offset),
      `${topic}: the bad messages are dead letters`,
    )
    letters.forEach((letter, i) => {
      const expected = bad[i]
      assert.equal(letter.reason, expected.reason, `${topic} ${expected.name}: reason (detail: ${letter.detail})`)
      assert.match(String(letter.detail), expected.detail, `${topic} ${expected.name}: the detail names the problem`)
      const value = corpus[expected.offset].value
      assert.equal(Number(letter.value_length ?? 0), value ? Math.ceil(value.length / 3) * 4 : 0, `${topic} ${expected.name}: the value is kept (base64)`)
    })
    assert.equal(rows.length + letters.length, corpus.length, 'good + dead letters = produced')
    return { source, report }
  }

  test('json: bad UTF-8, invalid JSON, a lone surrogate, depth 1,000 are dead letters; unexpected types and bad column names are rescued; a 10 MB document lands whole', async () => {
    const corpus = jsonCorpus()
    await ingestCorpus('json', 'json', corpus)
    const [huge] = await query(`SELECT id, length(blob) AS n FROM raw.bad_json WHERE _key = 'huge'`)
    assert.deepEqual(huge, { id: 100, n: HUGE_BYTES })
    const kept = await query(`SELECT id, name, address.city AS city FROM raw.bad_json WHERE id IN (1, 13) ORDER BY id`)
    assert.deepEqual(kept, [
      { id: 1, name: 'first', city: 'Oslo' },
      { id: 13, name: 'second good', city: null },
    ])
    // The columns are the good messages' (no column from a refused message).
    const columns = (await query(`DESCRIBE raw.bad_json`)).map((c) => String(c.column_name))
    for (const refused of ['bad column', 'ID', 'nested']) assert.ok(!columns.includes(refused), `no column '${refused}': ${columns.join(', ')}`)
    assert.equal((await query(`DESCRIBE raw.bad_json`)).find((c) => c.column_name === 'id')?.column_type, 'BIGINT')
  })

  test('debezium: unknown ops and envelopes, a future version with the known envelope, images of the wrong type, 10 MB cut off, depth 1,000', async () => {
    await ingestCorpus('dbz', 'debezium', debeziumCorpus())
    const events = await query(`SELECT op, after.id AS id, source.version AS version FROM raw.bad_dbz ORDER BY _offset`)
    assert.deepEqual(events, [
      { op: 'c', id: 1, version: '2.7.0.Final' },
      { op: 'c', id: 2, version: '99.0.0.Future' },
      { op: 'u', id: 1, version: '2.7.0.Final' },
    ])
    assert.match(
      String((await query(`DESCRIBE raw.bad_dbz`)).find((c) => c.column_name === 'after')?.column_type),
      /^STRUCT\(id BIGINT, "name" VARCHAR\)$/,
      'after stays a struct',
    )
  })

  test('debezium-mongodb: `after` that is not Extended JSON, bad keys, a bad $date, a lone surrogate inside the document', async () => {
    await ingestCorpus('mongo', 'debezium-mongodb', mongoCorpus())
    const docs = await query(`SELECT op, key, after._id AS id, after.n AS n FROM raw.bad_mongo ORDER BY _offset`)
    assert.deepEqual(docs, [
      { op: 'c', key: '67ab25755c0d5ac87eb8c632', id: '67ab25755c0d5ac87eb8c632', n: 5 },
      { op: 'd', key: '67ab25755c0d5ac87eb8c632', id: null, n: null },
    ])
  })

  test('avro: unknown schema ids, frames cut in the header and in the body, another framing, trailing bytes, a schema that is not Avro', async () => {
    await ingestCorpus('avro', 'avro', avroCorpus())
    assert.deepEqual(await query(`SELECT id, name, score FROM raw.bad_avro ORDER BY _offset`), [
      { id: 1, name: 'n1', score: 1.5 },
      { id: 5, name: 'n5', score: 5.5 },
    ])
    assert.deepEqual(
      registry.requests.filter((r) => r === '/schemas/ids/1'),
      ['/schemas/ids/1'],
      'schema 1 fetched once',
    )
  })
})
