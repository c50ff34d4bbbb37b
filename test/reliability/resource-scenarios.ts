/**
 * The resource scenarios, parent side (resource-bounds.test.ts and bench/resources.ts): each
 * measured part runs in a child (resource-child.ts) whose peak RSS is its own, while the setup
 * (the mock broker, producing the backlog, writing the table) and the checks of what the child
 * left run elsewhere.
 *
 * - ingest: a backlog of `messages` JSON values of 500 B on `partitions` partitions of the mock
 *   broker (each partition must stay under the mock's 5 MiB, or it drops old record batches),
 *   ingested with default batches; then every (partition, offset) must be in the raw table once.
 * - query: a `rows`-row Delta table (4 commits), then the query panel's path over it.
 * - baseline: the child loading the engine and opening DuckDB, nothing else.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog, runQuery } from '../../src/query'
import { kafkaFor, MOCK_CONSUMER_SETTINGS, startBroker } from '../kafka/broker'
import { EVENT_BYTES, produceBacklog } from '../kafka/backlog'
import type { ChildConfig, ChildOutput } from './resource-data'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '../..')
const CHILD = path.join(here, 'resource-child.ts')
const MIB = 2 ** 20

/**
 * Peak RSS bounds (MiB) of the child processes, engine loading included (the baseline, a child
 * that only loads the engine and opens DuckDB, peaks at 124–152 MiB). Set from the peaks measured
 * on this 2-core machine (Node 20, DuckDB 1.5.6; README, "Resource bounds") times about 1.5, so
 * that they catch a change that keeps a whole backlog or a whole result in the process, not the
 * noise between runs (the ingest's peak moves by ±60 MiB with garbage-collection timing).
 */
export const RESOURCE_BOUNDS_MIB = {
  /**
   * 400k messages of 500 B (200 MB) on 64 partitions, default batches (50,000 messages / 1 s):
   * 501–586 MiB in 5 runs, 613–634 MiB for 800k messages on 128 partitions. It follows the batch
   * size (the batch being written, the open batch, the fetch buffers their values point into,
   * DuckDB reading the batch), not the backlog: 379 MiB with batches of 5,000. (759–983 MiB before
   * an open batch held its rows as the messages' bytes.)
   */
  ingest: 900,
  /**
   * SELECT * of 1M rows of 5 columns into the session's DuckDB result table, pages, a sorted page,
   * then an aggregate with count(DISTINCT): 242–274 MiB in 11 runs (JS heap ~14 MiB). The result
   * table is in DuckDB's memory in this process (RSS after the SELECT *: 214 MiB for 1M rows, 430
   * MiB for 4M, whose peak is 628 MiB), so the bound holds for results of about this size only.
   */
  query: 400,
} as const

export interface ChildRun extends ChildOutput {
  /** Spawn → exit, as the parent saw it. */
  wallMs: number
}

/** Runs resource-child.ts with `config`; rejects when it fails or outlives `timeoutMs`. */
export function runResourceChild(config: ChildConfig, timeoutMs = 120_000): Promise<ChildRun> {
  const began = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').pop()
      if (code !== 0 || !last) {
        reject(
          new Error(
            `resource child (${config.mode}) ended with ${signal ?? `exit ${code}`}${signal === 'SIGKILL' ? ` (over ${timeoutMs} ms?)` : ''}:\n${stderr.slice(-4000)}`,
          ),
        )
        return
      }
      resolve({ ...(JSON.parse(last) as ChildOutput), wallMs: Math.round(performance.now() - began) })
    })
  })
}

export function baselineScenario(): Promise<ChildRun> {
  return runResourceChild({ mode: 'baseline' })
}

// ---- ingest -------------------------------------------------------------------------------------

export interface IngestScenarioOptions {
  messages: number
  partitions: number
  /** Messages per produce request (one record batch, to one partition). Default 500. */
  perSend?: number
  /** Produce requests in flight. Default 8. */
  inFlight?: number
  /** The source's batch.maxMessages; default: the default (50,000). */
  maxMessages?: number
}

export interface IngestScenario {
  child: ChildRun
  produce: { ms: number; bytes: number; maxPartitionBytes: number }
  /** Per partition, the offsets the broker holds: [low, high). */
  produced: { partition: number; low: number; high: number }[]
  /** What the raw table holds. */
  table: { rows: number; distinctOffsets: number; sumId: number; partitions: { partition: number; rows: number; lo: number; hi: number }[] }
}

export async function ingestScenario(options: IngestScenarioOptions): Promise<IngestScenario> {
  const topic = 'backlog'
  const table = 'raw.events'
  // The mock keeps at most 5 MiB per partition and silently drops older batches beyond.
  const perPartitionBytes = Math.ceil(options.messages / options.partitions) * (EVENT_BYTES + 40)
  if (perPartitionBytes > 4.5 * MIB)
    throw new Error(
      `${options.messages} messages on ${options.partitions} partitions is ~${(perPartitionBytes / MIB).toFixed(1)} MiB a partition: over what the mock broker keeps`,
    )
  const broker = await startBroker({ topics: [{ name: topic, partitions: options.partitions }] })
  const lakeDir = await mkdtemp(path.join(os.tmpdir(), 'lakehouse-resources-ingest-'))
  const lake = new LakeEngine()
  try {
    const kafka = kafkaFor(broker, 'resources-producer')
    const backlog = await produceBacklog(kafka, topic, {
      messages: options.messages,
      partitions: options.partitions,
      perSend: options.perSend ?? 500,
      inFlight: options.inFlight ?? 8,
      acks: 1,
    })
    const produce = { ms: Math.round(backlog.ms), bytes: backlog.bytes, maxPartitionBytes: Math.max(...backlog.partitionBytes) }
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())
    const produced = offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition)

    const child = await runResourceChild({
      mode: 'ingest',
      lakeDir,
      brokers: broker.brokers,
      topic,
      table,
      maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
      sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
      heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
      ...(options.maxMessages ? { maxMessages: options.maxMessages } : {}),
    })

    const catalog = new LakeCatalog(lakeDir, lake.io.storage)
    const [totals] = (await runQuery(lake, catalog, `SELECT count(*) AS n, count(DISTINCT (_partition, _offset)) AS d, sum(id) AS s FROM ${table}`)).rows
    const perPartition = (
      await runQuery(lake, catalog, `SELECT _partition AS p, count(*) AS n, min(_offset) AS lo, max(_offset) AS hi FROM ${table} GROUP BY 1 ORDER BY 1`)
    ).rows
    return {
      child,
      produce,
      produced,
      table: {
        rows: Number(totals.n),
        distinctOffsets: Number(totals.d),
        sumId: Number(totals.s),
        partitions: perPartition.map((r) => ({ partition: Number(r.p), rows: Number(r.n), lo: Number(r.lo), hi: Number(r.hi) })),
      },
    }
  } finally {
    await lake.close()
    await broker.stop()
    await rm(lakeDir, { recursive: true, force: true })
  }
}

// ---- query --------------------------------------------------------------------------------------

export interface QueryScenario {
  /** The table as written, and what read_parquet over its files says (make-table child). */
  setup: ChildRun
  child: ChildRun
}

export async function queryScenario(options: { rows: number; pageSize?: number }): Promise<QueryScenario> {
  const lakeDir = await mkdtemp(path.join(os.tmpdir(), 'lakehouse-resources-query-'))
  const table = 'raw.big'
  try {
    const setup = await runResourceChild({ mode: 'make-table', lakeDir, table, rows: options.rows, commits: 4 })
    const child = await runResourceChild({ mode: 'query', lakeDir, table, pageSize: options.pageSize ?? 100 })
    return { setup, child }
  } finally {
    await rm(lakeDir, { recursive: true, force: true })
  }
}
