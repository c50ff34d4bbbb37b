/**
 * The Kafka ingest job under broker faults (the mock broker of broker.ts, two brokers):
 * - a partition leader goes down mid-ingest and comes back a second later; the whole cluster
 *   goes down for 3 s mid-ingest;
 * - injected errors on Fetch (dropped connections) and on OffsetCommit;
 * - two jobs for the same source started at the same moment, on the same lake;
 * - the leader of every partition moves to the other broker mid-ingest (no outage);
 * - retriable errors on JoinGroup (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, REBALANCE_IN_PROGRESS)
 *   armed before the run; and JoinGroup failing without end (kafkajs never gives up on it): the job
 *   stops on its signal, cleanly, and a re-run completes;
 * - every broker answering 150–300 ms late for a whole run;
 * - errors on Produce (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT) while a producer writes to the
 *   topic during a continuous ingest: what was acknowledged is in the raw table once, nothing else is.
 * Whatever happens to a run, a re-run completes and every produced (partition, offset) is in the
 * raw table (or the dead-letter table) exactly once. Injected errors and latency are cleared in
 * `finally` blocks, so that a failing test does not poison the next.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { logLevel, Partitioners, type Kafka } from 'kafkajs'
import { LakeEngine } from '../../src/engine'
import { ingestKafka, type KafkaBatchReport } from '../../src/pipeline/ingest-kafka'
import type { IngestReport } from '../../src/pipeline/ingest-file'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { snapshotOrNothing } from '../../src/engine'
import { DEAD_LETTERS_TABLE } from '../../src/pipeline/raw-zone'
import { LakeCatalog, runQuery } from '../../src/query'
import { ApiKey, consumeAll, ErrorCode, freshGroupId, kafkaFor, produceJson, type JsonMessage, type MockBroker } from './broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'
import { withinGuard } from '../helpers/waiting'

const PARTITIONS = 4
const TOPICS = ['leader', 'cluster', 'inject', 'twin', 'moves', 'joinerr', 'joinstuck', 'joinlate', 'latency', 'produce']
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe('Kafka ingest under broker faults', () => {
  let broker: MockBroker
  let kafka: Kafka
  let lakeDir: string
  let lake: LakeEngine
  let catalog: LakeCatalog
  let pipeline: Pipeline
  const began = Date.now()
  const clientOptions = INGEST_CLIENT_OPTIONS
  let env: IngestLake | undefined

  before(async () => {
    env = await startIngestLake({ name: 'ingest-faults-test', topics: TOPICS.map((name) => ({ name, partitions: PARTITIONS })), brokers: 2 })
    ;({ broker, kafka, lakeDir, lake, catalog, pipeline } = env)
    // Spread every topic's partitions over both brokers: even partitions on 1, odd ones on 2.
    for (const topic of TOPICS) {
      for (let p = 0; p < PARTITIONS; p++) await broker.setLeader(topic, p, (p % 2) + 1)
    }
  })
  after(async () => {
    await env?.stop()
    console.log(`  ingest-faults: ${Date.now() - began} ms in all`)
  })

  const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows

  /** `n` JSON messages spread round-robin over the partitions; returns how many each partition got. */
  async function produce(topic: string, n: number, badEvery = 0): Promise<Map<number, number>> {
    const messages: JsonMessage[] = Array.from({ length: n }, (_, i) =>
      badEvery && i % badEvery === badEvery - 1 ? { key: `k${i}`, value: Buffer.from('{broken') } : { key: `k${i}`, value: { id: i, payload: `v${i}` } },
    )
    await produceJson(kafka, topic, messages, { partitions: PARTITIONS, batchSize: 250 })
    const produced = new Map<number, number>()
    for (let i = 0; i < n; i++) produced.set(i % PARTITIONS, (produced.get(i % PARTITIONS) ?? 0) + 1)
    return produced
  }

  /** Every (partition, offset) below what was produced is in exactly one of the two tables, once. */
  async function assertExactlyOnce(source: string, table: string, produced: Map<number, number>) {
    assert.deepEqual(await query(`SELECT _partition, _offset, count(*) AS n FROM ${table} GROUP BY 1, 2 HAVING count(*) > 1`), [], `duplicates in ${table}`)
    const deadLetters = (await snapshotOrNothing(lake, catalog.pathOf(DEAD_LETTERS_TABLE)))
      ? `SELECT _partition, _offset FROM raw._dead_letters WHERE source = '${source}'`
      : `SELECT NULL::INTEGER AS _partition, NULL::BIGINT AS _offset WHERE false`
    assert.deepEqual(
      await query(`SELECT _partition, _offset, count(*) AS n FROM (${deadLetters}) GROUP BY 1, 2 HAVING count(*) > 1`),
      [],
      'duplicate dead letters',
    )
    const rows = await query(`SELECT _partition AS p, count(*) AS n, count(DISTINCT _offset) AS d, min(_offset) AS lo, max(_offset) AS hi FROM (
        SELECT _partition, _offset FROM ${table} UNION ALL ${deadLetters}
      ) GROUP BY 1 ORDER BY 1`)
    assert.deepEqual(
      rows.map((r) => Number(r.p)),
      [...produced.keys()].sort(),
      'every partition present',
    )
    for (const r of rows) {
      const n = produced.get(Number(r.p)) ?? 0
      // n rows, n distinct offsets, all within [0, n-1] ⇒ each offset exactly once.
      assert.deepEqual([Number(r.n), Number(r.d), Number(r.lo), Number(r.hi)], [n, n, 0, n - 1], `partition ${r.p}`)
    }
  }

  /** A run's outcome: its report, or the error it failed with. */
  type Outcome = { ok: true; report: IngestReport; ms: number } | { ok: false; error: Error; ms: number }
  async function attempt(run: () => Promise<IngestReport>): Promise<Outcome> {
    const start = Date.now()
    try {
      return { ok: true, report: await run(), ms: Date.now() - start }
    } catch (error) {
      return { ok: false, error: error as Error, ms: Date.now() - start }
    }
  }
  /**
   * attempt() with a guard: a run not finished after `ms` is stopped by its signal (gracefully), so
   * that a fault the job does not handle shows as a failed assertion instead of a stuck test file.
   */
  async function attemptGuarded(ms: number, run: (signal: AbortSignal) => Promise<IngestReport>): Promise<Outcome & { guardFired: boolean }> {
    const guard = new AbortController()
    const timer = setTimeout(() => guard.abort(), ms)
    try {
      return { ...(await attempt(() => run(guard.signal))), guardFired: guard.signal.aborted }
    } finally {
      clearTimeout(timer)
    }
  }
  const notGuarded = (o: { guardFired: boolean }, ms: number) => assert.ok(!o.guardFired, `the run finished without its ${ms} ms guard`)

  /**
   * A kafkajs client of our own, whose log a test reads to see that a fault was met: WARN and up,
   * and with `debugErrors` also the DEBUG lines that carry an error (kafkajs logs some error
   * responses, e.g. to a first JoinGroup, only at DEBUG).
   */
  function loggingClient(clientId: string, options: { debugErrors?: boolean } = {}): { client: Kafka; logs: string[] } {
    const logs: string[] = []
    const client = kafkaFor(broker, clientId, {
      logLevel: options.debugErrors ? logLevel.DEBUG : logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, level, log }) => {
          if (level > logLevel.WARN && log.error === undefined) return
          logs.push(`${namespace}: ${log.message} ${String(log.error ?? '')}`.trim())
        },
    })
    return { client, logs }
  }
  const describeOutcome = (o: Outcome) =>
    o.ok
      ? `completed (${o.report.messages} messages, ${o.report.skipped} skipped, ${o.report.batches} batches) in ${o.ms} ms`
      : `failed in ${o.ms} ms: ${o.error.message}`

  test('the leader of two partitions goes down mid-ingest and is back a second later: the run completes or fails, a re-run completes, exactly once', async () => {
    const produced = await produce('leader', 3_000)
    const batchTimes: number[] = []
    const source: SourceSpec = { name: 'leader', topic: 'leader', format: 'json', table: 'raw.leader', batch: { maxMessages: 50, maxMs: 100 } }
    let outage: Promise<void> | undefined
    let second: Promise<void> | undefined
    const downFor = async (id: number) => {
      await broker.down(id)
      await sleep(1_000)
      await broker.up(id)
    }
    const batches: KafkaBatchReport[] = []
    const logs: string[] = []
    const client = kafkaFor(broker, 'ingest-faults-leader', {
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, log }) => {
          logs.push(`${namespace}: ${log.message}`.slice(0, 160))
        },
    })
    const first = await attempt(() =>
      ingestKafka(lake, catalog, pipeline, source, {
        untilCaughtUp: true,
        kafka: client,
        onBatch: (b) => {
          batches.push(b)
          batchTimes.push(Date.now())
          // Broker 1 leads partitions 0 and 2, broker 2 partitions 1 and 3; one of them is the group
          // coordinator. Each goes down for a second in turn.
          if (batches.length === 3 && !outage) outage = downFor(1)
          if (batches.length === 25 && outage && !second) second = outage.then(() => downFor(2))
        },
      }),
    )
    await outage
    await second
    assert.ok(outage && second, `both outages happened (${batches.length} batches)`)
    const gaps = batchTimes
      .slice(1)
      .map((t, i) => t - batchTimes[i])
      .sort((a, b) => b - a)
    const rerun = await attempt(() => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions }))
    console.log(
      `  brokers 1 then 2 down 1 s each: first run ${describeOutcome(first)} (longest pauses between batches ${gaps.slice(0, 3).join(', ')} ms; client warnings: ${[...new Set(logs)].join(' | ') || 'none'}); re-run ${describeOutcome(rerun)}`,
    )
    if (!first.ok) assert.ok(first.error.message.length > 0, 'a failure says why')
    assert.ok(rerun.ok, `the re-run completes: ${!rerun.ok ? rerun.error.stack : ''}`)
    const taken = (first.ok ? first.report.messages : batches.reduce((s, b) => s + b.messages, 0)) + rerun.report.messages - rerun.report.skipped
    assert.ok(taken >= 3_000, `${taken} messages taken in both runs`)
    await assertExactlyOnce('leader', 'raw.leader', produced)
  })

  test('every broker goes down for 3 s mid-ingest: the run completes or fails with a message, a re-run completes, exactly once', async () => {
    const produced = await produce('cluster', 3_000)
    const source: SourceSpec = { name: 'cluster', topic: 'cluster', format: 'json', table: 'raw.cluster', batch: { maxMessages: 50, maxMs: 100 } }
    let outage: Promise<void> | undefined
    let batchesBefore = 0
    const { client, logs } = loggingClient('ingest-faults-cluster')
    const first = await attemptGuarded(90_000, (signal) =>
      ingestKafka(lake, catalog, pipeline, source, {
        untilCaughtUp: true,
        kafka: client,
        signal,
        onBatch: (b) => {
          if (b.total.batches === 3 && !outage) {
            batchesBefore = b.total.batches
            outage = (async () => {
              await Promise.all([broker.down(1), broker.down(2)])
              await sleep(3_000)
              await Promise.all([broker.up(1), broker.up(2)])
            })()
          }
        },
      }),
    )
    await outage
    notGuarded(first, 90_000)
    assert.ok(outage, 'the outage happened mid-run')
    const rerun = await attempt(() => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions }))
    console.log(
      `  both brokers down 3 s after batch ${batchesBefore}: first run ${describeOutcome(first)} (client warnings: ${[...new Set(logs)].slice(0, 6).join(' | ') || 'none'}); re-run ${describeOutcome(rerun)}`,
    )
    assert.ok(logs.length > 0, 'the client met the outage')
    if (!first.ok) assert.ok(first.error.message.length > 0, 'a failure says why')
    assert.ok(rerun.ok, `the re-run completes: ${!rerun.ok ? rerun.error.stack : ''}`)
    await assertExactlyOnce('cluster', 'raw.cluster', produced)
  })

  test('dropped connections on Fetch and errors on OffsetCommit mid-ingest: the run completes, exactly once', async () => {
    // The Fetch errors are armed before the run: once a batch is written, the consumer may
    // already have fetched everything, and errors armed then would never be met.
    const produced = await produce('inject', 2_000, 97)
    const source: SourceSpec = { name: 'inject', topic: 'inject', format: 'json', table: 'raw.inject', batch: { maxMessages: 100, maxMs: 100 } }
    let injecting: Promise<void> | undefined
    // A client of our own, to see in its log that the injected errors were met.
    const logs: string[] = []
    const client = kafkaFor(broker, 'ingest-faults-inject', {
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, log }) => {
          logs.push(`${namespace}: ${log.message} ${String(log.error ?? '')}`)
        },
    })
    await broker.injectErrors(ApiKey.Fetch, 4, ErrorCode.DropConnection)
    const result = await attempt(() =>
      ingestKafka(lake, catalog, pipeline, source, {
        untilCaughtUp: true,
        kafka: client,
        onBatch: (b) => {
          if (b.total.batches === 2 && !injecting) injecting = broker.injectErrors(ApiKey.OffsetCommit, 3, ErrorCode.NotCoordinator)
        },
      }),
    )
    await injecting
    await broker.clearErrors(ApiKey.Fetch)
    await broker.clearErrors(ApiKey.OffsetCommit)
    console.log(`  Fetch -195 ×4 and OffsetCommit NOT_COORDINATOR ×3: ${describeOutcome(result)}; client warnings: ${[...new Set(logs)].join(' | ')}`)
    assert.ok(
      logs.some((l) => /OffsetCommit/.test(l)),
      'an OffsetCommit error was met',
    )
    assert.ok(
      logs.some((l) => /Crash|Connection|broker/i.test(l) && !/OffsetCommit/.test(l)),
      'a dropped Fetch connection was met',
    )
    assert.ok(result.ok, `the run completes: ${!result.ok ? result.error.stack : ''}`)
    assert.equal(result.report.messages, 2_000)
    assert.equal(result.report.skipped, 0)
    assert.equal(result.report.rows + result.report.deadLetters, 2_000)
    assert.equal(result.report.deadLetters, Math.floor(2_000 / 97))
    await assertExactlyOnce('inject', 'raw.inject', produced)

    // The group's committed offsets (for lag monitoring) catch up despite the failed commits.
    const admin = kafka.admin()
    await admin.connect()
    try {
      const [committed] = await admin.fetchOffsets({ groupId: 'lakehouse-inject', topics: ['inject'] })
      const lag = committed.partitions.map((p) => [p.partition, produced.get(p.partition)! - Number(p.offset)]).sort((a, b) => a[0] - b[0])
      assert.deepEqual(
        lag,
        [
          [0, 0],
          [1, 0],
          [2, 0],
          [3, 0],
        ],
        'no lag left in the group',
      )
    } finally {
      await admin.disconnect()
    }
  })

  test('two jobs for the same source started at once on the same lake: afterwards every offset is exactly once', async () => {
    const produced = await produce('twin', 3_000, 101)
    const source: SourceSpec = { name: 'twin', topic: 'twin', format: 'json', table: 'raw.twin', batch: { maxMessages: 100, maxMs: 100 } }
    // A second engine on the same folder: another window or process with the same pipeline.
    const otherLake = new LakeEngine()
    const otherCatalog = new LakeCatalog(lakeDir, otherLake.io.storage)
    // Guard: a job that has not finished 12 s after the start is stopped (gracefully), and that is recorded.
    const controllers = [new AbortController(), new AbortController()]
    const timers = controllers.map((c) => setTimeout(() => c.abort(), 12_000))
    const lastBatchAt = [0, 0]
    const start = Date.now()
    let outcomes: Outcome[]
    try {
      outcomes = await Promise.all([
        attempt(() =>
          ingestKafka(lake, catalog, pipeline, source, {
            untilCaughtUp: true,
            client: clientOptions,
            signal: controllers[0].signal,
            onBatch: () => {
              lastBatchAt[0] = Date.now() - start
            },
          }),
        ),
        attempt(() =>
          ingestKafka(otherLake, otherCatalog, pipeline, source, {
            untilCaughtUp: true,
            client: clientOptions,
            signal: controllers[1].signal,
            onBatch: () => {
              lastBatchAt[1] = Date.now() - start
            },
          }),
        ),
      ])
    } finally {
      timers.forEach(clearTimeout)
      await otherLake.close()
    }
    const aborted = controllers.map((c) => c.signal.aborted)
    const label = (i: number) => `${describeOutcome(outcomes[i])}, last batch at ${lastBatchAt[i]} ms${aborted[i] ? ', stopped by the 12 s guard' : ''}`
    console.log(`  twin jobs: A ${label(0)}; B ${label(1)}`)
    for (const o of outcomes) {
      // Besides our conflicts, the mock cluster sometimes answers two members joining one group at
      // the same instant with a protocol error (its README's limits on concurrent joins); the
      // exactly-once check below holds either way.
      if (!o.ok)
        assert.match(
          o.error.message,
          /COMMIT_CONFLICT|conflicts with this transaction|lakehouse\/twin\/twin\/\d|already exists|request being malformed/,
          `a clear error: ${o.error.stack}`,
        )
    }
    const taken = outcomes.reduce((sum, o) => sum + (o.ok ? o.report.messages - o.report.skipped : 0), 0)
    const rerun = await attempt(() => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions }))
    console.log(`  twin re-run: ${describeOutcome(rerun)}`)
    assert.ok(rerun.ok, `the re-run completes: ${!rerun.ok ? rerun.error.stack : ''}`)
    await assertExactlyOnce('twin', 'raw.twin', produced)
    assert.ok(taken <= 3_000, `the two jobs wrote ${taken} new messages between them`)

    assert.ok(
      outcomes.some((o) => o.ok),
      'at least one job completes',
    )
    // With untilCaughtUp, each job finishes the partitions the group gave it (it once waited
    // forever for the other job's partitions).
    assert.deepEqual(aborted, [false, false], 'neither job had to be stopped by the guard')
  })

  test('the leader of every partition moves to the other broker mid-ingest: the run completes, exactly once', async () => {
    const produced = await produce('moves', 2_000)
    // Fetches of at most ~4 KB per partition (one record batch of ~60 messages): the job goes on
    // fetching long after the move, so it has to find the new leaders (with the default 1 MB, the
    // first fetch would bring in whole partitions and the move would not matter).
    // Each refused fetch makes kafkajs rejoin the group (once per broker fetcher, sometimes once more
    // after a heartbeat meets the rebalance), and the mock holds every such rejoin for
    // sessionTimeout − 1 s = 3 s: 3–4 rejoins make this test take 12–16 s.
    const smallFetches: Pipeline = { ...pipeline, kafka: { ...pipeline.kafka!, consumer: { ...pipeline.kafka!.consumer, maxBytesPerPartition: 4_096 } } }
    const source: SourceSpec = { name: 'moves', topic: 'moves', format: 'json', table: 'raw.moves', batch: { maxMessages: 100, maxMs: 100 } }
    const { client, logs } = loggingClient('ingest-faults-moves')
    const batches: KafkaBatchReport[] = []
    const batchTimes: number[] = []
    /** Per partition, the last offset written when every leader had moved. */
    const writtenAtMove = new Map<number, number>()
    let moving: Promise<void> | undefined
    const moveAll = async () => {
      // Broker 1 leads the even partitions, broker 2 the odd ones: swap them all.
      for (let p = 0; p < PARTITIONS; p++) await broker.setLeader('moves', p, p % 2 === 0 ? 2 : 1)
      for (const b of batches) for (const o of b.offsets) writtenAtMove.set(o.partition, Math.max(writtenAtMove.get(o.partition) ?? -1, o.offset))
    }
    const result = await attemptGuarded(35_000, (signal) =>
      ingestKafka(lake, catalog, smallFetches, source, {
        untilCaughtUp: true,
        kafka: client,
        signal,
        onBatch: (b) => {
          batches.push(b)
          batchTimes.push(Date.now())
          if (batches.length === 3 && !moving) moving = moveAll()
        },
      }),
    )
    await moving
    const admin = kafka.admin()
    await admin.connect()
    let leaders: number[][]
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['moves'] })
      leaders = topics[0].partitions.map((p) => [p.partitionId, p.leader]).sort((a, b) => a[0] - b[0])
    } finally {
      await admin.disconnect()
    }
    const refused = logs.filter((l) => /Response Fetch/.test(l) && /not the leader/i.test(l)).length
    const gaps = batchTimes
      .slice(1)
      .map((t, i) => t - batchTimes[i])
      .sort((a, b) => b - a)
    const left = [...produced].map(([p, n]) => n - 1 - (writtenAtMove.get(p) ?? -1))
    console.log(
      `  leaders of all partitions moved after batch 3: ${describeOutcome(result)}; messages left per partition at the move ${left.join(', ')}; longest pauses between batches ${gaps.slice(0, 3).join(', ')} ms (each a group rejoin: kafkajs rejoins after a refused fetch, once per fetcher); Fetch refused by an old leader ${refused}×; client warnings: ${[...new Set(logs.map((l) => l.slice(0, 140)))].join(' | ') || 'none'}`,
    )
    assert.ok(moving, `the leaders moved mid-run (${batches.length} batches)`)
    assert.deepEqual(
      leaders,
      [
        [0, 2],
        [1, 1],
        [2, 2],
        [3, 1],
      ],
      'the cluster reports the new leaders',
    )
    // Fetches of one record batch (~60 messages), at most one fetch ahead and one open batch of 100:
    // with 200 or more messages still to write, every partition was fetched from its new leader.
    for (const [i, n] of left.entries()) assert.ok(n >= 200, `partition ${i} had ${n} messages left at the move`)
    assert.ok(refused > 0, 'an old leader refused a fetch (so the move was met, not slept through)')
    notGuarded(result, 35_000)
    assert.ok(result.ok, `the run completes: ${!result.ok ? result.error.stack : ''}`)
    assert.equal(result.report.messages, 2_000)
    assert.equal(result.report.skipped, 0)
    await assertExactlyOnce('moves', 'raw.moves', produced)
  })

  test('retriable errors on JoinGroup (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, REBALANCE_IN_PROGRESS) armed before the run: it completes, exactly once', async () => {
    const produced = await produce('joinerr', 1_000)
    const source: SourceSpec = { name: 'joinerr', topic: 'joinerr', format: 'json', table: 'raw.joinerr', batch: { maxMessages: 250, maxMs: 100 } }
    const { client, logs } = loggingClient('ingest-faults-joinerr', { debugErrors: true })
    // kafkajs 2.2.4 treats all three as retriable, in two ways. NOT_COORDINATOR (16) and
    // REBALANCE_IN_PROGRESS (27) count as "rebalancing" (errors.js isRebalancing): joinAndSync
    // retries the join itself (up to `retry.retries` times, then it crashes with
    // KafkaJSNumberOfRetriesExceeded, which restarts the consumer). COORDINATOR_NOT_AVAILABLE (15)
    // is a retriable protocol error that ends joinAndSync at once: the consumer crashes and restarts
    // itself (restart: true, so the job's CRASH handler lets it be). kafkajs logs an error answer to
    // a first JoinGroup (no member id yet) only at DEBUG, hence debugErrors. The mock answers the
    // next JoinGroup requests, in this order, with these errors.
    const armed: Array<[code: number, count: number, message: RegExp]> = [
      [ErrorCode.NotCoordinator, 2, /not the correct coordinator/],
      [ErrorCode.CoordinatorNotAvailable, 2, /coordinator is not available/],
      [ErrorCode.RebalanceInProgress, 2, /group is rebalancing/],
    ]
    let result: Awaited<ReturnType<typeof attemptGuarded>>
    try {
      for (const [code, count] of armed) await broker.injectErrors(ApiKey.JoinGroup, count, code)
      result = await attemptGuarded(15_000, (signal) => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, kafka: client, signal }))
    } finally {
      await broker.clearErrors(ApiKey.JoinGroup)
    }
    const met = armed.map(([code, , message]) => [code, logs.filter((l) => /Response JoinGroup/.test(l) && message.test(l)).length])
    const restarts = logs.filter((l) => /Restarting the consumer/.test(l)).length
    console.log(
      `  JoinGroup 16 ×2, 15 ×2, 27 ×2: ${describeOutcome(result)}; JoinGroup errors met (code, times) ${met.map(([c, n]) => `${c}: ${n}`).join(', ')}; consumer restarts ${restarts}`,
    )
    // Every armed error was answered to one JoinGroup of this job (no other client joins a group here).
    assert.deepEqual(
      met,
      armed.map(([code, count]) => [code, count]),
      'each armed JoinGroup error was met',
    )
    assert.equal(restarts, 2, 'the consumer crashed and restarted after each COORDINATOR_NOT_AVAILABLE, and only then')
    notGuarded(result, 15_000)
    assert.ok(result.ok, `the run completes: ${!result.ok ? result.error.stack : ''}`)
    assert.equal(result.report.messages, 1_000)
    assert.equal(result.report.skipped, 0)
    await assertExactlyOnce('joinerr', 'raw.joinerr', produced)
  })

  test('JoinGroup keeps failing with NOT_COORDINATOR (kafkajs gives up the join, then restarts the consumer without end): the job stops cleanly on its signal, then a re-run completes, exactly once', async () => {
    const produced = await produce('joinstuck', 500)
    const source: SourceSpec = { name: 'joinstuck', topic: 'joinstuck', format: 'json', table: 'raw.joinstuck', batch: { maxMessages: 250, maxMs: 100 } }
    // kafkajs retries a join refused with NOT_COORDINATOR `retry.retries` times, then crashes with
    // KafkaJSNumberOfRetriesExceeded, which it counts as retriable: it restarts the consumer (after
    // `retryTime`) with no limit on the number of restarts. So a job whose group cannot be joined
    // never fails on its own: it waits, and its signal must stop it. The signal is given when kafkajs
    // says it restarts the consumer, i.e. once it has given up the join; the job must then return
    // without anything of its consumer running on.
    //
    // A signal given while the *restarted* consumer is joining is the next test.
    const controller = new AbortController()
    const logs: string[] = []
    let restartLine: string | undefined
    let abortedAt = 0
    let logsAtAbort = 0
    const client = kafkaFor(broker, 'ingest-faults-joinstuck', {
      logLevel: logLevel.DEBUG,
      logCreator:
        () =>
        ({ namespace, level, log }) => {
          if (level > logLevel.WARN && log.error === undefined) return
          const line = `${namespace}: ${log.message} ${String(log.error ?? '')}`.trim()
          logs.push(line)
          if (/Restarting the consumer/.test(line) && !controller.signal.aborted) {
            restartLine = line
            abortedAt = Date.now()
            logsAtAbort = logs.length
            controller.abort()
          }
        },
    })
    const guard = setTimeout(() => controller.abort(), 10_000)
    let result: Outcome
    let logsAtReturn: number
    let returnedAt: number
    try {
      await broker.injectErrors(ApiKey.JoinGroup, 1_000, ErrorCode.NotCoordinator)
      result = await withinGuard(
        attempt(() => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, kafka: client, signal: controller.signal })),
        'the stopped job returning',
      )
      returnedAt = Date.now()
      logsAtReturn = logs.length
      // Still failing: a consumer that restarted itself after the job returned would log again.
      await sleep(1_500)
    } finally {
      clearTimeout(guard)
      await broker.clearErrors(ApiKey.JoinGroup)
    }
    const joinErrors = logs.filter((l) => /Response JoinGroup/.test(l) && /not the correct coordinator/.test(l)).length
    const gaveUp = logs.filter((l) => /Crash: KafkaJSNumberOfRetriesExceeded/.test(l)).length
    const late = logs.slice(logsAtReturn)
    const rerun = await attemptGuarded(15_000, (signal) => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions, signal }))
    console.log(
      `  JoinGroup NOT_COORDINATOR ×1000: ${joinErrors} joins refused, kafkajs gave up ${gaveUp}× ('${restartLine ?? 'no restart'}'), stopped then: ${describeOutcome(result)}, returned ${returnedAt - abortedAt} ms after the signal, ${late.length} log lines of its client after that; re-run ${describeOutcome(rerun)}`,
    )
    assert.ok(restartLine, 'kafkajs gave up the join and restarted the consumer (rather than failing the job)')
    assert.equal(gaveUp, 1, 'one crash with KafkaJSNumberOfRetriesExceeded')
    assert.ok(joinErrors >= 3, `kafkajs retried the join (${joinErrors} refused)`)
    assert.ok(result.ok, `the stopped job returns its report: ${!result.ok ? result.error.stack : ''}`)
    assert.equal(result.report.messages, 0)
    assert.equal(result.report.batches, 0)
    // Promptly: it returned without waiting for the restarted consumer's join (which would have been refused, and logged).
    const joinsWhileStopping = logs.slice(logsAtAbort, logsAtReturn).filter((l) => /JoinGroup/.test(l))
    assert.deepEqual(joinsWhileStopping, [], 'the stopped job did not wait for another join attempt')
    assert.deepEqual(late, [], 'nothing of the stopped job runs on (no consumer restart after it returned)')
    notGuarded(rerun, 15_000)
    assert.ok(rerun.ok, `the re-run completes: ${!rerun.ok ? rerun.error.stack : ''}`)
    assert.equal(rerun.report.messages, 500)
    await assertExactlyOnce('joinstuck', 'raw.joinstuck', produced)
  })

  test("stopped while kafkajs's restarted consumer is joining: that consumer never joins the group afterwards, and a re-run takes every partition", async () => {
    // kafkajs runs a restart unawaited, and its disconnect() does not stop a consumer that has not
    // finished joining. The job once returned with its consumer living on: it joined the group
    // later and held partitions that the re-run then left alone (250 of 500 messages). Now a crash
    // after the stop is not restarted, and a consumer that joins after the job returned leaves.
    const produced = await produce('joinlate', 500)
    const source: SourceSpec = { name: 'joinlate', topic: 'joinlate', format: 'json', table: 'raw.joinlate', batch: { maxMessages: 250, maxMs: 100 } }
    const controller = new AbortController()
    const logs: string[] = []
    let returned = false
    let restarted = false
    let joiningWhenStopped = false
    const afterReturn: string[] = []
    const client = kafkaFor(broker, 'ingest-faults-joinlate', {
      logLevel: logLevel.DEBUG,
      logCreator:
        () =>
        ({ namespace, level, log }) => {
          if (level > logLevel.WARN && log.error === undefined && !/joined the group|Restarting|Stopped/.test(log.message)) return
          const line = `${namespace}: ${log.message} ${String(log.error ?? '')}`.trim()
          logs.push(line)
          if (returned) afterReturn.push(line)
          // The stop comes while the restarted consumer is joining: at its first refused join.
          if (/Restarting the consumer/.test(line)) restarted = true
          else if (restarted && /Response JoinGroup/.test(line) && !controller.signal.aborted) {
            joiningWhenStopped = true
            controller.abort()
          }
        },
    })
    const guard = setTimeout(() => controller.abort(), 15_000)
    let result: Outcome
    try {
      await broker.injectErrors(ApiKey.JoinGroup, 1_000, ErrorCode.NotCoordinator)
      result = await attempt(() => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, kafka: client, signal: controller.signal }))
      returned = true
      // The restarted consumer is still retrying its join: let it give up, while the group cannot be joined.
      await sleep(4_000)
    } finally {
      clearTimeout(guard)
      await broker.clearErrors(ApiKey.JoinGroup)
    }
    // Joinable again: a consumer still alive would join now.
    await sleep(1_500)
    const rerun = await attemptGuarded(15_000, (signal) => ingestKafka(lake, catalog, pipeline, source, { untilCaughtUp: true, client: clientOptions, signal }))
    const restarts = logs.filter((l) => /Restarting the consumer/.test(l)).length
    console.log(
      `  stopped during the restarted consumer's join: ${describeOutcome(result)}; ${restarts} restart(s); its client after the job returned: ${[...new Set(afterReturn.map((l) => l.slice(0, 80)))].join(' | ') || 'nothing'}; re-run ${describeOutcome(rerun)}`,
    )
    assert.ok(result.ok, `the stopped job returns its report: ${!result.ok ? result.error.stack : ''}`)
    assert.ok(joiningWhenStopped, 'the stop came while the restarted consumer was joining')
    assert.equal(restarts, 1, 'the consumer restarted once before the stop, never after it')
    assert.ok(!afterReturn.some((l) => /joined the group/.test(l)), "the stopped job's consumer never joined the group after the job returned")
    notGuarded(rerun, 15_000)
    assert.ok(rerun.ok, `the re-run completes: ${!rerun.ok ? rerun.error.stack : ''}`)
    assert.equal(rerun.report.messages, 500, 'the re-run had every partition')
    await assertExactlyOnce('joinlate', 'raw.joinlate', produced)
  })

  test('every broker answers 150–300 ms late during the run: it completes, exactly once', async () => {
    const produced = await produce('latency', 1_000)
    // Every batch waits for its OffsetCommit (one round trip): fewer, larger batches keep the test short.
    const source: SourceSpec = { name: 'latency', topic: 'latency', format: 'json', table: 'raw.latency', batch: { maxMessages: 500, maxMs: 200 } }
    const admin = kafka.admin()
    await admin.connect()
    /** Round trips of a ListOffsets (both leaders) measured mid-run: the latency is in effect. */
    const probes: number[] = []
    const probe = async () => {
      const start = Date.now()
      await admin.fetchTopicOffsets('latency')
      probes.push(Date.now() - start)
    }
    let probing: Promise<void> | undefined
    let result: Awaited<ReturnType<typeof attemptGuarded>>
    try {
      await broker.setRtt(1, 150)
      await broker.setRtt(2, 300)
      result = await attemptGuarded(20_000, (signal) =>
        ingestKafka(lake, catalog, pipeline, source, {
          untilCaughtUp: true,
          client: clientOptions,
          signal,
          onBatch: (b) => {
            if (b.total.batches === 2 && !probing) probing = probe()
          },
        }),
      )
      await probing
    } finally {
      await broker.setRtt(1, 0)
      await broker.setRtt(2, 0)
      await admin.disconnect()
    }
    console.log(`  rtt 150 ms (broker 1) and 300 ms (broker 2): ${describeOutcome(result)}; a ListOffsets mid-run took ${probes.join(', ')} ms`)
    assert.equal(probes.length, 1, 'the latency was probed mid-run')
    assert.ok(probes[0] >= 150, `the latency was in effect (${probes[0]} ms)`)
    notGuarded(result, 20_000)
    assert.ok(result.ok, `the run completes: ${!result.ok ? result.error.stack : ''}`)
    assert.equal(result.report.messages, 1_000)
    assert.equal(result.report.skipped, 0)
    await assertExactlyOnce('latency', 'raw.latency', produced)
  })

  test('errors on Produce while a producer writes to the topic during a continuous ingest: every acknowledged message is in the raw table once, nothing else is', async () => {
    const topic = 'produce'
    const source: SourceSpec = { name: 'produce', topic, format: 'json', table: 'raw.produce', batch: { maxMessages: 100, maxMs: 100 } }
    const { client: producerClient, logs } = loggingClient('ingest-faults-producer')
    const producer = producerClient.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    // What counts is what the broker acknowledged, by (partition, offset): a send that ultimately
    // failed may or may not have reached the topic, and a send that kafkajs retried after an error
    // the broker had in fact appended (a real broker's REQUEST_TIMED_OUT may have written it; there
    // is no idempotent producer on this mock) would be in the topic twice, at two offsets, with
    // only the second acknowledged. The ingest job must then take both copies, each once, as any
    // other record of the log; so rows are compared with the log by offset, never by payload.
    /** Per acknowledged "partition:offset", the id of the message acknowledged there. */
    const acked = new Map<string, number>()
    const failedIds: number[] = []
    const sendErrors: string[] = []
    let nextId = 0
    const send = async (count: number) => {
      const ids = Array.from({ length: count }, () => nextId++)
      try {
        const metadata = await producer.send({
          topic,
          messages: ids.map((id) => ({ key: `k${id}`, value: JSON.stringify({ id, payload: `v${id}` }), partition: id % PARTITIONS })),
        })
        // One entry per partition: its messages, in the order sent, from baseOffset on.
        for (const m of metadata)
          ids.filter((id) => id % PARTITIONS === m.partition).forEach((id, i) => acked.set(`${m.partition}:${Number(m.baseOffset) + i}`, id))
      } catch (error) {
        failedIds.push(...ids)
        sendErrors.push((error as Error).message)
      }
    }

    const controller = new AbortController()
    const guardMs = 12_000
    const guard = setTimeout(() => controller.abort(), guardMs)
    /** Per partition, the last offset the job has written. */
    const written = new Map<number, number>()
    /** Per partition, the last acknowledged offset, once the producer is done. */
    let lastAcked: Map<number, number> | undefined
    let caughtUpAt: number | undefined
    const stopWhenAllAckedWritten = () => {
      if (!lastAcked || controller.signal.aborted) return
      if ([...lastAcked].every(([p, o]) => (written.get(p) ?? -1) >= o)) {
        caughtUpAt = Date.now()
        controller.abort()
      }
    }
    const produceDuring = async () => {
      await broker.injectErrors(ApiKey.Produce, 3, ErrorCode.NotLeaderForPartition)
      await broker.injectErrors(ApiKey.Produce, 3, ErrorCode.RequestTimedOut)
      for (let i = 0; i < 30; i++) {
        await send(25)
        await sleep(20)
      }
      lastAcked = new Map()
      for (const key of acked.keys()) {
        const [p, o] = key.split(':').map(Number)
        lastAcked.set(p, Math.max(lastAcked.get(p) ?? -1, o))
      }
      stopWhenAllAckedWritten()
    }
    let producing: Promise<void> | undefined
    let result: Outcome
    let firstBatchAt = 0
    let producedAt = 0
    let batchesWhileProducing = 0
    try {
      // Some messages before the job starts, so that its first batch says it is consuming.
      for (let i = 0; i < 4; i++) await send(50)
      result = await attempt(() =>
        ingestKafka(lake, catalog, pipeline, source, {
          client: clientOptions,
          signal: controller.signal,
          onBatch: (b) => {
            if (producing && !producedAt) batchesWhileProducing++
            for (const o of b.offsets) written.set(o.partition, Math.max(written.get(o.partition) ?? -1, o.offset))
            if (!producing) {
              firstBatchAt = Date.now()
              producing = produceDuring().finally(() => {
                producedAt = Date.now()
              })
            }
            stopWhenAllAckedWritten()
          },
        }),
      )
      await producing
    } finally {
      clearTimeout(guard)
      await producing?.catch(() => {})
      await broker.clearErrors(ApiKey.Produce)
      await producer.disconnect()
    }

    // The whole log, read back with a consumer of its own: the truth the raw table is held to.
    const admin = kafka.admin()
    await admin.connect()
    let ends: { partition: number; high: string }[]
    try {
      ends = await admin.fetchTopicOffsets(topic)
    } finally {
      await admin.disconnect()
    }
    const inTopic = ends.reduce((sum, p) => sum + Number(p.high), 0)
    const log = new Map(
      (await consumeAll(kafka, topic, freshGroupId('produce-readback'), inTopic, 15_000)).map((m) => [
        `${m.partition}:${m.offset}`,
        (m.value as { id: number }).id,
      ]),
    )
    const rows = (await query(`SELECT _partition AS p, _offset AS o, id FROM raw.produce`)).map((r) => ({
      key: `${Number(r.p)}:${Number(r.o)}`,
      id: Number(r.id),
    }))
    const raw = new Map(rows.map((r) => [r.key, r.id]))
    const produceErrors = logs.filter((l) => /Response Produce/.test(l))
    console.log(
      `  Produce NOT_LEADER_FOR_PARTITION ×3 and REQUEST_TIMED_OUT ×3 during a continuous ingest: ${describeOutcome(result)}; ${nextId} sent, ${acked.size} acknowledged, ${failedIds.length} failed${sendErrors.length ? ` (${[...new Set(sendErrors)].join(' | ')})` : ''}, ${inTopic} in the topic, ${rows.length} rows; producing took ${producedAt - firstBatchAt} ms after the first batch (${batchesWhileProducing} batches written meanwhile), stopped ${caughtUpAt ? `${caughtUpAt - producedAt} ms after the producer was done` : 'by the guard'}; Produce errors met ${produceErrors.length}×`,
    )
    assert.ok(producing, 'the producer ran during the ingest')
    assert.ok(batchesWhileProducing >= 2, `the job wrote batches while the producer was writing (${batchesWhileProducing})`)
    assert.equal(produceErrors.filter((l) => /not the leader/i.test(l)).length, 3, 'each NOT_LEADER_FOR_PARTITION was met')
    assert.equal(produceErrors.filter((l) => /timed out/i.test(l)).length, 3, 'each REQUEST_TIMED_OUT was met')
    assert.ok(caughtUpAt, `the job caught up with every acknowledged message before the ${guardMs} ms guard`)
    assert.ok(result.ok, `the stopped job returns its report: ${!result.ok ? result.error.stack : ''}`)
    assert.ok(acked.size >= 900, `most sends were acknowledged (${acked.size} of ${nextId})`)
    assert.equal(acked.size + failedIds.length, nextId)
    // Exactly once by offset: no (partition, offset) twice, every row is the log's record at its
    // offset (so nothing that is not in the topic), every acknowledged message is there.
    assert.equal(raw.size, rows.length, 'no (partition, offset) twice in the raw table')
    assert.equal(result.report.messages, rows.length)
    for (const { key, id } of rows) assert.equal(log.get(key), id, `raw row at ${key} is the topic's record there`)
    for (const [key, id] of acked) assert.equal(raw.get(key), id, `acknowledged message ${id} at ${key} is in the raw table`)
    // And nothing is missing in between: each partition's rows are offsets 0..n-1.
    const perPartition = new Map<number, number[]>()
    for (const key of raw.keys()) {
      const [p, o] = key.split(':').map(Number)
      perPartition.set(p, [...(perPartition.get(p) ?? []), o])
    }
    for (const [p, offsets] of perPartition) assert.equal(Math.max(...offsets), offsets.length - 1, `partition ${p} has no hole`)
  })
})
