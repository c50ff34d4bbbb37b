/**
 * A cdc batch that keeps each key's last change (SCD type 1, no truncate, no partial update)
 * chooses it per key in one grouped pass that also counts the batch (src/pipeline/refine/
 * change-events.ts `latestPerEntity`); a batch with a truncate numbers every event first and
 * chooses from that numbering. Both are held here to a model written in the test, over events
 * with ties and nulls in every part of the order (sequence, commit version, Kafka partition,
 * offset), and to each other: the same events, once with a truncate before all of them, give
 * the same table. Row images whose before and after types differ are rebuilt field by field
 * (`conform`); alike ones are taken as they are: both read back exactly.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { conform } from '../../src/pipeline/refine/raw-shape'
import type { FlowSpec } from '../../src/pipeline/pipeline-file'
import { refineBatch } from '../../src/pipeline/refine'
import { appendQuery } from '../../src/table/delta-writer'
import { tempLake } from '../helpers/temp-lake'

const { lake, catalog, query } = tempLake('refine-latest')

interface RawEvent {
  id: number | null
  op: 'c' | 'u' | 'd' | 't'
  v: string
  partition: number | null
  offset: number | null
  sourceTs: number | null
  ts: number | null
  timestamp: number | null
}

/** A seeded PRNG (mulberry32): the same events on every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Events of one raw version: few distinct timestamps (ties), nulls in each part of the order. */
function events(seed: number, count: number, firstOffset: number): RawEvent[] {
  const next = random(seed)
  const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)]
  return Array.from({ length: count }, (_, i) => {
    const ts = pick([1000, 2000, 3000, null])
    return {
      id: pick([1, 2, 3, 4, 5, 6, 7, 8]),
      op: pick(['c', 'u', 'u', 'd'] as const),
      v: `v${seed}-${i}`,
      // Each (partition, offset) appears once, so no two events tie in the whole order.
      partition: pick([0, 1, null]),
      offset: next() < 0.1 ? null : firstOffset + i,
      sourceTs: next() < 0.5 ? ts : null,
      ts: next() < 0.5 ? ts : null,
      timestamp: next() < 0.3 ? null : pick([1500, 2500]),
    }
  })
}

const literal = (n: number | null, type: string) => (n === null ? `NULL::${type}` : `${n}::${type}`)

function rowsSql(batch: RawEvent[]): string {
  return batch
    .map((e) => {
      const image = `{'id': ${literal(e.id, 'BIGINT')}, 'v': '${e.v}'}`
      return `SELECT 'pg' AS _topic, ${literal(e.partition, 'INTEGER')} AS _partition, ${literal(e.offset, 'BIGINT')} AS _offset,
        ${e.timestamp === null ? 'NULL::TIMESTAMPTZ' : `make_timestamptz(${e.timestamp}::BIGINT * 1000)`} AS _timestamp,
        ${e.id === null ? 'NULL::VARCHAR' : `'{"id":${e.id}}'`} AS _key, MAP {}::MAP(VARCHAR, VARCHAR) AS _headers, false AS _tombstone,
        '${e.op}' AS op, ${literal(e.ts, 'BIGINT')} AS ts_ms,
        ${e.op === 'd' ? image : 'NULL::STRUCT(id BIGINT, v VARCHAR)'} AS before, ${e.op === 'c' || e.op === 'u' ? image : 'NULL::STRUCT(id BIGINT, v VARCHAR)'} AS after,
        {'ts_ms': ${literal(e.sourceTs, 'BIGINT')}} AS source`
    })
    .join(' UNION ALL ')
}

/**
 * The model: each key's last change in the order sequence (source ts, else envelope ts, else the
 * Kafka timestamp; no sequence counts as earliest), then commit version, partition and offset
 * (each of those null counting as latest).
 */
function expectedTable(versions: RawEvent[][]): { id: number; v: string }[] {
  const later = (a: number | null, b: number | null, nullIsLatest: boolean) =>
    a === b ? 0 : a === null ? (nullIsLatest ? 1 : -1) : b === null ? (nullIsLatest ? -1 : 1) : a - b
  const last = new Map<number, { e: RawEvent; version: number }>()
  versions.forEach((batch, version) => {
    for (const e of batch) {
      if (e.id === null || e.op === 't') continue
      const seq = (x: RawEvent) => x.sourceTs ?? x.ts ?? x.timestamp
      const current = last.get(e.id)
      const order = current
        ? later(seq(e), seq(current.e), false) ||
          later(version, current.version, true) ||
          later(e.partition, current.e.partition, true) ||
          later(e.offset, current.e.offset, true)
        : 1
      assert.notEqual(order, 0, 'the events never tie')
      if (order > 0) last.set(e.id, { e, version })
    }
  })
  return [...last.entries()]
    .filter(([, { e }]) => e.op !== 'd')
    .map(([id, { e }]) => ({ id, v: e.v }))
    .sort((a, b) => a.id - b.id)
}

async function refineAll(name: string, versions: RawEvent[][]) {
  const raw = catalog.pathOf(`raw.${name}`)
  for (const batch of versions) await appendQuery(lake, raw, rowsSql(batch), { create: { properties: { 'delta.enableChangeDataFeed': 'true' } } })
  const flow: FlowSpec = { name, from: `raw.${name}`, to: `refined.${name}`, mode: 'cdc', key: ['id'] }
  return refineBatch(lake, catalog, flow)
}

test('each key keeps its last change, ties and nulls ordered as the model says, with and without a truncate', async () => {
  for (const seed of [1, 2, 3]) {
    const versions = [events(seed * 10, 60, 0), events(seed * 10 + 1, 60, 1000), events(seed * 10 + 2, 60, 2000)]
    const expected = expectedTable(versions)
    assert.ok(expected.length > 0)

    const report = await refineAll(`plain_${seed}`, versions)
    assert.equal(report?.changes, 180, 'every event counted')
    assert.deepEqual(await query(`SELECT id, v FROM refined.plain_${seed} ORDER BY id`), expected, `seed ${seed}`)

    // The same events after a truncate with no sequence (the earliest): the numbering path.
    const truncate: RawEvent = { id: null, op: 't', v: '', partition: 0, offset: 5000, sourceTs: null, ts: null, timestamp: null }
    const truncated = await refineAll(`truncated_${seed}`, [[truncate], ...versions])
    assert.equal(truncated?.changes, 181)
    assert.deepEqual(await query(`SELECT id, v FROM refined.truncated_${seed} ORDER BY id`), expected, `seed ${seed}, after a truncate`)
  }
})

test('events without a key are refused on either path', async () => {
  const unkeyed: RawEvent = { id: null, op: 'u', v: 'x', partition: 0, offset: 1, sourceTs: 1000, ts: null, timestamp: null }
  const keyed: RawEvent = { ...unkeyed, id: 1, offset: 2 }
  await assert.rejects(
    refineAll('unkeyed', [[unkeyed, keyed]]),
    /1 change events have no key \(the Kafka message key, or the flow's key columns in the row images\)/,
  )
  const truncate: RawEvent = { ...unkeyed, op: 't', offset: 0, sourceTs: null }
  await assert.rejects(refineAll('unkeyed_truncated', [[truncate, unkeyed, keyed]]), /1 change events have no key/)
})

test('row images: alike types are taken as they are, differing ones rebuilt, both exact', async () => {
  const image = { type: 'struct' as const, fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] }
  assert.equal(conform('"after"', image, image), '"after"')
  const wider = { type: 'struct' as const, fields: [...image.fields, { name: 'v', type: 'string', nullable: true, metadata: {} }] }
  assert.match(conform('"after"', image, wider), /struct_pack\("id" := .*"v" := NULL::VARCHAR/)
  const db = await lake.duckdb()
  const [row] = await db.rows(
    `SELECT to_json(${conform('a', image, wider)})::VARCHAR AS rebuilt, to_json(${conform('b', wider, wider)})::VARCHAR AS taken
     FROM (SELECT {'id': 1::BIGINT} AS a, {'id': 1::BIGINT, 'v': 'x'} AS b)`,
  )
  assert.deepEqual(row, { rebuilt: '{"id":1,"v":null}', taken: '{"id":1,"v":"x"}' })
})
