/**
 * A quiet topic is written as soon as it is read to its end, not after `batch.maxMs`: with
 * maxMs at two minutes, messages produced one at a time by kcat (librdkafka) must each reach the
 * raw table while the job keeps running, and a backlog must still be written in whole batches.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { ingestKafka, type KafkaBatchReport } from '../../src/pipeline/ingest-kafka'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery } from '../../src/query'
import { waitUntil, withinGuard } from '../helpers/waiting'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const KCAT = '/usr/bin/kcat'
let env: IngestLake

before(async () => {
  env = await startIngestLake({
    name: 'quiet-topic',
    topics: [
      { name: 'quiet', partitions: 2 },
      { name: 'backlog', partitions: 2 },
    ],
  })
})
after(async () => {
  await env?.stop()
})

function kcat(topic: string, partition: number, values: object[]): void {
  if (!existsSync(KCAT)) throw new Error(`this test produces with kcat (librdkafka), and ${KCAT} is missing: apt-get install kcat`)
  execFileSync(KCAT, ['-b', env.broker.brokers.join(','), '-P', '-t', topic, '-p', String(partition)], {
    input: values.map((v) => JSON.stringify(v)).join('\n') + '\n',
    stdio: ['pipe', 'ignore', 'pipe'],
  })
}

const rowsOf = async (table: string) =>
  (await runQuery(env.lake, env.catalog, `SELECT _partition, _offset, id FROM ${table} ORDER BY id`)).rows.map((r) => Number(r.id))

test('a message on a quiet topic is committed while the job runs, without waiting out maxMs', async () => {
  // Two minutes: were a batch to wait for its timer, the hang guard below would fail first.
  const source: SourceSpec = { name: 'quiet', topic: 'quiet', format: 'json', table: 'raw.quiet', batch: { maxMs: 120_000 } }
  const batches: KafkaBatchReport[] = []
  const abort = new AbortController()
  const job = ingestKafka(env.lake, env.catalog, env.pipeline, source, { signal: abort.signal, client: INGEST_CLIENT_OPTIONS, onBatch: (b) => batches.push(b) })
  try {
    for (let round = 0; round < 3; round++) {
      kcat('quiet', round % 2, [{ id: round }])
      await waitUntil(() => batches.reduce((n, b) => n + b.messages, 0) === round + 1, `message ${round} committed`)
      assert.deepEqual(
        await rowsOf('raw.quiet'),
        Array.from({ length: round + 1 }, (_, i) => i),
        `after message ${round}`,
      )
    }
  } finally {
    abort.abort()
    await withinGuard(job, 'the job stops')
  }
  assert.equal(batches.length, 3, 'one commit per message, each when it came')
})

test('a backlog is still written in whole batches', async () => {
  const values = Array.from({ length: 3_000 }, (_, i) => ({ id: i }))
  kcat('backlog', 0, values.slice(0, 1_500))
  kcat('backlog', 1, values.slice(1_500))
  const source: SourceSpec = { name: 'backlog', topic: 'backlog', format: 'json', table: 'raw.backlog', batch: { maxMs: 120_000 } }
  const batches: KafkaBatchReport[] = []
  await withinGuard(
    ingestKafka(env.lake, env.catalog, env.pipeline, source, { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS, onBatch: (b) => batches.push(b) }),
    'the backlog ingest',
  )
  assert.deepEqual(
    await rowsOf('raw.backlog'),
    values.map((v) => v.id),
  )
  // A batch closes early only once a partition is read to its end and no write is in progress: a
  // backlog of two partitions makes a few batches, never one per fetch.
  assert.ok(batches.length <= 4, `${batches.length} batches: ${batches.map((b) => b.messages).join(', ')}`)
})
