/**
 * The Kafka ingest job against the mock broker (broker.ts): JSON on a 4-partition topic lands in
 * raw.<source> with every (partition, offset) exactly once; undecodable messages go to
 * raw._dead_letters with their reasons; a second run adds nothing and a later one only what is
 * new; and a job killed with SIGKILL at random moments, then run to completion, still holds every
 * offset exactly once.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Kafka } from 'kafkajs'
import { LakeEngine } from '../../src/engine'
import { ingestKafka, type KafkaBatchReport } from '../../src/pipeline/ingest-kafka'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { snapshotOrNothing } from '../../src/engine'
import { offsetAppId, recordedOffset } from '../../src/pipeline/offset-ledger'
import { DEAD_LETTERS_TABLE } from '../../src/pipeline/raw-zone'
import { LakeCatalog, runQuery } from '../../src/query'
import { produceJson, type JsonMessage, type MockBroker } from './broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const here = path.dirname(fileURLToPath(import.meta.url))
const PARTITIONS = 4

describe('Kafka ingest into the raw zone', () => {
  let broker: MockBroker
  let kafka: Kafka
  let lakeDir: string
  let lake: LakeEngine
  let catalog: LakeCatalog
  let pipeline: Pipeline
  const clientOptions = INGEST_CLIENT_OPTIONS
  let env: IngestLake | undefined

  before(async () => {
    env = await startIngestLake({ name: 'ingest-test', topics: ['orders', 'mixed', 'crash', 'large'].map((name) => ({ name, partitions: PARTITIONS })) })
    ;({ broker, kafka, lakeDir, lake, catalog, pipeline } = env)
  })
  after(async () => {
    await env?.stop()
  })

  const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows
  const one = async (sql: string) => Number(Object.values((await query(sql))[0])[0])

  /** Every (partition, offset) of `topic` below `produced` is in exactly one of the two tables, once. */
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
    const rows = await query(`SELECT _partition AS p, count(*) AS n, min(_offset) AS lo, max(_offset) AS hi FROM (
        SELECT _partition, _offset FROM ${table} UNION ALL ${deadLetters}
      ) GROUP BY 1 ORDER BY 1`)
    const total = [...produced.values()].reduce((a, b) => a + b, 0)
    assert.equal(
      rows.reduce((sum, r) => sum + Number(r.n), 0),
      total,
      'rows + dead letters = produced',
    )
    for (const r of rows) {
      const n = produced.get(Number(r.p)) ?? 0
      // count = n, offsets within [0, n-1], no duplicates (above) and no overlap (the total) ⇒ each offset once.
      assert.deepEqual([Number(r.n), Number(r.lo), Number(r.hi)], [n, 0, n - 1], `partition ${r.p}`)
    }
  }

  const count = (produced: Map<number, number>, messages: JsonMessage[], _start: number) => {
    const start = 0 // produceJson spreads each call's messages round-robin from partition 0
    messages.forEach((_, i) => produced.set((start + i) % PARTITIONS, (produced.get((start + i) % PARTITIONS) ?? 0) + 1))
  }

  const ordersProduced = new Map<number, number>()
  const orders: SourceSpec = { name: 'orders', topic: 'orders', format: 'json', table: 'raw.orders', batch: { maxMessages: 300, maxMs: 200 } }
  const orderMessages = (from: number, n: number): JsonMessage[] =>
    Array.from({ length: n }, (_, j) => {
      const i = from + j
      return { key: `k${i}`, value: { id: i, name: `order ${i}`, amount: i + 0.25, tags: ['a', String(i % 3)] }, headers: { seq: String(i), origin: 'test' } }
    })

  test('JSON on 4 partitions lands in raw.orders, every (partition, offset) exactly once, with the Kafka columns', async () => {
    const messages = orderMessages(0, 2_000)
    await produceJson(kafka, 'orders', messages, { partitions: PARTITIONS })
    count(ordersProduced, messages, 0)
    const batches: KafkaBatchReport[] = []
    const began = Date.now()
    const report = await ingestKafka(lake, catalog, pipeline, orders, { untilCaughtUp: true, client: clientOptions, onBatch: (b) => batches.push(b) })
    const took = Date.now() - began
    assert.deepEqual(
      { ...report, batches: undefined },
      { source: 'orders', messages: 2_000, rows: 2_000, tombstones: 0, deadLetters: 0, skipped: 0, batches: undefined },
    )
    assert.ok(report.batches >= 7, `batches of at most 300: ${report.batches}`)
    assert.equal(batches.length, report.batches)
    assert.ok(batches.every((b) => b.messages <= 300))
    assert.equal(
      batches.reduce((s, b) => s + b.messages, 0),
      2_000,
    )
    await assertExactlyOnce('orders', 'raw.orders', ordersProduced)

    const [row] = await query(`SELECT * FROM raw.orders WHERE _key = 'k5'`)
    assert.equal(row._topic, 'orders')
    assert.equal(row._partition, 1)
    assert.equal(row._tombstone, false)
    assert.equal(row.id, 5)
    assert.equal(row.name, 'order 5')
    assert.equal(row.amount, 5.25)
    assert.deepEqual(row.tags, ['a', '2'])
    assert.ok(row._timestamp, '_timestamp is set')
    assert.ok(Math.abs(Date.parse(String(row._timestamp)) - Date.now()) < 120_000, `_timestamp ${row._timestamp} is recent`)
    assert.deepEqual(await query(`SELECT _headers['seq'] AS seq, _headers['origin'] AS origin FROM raw.orders WHERE _key = 'k5'`), [
      { seq: '5', origin: 'test' },
    ])
    assert.equal(await one(`SELECT count(*) FROM raw.orders WHERE _key IS NULL OR _timestamp IS NULL OR _headers IS NULL OR id IS NULL`), 0)

    // The tables record, per partition, the last offset taken.
    const snapshot = await lake.snapshot(catalog.pathOf('raw.orders'))
    for (let p = 0; p < PARTITIONS; p++)
      assert.equal(recordedOffset(snapshot, 'orders', 'orders', p), ordersProduced.get(p)! - 1, offsetAppId('orders', 'orders', p))
    console.log(`  2,000 messages in ${report.batches} batches: ${took} ms (group join included)`)
  })

  test('malformed JSON and bad UTF-8 go to raw._dead_letters with reasons; the counts add up', async () => {
    const produced = new Map<number, number>()
    const messages: JsonMessage[] = []
    for (let i = 0; i < 400; i++) {
      if (i % 10 === 3) messages.push({ key: `m${i}`, value: Buffer.from(`{"id": ${i}, "name": `) })
      else if (i % 10 === 7) messages.push({ key: `m${i}`, value: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) })
      else if (i % 25 === 0) messages.push({ key: `m${i}`, value: null })
      else if (i % 10 === 9) messages.push({ key: `m${i}`, value: 42 })
      else messages.push({ key: `m${i}`, value: { id: i, label: `ok ${i}` } })
    }
    await produceJson(kafka, 'mixed', messages, { partitions: PARTITIONS })
    count(produced, messages, 0)
    const mixed: SourceSpec = { name: 'mixed', topic: 'mixed', format: 'json', table: 'raw.mixed', batch: { maxMessages: 150, maxMs: 200 } }
    const report = await ingestKafka(lake, catalog, pipeline, mixed, { untilCaughtUp: true, client: clientOptions })
    assert.equal(report.messages, 400)
    assert.equal(report.rows + report.deadLetters + report.tombstones, report.messages)
    assert.equal(report.tombstones, 16)
    assert.equal(report.deadLetters, 40 + 40 + 40)
    await assertExactlyOnce('mixed', 'raw.mixed', produced)
    const reasons = await query(`SELECT reason, count(*) AS n FROM raw._dead_letters WHERE source = 'mixed' GROUP BY 1 ORDER BY 1`)
    assert.deepEqual(
      reasons.map((r) => [r.reason, Number(r.n)]),
      [
        ['invalid-json', 40],
        ['invalid-utf8', 40],
        ['not-an-object', 40],
      ],
    )
    const [bad] = await query(`SELECT * FROM raw._dead_letters WHERE source = 'mixed' AND _key = 'm7'`)
    assert.equal(bad.reason, 'invalid-utf8')
    assert.ok(bad.detail, 'a detail says what is wrong')
    assert.deepEqual(Buffer.from(String(bad.value), 'base64'), messages[7].value, 'the value bytes are kept')
    assert.equal(await one(`SELECT count(*) FROM raw.mixed WHERE _tombstone`), 16)
    assert.equal(await one(`SELECT count(*) FROM raw.mixed WHERE NOT _tombstone`), report.rows)
  })

  test('large messages close batches at batch.maxBytes, not only at maxMessages', async () => {
    // 24 values of 256 KiB: a batch closes at its 4th (over 1 MiB), whatever maxMessages says.
    const blob = 'x'.repeat(256 * 1024)
    const messages = Array.from({ length: 24 }, (_, i) => ({ key: `l${i}`, value: { id: i, blob } }))
    await produceJson(kafka, 'large', messages, { partitions: PARTITIONS })
    const produced = new Map<number, number>()
    count(produced, messages, 0)
    const large: SourceSpec = {
      name: 'large',
      topic: 'large',
      format: 'json',
      table: 'raw.large',
      batch: { maxMessages: 1_000, maxMs: 5_000, maxBytes: 2 ** 20 },
    }
    const batches: KafkaBatchReport[] = []
    const report = await ingestKafka(lake, catalog, pipeline, large, { untilCaughtUp: true, client: clientOptions, onBatch: (b) => batches.push(b) })
    assert.equal(report.rows, 24)
    assert.ok(
      batches.every((b) => b.messages <= 4),
      `batches of at most 4 large messages: ${batches.map((b) => b.messages)}`,
    )
    assert.ok(batches.length >= 6, `${batches.length} batches`)
    await assertExactlyOnce('large', 'raw.large', produced)
    assert.equal(await one(`SELECT count(*) FROM raw.large WHERE length(blob) = ${blob.length}`), 24)
  })

  test('a second run adds nothing; after more messages, it takes only the new ones', async () => {
    const began = Date.now()
    const again = await ingestKafka(lake, catalog, pipeline, orders, { untilCaughtUp: true, client: clientOptions })
    assert.deepEqual(again, { source: 'orders', messages: 0, rows: 0, tombstones: 0, deadLetters: 0, skipped: 0, batches: 0 })
    const idle = Date.now() - began
    const version = (await lake.snapshot(catalog.pathOf('raw.orders'))).version

    const more = orderMessages(2_000, 500)
    await produceJson(kafka, 'orders', more, { partitions: PARTITIONS })
    count(ordersProduced, more, 2_000)
    const report = await ingestKafka(lake, catalog, pipeline, orders, { untilCaughtUp: true, client: clientOptions })
    assert.equal(report.messages, 500)
    assert.equal(report.rows, 500)
    assert.equal(report.skipped, 0)
    assert.ok((await lake.snapshot(catalog.pathOf('raw.orders'))).version > version)
    await assertExactlyOnce('orders', 'raw.orders', ordersProduced)
    assert.equal(await one(`SELECT count(*) FROM raw.orders WHERE id >= 2000`), 500)
    console.log(`  caught-up re-run: ${idle} ms (no group join needed)`)
  })

  test("startingOffsets 'latest' skips what was there; an abort stops after writing the open batch; the next run resumes", async () => {
    const before = (await produceJson(kafka, 'orders', orderMessages(3_000, 40), { partitions: PARTITIONS })).length
    assert.ok(before > 0)
    const highs = new Map<number, number>() // the high watermarks before the job starts
    const admin = kafka.admin()
    await admin.connect()
    for (const p of await admin.fetchTopicOffsets('orders')) highs.set(p.partition, Number(p.high))
    await admin.disconnect()

    const latest: SourceSpec = {
      name: 'latest',
      topic: 'orders',
      format: 'json',
      table: 'raw.orders_latest',
      startingOffsets: 'latest',
      batch: { maxMessages: 50, maxMs: 100 },
    }
    const controller = new AbortController()
    const batches: KafkaBatchReport[] = []
    const fresh = orderMessages(4_000, 400)
    let producing: Promise<unknown> | undefined
    const stopped = await ingestKafka(lake, catalog, pipeline, latest, {
      signal: controller.signal,
      client: clientOptions,
      onStart: (partitions) => {
        for (const p of partitions) assert.equal(p.start, highs.get(p.partition), 'latest: the high watermark at start')
        producing = produceJson(kafka, 'orders', fresh, { partitions: PARTITIONS, batchSize: 50 })
      },
      onBatch: (b) => {
        batches.push(b)
        if (batches.length === 2) controller.abort()
      },
    })
    await producing
    assert.ok(stopped.batches >= 2, `stopped after ${stopped.batches} batches`)
    assert.ok(stopped.messages < 400, `stopped early: ${stopped.messages} messages`)
    assert.equal(stopped.rows, stopped.messages, 'every message taken was written (the open batch was finished)')
    assert.equal(await one(`SELECT count(*) FROM raw.orders_latest`), stopped.messages)
    assert.equal(await one(`SELECT count(*) FROM raw.orders_latest WHERE id < 4000`), 0, 'nothing from before the start')

    const rest = await ingestKafka(lake, catalog, pipeline, latest, { untilCaughtUp: true, client: clientOptions })
    assert.equal(stopped.messages + rest.messages, 400)
    const expected = new Map<number, number>()
    for (let i = 0; i < 400; i++) expected.set(i % PARTITIONS, (expected.get(i % PARTITIONS) ?? 0) + 1)
    for (const r of await query(
      `SELECT _partition AS p, count(*) AS n, count(DISTINCT _offset) AS d, min(_offset) AS lo, max(_offset) AS hi FROM raw.orders_latest GROUP BY 1 ORDER BY 1`,
    )) {
      const p = Number(r.p)
      assert.deepEqual(
        [Number(r.n), Number(r.d), Number(r.lo), Number(r.hi)],
        [expected.get(p), expected.get(p), highs.get(p), highs.get(p)! + expected.get(p)! - 1],
        `partition ${p}`,
      )
    }
    // What the first run left to the group: the offsets after its last commit (lag monitoring).
    count(ordersProduced, orderMessages(3_000, 40), 0)
    count(ordersProduced, fresh, 0)
  })

  test('killed with SIGKILL at random moments, then run to completion: every offset exactly once', async () => {
    /** Far beyond a round's work (a few hundred messages): past it, the child is hung. */
    const HUNG_CHILD_MS = Number(process.env.LAKEHOUSE_TEST_HUNG_CHILD_MS ?? 60_000)
    const produced = new Map<number, number>()
    let sent = 0
    const produceRound = async (n: number) => {
      const messages: JsonMessage[] = Array.from({ length: n }, (_, j) => {
        const i = sent + j
        return i % 13 === 5 ? { key: `c${i}`, value: Buffer.from('not json') } : { key: `c${i}`, value: { id: i, v: `x${i}` } }
      })
      await produceJson(kafka, 'crash', messages, { partitions: PARTITIONS, batchSize: 200 })
      count(produced, messages, sent)
      sent += n
    }
    const childConfig = { lakeDir, brokers: broker.brokers, topic: 'crash', source: 'crash', table: 'raw.crash', maxMessages: 60, maxMs: 100 }
    const runChild = (killAfter: (line: string, elapsed: number) => number | undefined, startupKillMs?: number) =>
      new Promise<{ killed: boolean; batches: number }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'ingest-child.ts'), JSON.stringify(childConfig)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        const began = Date.now()
        let killed = false
        let batches = 0
        let stderr = ''
        let timer: NodeJS.Timeout | undefined
        const kill = () => {
          if (!killed && child.exitCode === null) {
            killed = true
            child.kill('SIGKILL')
          }
        }
        if (startupKillMs !== undefined) timer = setTimeout(kill, startupKillMs)
        // A child still running after this is hung: killed, and a failure, never one of the kills.
        let hung = false
        const guard = setTimeout(() => {
          if (child.exitCode !== null || killed) return
          hung = true
          child.kill('SIGKILL')
        }, HUNG_CHILD_MS)
        let buffered = ''
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString()
          let nl: number
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl)
            buffered = buffered.slice(nl + 1)
            if (line.startsWith('{"batch"')) batches++
            const delay = killAfter(line, Date.now() - began)
            if (delay !== undefined && timer === undefined) timer = setTimeout(kill, delay)
          }
        })
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString()
        })
        child.on('error', reject)
        child.on('exit', (code, signal) => {
          clearTimeout(timer)
          clearTimeout(guard)
          if (hung)
            reject(new Error(`ingest child hung: still running after ${HUNG_CHILD_MS / 1000} s (${batches} batches), killed by the guard; stderr: ${stderr}`))
          else if (signal === 'SIGKILL' && killed) resolve({ killed: true, batches })
          else if (code === 0) resolve({ killed: false, batches })
          else reject(new Error(`ingest child exited with ${code ?? signal}: ${stderr}`))
        })
      })

    const began = Date.now()
    let kills = 0
    const log: string[] = []
    for (let round = 0; kills < 6 && round < 10; round++) {
      await produceRound(300 + Math.floor(Math.random() * 300))
      // Some kills land during start-up (connecting, joining the group, the first fetches), the
      // rest a random while after the first committed batch: mid-decode, mid-write, mid-commit.
      const early = round % 3 === 2
      const outcome = early
        ? await runChild(() => undefined, 500 + Math.floor(Math.random() * 3_500))
        : await runChild((line) => (line.startsWith('{"batch"') ? Math.floor(Math.random() * 250) : undefined))
      if (outcome.killed) kills++
      log.push(`${early ? 'early' : 'late'}:${outcome.killed ? 'killed' : 'finished'} after ${outcome.batches} batches`)
    }
    assert.ok(kills >= 5, `at least 5 kills: ${log.join(', ')}`)
    const finished = await runChild(() => undefined)
    assert.equal(finished.killed, false)
    await assertExactlyOnce('crash', 'raw.crash', produced)
    const rows = await one(`SELECT count(*) FROM raw.crash`)
    const dead = await one(`SELECT count(*) FROM raw._dead_letters WHERE source = 'crash'`)
    assert.equal(rows + dead, sent)
    assert.equal(dead, Math.floor((sent - 6) / 13) + 1)
    console.log(`  ${kills} kills (${log.join(', ')}), ${sent} messages: ${Date.now() - began} ms`)
  })
})
