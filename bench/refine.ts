/**
 * Refine benchmark. Throughput: one cdc batch of E Debezium change events (updates and, one in
 * ten, deletes; every key changed twice) over K keys, from a raw table into a refined table that
 * holds the K rows (change data feed on, as refined tables always have it). Each repetition runs
 * on a fresh copy of the lake (cp -r).
 *
 * Ceiling: the same work as DuckDB statements over the same Parquet files, without the log: the
 * latest event per key (QUALIFY over the raw batch's files), FULL OUTER JOIN with the refined
 * table's files, COPY of the new table, and a second COPY of the change rows (pre/post images,
 * deletes) as a hand-written job with a change feed would write them. Ratio = ceiling ms / ours
 * ms (< 1 is slower): the same as changes/s ÷ the ceiling's changes/s.
 *
 * Latency: `runPipeline` (what `lakehouse run` does) in continuous mode against the mock broker;
 * one change produced every intervalMs; a change's latency is produce → the flow's commit that
 * made it visible in the refined table (checked after each flow batch).
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { appendQuery } from '../src/table/delta-writer'
import type { LakeEngine } from '../src/engine/lake-engine'
import type { FlowSpec, Pipeline } from '../src/pipeline/pipeline-file'
import { refineBatch, refineFlow } from '../src/pipeline/refine'
import { runPipeline, type PipelineEvent } from '../src/pipeline/run-pipeline'
import { LakeCatalog } from '../src/engine'
import { kafkaFor, MOCK_CONSUMER_SETTINGS, startBroker } from '../test/kafka/broker'
import { instrumentPhases, phaseOf } from './merge'
import { log, median, round, tempDir } from './util'

export interface RefineBenchOptions {
  events: number
  keys: number
  repetitions: number
  latencyChanges: number
  intervalMs: number
}

const FLOW: FlowSpec = { name: 'customers', from: 'raw.customers', to: 'refined.customers', mode: 'cdc', key: ['id'] }

/** Raw rows as ingest writes Debezium events: Kafka columns, op, ts_ms, before, after, source. */
function rawEventsSql(first: number, count: number, keys: number, creates: boolean): string {
  const image = (id: string, suffix: string) =>
    `{'id': ${id}, 'name': 'customer ' || ${id} || '${suffix}', 'amount': (${id} % 1000) / 10.0 + ${creates ? 0 : 1}, 'qty': (${id} % 7)::INTEGER}`
  const id = creates ? 'j' : `(j * 7919) % ${keys}`
  const op = creates ? `'c'` : `CASE WHEN j % 10 = 9 THEN 'd' ELSE 'u' END`
  return `SELECT 'pg.public.customers' AS _topic, 0 AS _partition, (${first} + j)::BIGINT AS _offset,
      make_timestamptz((1795514400000 + ${first} + j) * 1000) AS _timestamp, '{"id":' || ${id} || '}' AS _key,
      MAP {}::MAP(VARCHAR, VARCHAR) AS _headers, false AS _tombstone, ${op} AS op, (1795514400000 + ${first} + j)::BIGINT AS ts_ms,
      CASE WHEN ${op} = 'd' THEN {'id': ${id}, 'name': NULL::VARCHAR, 'amount': NULL::DOUBLE, 'qty': NULL::INTEGER} END AS before,
      CASE WHEN ${op} <> 'd' THEN ${image(id, creates ? '' : ' v' + "' || (j // " + keys + ") || '")} END AS after,
      {'ts_ms': (1795514400000 + ${first} + j)::BIGINT, 'lsn': (${first} + j)::BIGINT} AS source
    FROM range(${count}) r(j)`
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`
const sqlList = (xs: string[]) => `[${xs.map(sqlString).join(', ')}]`

async function throughput(lake: LakeEngine, options: RefineBenchOptions) {
  const base = await tempDir('refine')
  const catalog = new LakeCatalog(base, lake.io.storage)
  const cdf = { 'delta.enableChangeDataFeed': 'true', 'delta.checkpointInterval': '100' }
  await appendQuery(lake, catalog.pathOf('raw.customers'), rawEventsSql(0, options.keys, options.keys, true), { create: { properties: cdf } })
  await refineFlow(lake, catalog, FLOW, { untilCaughtUp: true })
  const created = new Set((await lake.snapshot(catalog.pathOf('raw.customers'))).files.map((f) => path.basename(f.path)))
  await appendQuery(lake, catalog.pathOf('raw.customers'), rawEventsSql(options.keys, options.events, options.keys, false))
  const db = await lake.duckdb()
  const ours: number[] = []
  const ceiling: number[] = []
  // The ceiling's own statements, so each of refine's phases has its counterpart beside it.
  const ceilingParts: Record<string, number[]> = { latestPerKey: [], tableWrite: [], changeDataWrite: [] }
  const timedPart = async (part: string, sql: string) => {
    const start = performance.now()
    await db.run(sql)
    ceilingParts[part].push(performance.now() - start)
  }
  let changes = 0
  let phases: Record<string, number> = {}
  for (let rep = 0; rep < options.repetitions; rep++) {
    const dir = await tempDir('refine-run')
    await fs.cp(base, dir, { recursive: true })
    const runCatalog = new LakeCatalog(dir, lake.io.storage)
    const raw = await lake.snapshot(runCatalog.pathOf('raw.customers'))
    const refined = await lake.snapshot(runCatalog.pathOf('refined.customers'))
    const batchFiles = raw.files.filter((f) => !created.has(path.basename(f.path))).map((f) => f.path)
    const tableFiles = refined.files.map((f) => f.path)
    const runCeiling = async () => {
      const start = performance.now()
      await timedPart(
        'latestPerKey',
        `CREATE OR REPLACE TEMP TABLE bench_latest AS SELECT CASE WHEN op = 'd' THEN before ELSE after END AS img, op
        FROM read_parquet(${sqlList(batchFiles)}) QUALIFY row_number() OVER (PARTITION BY _key ORDER BY source.ts_ms DESC, _offset DESC) = 1`,
      )
      await timedPart(
        'tableWrite',
        `COPY (SELECT CASE WHEN s.img IS NULL THEN t.id ELSE s.img.id END AS id, CASE WHEN s.img IS NULL THEN t.name ELSE s.img.name END AS name,
          CASE WHEN s.img IS NULL THEN t.amount ELSE s.img.amount END AS amount, CASE WHEN s.img IS NULL THEN t.qty ELSE s.img.qty END AS qty
        FROM read_parquet(${sqlList(tableFiles)}) t FULL OUTER JOIN bench_latest s ON t.id = s.img.id WHERE coalesce(s.op, '') <> 'd')
        TO ${sqlString(path.join(dir, 'ceiling.parquet'))} (FORMAT parquet, COMPRESSION zstd)`,
      )
      await timedPart(
        'changeDataWrite',
        `COPY (SELECT t.*, 'update_preimage' AS _change_type FROM read_parquet(${sqlList(tableFiles)}) t JOIN bench_latest s ON t.id = s.img.id WHERE s.op <> 'd'
          UNION ALL SELECT s.img.id, s.img.name, s.img.amount, s.img.qty, 'update_postimage' FROM bench_latest s WHERE s.op <> 'd'
          UNION ALL SELECT t.*, 'delete' FROM read_parquet(${sqlList(tableFiles)}) t JOIN bench_latest s ON t.id = s.img.id WHERE s.op = 'd')
        TO ${sqlString(path.join(dir, 'ceiling-changes.parquet'))} (FORMAT parquet, COMPRESSION zstd)`,
      )
      ceiling.push(performance.now() - start)
    }
    const runOurs = async () => {
      // The last repetition also says where the time goes (statement timing costs little).
      const timing = rep === options.repetitions - 1 ? instrumentPhases(lake, db, refinePhase) : undefined
      const start = performance.now()
      const report = await refineBatch(lake, runCatalog, FLOW)
      ours.push(performance.now() - start)
      timing?.restore()
      if (timing)
        phases = Object.fromEntries(
          Object.entries(timing.totals)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => [k, round(v)]),
        )
      changes = report?.changes ?? 0
    }
    if (rep % 2 === 0) {
      await runOurs()
      await runCeiling()
    } else {
      await runCeiling()
      await runOurs()
    }
    log(`refine: repetition ${rep + 1}: ours ${round(ours.at(-1)!)} ms, ceiling ${round(ceiling.at(-1)!)} ms`)
  }
  await db.run('DROP TABLE IF EXISTS bench_latest')
  const oursMs = median(ours)
  const ceilingMs = median(ceiling)
  return {
    events: options.events,
    keys: options.keys,
    changes,
    oursMs: round(oursMs),
    ceilingMs: round(ceilingMs),
    changesPerSecond: Math.round(changes / (oursMs / 1000)),
    ratio: round(ceilingMs / oursMs),
    phasesMs: phases,
    ceilingPhasesMs: Object.fromEntries(Object.entries(ceilingParts).map(([part, ms]) => [part, round(median(ms))])),
  }
}

/** Which part of a refine batch a DuckDB statement belongs to (MERGE's own phases otherwise). */
function refinePhase(sql: string): string {
  if (/__refine_source_/.test(sql) && /^\s*CREATE/i.test(sql)) return 'readSourceChanges'
  if (/^\s*CREATE TEMP TABLE __refine_events_/i.test(sql)) return 'orderEvents'
  if (/^\s*SELECT count\(\*\) AS events,/i.test(sql) || (/__refine_events_/.test(sql) && /^\s*SELECT max/i.test(sql))) return 'eventSummary'
  if (/^\s*(CREATE TEMP TABLE|ALTER TABLE) __refine_final_/i.test(sql)) return 'latestPerKey'
  if (/^\s*SELECT coalesce\(sum\(__events\)/i.test(sql)) return 'eventSummary'
  if (/^\s*CREATE TEMP TABLE __refine_upserts_/i.test(sql)) return 'mergeSourceCopy'
  if (/IS NULL OR|HAVING count\(\*\) > 1/.test(sql) && /count\(\*\)/.test(sql) && !/__rewrite/.test(sql)) return 'keyChecks'
  if (/__refine_parents_/.test(sql)) return 'parentKeys'
  if (/^\s*CREATE TEMP VIEW __transform_/i.test(sql)) return 'transformViews'
  if (/__delta_(files|rows)_/.test(sql) && /_change_type/.test(sql)) return 'changeFeedSetup'
  return phaseOf(sql)
}

async function latency(lake: LakeEngine, options: RefineBenchOptions) {
  const topic = 'bench-refine-latency'
  const broker = await startBroker({ topics: [{ name: topic, partitions: 1 }] })
  const lakeDir = await tempDir('refine-latency')
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const pipeline: Pipeline = {
    file: path.join(lakeDir, 'lakehouse.json'),
    lake: '.',
    lakeDir,
    kafka: {
      brokers: broker.brokers,
      clientId: 'bench-refine',
      consumer: {
        sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
        heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
        maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
      },
    },
    sources: [{ name: 'customers', topic, format: 'debezium', table: 'raw.customers' }],
    flows: [FLOW],
  }
  const producer = kafkaFor(broker, 'bench-refine-producer').producer()
  await producer.connect()
  const stop = new AbortController()
  const produced = new Map<number, number>()
  const latencies: number[] = []
  const db = await lake.duckdb()
  let checking = Promise.resolve()
  const onEvent = (event: PipelineEvent) => {
    if (event.type !== 'batch' || event.job !== 'flow:customers' || produced.size === 0) return
    const seenAt = performance.now()
    checking = checking.then(async () => {
      const ids = [...produced.keys()]
      const scan = await lake.scan(catalog.pathOf('refined.customers'))
      for (const row of await db.rows(`SELECT id FROM ${scan.sql} WHERE id IN (${ids.join(', ')})`)) {
        const id = Number(row.id)
        latencies.push(seenAt - produced.get(id)!)
        produced.delete(id)
      }
      for (const table of scan.temporaryTables) await db.run(`DROP TABLE IF EXISTS ${table}`)
    })
  }
  const running = runPipeline(lake, catalog, pipeline, { signal: stop.signal, onEvent })
  try {
    // A first change creates the tables; latencies are measured from the next ones.
    const send = async (id: number) => {
      const now = Date.now()
      await producer.send({
        topic,
        messages: [
          { key: JSON.stringify({ id }), value: JSON.stringify({ before: null, after: { id, name: `c${id}` }, op: 'c', ts_ms: now, source: { ts_ms: now } }) },
        ],
      })
    }
    await send(0)
    while (!(await lake.io.storage.stat(path.join(catalog.pathOf('refined.customers'), '_delta_log', '00000000000000000000.json'))))
      await new Promise((r) => setTimeout(r, 50))
    for (let i = 1; i <= options.latencyChanges; i++) {
      produced.set(i, performance.now())
      await send(i)
      await new Promise((r) => setTimeout(r, options.intervalMs))
    }
    const deadline = performance.now() + 20_000
    while (produced.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await checking
    if (produced.size > 0) throw new Error(`refine latency: ${produced.size} changes not visible after 20 s`)
  } finally {
    stop.abort()
    await running
    await producer.disconnect()
    await broker.stop()
  }
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))])
  return { changes: latencies.length, intervalMs: options.intervalMs, p50Ms: pct(50), p99Ms: pct(99), maxMs: round(latencies.at(-1)!) }
}

export async function runRefineBench(lake: LakeEngine, options: RefineBenchOptions): Promise<Record<string, unknown>> {
  log('refine: throughput')
  const result = await throughput(lake, options)
  log('refine: latency')
  return { refine: result, refineLatency: await latency(lake, options) }
}
