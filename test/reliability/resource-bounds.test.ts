/**
 * Resource bounds: a 200 MB Kafka backlog ingested with default batches, and a 1M-row query
 * through the query panel's session, each in a process of its own (resource-child.ts) whose peak
 * RSS must stay under RESOURCE_BOUNDS_MIB (resource-scenarios.ts, where the bounds are explained),
 * and whose results must be right: every offset in the raw table exactly once; pages and an
 * aggregate equal to the generator's values and to DuckDB's read_parquet over the same files.
 * Memory bounds only: how long anything takes is the benchmark's business (bench/resources.ts).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { expectedAggregate, expectedRow } from './resource-data'
import { baselineScenario, ingestScenario, queryScenario, RESOURCE_BOUNDS_MIB } from './resource-scenarios'

/** About 200 MB of values: 400,000 × 500 B, 6,250 messages (~3.1 MiB) per partition, under the mock's 5 MiB. */
const MESSAGES = 400_000
const PARTITIONS = 64
const ROWS = 1_000_000
const PAGE = 100

describe('resource bounds', () => {
  test('baseline: a process that only loads the engine and opens DuckDB', async (t) => {
    const baseline = await baselineScenario()
    t.diagnostic(`baseline peak RSS ${baseline.memory.peakRssMiB} MiB`)
    // Not a bound of this issue: a sanity check that the figures below are about the scenarios.
    assert.ok(baseline.memory.peakRssMiB < 300, `baseline ${baseline.memory.peakRssMiB} MiB`)
  })

  test(`Kafka ingest of ${MESSAGES} messages of 500 B on ${PARTITIONS} partitions: every offset once, peak RSS < ${RESOURCE_BOUNDS_MIB.ingest} MiB`, {
    timeout: 240_000,
  }, async (t) => {
    const { child, produce, produced, table } = await ingestScenario({ messages: MESSAGES, partitions: PARTITIONS })
    t.diagnostic(
      `ingest peak RSS ${child.memory.peakRssMiB} MiB (sampled ${child.memory.sampledPeakMiB}, VmHWM ${child.memory.vmHwmMiB}; at the sampled peak: ${JSON.stringify(child.memory.atSampledPeak)}), ` +
        `${child.result.batches} batches, child ${child.wallMs} ms, produce ${produce.ms} ms of ${produce.bytes} B (max ${produce.maxPartitionBytes} B a partition)`,
    )

    const perPartition = MESSAGES / PARTITIONS
    assert.equal(produce.bytes, MESSAGES * 500)
    // The broker kept everything (a partition over 5 MiB would have lost its oldest record batches).
    assert.deepEqual(
      produced,
      Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, low: 0, high: perPartition })),
    )
    assert.deepEqual(
      { messages: child.result.messages, rows: child.result.rows, deadLetters: child.result.deadLetters, tombstones: child.result.tombstones },
      { messages: MESSAGES, rows: MESSAGES, deadLetters: 0, tombstones: 0 },
    )
    // Every (partition, offset) exactly once: as many rows as distinct pairs as messages, and per
    // partition the offsets 0..high-1.
    assert.equal(table.rows, MESSAGES)
    assert.equal(table.distinctOffsets, MESSAGES)
    assert.deepEqual(
      table.partitions,
      Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, rows: perPartition, lo: 0, hi: perPartition - 1 })),
    )
    assert.equal(table.sumId, (MESSAGES * (MESSAGES - 1)) / 2, 'the ids of the values: each message once')

    assert.ok(child.memory.peakRssMiB < RESOURCE_BOUNDS_MIB.ingest, `ingest peak RSS ${child.memory.peakRssMiB} MiB, bound ${RESOURCE_BOUNDS_MIB.ingest} MiB`)
  })

  test(`a ${ROWS}-row query in the query panel's session (SELECT * paged, an aggregate): right results, peak RSS < ${RESOURCE_BOUNDS_MIB.query} MiB`, {
    timeout: 120_000,
  }, async (t) => {
    const { setup, child } = await queryScenario({ rows: ROWS, pageSize: PAGE })
    const result = child.result as {
      rowCount: number
      columns: string[]
      tables: { version: number; filesRead: number; filesTotal: number }[]
      pages: { offset: number; rows: Record<string, unknown>[] }[]
      sortedFirstPage: Record<string, unknown>[]
      aggregate: Record<string, unknown>
      rssMiB: Record<string, number>
    }
    t.diagnostic(
      `query peak RSS ${child.memory.peakRssMiB} MiB (sampled ${child.memory.sampledPeakMiB}, VmHWM ${child.memory.vmHwmMiB}; JS heap at the peak ${child.memory.atSampledPeak.heapUsedMiB} MiB), ` +
        `RSS by step ${JSON.stringify(result.rssMiB)}, child ${child.wallMs} ms, table written in ${setup.wallMs} ms`,
    )

    assert.equal(result.rowCount, ROWS)
    assert.deepEqual(result.columns, ['id BIGINT', 'name VARCHAR', 'amount DOUBLE', 'ts TIMESTAMP WITH TIME ZONE', 'region VARCHAR'])
    assert.deepEqual(
      result.tables.map((t) => [t.version, t.filesRead, t.filesTotal]),
      [[3, 4, 4]],
    )
    // Pages: the first, one in the middle and the last, each PAGE rows, each row as generated.
    assert.deepEqual(
      result.pages.map((p) => [p.offset, p.rows.length]),
      [
        [0, PAGE],
        [ROWS / 2, PAGE],
        [ROWS - PAGE, PAGE],
      ],
    )
    const ids = new Set<number>()
    for (const page of result.pages) {
      for (const row of page.rows) {
        assert.deepEqual(row, expectedRow(Number(row.id)), `row ${row.id} at page ${page.offset}`)
        ids.add(Number(row.id))
      }
    }
    assert.equal(ids.size, 3 * PAGE, 'no row on two pages')
    // Sorted by amount descending: the top amount is 249.75 (ids ending in 999), ties in result order.
    assert.equal(result.sortedFirstPage.length, PAGE)
    for (const row of result.sortedFirstPage) assert.deepEqual(row, { ...expectedRow(Number(row.id)), amount: 249.75 })

    // The aggregate: in closed form, and as DuckDB's read_parquet over the table's files says.
    const expected = expectedAggregate(ROWS)
    assert.deepEqual(result.aggregate, expected)
    const readParquet = setup.result.readParquet as Record<string, string | number>
    assert.deepEqual(
      {
        n: Number(readParquet.n),
        sum_id: Number(readParquet.sum_id),
        sum_amount: Number(readParquet.sum_amount),
        names: Number(readParquet.names),
        max_ts: String(readParquet.max_ts).replace(' ', 'T').replace(/\+00$/, 'Z'),
        regions: Number(readParquet.regions),
      },
      expected,
    )

    assert.ok(child.memory.peakRssMiB < RESOURCE_BOUNDS_MIB.query, `query peak RSS ${child.memory.peakRssMiB} MiB, bound ${RESOURCE_BOUNDS_MIB.query} MiB`)
  })
})
