/**
 * Append-throughput benchmark: N rows in C commits with `appendQuery` from a DuckDB query,
 * against the ceiling of DuckDB writing the same rows with `COPY (same SELECT) TO … (FORMAT
 * parquet, COMPRESSION zstd)` into C files (C partitioned directories for the partitioned case).
 * Ours and the ceiling alternate commit by commit, on fresh directories each repetition; medians
 * are reported, with a breakdown of where appendQuery's time goes (DESCRIBE, snapshot, the data
 * COPY, and the rest: stats/actions and the commit itself).
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { appendQuery } from '../src/table/delta-writer'
import type { LakeEngine } from '../src/engine/lake-engine'
import { log, median, round, syntheticRowsSql, tempDir, timed, instrument } from './util'

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
  return syntheticRowsSql(start, end, [`{'kind': ['click', 'view', 'purchase', 'scroll'][(hash(i) % 4)::INTEGER + 1], 'score': (i % 100)::INTEGER} AS meta`])
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet')) total += (await fs.stat(path.join(entry.parentPath ?? entry.path, entry.name))).size
  }
  return total
}

/**
 * One repetition: C commits with appendQuery into a fresh table and C ceiling COPYs into a fresh
 * directory, interleaved commit by commit (alternating which goes first), so that the slow and
 * fast phases of this shared VM hit both sides alike.
 */
async function pairedRun(lake: LakeEngine, options: AppendBenchOptions) {
  const db = await lake.duckdb()
  const ceilingDir = await tempDir('append-ceiling')
  const table = path.join(await tempDir('append-ours'), 'events')
  const per = options.rows / options.commits
  const probe = instrument(db)
  let snapshotMs = 0
  const originalSnapshot = lake.snapshot
  lake.snapshot = async function (this: LakeEngine, ...args: Parameters<LakeEngine['snapshot']>) {
    const { ms, value } = await timed(() => originalSnapshot.apply(this, args))
    snapshotMs += ms
    return value
  }
  const ceilingCommit = async (c: number) => {
    const select = sourceSql(c * per, (c + 1) * per)
    if (options.partitioned) {
      await db.run(`COPY (${select}) TO '${ceilingDir}' (FORMAT parquet, COMPRESSION zstd, APPEND, PARTITION_BY (region), FILENAME_PATTERN 'part-{uuid}')`)
    } else {
      await db.run(`COPY (${select}) TO '${path.join(ceilingDir, `part-${c}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`)
    }
  }
  let rows = 0
  let files = 0
  let checkpoints = 0
  const oursMs: number[] = []
  const ceilingMs: number[] = []
  try {
    for (let c = 0; c < options.commits; c++) {
      const ours = async () => {
        const { ms, value } = await timed(() =>
          appendQuery(lake, table, sourceSql(c * per, (c + 1) * per), {
            create: options.partitioned ? { partitionColumns: ['region'] } : undefined,
          }),
        )
        oursMs.push(ms)
        rows += value.rows
        files += value.files.length
        if (value.checkpointed) checkpoints++
      }
      const ceiling = async () => ceilingMs.push((await timed(() => ceilingCommit(c))).ms)
      if (c % 2) {
        await ours()
        await ceiling()
      } else {
        await ceiling()
        await ours()
      }
    }
    probe.restore()
    lake.snapshot = originalSnapshot
    const final = await lake.snapshot(table)
    if (final.version !== options.commits - 1 || rows !== options.rows) throw new Error(`append check failed: version ${final.version}, ${rows} rows`)
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    const ms = sum(oursMs)
    const describe = probe.totals.DESCRIBE ?? 0
    const copy = probe.totals.COPY ?? 0
    return {
      ms,
      ceilingMs: sum(ceilingMs),
      rows,
      files,
      checkpoints,
      bytes: await dirBytes(table),
      ceilingBytes: await dirBytes(ceilingDir),
      ceilingFiles: (await fs.readdir(ceilingDir, { recursive: true })).filter((n) => String(n).endsWith('.parquet')).length,
      perCommitMs: oursMs,
      ceilingPerCommitMs: ceilingMs,
      breakdownMs: { describe, copy, snapshot: snapshotMs, commitAndOther: ms - describe - copy - snapshotMs },
    }
  } finally {
    probe.restore()
    lake.snapshot = originalSnapshot
    await fs.rm(path.dirname(table), { recursive: true, force: true })
    await fs.rm(ceilingDir, { recursive: true, force: true })
  }
}

export async function runAppend(lake: LakeEngine, options: AppendBenchOptions) {
  const label = options.partitioned ? 'partitioned (by region, 8 values)' : 'unpartitioned'
  // Warm-up: load DuckDB's parquet writer and fault in code paths on a small slice.
  await pairedRun(lake, { ...options, rows: options.commits * 1000 })
  const runs: Awaited<ReturnType<typeof pairedRun>>[] = []
  for (let r = 0; r < options.repetitions; r++) {
    const run = await pairedRun(lake, options)
    runs.push(run)
    log(
      `append ${label} #${r + 1}: ours ${round(run.ms)} ms (${run.files} files), ceiling ${round(run.ceilingMs)} ms (${run.ceilingFiles} files), ratio ${round(run.ceilingMs / run.ms, 3)}`,
    )
  }
  const ms = median(runs.map((o) => o.ms))
  const ceilingMs = median(runs.map((c) => c.ceilingMs))
  const rowsPerSec = options.rows / (ms / 1000)
  const ceilingRowsPerSec = options.rows / (ceilingMs / 1000)
  // The repetition whose own ratio is the median one: its breakdown and per-commit times are shown.
  const ratios = runs.map((r) => r.ceilingMs / r.ms)
  const mid = runs[ratios.indexOf([...ratios].sort((a, b) => a - b)[ratios.length >> 1])]
  return {
    rows: options.rows,
    commits: options.commits,
    partitionBy: options.partitioned ? ['region'] : [],
    repetitions: options.repetitions,
    ms: round(ms),
    ceilingMs: round(ceilingMs),
    rowsPerSec: Math.round(rowsPerSec),
    ceilingRowsPerSec: Math.round(ceilingRowsPerSec),
    /** Median of the per-repetition ratios (ours and the ceiling ran side by side in each). */
    ratio: round(median(ratios), 3),
    ratioOfMedians: round(rowsPerSec / ceilingRowsPerSec, 3),
    ratioPerRepetition: ratios.map((x) => round(x, 3)),
    files: mid.files,
    ceilingFiles: mid.ceilingFiles,
    bytes: mid.bytes,
    ceilingBytes: mid.ceilingBytes,
    checkpointsDuringAppend: mid.checkpoints,
    /** The repetition with the median ratio, in detail: where appendQuery's time went, next to the ceiling's. */
    medianRepetition: {
      ms: round(mid.ms),
      ceilingMs: round(mid.ceilingMs),
      breakdownMs: Object.fromEntries(Object.entries(mid.breakdownMs).map(([k, v]) => [k, round(v)])),
      perCommitMs: mid.perCommitMs.map((x) => round(x)),
      ceilingPerCommitMs: mid.ceilingPerCommitMs.map((x) => round(x)),
    },
    samplesMs: runs.map((o) => round(o.ms)),
    ceilingSamplesMs: runs.map((c) => round(c.ceilingMs)),
  }
}
