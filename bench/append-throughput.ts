/**
 * Append-throughput benchmark: N rows in C commits with `appendQuery` from a DuckDB query,
 * against the ceiling of DuckDB writing the same rows with `COPY (same SELECT) TO … (FORMAT
 * parquet, COMPRESSION zstd)` into C files (C partitioned directories for the partitioned case).
 * Repetitions alternate ceiling and ours on fresh directories; the medians are reported, with a
 * breakdown of where appendQuery's time goes (DESCRIBE, snapshot, COPY, the rest = commit).
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { appendQuery } from '../src/engine/delta-writer'
import type { DuckDb } from '../src/engine/duckdb'
import type { LakeEngine } from '../src/engine/lake-engine'
import { log, median, round, tempDir, timed } from './util'

export interface AppendBenchOptions {
  rows: number
  commits: number
  repetitions: number
  partitioned: boolean
}

/**
 * Rows `start..end` of a realistic event table: bigint id, two varchars (one low-cardinality,
 * used as the partition column), a double, a UTC timestamp and a small struct.
 */
export function sourceSql(start: number, end: number): string {
  return `SELECT
    i::BIGINT AS id,
    'user-' || lpad(CAST(hash(i) % 100000 AS VARCHAR), 5, '0') || '@example.com' AS name,
    round((hash(i * 31) % 1000000) / 1000.0, 3)::DOUBLE AS amount,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_milliseconds(i * 37) AS ts,
    ['eu', 'us', 'apac', 'latam', 'mea', 'cn', 'jp', 'in'][(i % 8)::INTEGER + 1] AS region,
    {'kind': ['click', 'view', 'purchase', 'scroll'][(hash(i) % 4)::INTEGER + 1], 'score': (i % 100)::INTEGER} AS meta
  FROM range(${start}, ${end}) t(i)`
}

/** Wrap DuckDb.rows (which DESCRIBE and COPY … RETURN_STATS go through) to add up time per statement kind. */
function instrument(db: DuckDb): { totals: Record<string, number>; restore: () => void } {
  const totals: Record<string, number> = {}
  const original = db.rows
  db.rows = async function (this: DuckDb, sql: string) {
    const kind = /^\s*(\w+)/.exec(sql)?.[1].toUpperCase() ?? '?'
    const start = performance.now()
    try {
      return await original.call(this, sql)
    } finally {
      totals[kind] = (totals[kind] ?? 0) + performance.now() - start
    }
  }
  return { totals, restore: () => { db.rows = original } }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet')) total += (await fs.stat(path.join(entry.parentPath ?? entry.path, entry.name))).size
  }
  return total
}

async function ceilingRun(db: DuckDb, options: AppendBenchOptions): Promise<{ ms: number; bytes: number; files: number }> {
  const dir = await tempDir('append-ceiling')
  const per = options.rows / options.commits
  const { ms } = await timed(async () => {
    for (let c = 0; c < options.commits; c++) {
      const select = sourceSql(c * per, (c + 1) * per)
      if (options.partitioned) {
        await db.run(`COPY (${select}) TO '${dir}' (FORMAT parquet, COMPRESSION zstd, APPEND, PARTITION_BY (region), FILENAME_PATTERN 'part-{uuid}')`)
      } else {
        await db.run(`COPY (${select}) TO '${path.join(dir, `part-${c}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`)
      }
    }
  })
  const bytes = await dirBytes(dir)
  const files = (await fs.readdir(dir, { recursive: true })).filter((n) => String(n).endsWith('.parquet')).length
  await fs.rm(dir, { recursive: true, force: true })
  return { ms, bytes, files }
}

async function oursRun(lake: LakeEngine, options: AppendBenchOptions) {
  const db = await lake.duckdb()
  const table = path.join(await tempDir('append-ours'), 'events')
  const per = options.rows / options.commits
  const probe = instrument(db)
  const snapshotMs = { total: 0 }
  const originalSnapshot = lake.snapshot
  lake.snapshot = async function (this: LakeEngine, ...args: Parameters<LakeEngine['snapshot']>) {
    const { ms, value } = await timed(() => originalSnapshot.apply(this, args))
    snapshotMs.total += ms
    return value
  }
  let rows = 0
  let files = 0
  let checkpoints = 0
  const commitMs: number[] = []
  try {
    const { ms } = await timed(async () => {
      for (let c = 0; c < options.commits; c++) {
        const { ms: one, value: result } = await timed(() => appendQuery(lake, table, sourceSql(c * per, (c + 1) * per), {
          create: options.partitioned ? { partitionColumns: ['region'] } : undefined,
        }))
        commitMs.push(one)
        rows += result.rows
        files += result.files.length
        if (result.checkpointed) checkpoints++
      }
    })
    const final = await originalSnapshot.call(lake, table)
    if (final.version !== options.commits - 1 || rows !== options.rows) throw new Error(`append check failed: version ${final.version}, ${rows} rows`)
    const bytes = await dirBytes(table)
    return {
      ms, rows, files, bytes, checkpoints,
      perCommitMs: commitMs,
      breakdownMs: {
        describe: probe.totals.DESCRIBE ?? 0,
        copy: probe.totals.COPY ?? 0,
        snapshot: snapshotMs.total,
        other: ms - (probe.totals.DESCRIBE ?? 0) - (probe.totals.COPY ?? 0) - snapshotMs.total,
      },
    }
  } finally {
    probe.restore()
    lake.snapshot = originalSnapshot
    await fs.rm(path.dirname(table), { recursive: true, force: true })
  }
}

export async function runAppend(lake: LakeEngine, options: AppendBenchOptions) {
  const db = await lake.duckdb()
  const label = options.partitioned ? 'partitioned (by region, 8 values)' : 'unpartitioned'
  // Warm-up: load DuckDB's parquet writer and fault in code paths on a small slice.
  await ceilingRun(db, { ...options, rows: options.commits * 1000 })
  await oursRun(lake, { ...options, rows: options.commits * 1000 })
  const ceilings: Awaited<ReturnType<typeof ceilingRun>>[] = []
  const ours: Awaited<ReturnType<typeof oursRun>>[] = []
  for (let r = 0; r < options.repetitions; r++) {
    const ceiling = await ceilingRun(db, options)
    ceilings.push(ceiling)
    const run = await oursRun(lake, options)
    ours.push(run)
    log(`append ${label} #${r + 1}: ours ${round(run.ms)} ms (${run.files} files), ceiling ${round(ceiling.ms)} ms (${ceiling.files} files)`)
  }
  const ms = median(ours.map((o) => o.ms))
  const ceilingMs = median(ceilings.map((c) => c.ms))
  const rowsPerSec = options.rows / (ms / 1000)
  const ceilingRowsPerSec = options.rows / (ceilingMs / 1000)
  const mid = ours.find((o) => o.ms === ms) ?? ours[0]
  return {
    rows: options.rows,
    commits: options.commits,
    partitionBy: options.partitioned ? ['region'] : [],
    repetitions: options.repetitions,
    ms: round(ms),
    ceilingMs: round(ceilingMs),
    rowsPerSec: Math.round(rowsPerSec),
    ceilingRowsPerSec: Math.round(ceilingRowsPerSec),
    ratio: round(rowsPerSec / ceilingRowsPerSec, 3),
    files: mid.files,
    ceilingFiles: ceilings[0].files,
    bytes: mid.bytes,
    ceilingBytes: ceilings[0].bytes,
    checkpointsDuringAppend: mid.checkpoints,
    breakdownMs: Object.fromEntries(Object.entries(mid.breakdownMs).map(([k, v]) => [k, round(v)])),
    perCommitMs: mid.perCommitMs.map((x) => round(x)),
    samplesMs: ours.map((o) => round(o.ms)),
    ceilingSamplesMs: ceilings.map((c) => round(c.ms)),
  }
}
