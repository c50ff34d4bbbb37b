/**
 * `npm run bench`: snapshot loading, append throughput, MERGE and change-feed reads, each figure
 * as a ratio to a ceiling measured in the same run. Prints one JSON document on stdout; progress
 * goes to stderr.
 *
 * Flags: --quick (small sizes, for checking the harness), --only=snapshot|append|merge|changes|query|ingest|ingest-codecs|refine|mv|lineage|resources|cli,
 * --last-checkpoints-only (10k table: write only its last checkpoints, not one every 10 versions),
 * --scale[=1e6,1e7,1e8] (only how scan, MERGE, the change feed and OPTIMIZE grow with the table: bench/scale.ts; not in CI).
 */
import * as os from 'node:os'
import { performance } from 'node:perf_hooks'
import { LakeEngine } from '../src/engine/lake-engine'
import { runAppend } from './append-throughput'
import { runCliStartBench } from './cli-start'
import { runIngestBench } from './ingest'
import { runCompressedIngestBench } from './ingest-codecs'
import { runQueryBench } from './query'
import { runChangeFeed } from './change-feed'
import { runMerge } from './merge'
import { runRefineBench } from './refine'
import { runViewBench } from './materialized-view'
import { runLineageBench } from './lineage'
import { runResourcesBench } from './resources'
import { runScaleBench, scaleSizes } from './scale'
import { runSnapshotLoad } from './snapshot-load'
import { log, removeTempDirs, round } from './util'

const args = new Set(process.argv.slice(2))
const quick = args.has('--quick')
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length)
const scale = [...args].find((a) => a === '--scale' || a.startsWith('--scale='))

async function main(): Promise<void> {
  const started = performance.now()
  const lake = new LakeEngine()
  const db = await lake.duckdb()
  const [{ version: duckdbVersion }] = await db.rows('SELECT version() AS version')
  const [{ threads }] = await db.rows(`SELECT current_setting('threads') AS threads`)
  const output: Record<string, unknown> = {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      duckdb: duckdbVersion,
      duckdbThreads: Number(threads),
      tmpdir: os.tmpdir(),
    },
    method: {
      timer: 'performance.now()',
      snapshot:
        'median of 15 runs after 3 warm-up rounds; both tables and their ceilings timed interleaved at each commits-since-checkpoint; ceiling = lake.io.parquet.readRecords(latest checkpoint)',
      append:
        'median of 5 repetitions on fresh directories after a 1% warm-up; ours and the ceiling alternate commit by commit; ceiling = DuckDB COPY (same SELECT) TO parquet zstd, one COPY per commit (partitioned: PARTITION_BY, APPEND)',
      sparseMerge:
        'as merge, with 1k changed rows (70/20/10%, one every ~10k ids, so every file holds some) into a 10M-row table of 100 files, deletion vectors on; the same ceiling (a rewrite of the whole table), so a ratio far below 1 is what merge-on-read buys',
      merge:
        'MERGE of 100k changed rows (70% updates, 20% inserts, 10% deletes, spread over every file) into a 1M-row table of 10 files; median of 3 repetitions (after one untimed, checked one), each on a fresh cp -r of the same table; ours and the ceiling alternate; ceiling = one DuckDB COPY (read_parquet(data files) FULL OUTER JOIN source) TO parquet zstd; ratio = ours ms / ceiling ms (> 1 is slower)',
      ingestCompressed:
        'a backlog of the same ~500 B JSON events written by kcat -z lz4 / -z zstd (librdkafka, default batching, linger.ms 100) on 16 partitions, ingestKafka untilCaughtUp into a fresh lake; ceiling = a plain kafkajs consumer with the same codecs registered (fresh group, eachBatch JSON.parse of every value) of the same topic, before and after ours (mean); ratio = ceiling ms / ours ms, with and without the group join',
      ingest:
        'Kafka (librdkafka mock broker, this machine) backlog of JSON values of ~500 B on 32 partitions, ingestKafka untilCaughtUp into a fresh lake, once per batch setting; ceiling = a plain kafkajs consumer (fresh group, fromBeginning, eachBatch JSON.parse of every value) of the same backlog, timed before and after ours (mean of the two); ratio = ceiling ms / ours ms (< 1 is slower), with the group join (start → all committed / parsed) and without it (GROUP_JOIN event → same); latency = send → the raw table snapshot records the offset (polled every 10 ms), default batches, next to a plain consumer (send → received) at the same time',
      refine:
        'one cdc refine batch of 100k Debezium events (90% updates, 10% deletes, each of 50k keys changed twice) from raw into a refined table of 50k rows with the change feed on, on a fresh copy of the lake per repetition (median of 3); ceiling = the same latest-per-key + FULL OUTER JOIN + COPY of the table and of its change rows as DuckDB statements over the same Parquet files; ratio = ceiling ms / ours ms (< 1 is slower). Latency: lakehouse run (runPipeline) on the mock broker, one change every 200 ms, produce → the flow commit that made it visible',
      cliStart:
        "whole processes started with execFile from a small lake folder: node bin/lakehouse.mjs (checkout) and node dist/cli.mjs (installed) with --help and a 1,000-row query; median of the runs after 2 warm-up rounds, interleaved with the ceiling = node -e ''; ratio = ours ms / ceiling ms (> 1 is slower)",
      materializedView:
        'a view joining 1M orders with 100k customers, count/sum/max per customer, refreshed after 1% of the orders changed (70% updates, 20% inserts, 10% deletes; uniform: spread over all customers, so ~10% of the view changes; clustered: the orders of 1% of the customers); median of 3 repetitions, each on a fresh cp -r of the lake; incremental = refreshView as it chooses (here method recompute: rows were removed and the view has a max, so every changed customer is recomputed), maintain = refreshView with method maintain (count/sum/max from the change rows; groups whose max was removed with nothing as large added recomputed), full = refreshView --full (all write only the difference); sumsOnly = the same for a count/sum view over the same changes; ceiling = the same query as DuckDB statements over read_parquet of the current data files, COPY to Parquet; ratios = ms / ms',
      lineage:
        'orders appended in 10 raw versions of 20k rows and 50k customers changed 4 times (Debezium), refined one raw version per commit. carried = the orders flow with a _source struct (topic, partition, offset) added before its select: refined bytes and refine ms with it ÷ without it (median of 3, fresh lakes, order alternated). replayed = trace TABLE --where of one order and one customer (nothing stored; the refine commits that touched the row are replayed), median of 5 after 1 warm-up, interleaved with the ceiling = SELECT _source FROM the table that carries it; ratio = ms / ceiling ms',
      changeFeed:
        'SELECT count(*), sum(amount), sum(length(name)) over the change feed of a 20-version table (appends and MERGEs, ~400k change rows), planning and registering included; median of 7 runs after 2 warm-up rounds, interleaved with the ceiling = the same aggregate over read_parquet of the files the feed reads; ratio = ours rows/s / ceiling rows/s (< 1 is slower)',
    },
  }
  try {
    if (scale) {
      // Minutes and gigabytes: only when asked for, and then nothing else.
      output.scale = await runScaleBench(lake, scaleSizes(scale))
      output.totalSeconds = round((performance.now() - started) / 1000, 1)
      process.stdout.write(JSON.stringify(output, null, 2) + '\n')
      return
    }
    if (!only || only === 'snapshot') {
      Object.assign(
        output,
        await runSnapshotLoad(lake, {
          sizes: quick ? [1000, 2000] : [1000, 10000],
          sinceCheckpoint: [0, 1, 5, 9, 49, 99],
          headline: [0, 9],
          warmupFiles: 800,
          runs: quick ? 7 : 15,
          warmupRuns: 3,
          allCheckpointsUpTo: args.has('--last-checkpoints-only') ? 1000 : Infinity,
        }),
      )
    }
    if (!only || only === 'append') {
      const rows = quick ? 100_000 : 1_000_000
      output.append = await runAppend(lake, { rows, commits: 10, repetitions: quick ? 2 : 5, partitioned: false })
      output.appendPartitioned = await runAppend(lake, { rows, commits: 10, repetitions: quick ? 1 : 5, partitioned: true })
    }
    if (!only || only === 'merge') {
      const sizes = quick ? { rows: 100_000, changes: 10_000, repetitions: 1 } : { rows: 1_000_000, changes: 100_000, repetitions: 3 }
      // Deletion vectors on (merge-on-read, the default for new tables), then off (copy-on-write) for comparison.
      output.merge = await runMerge(lake, { ...sizes, changeDataFeed: false, deletionVectors: true })
      output.mergeWithChangeDataFeed = await runMerge(lake, { ...sizes, changeDataFeed: true, deletionVectors: true })
      output.mergeCopyOnWrite = await runMerge(lake, { ...sizes, changeDataFeed: false, deletionVectors: false })
      output.mergeCopyOnWriteWithChangeDataFeed = await runMerge(lake, { ...sizes, changeDataFeed: true, deletionVectors: false })
      // Sparse: few changes into a large table, where merge-on-read writes only the changed rows.
      const sparse = quick ? { rows: 1_000_000, changes: 100, files: 10, repetitions: 1 } : { rows: 10_000_000, changes: 1_000, files: 100, repetitions: 3 }
      output.sparseMerge = await runMerge(lake, { ...sparse, changeDataFeed: false, deletionVectors: true })
      output.sparseMergeWithChangeDataFeed = await runMerge(lake, { ...sparse, changeDataFeed: true, deletionVectors: true })
    }
    if (!only || only === 'changes') {
      output.changeFeed = await runChangeFeed(
        lake,
        quick
          ? { baseRows: 10_000, commits: 19, appendRows: 2_000, mergeUpdates: 1_000, runs: 3, warmupRuns: 1 }
          : { baseRows: 100_000, commits: 19, appendRows: 15_000, mergeUpdates: 8_000, runs: 7, warmupRuns: 2 },
      )
    }
    if (!only || only === 'query') {
      output.query = await runQueryBench(
        lake,
        quick ? { rows: 1_000_000, partitions: 10, commits: 10, runs: 5 } : { rows: 10_000_000, partitions: 10, commits: 10, runs: 9 },
      )
    }
    if (!only || only === 'ingest') {
      Object.assign(
        output,
        await runIngestBench(
          lake,
          quick
            ? { messages: 20_000, partitions: 32, smallBatch: 5_000, perSend: 1_000, latencySeconds: 3, intervalMs: 20, pollMs: 10 }
            : { messages: 200_000, partitions: 32, smallBatch: 5_000, perSend: 1_000, latencySeconds: 10, intervalMs: 20, pollMs: 10 },
        ),
      )
    }
    if (!only || only === 'ingest-codecs') {
      Object.assign(
        output,
        await runCompressedIngestBench(
          lake,
          quick ? { codecs: ['lz4', 'zstd'], messages: 20_000, partitions: 8 } : { codecs: ['lz4', 'zstd'], messages: 100_000, partitions: 16 },
        ),
      )
    }
    if (!only || only === 'refine') {
      Object.assign(
        output,
        await runRefineBench(
          lake,
          quick
            ? { events: 10_000, keys: 5_000, repetitions: 1, latencyChanges: 10, intervalMs: 200 }
            : { events: 100_000, keys: 50_000, repetitions: 3, latencyChanges: 50, intervalMs: 200 },
        ),
      )
    }
    if (!only || only === 'mv') {
      const sizes = quick ? { orders: 100_000, customers: 10_000, repetitions: 1 } : { orders: 1_000_000, customers: 100_000, repetitions: 3 }
      output.materializedView = await runViewBench(lake, { ...sizes, spread: 'uniform' })
      output.materializedViewClustered = await runViewBench(lake, { ...sizes, spread: 'clustered' })
    }
    if (!only || only === 'lineage') {
      output.lineage = await runLineageBench(
        lake,
        quick
          ? { versions: 4, rowsPerVersion: 5_000, customers: 2_000, repetitions: 1 }
          : { versions: 10, rowsPerVersion: 20_000, customers: 50_000, repetitions: 3 },
      )
    }
    if (!only || only === 'resources') {
      output.resources = await runResourcesBench(
        quick ? { messages: 40_000, partitions: 64, rows: 100_000, baselineRuns: 3 } : { messages: 400_000, partitions: 64, rows: 1_000_000, baselineRuns: 3 },
      )
    }
    if (!only || only === 'cli') {
      output.cliStart = await runCliStartBench(lake, { runs: quick ? 5 : 15 })
    }
    output.totalSeconds = round((performance.now() - started) / 1000, 1)
    process.stdout.write(JSON.stringify(output, null, 2) + '\n')
  } finally {
    await lake.close()
    await removeTempDirs()
  }
}

main().catch(async (error) => {
  log('failed:', error?.stack ?? error)
  await removeTempDirs()
  process.exitCode = 1
})
