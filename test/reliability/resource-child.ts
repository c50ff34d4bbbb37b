/**
 * One resource scenario in a process of its own, so that its RSS is its own (resource-bounds.test.ts
 * and bench/resources.ts run it through resource-scenarios.ts). Argument: a JSON ChildConfig.
 * Prints one JSON line on stdout: what the scenario did, and its peak RSS — the larger of
 * process.memoryUsage().rss sampled every 20 ms and the kernel's high-water mark (VmHWM in
 * /proc/self/status), both from the process start, engine loading included.
 *
 * Modes:
 * - baseline: load the engine (the modules the other modes use, DuckDB opened), nothing else;
 * - ingest: ingestKafka(… untilCaughtUp) of `topic` into `table`, default batch settings unless
 *   `maxMessages` is given;
 * - make-table: writes `table` with appendQuery (setup for `query`, not bounded) and answers
 *   what read_parquet over its files says about it;
 * - query: the query panel's path (QuerySession: run into a DuckDB result table, then pages) over
 *   `table`: SELECT * with the first, a middle and the last page and a sorted first page, then
 *   an aggregate.
 *
 * Modules are imported after the sampler starts, so that loading them counts.
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { aggregateSql, tableRowsSql, type ChildConfig, type ChildOutput } from './resource-data'

const MIB = 2 ** 20
const started = performance.now()
let peak = 0
let atPeak = process.memoryUsage()
let samples = 0
const sample = () => {
  const usage = process.memoryUsage()
  samples++
  if (usage.rss > peak) {
    peak = usage.rss
    atPeak = usage
  }
}
sample()
const sampler = setInterval(sample, 20)

/** VmHWM of /proc/self/status in bytes; null where there is no /proc (not Linux). */
function vmHwm(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10

async function main(config: ChildConfig): Promise<ChildOutput> {
  const [{ LakeEngine }, { LakeCatalog }] = await Promise.all([import('../../src/engine'), import('../../src/query')])
  const lake = new LakeEngine()
  await lake.duckdb()
  // The other modes' modules too, so that the baseline carries what they load.
  const [{ ingestKafka }, { QuerySession }, { logLevel }] = await Promise.all([
    import('../../src/pipeline/ingest-kafka'),
    import('../../src/query'),
    import('kafkajs'),
  ])
  const loadedRss = process.memoryUsage().rss
  let result: Record<string, unknown> = {}
  try {
    if (config.mode === 'ingest') {
      const catalog = new LakeCatalog(config.lakeDir, lake.io.storage)
      const report = await ingestKafka(
        lake,
        catalog,
        {
          file: path.join(config.lakeDir, 'lakehouse.json'),
          lake: '.',
          lakeDir: config.lakeDir,
          kafka: {
            brokers: config.brokers,
            clientId: 'resource-child',
            consumer: { sessionTimeout: config.sessionTimeout, heartbeatInterval: config.heartbeatInterval, maxWaitTimeInMs: config.maxWaitTimeInMs },
          },
          sources: [],
        },
        {
          name: 'events',
          topic: config.topic,
          format: 'json',
          table: config.table,
          ...(config.maxMessages ? { batch: { maxMessages: config.maxMessages } } : {}),
        },
        {
          untilCaughtUp: true,
          client: { logLevel: logLevel.NOTHING, config: { connectionTimeout: 1_000, retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 } } },
        },
      )
      result = { ...report }
    } else if (config.mode === 'make-table') {
      result = await makeTable(lake, path.join(config.lakeDir, ...config.table.split('.')), config.rows, config.commits)
    } else if (config.mode === 'query') {
      const catalog = new LakeCatalog(config.lakeDir, lake.io.storage)
      result = await queryLikeThePanel(new QuerySession(lake, catalog), config.table, config.pageSize)
    }
  } finally {
    await lake.close()
  }
  clearInterval(sampler)
  sample()
  const hwm = vmHwm()
  return {
    mode: config.mode,
    memory: {
      peakRssMiB: mib(Math.max(peak, hwm ?? 0)),
      sampledPeakMiB: mib(peak),
      vmHwmMiB: hwm === null ? null : mib(hwm),
      loadedRssMiB: mib(loadedRss),
      samples,
      atSampledPeak: {
        heapUsedMiB: mib(atPeak.heapUsed),
        heapTotalMiB: mib(atPeak.heapTotal),
        externalMiB: mib(atPeak.external),
        arrayBuffersMiB: mib(atPeak.arrayBuffers),
      },
    },
    ms: Math.round(performance.now() - started),
    result,
  }
}

async function makeTable(lake: import('../../src/engine').LakeEngine, table: string, rows: number, commits: number) {
  const { appendQuery } = await import('../../src/table')
  const { quoteString } = await import('../../src/delta/schema')
  const perCommit = Math.ceil(rows / commits)
  for (let start = 0; start < rows; start += perCommit) await appendQuery(lake, table, tableRowsSql(start, Math.min(rows, start + perCommit)))
  const snapshot = await lake.snapshot(table)
  const files = snapshot.files.map((f) => quoteString(f.path))
  const db = await lake.duckdb()
  // The same aggregate straight over the table's Parquet files: what the query layer must agree with.
  const [readParquet] = await db.rows(aggregateSql(`read_parquet([${files.join(', ')}])`))
  return { version: snapshot.version, files: files.length, bytes: snapshot.files.reduce((s, f) => s + f.add.size, 0), readParquet }
}

async function queryLikeThePanel(session: import('../../src/query').QuerySession, table: string, pageSize: number) {
  const steps: Record<string, number> = {}
  const mark = (name: string) => {
    steps[name] = mib(process.memoryUsage().rss)
  }
  const all = await session.run(`SELECT * FROM ${table}`)
  mark('afterSelectAllRun')
  const offsets = [0, Math.floor(all.rowCount / 2), Math.max(0, all.rowCount - pageSize)]
  const pages = []
  for (const offset of offsets) pages.push(await session.page(all.id, offset, pageSize))
  // The first page sorted (a top-N query, as a click on a column header asks for).
  const sorted = await session.page(all.id, 0, pageSize, { column: 'amount', direction: 'desc' })
  mark('afterPages')
  await session.close(all.id)
  const aggregate = await session.run(aggregateSql(table))
  const [aggregateRow] = (await session.page(aggregate.id, 0, 10)).rows
  mark('afterAggregate')
  await session.closeAll()
  return {
    rowCount: all.rowCount,
    columns: all.columns.map((c) => `${c.name} ${c.type}`),
    tables: all.tables,
    pages: pages.map((p) => ({ offset: p.offset, rows: p.rows })),
    sortedFirstPage: sorted.rows,
    aggregate: aggregateRow,
    rssMiB: steps,
  }
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig
if (config.mode) {
  main(config).then(
    (output) => {
      process.stdout.write(`${JSON.stringify(output)}\n`)
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`)
      process.exit(1)
    },
  )
}
