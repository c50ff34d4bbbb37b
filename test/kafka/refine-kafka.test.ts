/**
 * Refine through the real broker: Debezium PostgreSQL and MongoDB streams produced to the mock
 * cluster, ingested and refined by `runPipeline` (what `lakehouse run` does); the refined tables
 * equal the state the generators kept, SCD type 2 history agrees with it, and in continuous mode
 * a change produced later reaches the refined table without any polling loop in the test's way.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FlowSpec, SourceSpec } from '../../src/pipeline/pipeline-file'
import { runPipeline, type PipelineEvent } from '../../src/pipeline/run-pipeline'
import { runQuery } from '../../src/query'
import { mongoStream, postgresStream, type Captured } from '../helpers/cdc-streams'
import { produceJson } from './broker'
import { startIngestLake, type IngestLake } from './ingest-lake'

let env: IngestLake
before(async () => {
  env = await startIngestLake({
    name: 'refine',
    topics: [
      { name: 'pg.public.customers', partitions: 3 },
      { name: 'mongo.shop.customers', partitions: 1 },
    ],
  })
})
after(() => env.stop())

const query = async (sql: string) => (await runQuery(env.lake, env.catalog, sql)).rows
const produce = (topic: string, messages: Captured[]) =>
  produceJson(
    env.kafka,
    topic,
    messages.map((m) => ({ key: m.key, value: m.payload === null ? null : Buffer.from(m.payload), partition: m.partition })),
  )

const sources: SourceSpec[] = [
  { name: 'pg', topic: 'pg.public.customers', format: 'debezium', table: 'raw.pg_customers', batch: { maxMessages: 200, maxMs: 200 } },
  { name: 'mongo', topic: 'mongo.shop.customers', format: 'debezium-mongodb', table: 'raw.mongo_customers', batch: { maxMessages: 200, maxMs: 200 } },
]
const flows: FlowSpec[] = [
  { name: 'pg_current', from: 'raw.pg_customers', to: 'refined.pg_customers', mode: 'cdc', key: ['id'] },
  { name: 'pg_history', from: 'raw.pg_customers', to: 'refined.pg_customers_history', mode: 'cdc', key: ['id'], scd: 2 },
  {
    name: 'mongo',
    from: 'raw.mongo_customers',
    to: 'refined.mongo_customers',
    mode: 'cdc',
    key: ['customer_id'],
    transforms: [{ op: 'flatten' }, { op: 'rename', columns: { _id: 'customer_id' } }],
  },
]

test('PostgreSQL and MongoDB change streams through the broker: current state and SCD 2 history', async () => {
  const pg = postgresStream({ seed: 21, keys: 60, changes: 900, partitions: 3 })
  const mongo = mongoStream({ seed: 5, keys: 30, changes: 400 })
  // Two rounds, so the second one's MERGE updates rows the first one wrote.
  const half = Math.floor(pg.messages.length / 2)
  await produce('pg.public.customers', pg.messages.slice(0, half))
  await produce('mongo.shop.customers', mongo.messages)
  const events: PipelineEvent[] = []
  const first = await runPipeline(env.lake, env.catalog, { ...env.pipeline, sources, flows }, { untilCaughtUp: true, onEvent: (e) => events.push(e) })
  assert.deepEqual(first.failed, [])
  await produce('pg.public.customers', pg.messages.slice(half))
  const report = await runPipeline(env.lake, env.catalog, { ...env.pipeline, sources, flows }, { untilCaughtUp: true, onEvent: (e) => events.push(e) })
  assert.deepEqual(report.failed, [])
  assert.ok(events.some((e) => e.type === 'batch' && e.job === 'flow:pg_history'))

  const current = await query('SELECT id, name, tier, balance, tags FROM refined.pg_customers ORDER BY id')
  assert.deepEqual(
    current,
    [...pg.final.values()].sort((a, b) => a.id - b.id).map((r) => ({ ...r })),
  )

  // Its change feed after the first commit: each update a pre/post image pair with the same id.
  const feed = await query(`SELECT id, _change_type, _commit_version FROM table_changes('refined.pg_customers', 1) WHERE _change_type LIKE 'update%'`)
  const pairs = new Map<string, number>()
  for (const row of feed)
    pairs.set(`${row.id}@${row._commit_version}`, (pairs.get(`${row.id}@${row._commit_version}`) ?? 0) + (row._change_type === 'update_preimage' ? 1 : 10))
  assert.ok(pairs.size > 0 && [...pairs.values()].every((n) => n === 11), 'every updated row has exactly one pre- and one post-image per commit')

  // SCD 2: the open version of each key is its current row; deleted keys have none; versions chain.
  const open = await query('SELECT id, name, tier, balance, tags FROM refined.pg_customers_history WHERE __end_at IS NULL ORDER BY id')
  assert.deepEqual(open, current)
  const chains = await query(`SELECT id, count(*) AS versions,
      bool_and(__end_at IS NULL OR __end_at >= __start_at) AS ordered,
      count(*) FILTER (WHERE __end_at IS NULL) AS open
    FROM refined.pg_customers_history GROUP BY id`)
  assert.ok(chains.every((c) => c.ordered === true && Number(c.open) <= 1))
  assert.ok(
    chains.some((c) => Number(c.versions) > 3),
    'keys changed several times have several versions',
  )
  const gaps = await query(`SELECT count(*) AS n FROM (
      SELECT id, __end_at, lead(__start_at) OVER (PARTITION BY id ORDER BY __start_at) AS next_start FROM refined.pg_customers_history)
    WHERE next_start IS NOT NULL AND __end_at IS NOT NULL AND __end_at > next_start`)
  assert.equal(Number(gaps[0].n), 0, 'no two versions of a key overlap')

  const docs = await query('SELECT customer_id, name, address_city, tags, points FROM refined.mongo_customers ORDER BY customer_id')
  assert.deepEqual(
    docs.map((d) => ({ ...d, points: String(d.points) })),
    [...mongo.final.values()]
      .sort((a, b) => a._id.localeCompare(b._id))
      .map((d) => ({
        customer_id: d._id,
        name: d.name,
        address_city: d.address.city,
        tags: d.tags,
        points: String(d.points),
      })),
  )
})

test('lakehouse run keeps going: a change produced later reaches the refined table', async () => {
  const stop = new AbortController()
  const seen: PipelineEvent[] = []
  let notify: (() => void) | undefined
  const running = runPipeline(
    env.lake,
    env.catalog,
    { ...env.pipeline, sources: sources.slice(0, 1), flows: flows.slice(0, 1) },
    {
      signal: stop.signal,
      onEvent: (event) => {
        seen.push(event)
        notify?.()
      },
    },
  )
  const refinedOnce = (predicate: (e: PipelineEvent) => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (seen.some(predicate)) resolve()
      }
      notify = check
      check()
    })
  const idle = seen.length
  await new Promise((resolve) => setTimeout(resolve, 500))
  const produced = Date.now()
  const customer = { id: 100_001, name: 'late arrival', tier: 'gold', balance: 1, tags: ['late'] }
  await produce('pg.public.customers', [
    {
      topic: 'pg.public.customers',
      partition: 0,
      offset: 0,
      ts: produced,
      key: JSON.stringify({ id: customer.id }),
      headers: [],
      payload: JSON.stringify({ before: null, after: customer, op: 'c', ts_ms: produced, source: { ts_ms: produced, lsn: 1 } }),
    },
  ])
  await refinedOnce((e) => seen.indexOf(e) >= idle && e.type === 'batch' && e.job === 'flow:pg_current' && e.rows > 0)
  const latency = Date.now() - produced
  stop.abort()
  const report = await running
  assert.deepEqual(report.failed, [])
  assert.deepEqual(await query(`SELECT name, tags FROM refined.pg_customers WHERE id = ${customer.id}`), [{ name: 'late arrival', tags: ['late'] }])
  assert.ok(seen.some((e) => e.type === 'job' && e.job === 'flow:pg_current' && e.state === 'stopped'))
  process.stderr.write(`produce → visible in refined: ${latency} ms\n`)
})
