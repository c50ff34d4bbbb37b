/**
 * Snapshot-load benchmark. Builds synthetic tables by writing commit JSON directly (no data
 * files: loading a snapshot never opens them), checkpoints every 10 versions with the real
 * `writeCheckpoint`, and times `loadSnapshot(lake.io, table)` (a full load: `lake.snapshot` would
 * reuse the latest snapshot while no newer commit exists) against the ceiling of reading the latest
 * checkpoint Parquet alone with `lake.io.parquet.readRecords`.
 *
 * Table shape (the same for every table size, so only the number of commits differs):
 * - version 0: protocol + metaData (5 columns incl. a struct), checkpointInterval 10;
 * - versions 1..WARMUP: one append each (one small file with full stats);
 * - then, per 5 versions: 4 appends + 1 compaction that removes the 5 oldest live files and adds
 *   one (dataChange false). Live files stay at WARMUP at every multiple of 10 after the warm-up,
 *   whatever the table's age, and tombstones are capped by retention (commits are one hour
 *   apart, deletedFileRetentionDuration is the default 7 days, so ~170 hours of removes remain).
 */
import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { serializeCommit, type Action, type AddFile } from '../src/delta/actions'
import { writeCheckpoint } from '../src/delta/checkpoint'
import { commit, ENGINE_INFO } from '../src/delta/commit'
import { cleanUpExpiredLogs } from '../src/delta/log-cleanup'
import { classicCheckpointFileName, commitFileName } from '../src/delta/log-files'
import { loadSnapshot } from '../src/delta/snapshot'
import type { LakeEngine } from '../src/engine/lake-engine'
import { forEachLimited, interleaved, log, median, round, tempDir, timed } from './util'

const HOUR = 3_600_000
const INTERVAL = 10

const SCHEMA = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'amount', type: 'double', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    {
      name: 'meta',
      nullable: true,
      metadata: {},
      type: {
        type: 'struct',
        fields: [
          { name: 'kind', type: 'string', nullable: true, metadata: {} },
          { name: 'score', type: 'integer', nullable: true, metadata: {} },
        ],
      },
    },
  ],
}

interface LiveFile {
  add: AddFile
  firstId: number
  numRecords: number
}

/** Writes the commits of one synthetic table, version by version, tracking its live files. */
export class SyntheticTable {
  readonly logDir: string
  nextVersion = 0
  private live: LiveFile[] = []
  private liveHead = 0
  private nextId = 0

  constructor(
    readonly root: string,
    readonly warmup: number,
    private readonly baseTime: number,
  ) {
    this.logDir = path.join(root, '_delta_log')
  }

  time(version: number): number {
    return this.baseTime + version * HOUR
  }

  get liveCount(): number {
    return this.live.length - this.liveHead
  }

  private newFile(version: number, numRecords: number, dataChange: boolean): LiveFile {
    const firstId = this.nextId
    this.nextId += numRecords
    const t = this.time(version)
    const lastId = firstId + numRecords - 1
    const stats = {
      numRecords,
      minValues: {
        id: firstId,
        name: `user-${String(firstId % 100000).padStart(5, '0')}@example.com`,
        amount: round((firstId % 997) / 3, 2),
        ts: new Date(t - HOUR).toISOString(),
        meta: { kind: 'click', score: 0 },
      },
      maxValues: {
        id: lastId,
        name: `user-${String(lastId % 100000).padStart(5, '0')}@example.com`,
        amount: round(900 + (lastId % 97), 2),
        ts: new Date(t).toISOString(),
        meta: { kind: 'view', score: 99 },
      },
      nullCount: { id: 0, name: 0, amount: numRecords % 7, ts: 0, meta: { kind: 0, score: numRecords % 3 } },
    }
    const add: AddFile = {
      path: `part-00000-${randomUUID()}-c000.zstd.parquet`,
      partitionValues: {},
      size: 2_000 + numRecords * 21,
      modificationTime: t,
      dataChange,
      stats: JSON.stringify(stats),
    }
    const file = { add, firstId, numRecords }
    this.live.push(file)
    return file
  }

  private takeOldest(): LiveFile {
    const file = this.live[this.liveHead++]
    if (this.liveHead > 4096) {
      this.live = this.live.slice(this.liveHead)
      this.liveHead = 0
    }
    return file
  }

  /** The actions of `version` (commitInfo first, as our writer does). */
  private actions(version: number): Action[] {
    const timestamp = this.time(version)
    const info = (operation: string, operationParameters: Record<string, unknown>, metrics: Record<string, string>, blind: boolean) => ({
      commitInfo: {
        timestamp,
        operation,
        operationParameters,
        operationMetrics: metrics,
        ...(version > 0 ? { readVersion: version - 1 } : {}),
        isBlindAppend: blind,
        engineInfo: ENGINE_INFO,
        txnId: randomUUID(),
      },
    })
    if (version === 0) {
      return [
        info('CREATE TABLE', { partitionBy: '[]', properties: JSON.stringify({ 'delta.checkpointInterval': String(INTERVAL) }) }, {}, true),
        { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
        {
          metaData: {
            id: randomUUID(),
            name: null,
            description: null,
            format: { provider: 'parquet', options: {} },
            schemaString: JSON.stringify(SCHEMA),
            partitionColumns: [],
            configuration: { 'delta.checkpointInterval': String(INTERVAL) },
            createdTime: timestamp,
          },
        },
      ]
    }
    if (version > this.warmup && version % 5 === 0) {
      // Compaction: the 5 oldest live files become one.
      const removed = Array.from({ length: 5 }, () => this.takeOldest())
      const rows = removed.reduce((sum, f) => sum + f.numRecords, 0)
      const added = this.newFile(version, rows, false)
      return [
        info('OPTIMIZE', { predicate: '[]', zOrderBy: '[]' }, { numRemovedFiles: '5', numAddedFiles: '1' }, false),
        ...removed.map(
          (f): Action => ({
            remove: {
              path: f.add.path,
              deletionTimestamp: timestamp,
              dataChange: false,
              extendedFileMetadata: true,
              partitionValues: {},
              size: f.add.size,
              stats: f.add.stats,
            },
          }),
        ),
        { add: added.add },
      ]
    }
    const rows = 1_000 + ((version * 7919) % 4_000)
    const file = this.newFile(version, rows, true)
    return [
      info('WRITE', { mode: 'Append', partitionBy: '[]' }, { numFiles: '1', numOutputRows: String(rows), numOutputBytes: String(file.add.size) }, true),
      { add: file.add },
    ]
  }

  /** Write commits `nextVersion..upTo` (contents are generated in order, writes overlap). */
  async writeCommits(upTo: number): Promise<void> {
    await fs.mkdir(this.logDir, { recursive: true })
    const batch: { name: string; body: string }[] = []
    for (let v = this.nextVersion; v <= upTo; v++) batch.push({ name: commitFileName(v), body: serializeCommit(this.actions(v)) })
    this.nextVersion = upTo + 1
    await forEachLimited(batch, 32, async ({ name, body }) => fs.writeFile(path.join(this.logDir, name), body))
  }
}

export interface SnapshotBenchOptions {
  /** Checkpoint versions of the tables to build, e.g. [1000, 10000]. */
  sizes: number[]
  /** Commits since the last checkpoint to measure (any order). */
  sinceCheckpoint: number[]
  /** Which of them are the headline figures (`snapshotLoad`); the rest go to `snapshotLoadSweep`. */
  headline: number[]
  warmupFiles: number
  runs: number
  warmupRuns: number
  /** Above this many commits, write only the last checkpoints instead of one every 10 versions. */
  allCheckpointsUpTo: number
}

interface Measurement {
  commits: number
  sinceCheckpoint: number
  version: number
  ms: number
  checkpointReadMs: number
  ratio: number
  segment: { checkpointVersion?: number; commitsRead: number }
  /** Storage calls one load makes: reads (whole files), stats, lists, and checkpoint Parquet reads. */
  io: Record<string, number>
  liveFiles: number
  tombstones: number
  checkpoint: { file: string; rows: number; bytes: number }
  /** [min, max] of the timed runs, to judge the noise. */
  rangeMs: [number, number]
  checkpointReadRangeMs: [number, number]
}

/** Build a table whose latest checkpoint is at version `commits` (checkpoints every 10 versions, or only the last few). */
export async function buildTable(
  lake: LakeEngine,
  root: string,
  commits: number,
  lastVersion: number,
  options: Pick<SnapshotBenchOptions, 'warmupFiles' | 'allCheckpointsUpTo'>,
) {
  const table = new SyntheticTable(root, options.warmupFiles, Date.now() - (lastVersion + 1) * HOUR)
  const allCheckpoints = commits <= options.allCheckpointsUpTo
  // Only-last mode still writes the final few checkpoints in order, so _last_checkpoint ends up
  // where a real table's would; the versions before are rebuilt from the commits alone.
  const firstCheckpoint = allCheckpoints ? INTERVAL : Math.max(INTERVAL, commits - 2 * INTERVAL)
  log(
    `snapshot: building a ${commits}-commit table (${allCheckpoints ? 'a checkpoint every 10 versions' : `checkpoints from version ${firstCheckpoint} only`})`,
  )
  let commitWriteMs = 0
  let checkpointMs = 0
  let checkpointsWritten = 0
  for (let v = firstCheckpoint; v <= commits; v += INTERVAL) {
    commitWriteMs += (await timed(() => table.writeCommits(v))).ms
    checkpointMs += (
      await timed(async () => {
        const snapshot = await lake.snapshot(root, { version: v })
        if (snapshot.files.length !== table.liveCount)
          throw new Error(`replay mismatch at ${v}: ${snapshot.files.length} live files, expected ${table.liveCount}`)
        await writeCheckpoint(lake.io, snapshot)
      })
    ).ms
    checkpointsWritten++
    if (checkpointsWritten % 200 === 0) log(`  … checkpoint ${v}`)
  }
  log(
    `  built in ${round((commitWriteMs + checkpointMs) / 1000, 1)}s (${checkpointsWritten} checkpoints, ${round(checkpointMs / checkpointsWritten, 1)} ms each)`,
  )
  const build = {
    commits,
    checkpoints: allCheckpoints
      ? 'every 10 versions (real writeCheckpoint after lake.snapshot(t, {version}))'
      : `only versions ${firstCheckpoint}..${commits}, every 10; the versions before have commit files only`,
    checkpointsWritten,
    commitWriteMs: round(commitWriteMs),
    checkpointWriteMs: round(checkpointMs),
    msPerCheckpoint: round(checkpointMs / checkpointsWritten),
  }
  return { table, build }
}

/** Check the table's latest snapshot is `commits + since` from checkpoint `commits`; return what the timing loop needs. */
async function probe(lake: LakeEngine, table: SyntheticTable, commits: number, since: number) {
  const { value: snapshot, io } = await countIo(lake, () => loadSnapshot(lake.io, table.root))
  const expected = commits + since
  if (snapshot.version !== expected) throw new Error(`expected version ${expected}, snapshot is at ${snapshot.version}`)
  if (snapshot.segment.checkpointVersion !== commits) throw new Error(`expected checkpoint ${commits}, snapshot used ${snapshot.segment.checkpointVersion}`)
  if (snapshot.segment.commitsRead !== since) throw new Error(`expected ${since} commits read, snapshot read ${snapshot.segment.commitsRead}`)
  const checkpointFile = path.join(table.logDir, classicCheckpointFileName(commits))
  const rows = (await lake.io.parquet.readRecords(checkpointFile)).length
  return { snapshot, io, checkpointFile, rows, bytes: (await fs.stat(checkpointFile)).size }
}

/** Count the storage and Parquet calls one operation makes (by temporarily wrapping lake.io's methods). */
async function countIo<T>(lake: LakeEngine, fn: () => Promise<T>): Promise<{ value: T; io: Record<string, number> }> {
  const io: Record<string, number> = {}
  const targets: [object, string[]][] = [
    [lake.io.storage, ['read', 'stat', 'list']],
    [lake.io.parquet, ['readRecords']],
  ]
  const restore: (() => void)[] = []
  for (const [target, methods] of targets) {
    const t = target as Record<string, unknown>
    for (const method of methods) {
      const own = Object.prototype.hasOwnProperty.call(t, method)
      const original = t[method] as (...args: unknown[]) => unknown
      t[method] = function (this: unknown, ...args: unknown[]) {
        const key = method === 'readRecords' ? 'parquetReads' : `${method}s`
        io[key] = (io[key] ?? 0) + 1
        return original.apply(this, args)
      }
      restore.push(() => {
        if (own) t[method] = original
        else delete t[method]
      })
    }
  }
  try {
    return { value: await fn(), io }
  } finally {
    for (const r of restore) r()
  }
}

/** Load without `_last_checkpoint`: the listing fallback, whose cost grows with the log's length. */
async function measureWithoutHint(lake: LakeEngine, tables: { commits: number; table: SyntheticTable }[], options: SnapshotBenchOptions) {
  const moved: string[] = []
  try {
    for (const { table } of tables) {
      const hint = path.join(table.logDir, '_last_checkpoint')
      await fs.rename(hint, `${hint}.bench-moved`)
      moved.push(hint)
    }
    const fns = Object.fromEntries(tables.map(({ commits, table }) => [String(commits), () => loadSnapshot(lake.io, table.root)]))
    const samples = await interleaved(fns, options.runs, options.warmupRuns)
    const out = []
    for (const { commits, table } of tables) {
      const snapshot = await lake.snapshot(table.root)
      out.push({
        commits,
        version: snapshot.version,
        segment: snapshot.segment,
        logEntries: (await fs.readdir(table.logDir)).length,
        ms: round(median(samples[String(commits)])),
      })
    }
    return out
  } finally {
    for (const hint of moved) await fs.rename(`${hint}.bench-moved`, hint)
  }
}

/**
 * The write side of the same question: a commit that lands on a checkpoint version pays for
 * loadSnapshot + writeCheckpoint + cleanUpExpiredLogs. Measured last (it changes the tables):
 * cleanUpExpiredLogs alone (median of 3; nothing is old enough to delete), then one real commit
 * at the next checkpoint version and one right after it.
 */
async function measureCheckpointCommit(lake: LakeEngine, tables: { commits: number; table: SyntheticTable }[]) {
  const out = []
  for (const { commits, table } of tables) {
    const snapshot = await lake.snapshot(table.root)
    const cleanup: number[] = []
    for (let i = 0; i < 3; i++) cleanup.push((await timed(() => cleanUpExpiredLogs(lake.io, snapshot))).ms)
    const add = (n: number): Action => ({
      add: {
        path: `part-bench-${n}-${randomUUID()}.parquet`,
        partitionValues: {},
        size: 4_000,
        modificationTime: Date.now(),
        dataChange: true,
        stats: '{"numRecords":100}',
      },
    })
    const atCheckpoint = await timed(() => commit(lake.io, { table: table.root, snapshot, actions: [add(1)], operation: 'WRITE' }))
    const next = await lake.snapshot(table.root)
    const plain = await timed(() => commit(lake.io, { table: table.root, snapshot: next, actions: [add(2)], operation: 'WRITE' }))
    const entry = {
      commits,
      logEntries: (await fs.readdir(table.logDir)).length,
      cleanUpExpiredLogsMs: round(median(cleanup)),
      commitAtCheckpointVersion: { version: atCheckpoint.value.version, checkpointed: atCheckpoint.value.checkpointed, ms: round(atCheckpoint.ms) },
      commitAfterIt: { version: plain.value.version, checkpointed: plain.value.checkpointed, ms: round(plain.ms) },
    }
    log(
      `  ${commits} commits: cleanUpExpiredLogs ${entry.cleanUpExpiredLogsMs} ms over ${entry.logEntries} log entries; commit at checkpoint version ${entry.commitAtCheckpointVersion.ms} ms, plain commit ${entry.commitAfterIt.ms} ms`,
    )
    out.push(entry)
  }
  return out
}

export async function runSnapshotLoad(lake: LakeEngine, options: SnapshotBenchOptions) {
  const sinceList = [...new Set([...options.sinceCheckpoint, ...options.headline])].sort((a, b) => a - b)
  const maxSince = sinceList.at(-1)!
  const tables: { commits: number; table: SyntheticTable }[] = []
  const builds: Record<string, unknown>[] = []
  for (const commits of options.sizes) {
    const { table, build } = await buildTable(lake, await tempDir(`snapshot-${commits}`), commits, commits + maxSince, options)
    tables.push({ commits, table })
    builds.push(build)
  }

  // Every table at the same commits-since-checkpoint, timed interleaved (snapshot and ceiling of
  // each table in turn), so drift on this shared VM hits all figures alike.
  const results: Measurement[] = []
  for (const since of sinceList) {
    const probes: Awaited<ReturnType<typeof probe>>[] = []
    for (const { commits, table } of tables) {
      await table.writeCommits(commits + since)
      probes.push(await probe(lake, table, commits, since))
    }
    const fns: Record<string, () => Promise<unknown>> = {}
    tables.forEach(({ commits, table }, i) => {
      fns[`snapshot ${commits}`] = () => loadSnapshot(lake.io, table.root)
      fns[`checkpoint ${commits}`] = () => lake.io.parquet.readRecords(probes[i].checkpointFile)
    })
    const samples = await interleaved(fns, options.runs, options.warmupRuns)
    tables.forEach(({ commits }, i) => {
      const p = probes[i]
      const snap = samples[`snapshot ${commits}`]
      const ceiling = samples[`checkpoint ${commits}`]
      const m: Measurement = {
        commits,
        sinceCheckpoint: since,
        version: p.snapshot.version,
        ms: round(median(snap)),
        checkpointReadMs: round(median(ceiling)),
        ratio: round(median(snap) / median(ceiling)),
        segment: p.snapshot.segment,
        io: p.io,
        liveFiles: p.snapshot.files.length,
        tombstones: p.snapshot.tombstones.length,
        checkpoint: { file: path.basename(p.checkpointFile), rows: p.rows, bytes: p.bytes },
        rangeMs: [round(Math.min(...snap)), round(Math.max(...snap))],
        checkpointReadRangeMs: [round(Math.min(...ceiling)), round(Math.max(...ceiling))],
      }
      log(`  ${commits} commits +${since}: snapshot ${m.ms} ms, checkpoint read ${m.checkpointReadMs} ms, ratio ${m.ratio}`)
      results.push(m)
    })
  }
  const withoutHint = await measureWithoutHint(lake, tables, options)
  for (const w of withoutHint) log(`  ${w.commits} commits +${maxSince} without _last_checkpoint (listing ${w.logEntries} entries): ${w.ms} ms`)
  const writePath = await measureCheckpointCommit(lake, tables)
  for (const { table } of tables) await fs.rm(table.root, { recursive: true, force: true })

  const [small, large] = options.sizes
  const growth = sinceList.map((since) => {
    const a = results.find((r) => r.commits === small && r.sinceCheckpoint === since)!
    const b = results.find((r) => r.commits === large && r.sinceCheckpoint === since)!
    return {
      sinceCheckpoint: since,
      [`ms${small}`]: a.ms,
      [`ms${large}`]: b.ms,
      ratio: round(b.ms / a.ms),
      liveFiles: [a.liveFiles, b.liveFiles],
      checkpointRows: [a.checkpoint.rows, b.checkpoint.rows],
    }
  })
  // Marginal cost per commit since the checkpoint: least-squares slope over the sweep.
  const perCommit = options.sizes.map((commits) => {
    const pts = results.filter((r) => r.commits === commits)
    const mx = pts.reduce((s, p) => s + p.sinceCheckpoint, 0) / pts.length
    const my = pts.reduce((s, p) => s + p.ms, 0) / pts.length
    const slope = pts.reduce((s, p) => s + (p.sinceCheckpoint - mx) * (p.ms - my), 0) / pts.reduce((s, p) => s + (p.sinceCheckpoint - mx) ** 2, 0)
    return { commits, msPerCommitSinceCheckpoint: round(slope, 3), interceptMs: round(my - slope * mx) }
  })
  const headline = options.headline
  return {
    snapshotLoad: results.filter((r) => headline.includes(r.sinceCheckpoint)),
    snapshotLoadSweep: results.filter((r) => !headline.includes(r.sinceCheckpoint)),
    snapshotGrowth: {
      claim: 'load time grows with commits since the last checkpoint, not with total commits (same live files and checkpoint rows in both tables)',
      byCommitsSinceCheckpoint: growth,
      perCommitSinceCheckpoint: perCommit,
    },
    snapshotWithoutLastCheckpoint: withoutHint,
    checkpointCommitCost: writePath,
    snapshotTables: builds,
  }
}
