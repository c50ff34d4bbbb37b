/**
 * Change-feed read throughput: a table with the change data feed on, built from appends (whose
 * adds the feed reads as inserts) and MERGEs (whose change data files hold update pre- and
 * post-images, deletes and inserts), read over its whole version range with
 * `SELECT count(*), sum(amount), sum(length(name)) FROM (lake.changes(...).sql)`, in change rows
 * per second. Ours is timed end to end (planning the feed from the log, registering it in DuckDB,
 * the query, dropping the temporary tables); the query alone is reported too.
 *
 * Ceiling: DuckDB running the same aggregate straight over the files the feed reads (the plan's
 * change data files and data files, known in advance): `SELECT … FROM (SELECT … FROM
 * read_parquet([change data files]) UNION ALL SELECT … FROM read_parquet([data files]))`. It has
 * no `_commit_version` / `_commit_timestamp` / `_change_type` constants to attach and no version
 * order to keep. Both are timed interleaved after warm-up rounds; medians.
 */
import * as path from 'node:path'
import { planChangeFeed } from '../src/delta/change-feed'
import { appendQuery } from '../src/table/delta-writer'
import { dropScan } from '../src/engine/file-read'
import { registerChangeFeed } from '../src/engine/change-feed-read'
import type { LakeEngine } from '../src/engine/lake-engine'
import { merge } from '../src/table/merge'
import { interleaved, log, median, round, tempDir, timed, syntheticRowsSql } from './util'

export interface ChangeFeedBenchOptions {
  /** Rows of the first commit. */
  baseRows: number
  /** Commits after the first; odd ones are appends, even ones MERGEs. */
  commits: number
  appendRows: number
  /** Per MERGE: updated rows (each gives a pre- and a post-image); a seventh as many deletes and as many inserts. */
  mergeUpdates: number
  runs: number
  warmupRuns: number
}

function rowsSql(start: number, end: number): string {
  return syntheticRowsSql(start, end)
}

const AGGREGATE = 'count(*) AS n, sum(amount) AS amount, sum(length(name)) AS chars'

export async function runChangeFeed(lake: LakeEngine, options: ChangeFeedBenchOptions) {
  const db = await lake.duckdb()
  const table = path.join(await tempDir('change-feed'), 'events')
  const build = await timed(async () => {
    await appendQuery(lake, table, rowsSql(0, options.baseRows), { create: { properties: { 'delta.enableChangeDataFeed': 'true' } } })
    let nextId = options.baseRows
    for (let c = 1; c <= options.commits; c++) {
      if (c % 2) {
        await appendQuery(lake, table, rowsSql(nextId, nextId + options.appendRows))
        nextId += options.appendRows
        continue
      }
      // Updates and deletes spread over all ids so far (a different slice each time), plus new ids.
      const stride = Math.max(2, Math.floor(nextId / (options.mergeUpdates + Math.ceil(options.mergeUpdates / 7))))
      const extra = Math.ceil(options.mergeUpdates / 7)
      const source = `SELECT id, name || '-' || ${c} AS name, amount + ${c} AS amount, ts, region, CASE WHEN hash(id) % 8 = 0 THEN 'delete' ELSE 'upsert' END AS op
          FROM (${rowsSql(0, nextId)}) WHERE id % ${stride} = ${c % stride}
        UNION ALL SELECT *, 'upsert' FROM (${rowsSql(nextId, nextId + extra)})`
      await merge(lake, table, source, {
        on: 't.id = s.id',
        whenMatchedDelete: { condition: "s.op = 'delete'" },
        whenMatchedUpdate: { set: { name: 's.name', amount: 's.amount' } },
        whenNotMatchedInsert: { condition: "s.op <> 'delete'", values: '*' },
      })
      nextId += extra
    }
  })
  const latest = await lake.snapshot(table)
  const plan = await planChangeFeed(lake.io, table, { startVersion: 0 })
  const cdcFiles = plan.changeDataFiles.map((f) => f.path)
  const dataFiles = plan.dataFiles.map((f) => f.path)
  if (plan.dataFiles.some((f) => f.selection && (f.selection.kind === 'only' || f.selection.deletionVector)))
    throw new Error('change-feed bench: unexpected deletion vectors')
  const list = (files: string[]) => `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`
  const ceilingSql = `SELECT ${AGGREGATE} FROM (
      ${cdcFiles.length ? `SELECT name, amount FROM read_parquet(${list(cdcFiles)})` : 'SELECT NULL::VARCHAR AS name, NULL::DOUBLE AS amount WHERE false'}
      UNION ALL SELECT name, amount FROM read_parquet(${list(dataFiles)}))`
  log(
    `change feed: table built in ${round(build.ms / 1000, 1)} s: ${latest.version + 1} versions, ${cdcFiles.length} change data files, ${dataFiles.length} data files in the feed`,
  )

  let queryMs: number[] = []
  let last: Record<string, unknown> = {}
  const ours = async () => {
    const feed = await lake.changes(table, { startVersion: 0 })
    try {
      const q = await timed(() => db.rows(`SELECT ${AGGREGATE} FROM ${feed.sql}`))
      queryMs.push(q.ms)
      last = q.value[0]
    } finally {
      await dropScan(db, feed)
    }
  }
  let ceilingResult: Record<string, unknown> = {}
  const ceiling = async () => {
    ceilingResult = (await db.rows(ceilingSql))[0]
  }
  const samples = await interleaved({ ours, ceiling }, options.runs, options.warmupRuns)
  queryMs = queryMs.slice(options.warmupRuns)
  // Float sums depend on the order of addition: amounts agree to 1e-9 relative.
  const agree =
    last.n === ceilingResult.n &&
    last.chars === ceilingResult.chars &&
    Math.abs(Number(last.amount) - Number(ceilingResult.amount)) <= 1e-9 * Math.abs(Number(ceilingResult.amount))
  if (!agree) throw new Error(`change-feed bench: results differ: ours ${JSON.stringify(last)}, ceiling ${JSON.stringify(ceilingResult)}`)

  const phasesMs = await changeFeedPhases(lake, table, options.runs)

  const [types] = await (async () => {
    const feed = await lake.changes(table, { startVersion: 0 })
    try {
      return await db.rows(`SELECT count(*) FILTER (WHERE _change_type = 'insert') AS insert, count(*) FILTER (WHERE _change_type = 'delete') AS "delete",
        count(*) FILTER (WHERE _change_type = 'update_preimage') AS update_preimage, count(*) FILTER (WHERE _change_type = 'update_postimage') AS update_postimage FROM ${feed.sql}`)
    } finally {
      await dropScan(db, feed)
    }
  })()
  const rows = Number(last.n)
  const ms = median(samples.ours)
  const ceilingMs = median(samples.ceiling)
  const query = median(queryMs)
  const rowsPerSec = rows / (ms / 1000)
  const ceilingRowsPerSec = rows / (ceilingMs / 1000)
  return {
    versions: latest.version + 1,
    changeRows: rows,
    changeRowsByType: Object.fromEntries(Object.entries(types).map(([k, v]) => [k, Number(v)])),
    changeDataFiles: cdcFiles.length,
    dataFilesRead: dataFiles.length,
    runs: options.runs,
    ms: round(ms),
    queryOnlyMs: round(query),
    planAndRegisterMs: round(ms - query),
    ceilingMs: round(ceilingMs),
    rowsPerSec: Math.round(rowsPerSec),
    queryOnlyRowsPerSec: Math.round(rows / (query / 1000)),
    ceilingRowsPerSec: Math.round(ceilingRowsPerSec),
    /** ours rows/s ÷ ceiling rows/s (as for append: < 1 means the feed reads slower than the bare files). */
    ratio: round(rowsPerSec / ceilingRowsPerSec, 3),
    queryOnlyRatio: round(ceilingMs / query, 3),
    phasesMs,
    samplesMs: samples.ours.map((x) => round(x)),
    ceilingSamplesMs: samples.ceiling.map((x) => round(x)),
  }
}

/**
 * Where lake.changes' time goes, each step timed on its own (medians of `runs` after one warm-up):
 * the latest snapshot (kept: two stats), planning from the range's commits (read and parsed, or
 * kept with the latest snapshot from an earlier read of the same versions), registering the
 * files in DuckDB, the query, dropping the temporary tables.
 */
async function changeFeedPhases(lake: LakeEngine, table: string, runs: number) {
  const db = await lake.duckdb()
  const phases: Record<string, number[]> = { snapshot: [], planCommitsRead: [], plan: [], register: [], query: [], drop: [] }
  for (let run = 0; run <= runs; run++) {
    const snapshot = await timed(() => lake.snapshot(table))
    // A copy of the snapshot has no commits kept with it: the range's commits are read and parsed.
    const planCommitsRead = await timed(() => planChangeFeed(lake.io, table, { startVersion: 0 }, { ...snapshot.value }))
    const plan = await timed(() => planChangeFeed(lake.io, table, { startVersion: 0 }, snapshot.value))
    const register = await timed(() => registerChangeFeed(db, lake.io.storage, plan.value))
    const query = await timed(() => db.rows(`SELECT ${AGGREGATE} FROM ${register.value.sql}`))
    const drop = await timed(() => dropScan(db, register.value))
    if (run === 0) continue
    for (const [name, step] of Object.entries({ snapshot, planCommitsRead, plan, register, query, drop })) phases[name].push(step.ms)
  }
  return Object.fromEntries(Object.entries(phases).map(([name, values]) => [name, round(median(values))]))
}
