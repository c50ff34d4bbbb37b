/**
 * A change's default sequence is the source's ts_ms, else the envelope's ts_ms, else the Kafka
 * timestamp, as a point in time (src/pipeline/refine/raw-shape.ts). Integer milliseconds become
 * that point through make_timestamptz rather than epoch_ms and a cast (which goes through ICU's
 * calendar per value): held here to the cast's values over the whole timestamp range, and end to
 * end through the instants SCD type 2 records as __start_at / __end_at.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FlowSpec } from '../../src/pipeline/pipeline-file'
import { refineBatch } from '../../src/pipeline/refine'
import { rawShape } from '../../src/pipeline/refine/raw-shape'
import { appendQuery } from '../../src/table/delta-writer'
import { tempLake } from '../helpers/temp-lake'

const { lake, catalog, query } = tempLake('refine-sequence')

function debeziumRow(id: number, op: string, v: string, sourceTs: string, ts: string, timestamp: string, offset: number): string {
  const image = `{'id': ${id}::BIGINT, 'v': '${v}'}`
  return `SELECT 'pg' AS _topic, 0 AS _partition, ${offset}::BIGINT AS _offset, ${timestamp} AS _timestamp, '{"id":${id}}' AS _key,
    MAP {}::MAP(VARCHAR, VARCHAR) AS _headers, false AS _tombstone, '${op}' AS op, ${ts} AS ts_ms,
    ${op === 'd' ? image : 'NULL::STRUCT(id BIGINT, v VARCHAR)'} AS before, ${op === 'd' ? 'NULL::STRUCT(id BIGINT, v VARCHAR)' : image} AS after,
    {'ts_ms': ${sourceTs}} AS source`
}

test('integer milliseconds give the instants epoch_ms gives, over the whole range, and the sequence stays TIMESTAMPTZ', async () => {
  const raw = catalog.pathOf('raw.shape_probe')
  await appendQuery(lake, raw, debeziumRow(1, 'c', 'a', '1::BIGINT', '1::BIGINT', 'make_timestamptz(0::BIGINT)', 0))
  const shape = rawShape((await lake.snapshot(raw)).schema, 'raw.shape_probe', ['id'])
  assert.match(shape.sequence, /make_timestamptz\(CAST\("source"\."ts_ms" AS BIGINT\) \* 1000\)/)
  assert.doesNotMatch(shape.sequence, /epoch_ms/)
  const db = await lake.duckdb()
  const values = ['-62135596800000', '-1', '0', '1', '999', '1795514400123', '253402300799999', 'NULL']
  const [row] = await db.rows(`SELECT count(*)::INTEGER AS n,
      count(*) FILTER (WHERE epoch_ms(x)::TIMESTAMPTZ IS NOT DISTINCT FROM make_timestamptz(CAST(x AS BIGINT) * 1000))::INTEGER AS same,
      count(*) FILTER (WHERE epoch_ms(i)::TIMESTAMPTZ IS NOT DISTINCT FROM make_timestamptz(CAST(i AS BIGINT) * 1000))::INTEGER AS same_int,
      typeof(any_value(coalesce(make_timestamptz(CAST(x AS BIGINT) * 1000), make_timestamptz(0::BIGINT)))) AS type
    FROM (SELECT x, TRY_CAST(x AS INTEGER) AS i FROM (SELECT unnest([${values.join(', ')}]::BIGINT[]) AS x))`)
  assert.deepEqual(row, { n: values.length, same: values.length, same_int: values.length, type: 'TIMESTAMP WITH TIME ZONE' })
})

test('SCD type 2 records each change at its sequence: the source ts_ms, else the envelope ts_ms, else the Kafka timestamp', async () => {
  const raw = catalog.pathOf('raw.sequenced')
  const at = (ms: number) => `make_timestamptz(${ms}::BIGINT * 1000)`
  const rows = [
    // id 1: created at its source ts, updated where only the envelope has a ts, deleted where only Kafka has one.
    debeziumRow(1, 'c', 'a', '1795514400001::BIGINT', '1795514400900::BIGINT', at(1795514400950), 0),
    debeziumRow(1, 'u', 'b', 'NULL::BIGINT', '1795514400002::BIGINT', at(1795514400960), 1),
    debeziumRow(1, 'd', 'b', 'NULL::BIGINT', 'NULL::BIGINT', at(1795514400003), 2),
    // id 2: one change before 1970, one far ahead.
    debeziumRow(2, 'c', 'x', '-86400000::BIGINT', 'NULL::BIGINT', at(0), 3),
    debeziumRow(2, 'u', 'y', '253402300799999::BIGINT', 'NULL::BIGINT', at(1), 4),
  ]
  await appendQuery(lake, raw, rows.join(' UNION ALL '), { create: { properties: { 'delta.enableChangeDataFeed': 'true' } } })
  const flow: FlowSpec = { name: 'sequenced', from: 'raw.sequenced', to: 'refined.sequenced', mode: 'cdc', key: ['id'], scd: 2 }
  assert.equal((await refineBatch(lake, catalog, flow))?.changes, 5)
  const history = await query(
    `SELECT id, v, epoch_ms(__start_at) AS s, epoch_ms(__end_at) AS e, typeof(__start_at) AS type FROM refined.sequenced ORDER BY id, s`,
  )
  const type = 'TIMESTAMP WITH TIME ZONE'
  assert.deepEqual(history, [
    { id: 1, v: 'a', s: 1795514400001, e: 1795514400002, type },
    { id: 1, v: 'b', s: 1795514400002, e: 1795514400003, type },
    { id: 2, v: 'x', s: -86400000, e: 253402300799999, type },
    { id: 2, v: 'y', s: 253402300799999, e: null, type },
  ])
})
