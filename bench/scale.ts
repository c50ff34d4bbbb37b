/**
 * How the engine's figures grow with the table: `npm run bench -- --scale` (not part of the
 * default run, nor of CI). At each size (1M, 10M and 100M rows by default; `--scale=1e6,1e7` picks
 * others) one table is written in files of 1M rows, and four operations are timed against a
 * ceiling run on the same files in the same process:
 *   - scan: `count/sum/max` over the whole table through the query layer ÷ the same aggregate
 *     over `read_parquet` of its data files;
 *   - MERGE: 1% of the rows changed (70% updates, 20% inserts, 10% deletes, spread over every
 *     file), deletion vectors and the change feed on ÷ one DuckDB statement rewriting the table
 *     with the changes (`read_parquet` ⟗ source → `COPY`);
 *   - change feed: that MERGE's change rows aggregated through `lake.changes` ÷ the same aggregate
 *     over `read_parquet` of its change data files;
 *   - OPTIMIZE: compacting every file (each holds a deletion vector after the MERGE) ÷ DuckDB
 *     copying the same data files into one Parquet file.
 * Reads are the median of 5 alternated runs after a warm-up; writes run once per size (a 100M-row
 * MERGE is minutes). The process's peak RSS during each, sampled every 20 ms, shows where memory goes. Per figure the output gives ms, the ceiling,
 * the ratio, ms per million rows, and the growth from the previous size (×10 rows → ×growth ms).
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import type { LakeEngine } from '../src/engine'
import { quoteString } from '../src/delta'
import { LakeCatalog, runQuery } from '../src/query'
import { appendQuery, merge, optimize } from '../src/table'
import { log, median, round, syntheticRowsSql, tempDir, timed } from './util'

const ROWS_PER_FILE = 1_000_000
const AGGREGATE = 'count(*) AS n, sum(amount) AS amount, max(name) AS name'
/** Reads are repeated (median of 5 after a warm-up); writes run once. */
const READ_RUNS = 5

interface Figure {
  ms: number
  ceilingMs: number
  ratio: number
  msPerMillionRows: number
  peakRssMiB: number
  ceilingPeakRssMiB: number
}

/** Runs `fn` while sampling the process's RSS; returns its time and the largest RSS seen, in MiB. */
async function measured<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T; peakRssMiB: number }> {
  let peak = process.memoryUsage.rss()
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  try {
    const { ms, value } = await timed(fn)
    return { ms, value, peakRssMiB: round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20, 0) }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * One figure: `ours` and `ceiling` alternated `runs` times after one untimed round when `runs` > 1
 * (reads), once each otherwise (writes, which change the table); medians.
 */
async function figure(rows: number, ours: () => Promise<unknown>, ceiling: () => Promise<unknown>, runs = 1): Promise<Figure> {
  if (runs > 1) {
    await ours()
    await ceiling()
  }
  const a: Awaited<ReturnType<typeof measured>>[] = []
  const b: Awaited<ReturnType<typeof measured>>[] = []
  for (let run = 0; run < runs; run++) {
    a.push(await measured(ours))
    b.push(await measured(ceiling))
  }
  const ms = median(a.map((m) => m.ms))
  const ceilingMs = median(b.map((m) => m.ms))
  return {
    ms: round(ms),
    ceilingMs: round(ceilingMs),
    ratio: round(ms / ceilingMs, 3),
    msPerMillionRows: round(ms / (rows / 1e6)),
    peakRssMiB: Math.max(...a.map((m) => m.peakRssMiB)),
    ceilingPeakRssMiB: Math.max(...b.map((m) => m.peakRssMiB)),
  }
}

async function atSize(lake: LakeEngine, rows: number) {
  const db = await lake.duckdb()
  const lakeDir = await tempDir(`scale-${rows}`)
  const table = path.join(lakeDir, 'raw', 'big')
  const files = Math.max(1, Math.ceil(rows / ROWS_PER_FILE))
  const properties = { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': 'true', 'delta.checkpointInterval': '1000' }
  const write = await measured(async () => {
    for (let f = 0; f < files; f++) {
      await appendQuery(lake, table, syntheticRowsSql(f * ROWS_PER_FILE, Math.min(rows, (f + 1) * ROWS_PER_FILE)), { create: { properties } })
    }
  })
  log(`scale ${rows}: written in ${round(write.ms / 1000, 1)} s (${files} files)`)
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const list = (paths: string[]) => `[${paths.map(quoteString).join(', ')}]`
  const dataFiles = (await lake.snapshot(table)).files.map((f) => f.path)

  const scan = await figure(
    rows,
    () => runQuery(lake, catalog, `SELECT ${AGGREGATE} FROM raw.big`),
    () => db.rows(`SELECT ${AGGREGATE} FROM read_parquet(${list(dataFiles)})`),
    READ_RUNS,
  )
  await sameCount(
    'scan',
    (await runQuery(lake, catalog, `SELECT count(*) AS n FROM raw.big`)).rows,
    await db.rows(`SELECT count(*) AS n FROM read_parquet(${list(dataFiles)})`),
  )
  log(`scale ${rows}: scan ${scan.ms} ms (${scan.ratio})`)

  // 1% changed, one change every 100 ids: every file holds some. Updates where id % 1000 < 7,
  // deletes where id % 1000 = 7, and inserts after the last id (2 per 1000 rows).
  const source = '__scale_source'
  const inserts = Math.round(rows / 500)
  await db.run(`CREATE OR REPLACE TEMP TABLE ${source} AS
    SELECT id, 'changed-' || name AS name, amount + 1 AS amount, ts, region, 'upsert' AS op FROM (${syntheticRowsSql(0, rows)}) WHERE id % 1000 < 7
    UNION ALL SELECT *, 'delete' FROM (${syntheticRowsSql(0, rows)}) WHERE id % 1000 = 7
    UNION ALL SELECT *, 'upsert' FROM (${syntheticRowsSql(rows, rows + inserts)})`)
  const columns = ['id', 'name', 'amount', 'ts', 'region']
  const rewritten = path.join(lakeDir, 'ceiling-merge.parquet')
  const mergeFigure = await figure(
    rows,
    () =>
      merge(lake, table, `SELECT * FROM ${source}`, {
        on: 't.id = s.id',
        whenMatchedDelete: { condition: "s.op = 'delete'" },
        whenMatchedUpdate: { set: '*' },
        whenNotMatchedInsert: { condition: "s.op <> 'delete'", values: '*' },
      }),
    () =>
      db.run(`COPY (SELECT ${columns.map((c) => `CASE WHEN s.id IS NULL THEN t.${c} ELSE s.${c} END AS ${c}`).join(', ')}
        FROM read_parquet(${list(dataFiles)}) t FULL OUTER JOIN ${source} s ON t.id = s.id WHERE coalesce(s.op, '') <> 'delete')
        TO ${quoteString(rewritten)} (FORMAT parquet, COMPRESSION zstd)`),
  )
  await fs.rm(rewritten, { force: true })
  await db.run(`DROP TABLE ${source}`)
  log(`scale ${rows}: MERGE ${mergeFigure.ms} ms (${mergeFigure.ratio})`)

  const merged = await lake.snapshot(table)
  const feed = await lake.changes(table, { startVersion: merged.version, endVersion: merged.version })
  const changeFiles = (await fs.readdir(path.join(table, '_change_data'))).map((f) => path.join(table, '_change_data', f))
  const changes = await figure(
    rows,
    () => db.rows(`SELECT ${AGGREGATE} FROM ${feed.sql}`),
    () => db.rows(`SELECT ${AGGREGATE} FROM read_parquet(${list(changeFiles)})`),
    READ_RUNS,
  )
  await sameCount(
    'change feed',
    await db.rows(`SELECT count(*) AS n FROM ${feed.sql}`),
    await db.rows(`SELECT count(*) AS n FROM read_parquet(${list(changeFiles)})`),
  )
  log(`scale ${rows}: change feed ${changes.ms} ms (${changes.ratio})`)

  const compacted = path.join(lakeDir, 'ceiling-optimize.parquet')
  const mergedFiles = merged.files.map((f) => f.path)
  const optimizeFigure = await figure(
    rows,
    () => optimize(lake, table),
    () => db.run(`COPY (SELECT * FROM read_parquet(${list(mergedFiles)})) TO ${quoteString(compacted)} (FORMAT parquet, COMPRESSION zstd)`),
  )
  log(`scale ${rows}: OPTIMIZE ${optimizeFigure.ms} ms (${optimizeFigure.ratio})`)
  await fs.rm(lakeDir, { recursive: true, force: true })
  return { rows, files, writeMs: round(write.ms), writePeakRssMiB: write.peakRssMiB, scan, merge: mergeFigure, changeFeed: changes, optimize: optimizeFigure }
}

/** Ours and the ceiling must have read the same rows, or the ratio means nothing. */
async function sameCount(what: string, ours: Record<string, unknown>[], ceiling: Record<string, unknown>[]): Promise<void> {
  if (String(ours[0].n) !== String(ceiling[0].n)) throw new Error(`scale bench: ${what} read ${ours[0].n} rows, its ceiling ${ceiling[0].n}`)
}

/** Sizes from `--scale` or `--scale=1e6,1e7,…`. */
export function scaleSizes(flag: string): number[] {
  const given = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : ''
  const sizes = given ? given.split(',').map(Number) : [1e6, 1e7, 1e8]
  if (sizes.some((n) => !Number.isInteger(n) || n < ROWS_PER_FILE)) throw new Error(`--scale: sizes are whole row counts of at least ${ROWS_PER_FILE}`)
  return sizes
}

export async function runScaleBench(lake: LakeEngine, sizes: number[]) {
  const results: Awaited<ReturnType<typeof atSize>>[] = []
  for (const rows of sizes) results.push(await atSize(lake, rows))
  const names = ['scan', 'merge', 'changeFeed', 'optimize'] as const
  // ms at each size over ms at the size before, next to how much the rows grew.
  const growth = Object.fromEntries(
    names.map((name) => [
      name,
      results.slice(1).map((r, i) => ({ rows: `×${round(r.rows / results[i].rows, 1)}`, ms: `×${round(r[name].ms / results[i][name].ms, 2)}` })),
    ]),
  )
  return { sizes: results, growth }
}
