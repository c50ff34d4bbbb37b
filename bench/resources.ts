/**
 * Peak memory of the two resource scenarios of test/reliability/resource-bounds.test.ts, each in
 * a child process of its own (test/reliability/resource-child.ts): Kafka ingest of a backlog with
 * default batches, and the query panel's path over a table (SELECT * into a result table, pages,
 * a sorted page, an aggregate). Each peak is reported next to the same child doing nothing but
 * loading the engine and opening DuckDB (the baseline), as a ratio, and against the bound the
 * test enforces.
 */
import { isDeepStrictEqual } from 'node:util'
import { expectedAggregate } from '../test/reliability/resource-data'
import { baselineScenario, ingestScenario, queryScenario, RESOURCE_BOUNDS_MIB } from '../test/reliability/resource-scenarios'
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_MESSAGES, DEFAULT_BATCH_MS } from '../src/pipeline/open-batch'
import { log, median, round } from './util'

export interface ResourcesBenchOptions {
  /** Kafka backlog: messages of 500 B over `partitions` (at most ~8,000 a partition: the mock keeps 5 MiB). */
  messages: number
  partitions: number
  /** Rows of the queried table (a multiple of 1000). */
  rows: number
  /** Baseline children (median). */
  baselineRuns: number
}

const METHOD =
  'each scenario in a child process (node --import tsx test/reliability/resource-child.ts); peak RSS = max(process.memoryUsage().rss sampled every 20 ms, VmHWM of /proc/self/status at the end), from process start, engine loading included; baseline = the same child loading the engine modules and opening DuckDB, nothing else (median of baselineRuns); ingest: JSON values of 500 B produced round-robin to a librdkafka mock broker (not in the child), then ingestKafka untilCaughtUp with default batches (50,000 messages / 32 MiB / 1 s), checked afterwards (every offset once); query: a table of `rows` rows (id, name, amount, ts, region) in 4 commits written by another child, then QuerySession as the query panel uses it: SELECT * (first, middle and last page of 100, a sorted first page) and an aggregate, checked against the generator; bound = RESOURCE_BOUNDS_MIB of test/reliability/resource-scenarios.ts, set for 400k messages and 1M rows'

export async function runResourcesBench(options: ResourcesBenchOptions): Promise<Record<string, unknown>> {
  log(`resources: baseline (${options.baselineRuns} children)`)
  const baselines = []
  for (let i = 0; i < options.baselineRuns; i++) baselines.push((await baselineScenario()).memory.peakRssMiB)
  const baseline = median(baselines)

  log(`resources: ingest of ${options.messages} messages on ${options.partitions} partitions`)
  const ingest = await ingestScenario({ messages: options.messages, partitions: options.partitions })
  if (ingest.table.rows !== options.messages || ingest.table.distinctOffsets !== options.messages) {
    throw new Error(
      `resources: the raw table holds ${ingest.table.rows} rows, ${ingest.table.distinctOffsets} distinct offsets, of ${options.messages} messages`,
    )
  }
  log(`resources: ingest peak ${ingest.child.memory.peakRssMiB} MiB; query over ${options.rows} rows`)

  const query = await queryScenario({ rows: options.rows })
  const answer = (query.child.result as { aggregate: unknown }).aggregate
  if (!isDeepStrictEqual(answer, expectedAggregate(options.rows)))
    throw new Error(`resources: the aggregate is ${JSON.stringify(answer)}, expected ${JSON.stringify(expectedAggregate(options.rows))}`)
  log(`resources: query peak ${query.child.memory.peakRssMiB} MiB`)

  const figure = (peak: number, bound: number) => ({
    peakRssMiB: round(peak, 0),
    baselineRssMiB: round(baseline, 0),
    peakToBaseline: round(peak / baseline, 2),
    growthMiB: round(peak - baseline, 0),
    boundMiB: bound,
    peakToBound: round(peak / bound, 2),
    withinBound: peak < bound,
  })
  return {
    method: METHOD,
    baseline: { peakRssMiB: round(baseline, 0), runs: baselines },
    ingest: {
      messages: options.messages,
      partitions: options.partitions,
      backlogMiB: round(ingest.produce.bytes / 2 ** 20, 1),
      batch: { maxMessages: DEFAULT_BATCH_MESSAGES, maxBytes: DEFAULT_BATCH_BYTES, maxMs: DEFAULT_BATCH_MS },
      ...figure(ingest.child.memory.peakRssMiB, RESOURCE_BOUNDS_MIB.ingest),
      atSampledPeak: ingest.child.memory.atSampledPeak,
      batches: ingest.child.result.batches,
      ms: { produce: ingest.produce.ms, child: ingest.child.wallMs },
    },
    query: {
      rows: options.rows,
      tableMiB: round(Number(query.setup.result.bytes) / 2 ** 20, 1),
      ...figure(query.child.memory.peakRssMiB, RESOURCE_BOUNDS_MIB.query),
      atSampledPeak: query.child.memory.atSampledPeak,
      rssByStepMiB: (query.child.result as { rssMiB: unknown }).rssMiB,
      ms: { child: query.child.wallMs },
    },
  }
}
