/**
 * MERGE benchmark: an upsert batch of C changed rows (70% updates of existing ids, 20% inserts of
 * new ids, 10% deletes) into an N-row table written by `appendQuery` in 10 commits (10 files),
 * with the change data feed off and on. The changed ids are spread evenly over the table (every
 * 100th-ish id), so every file holds a changed row and the whole table is rewritten.
 *
 * Ceiling: the same upsert as ONE DuckDB statement over the same Parquet files, without the log:
 * `COPY (SELECT … FROM read_parquet([the table's data files]) t FULL OUTER JOIN source s ON t.id =
 * s.id WHERE coalesce(s.op, '') <> 'delete') TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`.
 * With the feed on, a second figure adds a second COPY writing the change rows (pre- and
 * post-images, deletes, inserts) the way a hand-written job would have to.
 *
 * Each repetition merges into a fresh copy (cp -r) of the same table, so every run starts from the
 * same state; ours and the ceiling alternate which goes first. Medians of the repetitions. The
 * tables are created with `delta.checkpointInterval = 100` so the merge's commit (version 10) does
 * not also write a checkpoint. Where MERGE's time goes is measured by timing every DuckDB
 * statement it issues, grouped by what the statement is (see `phaseOf`). The copy is flushed to
 * disk before either side is timed: otherwise the commit's fsync waits for the copy's pages
 * (ext4 writes them out with its journal), which cost the sparse MERGE ~100 ms that were the
 * copy's, not the MERGE's.
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { dropScan } from '../src/engine'
import { appendQuery } from '../src/table/delta-writer'
import type { DuckDb } from '../src/engine/duckdb'
import type { LakeEngine } from '../src/engine/lake-engine'
import { merge } from '../src/table/merge'
import { log, median, round, tempDir, timed, timedStatement, syntheticRowsSql } from './util'

export interface MergeBenchOptions {
  /** Rows in the target table. */
  rows: number
  /** Changed rows in the source batch (70% updates, 20% inserts, 10% deletes). */
  changes: number
  repetitions: number
  changeDataFeed: boolean
  /** delta.enableDeletionVectors: merge-on-read (true, the default for new tables) or copy-on-write. */
  deletionVectors: boolean
  /** Appends that write the table (one file each). Default 10. */
  files?: number
}

/** Rows `start..end` of the target table: bigint key, two varchars, a double, a timestamp, an int. */
function tableRowsSql(start: number, end: number): string {
  return syntheticRowsSql(start, end, [`(hash(i * 7) % 1000)::INTEGER AS qty`])
}

const COLUMNS = ['id', 'name', 'amount', 'ts', 'region', 'qty']

/**
 * The source batch as a DuckDB table (`op` = 'upsert' or 'delete'): updates of every id with
 * id % stride < 7 (changed name, amount, qty), deletes of id % stride = 7, and new ids after the
 * table's last one. stride = 100 * rows / (10 * changes), so the counts are exactly 70/20/10%.
 */
async function createSource(db: DuckDb, name: string, options: MergeBenchOptions): Promise<{ updates: number; inserts: number; deletes: number }> {
  const updates = Math.round(options.changes * 0.7)
  const deletes = Math.round(options.changes * 0.1)
  const inserts = options.changes - updates - deletes
  // With stride s, ids i % s < 7 are 7/s of the table: choose s so that this is `updates` rows.
  const stride = Math.round((options.rows * 7) / updates)
  if (stride < 8) throw new Error(`merge bench: ${options.changes} changes are too many for ${options.rows} rows`)
  await db.run(`CREATE OR REPLACE TEMP TABLE ${name} AS
    SELECT id, 'changed-' || name AS name, amount + 1 AS amount, ts, region, qty + 1 AS qty, 'upsert' AS op FROM (${tableRowsSql(0, options.rows)}) WHERE id % ${stride} < 7
    UNION ALL SELECT *, 'delete' AS op FROM (${tableRowsSql(0, options.rows)}) WHERE id % ${stride} = 7
    UNION ALL SELECT *, 'upsert' AS op FROM (${tableRowsSql(options.rows, options.rows + inserts)})`)
  const [row] = await db.rows(
    `SELECT count(*) FILTER (WHERE op = 'upsert' AND id < ${options.rows}) AS u, count(*) FILTER (WHERE op = 'delete') AS d, count(*) FILTER (WHERE id >= ${options.rows}) AS i FROM ${name}`,
  )
  return { updates: Number(row.u), deletes: Number(row.d), inserts: Number(row.i) }
}

/** Which part of MERGE a DuckDB statement belongs to. */
export function phaseOf(sql: string): string {
  if (/^\s*CREATE TEMP TABLE __merge_source/i.test(sql)) return 'sourceCopy'
  if (/^\s*SELECT min\(/i.test(sql) || /__merge_ranges_/.test(sql)) return 'keyRangePruning'
  if (/^\s*SELECT __file, list\(DISTINCT __row/i.test(sql)) return 'keyPass'
  if (/^\s*CREATE (TEMP )?TABLE __rewrite_changes/i.test(sql)) return 'targetReadAndJoin'
  if (/GROUP BY __file, __row HAVING/i.test(sql)) return 'singleMatchCheck'
  if (/^\s*UPDATE __rewrite_changes/i.test(sql)) return 'noopDetection'
  if (/^\s*COPY/i.test(sql) && /_delta_log/.test(sql)) return 'checkpointWrite'
  if (/^\s*COPY/i.test(sql) && /_change_data/.test(sql)) return 'changeDataWrite'
  if (/^\s*COPY/i.test(sql)) return 'dataWrite'
  if (/^\s*DESCRIBE/i.test(sql)) return 'describe'
  if (/__delta_(files|rows)_/.test(sql) && /^\s*(CREATE|INSERT)/i.test(sql)) return 'fileListSetup'
  if (/^\s*SELECT __action AS action, count/i.test(sql)) return 'actionCounts'
  if (/^\s*SELECT __file,\s+count\(\*\)/i.test(sql)) return 'countsAndRowsToMark'
  if (/__rewrite_files_/.test(sql) && /^\s*(CREATE|SELECT __file)/i.test(sql)) return 'rewrittenFileList'
  if (/^\s*SELECT count\(\*\) AS n FROM __rewrite_changes/i.test(sql)) return 'copiedCount'
  if (/^\s*DROP/i.test(sql)) return 'dropTemp'
  return 'otherSql'
}

/**
 * Time every statement through `db.run` and `db.rows` (and every `lake.snapshot`) by phase.
 * Statements on a sibling connection (`db.withSibling`) run beside the main one's: they are timed
 * under their phase's name suffixed BESIDE, overlap the others and are not part of the accounted time.
 * Returns the totals so far and a function that undoes the wrapping.
 */
export function instrumentPhases(lake: LakeEngine, db: DuckDb, classify: (sql: string) => string): { totals: Record<string, number>; restore: () => void } {
  const totals: Record<string, number> = {}
  const add = (phase: string, ms: number) => {
    totals[phase] = (totals[phase] ?? 0) + ms
  }
  const timedStatements = (target: DuckDb, phaseOf: (sql: string) => string) => {
    const { run, rows, columns } = target
    const record = (sql: string, ms: number) => add(phaseOf(sql), ms)
    target.run = timedStatement(run, record)
    target.rows = timedStatement(rows, record)
    target.columns = timedStatement(columns, record)
    return () => {
      target.run = run
      target.rows = rows
      target.columns = columns
    }
  }
  const restoreStatements = timedStatements(db, classify)
  const { withSibling } = db
  db.withSibling = function <T>(this: DuckDb, work: (sibling: DuckDb) => Promise<T>) {
    return withSibling.call<DuckDb, [(sibling: DuckDb) => Promise<T>], Promise<T>>(this, (sibling) => {
      timedStatements(sibling, (sql) => `${classify(sql)}${BESIDE}`)
      return work(sibling)
    })
  }
  const { snapshot } = lake
  lake.snapshot = async function (this: LakeEngine, ...args: Parameters<LakeEngine['snapshot']>) {
    const start = performance.now()
    try {
      return await snapshot.apply(this, args)
    } finally {
      add('snapshotLoad', performance.now() - start)
    }
  }
  return {
    totals,
    restore: () => {
      restoreStatements()
      db.withSibling = withSibling
      lake.snapshot = snapshot
    },
  }
}

/** The suffix of phases run on a sibling connection, beside the main connection's statements. */
export const BESIDE = ' (beside)'

/** fsync of every file under `dir` (the table copy), so that no later fsync waits for its pages. */
async function flushToDisk(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const handle = await fs.open(path.join(entry.parentPath, entry.name), 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`
const sqlList = (xs: string[]) => `[${xs.map(sqlString).join(', ')}]`

/** The ceiling's upsert: one statement over the data files and the source. */
function ceilingSql(dataFiles: string[], source: string, out: string): string {
  const columns = COLUMNS.map((c) => `CASE WHEN s.id IS NULL THEN t.${c} ELSE s.${c} END AS ${c}`)
  return `COPY (SELECT ${columns.join(', ')} FROM read_parquet(${sqlList(dataFiles)}) t FULL OUTER JOIN ${source} s ON t.id = s.id
    WHERE coalesce(s.op, '') <> 'delete') TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`
}

/** The change rows a hand-written job would write next to it (for the feed-on comparison). */
function ceilingChangesSql(dataFiles: string[], source: string, out: string): string {
  const s = COLUMNS.map((c) => `s.${c}`).join(', ')
  return `COPY (
      WITH j AS (SELECT ${COLUMNS.map((c) => `t.${c} AS t_${c}`).join(', ')}, ${COLUMNS.map((c) => `s.${c} AS s_${c}`).join(', ')}, s.op
                 FROM read_parquet(${sqlList(dataFiles)}) t JOIN ${source} s ON t.id = s.id)
      SELECT ${COLUMNS.map((c) => `t_${c} AS ${c}`).join(', ')}, 'update_preimage' AS _change_type FROM j WHERE op = 'upsert'
      UNION ALL SELECT ${COLUMNS.map((c) => `s_${c}`).join(', ')}, 'update_postimage' FROM j WHERE op = 'upsert'
      UNION ALL SELECT ${COLUMNS.map((c) => `t_${c}`).join(', ')}, 'delete' FROM j WHERE op = 'delete'
      UNION ALL SELECT ${s}, 'insert' FROM ${source} s ANTI JOIN read_parquet(${sqlList(dataFiles)}) t ON t.id = s.id WHERE s.op = 'upsert'
    ) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`
}

export async function runMerge(lake: LakeEngine, options: MergeBenchOptions) {
  const db = await lake.duckdb()
  const label = `merge ${options.changes} into ${options.rows}, change data feed ${options.changeDataFeed ? 'on' : 'off'}, deletion vectors ${options.deletionVectors ? 'on' : 'off'}`
  const work = await tempDir('merge')
  const base = path.join(work, 'base')
  const commits = options.files ?? 10
  const per = Math.ceil(options.rows / commits)
  const properties: Record<string, string> = {
    'delta.checkpointInterval': '1000',
    'delta.enableDeletionVectors': String(options.deletionVectors),
    ...(options.changeDataFeed ? { 'delta.enableChangeDataFeed': 'true' } : {}),
  }
  log(`${label}: writing the table (${commits} appends)`)
  for (let c = 0; c < commits; c++) {
    await appendQuery(lake, base, tableRowsSql(c * per, Math.min(options.rows, (c + 1) * per)), { create: { properties } })
  }
  const baseSnapshot = await lake.snapshot(base)
  const source = '__bench_merge_source'
  const counts = await createSource(db, source, options)
  const expectedRows = options.rows + counts.inserts - counts.deletes
  const mergeOptions = {
    on: 't.id = s.id',
    whenMatchedDelete: { condition: "s.op = 'delete'" },
    whenMatchedUpdate: { set: '*' as const },
    whenNotMatchedInsert: { condition: "s.op <> 'delete'", values: '*' as const },
  }

  const ours = async (table: string) => {
    const probe = instrumentPhases(lake, db, phaseOf)
    try {
      const { ms, value } = await timed(() => merge(lake, table, `SELECT * FROM ${source}`, mergeOptions))
      return { ms, result: value, phases: { ...probe.totals } }
    } finally {
      probe.restore()
    }
  }
  const ceiling = async (table: string, out: string) => {
    const dataFiles = baseSnapshot.files.map((f) => path.join(table, decodeURIComponent(f.add.path)))
    const data = await timed(() => db.run(ceilingSql(dataFiles, source, path.join(out, 'merged.parquet'))))
    const changes = options.changeDataFeed ? await timed(() => db.run(ceilingChangesSql(dataFiles, source, path.join(out, 'changes.parquet')))) : undefined
    return { ms: data.ms, changesMs: changes?.ms }
  }

  const runs: {
    ms: number
    ceilingMs: number
    ceilingChangesMs?: number
    result: Awaited<ReturnType<typeof ours>>['result']
    phases: Record<string, number>
  }[] = []
  try {
    for (let r = 0; r < options.repetitions + 1; r++) {
      const warmup = r === 0
      const table = path.join(work, `rep-${r}`)
      const out = path.join(work, `ceiling-${r}`)
      await fs.cp(base, table, { recursive: true })
      await flushToDisk(table)
      await fs.mkdir(out)
      let mine: Awaited<ReturnType<typeof ours>>
      let theirs: Awaited<ReturnType<typeof ceiling>>
      if (r % 2) {
        mine = await ours(table)
        theirs = await ceiling(table, out)
      } else {
        theirs = await ceiling(table, out)
        mine = await ours(table)
      }
      if (warmup) {
        // Check both produce the same table (row count and a checksum, ours through our reader: DVs applied), once.
        const scan = await lake.scan(table)
        const checksum = async (relation: string) => String((await db.rows(`SELECT sum(hash(id, name, amount, ts, region, qty)) AS h FROM ${relation}`))[0].h)
        const ceilingFile = `read_parquet(${sqlList([path.join(out, 'merged.parquet')])})`
        const oursRows = Number((await db.rows(`SELECT count(*) AS n FROM ${scan.sql}`))[0].n)
        const ceilingRows = Number((await db.rows(`SELECT count(*) AS n FROM ${ceilingFile}`))[0].n)
        const same = (await checksum(scan.sql)) === (await checksum(ceilingFile))
        await dropScan(db, scan)
        if (oursRows !== expectedRows || ceilingRows !== expectedRows || !same) {
          throw new Error(`${label}: results differ: ours ${oursRows} rows, ceiling ${ceilingRows}, expected ${expectedRows}`)
        }
      } else {
        runs.push({ ms: mine.ms, ceilingMs: theirs.ms, ceilingChangesMs: theirs.changesMs, result: mine.result, phases: mine.phases })
        log(
          `${label} #${r}: ours ${round(mine.ms)} ms, ceiling ${round(theirs.ms)} ms${theirs.changesMs !== undefined ? ` (+ ${round(theirs.changesMs)} ms for change rows)` : ''}, ratio ${round(mine.ms / theirs.ms, 3)}`,
        )
      }
      await fs.rm(table, { recursive: true, force: true })
      await fs.rm(out, { recursive: true, force: true })
    }
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${source}`)
    await fs.rm(work, { recursive: true, force: true })
  }

  const ms = median(runs.map((r) => r.ms))
  const ceilingMs = median(runs.map((r) => r.ceilingMs))
  const ratios = runs.map((r) => r.ms / r.ceilingMs)
  const mid = runs[ratios.indexOf([...ratios].sort((a, b) => a - b)[ratios.length >> 1])]
  const phaseMs = Object.fromEntries(
    Object.entries(mid.phases)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, round(v)]),
  )
  const accounted = Object.entries(mid.phases).reduce((a, [phase, ms]) => (phase.endsWith(BESIDE) ? a : a + ms), 0)
  const withChanges = options.changeDataFeed ? median(runs.map((r) => r.ceilingMs + (r.ceilingChangesMs ?? 0))) : undefined
  return {
    rows: options.rows,
    changes: options.changes,
    source: counts,
    changeDataFeed: options.changeDataFeed,
    deletionVectors: options.deletionVectors,
    files: baseSnapshot.files.length,
    repetitions: options.repetitions,
    ms: round(ms),
    ceilingMs: round(ceilingMs),
    /** ours ms ÷ ceiling ms, median of the per-repetition ratios: > 1 means MERGE is slower. */
    ratio: round(median(ratios), 3),
    ratioPerRepetition: ratios.map((x) => round(x, 3)),
    ...(withChanges !== undefined
      ? {
          /** The ceiling plus a second COPY writing the change rows. */
          ceilingWithChangeRowsMs: round(withChanges),
          ratioToCeilingWithChangeRows: round(median(runs.map((r) => r.ms / (r.ceilingMs + (r.ceilingChangesMs ?? 0)))), 3),
        }
      : {}),
    metrics: mid.result.metrics,
    /** MERGE's key pass in the median repetition, when it ran (merge-on-read, sparse source). */
    ...(mid.result.keyPass ? { keyPass: mid.result.keyPass } : {}),
    version: mid.result.version,
    /** The repetition with the median ratio: MERGE's time by phase (DuckDB statements grouped; the rest is JS, log writing and the commit). */
    medianRepetition: {
      ms: round(mid.ms),
      ceilingMs: round(mid.ceilingMs),
      phaseMs: { ...phaseMs, commitAndRest: round(mid.ms - accounted) },
    },
    samplesMs: runs.map((r) => round(r.ms)),
    ceilingSamplesMs: runs.map((r) => round(r.ceilingMs)),
  }
}
