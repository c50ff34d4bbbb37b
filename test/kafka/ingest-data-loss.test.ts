/**
 * Data loss between the lake and the broker (offset-gaps.ts), on real mock brokers:
 * - retention: the mock keeps at most 5 MiB per partition and drops older batches, moving the
 *   log start; offsets the lake still needs are gone, found at start and mid-run;
 * - reset: the lake holds offsets a topic no longer has. The mock broker this suite builds
 *   (librdkafka 2.0.2) cannot delete a topic, so the topic is "re-created" the way a wiped dev
 *   broker does it: the same topic on a fresh cluster, where its offsets start again at 0.
 * By default the job refuses to read on and writes nothing; with failOnDataLoss false it records
 * the gap in the lake's history and reads on, exactly once.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import type { Kafka } from 'kafkajs'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import { DataLossError } from '../../src/pipeline/offset-ledger'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery } from '../../src/query'
import { kafkaFor, produceJson, startBroker, type JsonMessage, type MockBroker } from './broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const TEN_KB = 'x'.repeat(10_000)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describe('Kafka ingest: offsets the lake needs are gone or went back', () => {
  let env: IngestLake
  let kafka: Kafka

  before(async () => {
    env = await startIngestLake({
      name: 'data-loss-test',
      topics: [
        { name: 'retained', partitions: 2 },
        { name: 'midrun', partitions: 1 },
        { name: 'midrun-accept', partitions: 1 },
        { name: 'wiped', partitions: 2 },
      ],
    })
    kafka = env.kafka
  })
  after(async () => {
    await env?.stop()
  })

  const query = async (sql: string) => (await runQuery(env.lake, env.catalog, sql)).rows
  const small = (n: number, from = 0): JsonMessage[] => Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: { id: from + i } }))
  /** About 6 MiB into one partition: more than the mock keeps, so its oldest batches (and offsets) go. */
  const overflow = (topic: string, partition: number) =>
    produceJson(
      kafka,
      topic,
      Array.from({ length: 620 }, (_, i) => ({ key: `big${i}`, value: { id: 1_000_000 + i, pad: TEN_KB }, partition })),
      { batchSize: 20 },
    )
  async function watermarks(client: Kafka, topic: string): Promise<Map<number, { low: number; high: number }>> {
    const admin = client.admin()
    await admin.connect()
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }]))
    } finally {
      await admin.disconnect()
    }
  }
  /** The commitInfo of every commit of a table, oldest first. */
  function history(table: string): { operation: string; operationParameters?: Record<string, string> }[] {
    const log = path.join(env.catalog.pathOf(table), '_delta_log')
    return readdirSync(log)
      .filter((f) => /^\d{20}\.json$/.test(f))
      .sort()
      .map(
        (f) =>
          readFileSync(path.join(log, f), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
            .find((a) => a.commitInfo).commitInfo,
      )
  }
  /** Every (partition, offset) the raw table holds at most once; per partition: count, min and max offset. */
  async function offsets(table: string): Promise<Map<number, { n: number; lo: number; hi: number }>> {
    assert.deepEqual(await query(`SELECT _partition, _offset FROM ${table} GROUP BY 1, 2 HAVING count(*) > 1`), [], `duplicates in ${table}`)
    const rows = await query(`SELECT _partition AS p, count(*) AS n, min(_offset) AS lo, max(_offset) AS hi FROM ${table} GROUP BY 1`)
    return new Map(rows.map((r) => [Number(r.p), { n: Number(r.n), lo: Number(r.lo), hi: Number(r.hi) }]))
  }
  const run = (pipeline: Pipeline, source: SourceSpec, client = INGEST_CLIENT_OPTIONS) =>
    ingestKafka(env.lake, env.catalog, pipeline, source, { untilCaughtUp: true, client })

  test('retention deleted offsets the lake still needs: refused and nothing written; accepted: recorded in the history, then read on exactly once', async () => {
    const source: SourceSpec = { name: 'retained', topic: 'retained', format: 'json', table: 'raw.retained' }
    await produceJson(kafka, 'retained', small(200), { partitions: 2 })
    assert.equal((await run(env.pipeline, source)).messages, 200)
    await overflow('retained', 1)
    const logs = await watermarks(kafka, 'retained')
    assert.ok(logs.get(1)!.low > 100, `the mock dropped partition 1's oldest batches (log starts at ${logs.get(1)!.low})`)
    assert.equal(logs.get(0)!.low, 0, 'partition 0 keeps everything')
    const versions = history('raw.retained').length

    const refused = await run(env.pipeline, source).then(
      () => undefined,
      (error: unknown) => error,
    )
    assert.ok(refused instanceof DataLossError, `refused with a DataLossError: ${String(refused)}`)
    assert.deepEqual(
      refused.gaps.map((g) => [g.kind, g.topic, g.partition, g.recorded, g.low]),
      [['retention', 'retained', 1, 99, logs.get(1)!.low]],
    )
    const lost = logs.get(1)!.low - 100
    assert.match(
      refused.message,
      new RegExp(`partition 1: offsets 100 to ${(logs.get(1)!.low - 1).toLocaleString('en-US')} \\(${lost.toLocaleString('en-US')} messages\\) were deleted`),
    )
    assert.match(refused.message, /"failOnDataLoss": false/)
    assert.equal(history('raw.retained').length, versions, 'nothing was committed')

    const gaps: string[] = []
    const report = await ingestKafka(
      env.lake,
      env.catalog,
      env.pipeline,
      { ...source, failOnDataLoss: false },
      {
        untilCaughtUp: true,
        client: INGEST_CLIENT_OPTIONS,
        onDataLoss: (_g, message) => gaps.push(message),
      },
    )
    assert.equal(report.messages, logs.get(1)!.high - logs.get(1)!.low, 'read on from the log start')
    assert.deepEqual(
      report.dataLoss?.map((g) => [g.partition, g.recorded, g.low]),
      [[1, 99, logs.get(1)!.low]],
    )
    assert.equal(gaps.length, 1)
    const marker = history('raw.retained').find((c) => c.operation === 'SET TRANSACTION')
    assert.ok(marker, 'a commit records the skip')
    assert.match(String(marker.operationParameters?.dataLoss), /partition 1: offsets 100 to .* deleted by the topic's retention/)
    const held = await offsets('raw.retained')
    assert.deepEqual(held.get(0), { n: 100, lo: 0, hi: 99 })
    assert.deepEqual(held.get(1), { n: 100 + logs.get(1)!.high - logs.get(1)!.low, lo: 0, hi: logs.get(1)!.high - 1 })

    // The accepted gap is not met again; the next run is an ordinary one, still strict.
    const again = await run(env.pipeline, source)
    assert.equal(again.messages, 0)
    assert.equal(again.dataLoss, undefined)
  })

  test('the topic was re-created with fewer offsets than the lake holds: refused; accepted: ingested again from offset 0, exactly once from then on', async () => {
    const source: SourceSpec = { name: 'wiped', topic: 'wiped', format: 'json', table: 'raw.wiped' }
    await produceJson(kafka, 'wiped', small(300), { partitions: 2 })
    assert.equal((await run(env.pipeline, source)).messages, 300)

    // The same topic on a fresh cluster: the "same" broker after its data was wiped.
    const fresh: MockBroker = await startBroker({ topics: [{ name: 'wiped', partitions: 2 }] })
    const freshKafka = kafkaFor(fresh, 'data-loss-fresh')
    try {
      await produceJson(freshKafka, 'wiped', small(40, 5_000), { partitions: 2 })
      const pipeline: Pipeline = { ...env.pipeline, kafka: { ...env.pipeline.kafka!, brokers: fresh.brokers } }
      const versions = history('raw.wiped').length
      const refused = await run(pipeline, source).then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.ok(refused instanceof DataLossError, `refused with a DataLossError: ${String(refused)}`)
      assert.deepEqual(refused.gaps.map((g) => [g.kind, g.partition, g.recorded, g.high]).sort(), [
        ['reset', 0, 149, 20],
        ['reset', 1, 149, 20],
      ])
      assert.match(
        refused.message,
        /partition 0: the log now ends at offset 20, but the lake already holds offsets up to 149; the topic was deleted and re-created/,
      )
      assert.equal(history('raw.wiped').length, versions, 'nothing was committed')

      const accepted = await run(pipeline, { ...source, failOnDataLoss: false })
      assert.equal(accepted.messages, 40, 'the new topic read from offset 0')
      assert.equal(accepted.skipped, 0)
      const ids = await query(
        `SELECT _partition AS p, count(*) AS n, min(_offset) AS lo, max(_offset) AS hi FROM raw.wiped WHERE id >= 5000 GROUP BY 1 ORDER BY 1`,
      )
      assert.deepEqual(
        ids.map((r) => [Number(r.p), Number(r.n), Number(r.lo), Number(r.hi)]),
        [
          [0, 20, 0, 19],
          [1, 20, 0, 19],
        ],
      )
      assert.equal(Number((await query('SELECT count(*) AS n FROM raw.wiped'))[0].n), 340, 'the old rows stay')

      // From here the lake follows the new topic: new messages once, none twice.
      await produceJson(freshKafka, 'wiped', small(10, 6_000), { partitions: 2 })
      const next = await run(pipeline, source)
      assert.equal(next.messages, 10)
      assert.equal(next.dataLoss, undefined)
      assert.deepEqual(await query('SELECT id FROM raw.wiped WHERE id >= 5000 GROUP BY id HAVING count(*) > 1'), [])
      assert.equal(Number((await query('SELECT count(*) AS n FROM raw.wiped WHERE id >= 5000'))[0].n), 50)
    } finally {
      await fresh.stop()
    }
  })

  /**
   * A job in its own process, paused (SIGSTOP) while the topic's retention passes its position:
   * when it wakes, kafkajs finds its position out of range and moves it to the log start without
   * saying so; the job notices the jump.
   */
  async function pausedWhileRetentionPasses(topic: string, failOnDataLoss: boolean) {
    await produceJson(kafka, topic, small(100))
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(path.dirname(fileURLToPath(import.meta.url)), 'ingest-child.ts'),
        JSON.stringify({
          lakeDir: env.lakeDir,
          brokers: env.pipeline.kafka!.brokers,
          topic,
          source: topic,
          table: `raw.${topic.replace('-', '_')}`,
          maxMessages: 1_000,
          maxMs: 100,
          continuous: true,
          failOnDataLoss,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const taken = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .reduce((sum, l) => sum + (l.messages ?? 0), 0)
    const waitFor = async (what: string, done: () => boolean, ms = 30_000) => {
      for (const end = Date.now() + ms; !done(); await sleep(50))
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; child stderr: ${stderr}`)
    }
    try {
      await waitFor('the first 100 messages', () => taken() >= 100)
      child.kill('SIGSTOP')
      await overflow(topic, 0)
      const log = (await watermarks(kafka, topic)).get(0)!
      assert.ok(log.low > 100, `the log start passed the job's position (${log.low})`)
      child.kill('SIGCONT')
      return { child, exited, log, taken, waitFor, output: () => ({ stdout, stderr }) }
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    }
  }

  test('retention passes a running job (paused meanwhile): it stops with the gap named, and wrote nothing after it', async () => {
    const { exited, log, output } = await pausedWhileRetentionPasses('midrun', true)
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout')])
    assert.notEqual(code, 'timeout', `the job stopped by itself: ${output().stderr}`)
    assert.notEqual(code, 0)
    assert.match(
      output().stderr,
      new RegExp(
        `source 'midrun' stopped .*\\n.*topic 'midrun' partition 0: offsets 100 to ${(log.low - 1).toLocaleString('en-US')} .* deleted by the topic's retention`,
      ),
    )
    assert.deepEqual((await offsets('raw.midrun')).get(0), { n: 100, lo: 0, hi: 99 }, 'nothing after the gap was written')
  })

  test('retention passes a running job that accepts data loss: the gap is recorded, the job reads on from the log start, exactly once', async () => {
    const { child, exited, log, taken, waitFor, output } = await pausedWhileRetentionPasses('midrun-accept', false)
    try {
      await waitFor('the messages after the gap', () => taken() >= 100 + log.high - log.low)
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0, output().stderr)
    assert.match(output().stderr, /data loss accepted.*\n.*partition 0: offsets 100 to/)
    assert.deepEqual((await offsets('raw.midrun_accept')).get(0), { n: 100 + log.high - log.low, lo: 0, hi: log.high - 1 })
    assert.match(String(history('raw.midrun_accept').find((c) => c.operation === 'SET TRANSACTION')?.operationParameters?.dataLoss), /offsets 100 to/)
  })
})
