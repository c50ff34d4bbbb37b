/**
 * A cdc batch without transforms whose changes are all newer than its table MERGEs from the
 * table that holds each key's last change (src/pipeline/refine/change-events.ts `latestPerEntity`
 * with `unnestImage`: the image's fields are that table's own columns), read in place; a flow
 * with transforms copies its transformed rows into a source table first. The two paths must
 * write the same rows and the same change feed: here the same Debezium stream (three Kafka
 * partitions, re-sent duplicates, deletes with key-only before images, a delete whose before
 * image is missing, and a field added mid-batch) goes through a flow without transforms and one
 * whose only transform is an identity cast, and both are held to the generator's final state.
 */
import assert from 'node:assert/strict'
import { appendFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import type { DuckDb } from '../../src/engine'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { FlowSpec, SourceSpec } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import { type Captured, captureLines, postgresStream } from '../helpers/cdc-streams'
import { tempLake } from '../helpers/temp-lake'

const { dir, lakeDir, lake, catalog, query } = tempLake('refine-merge-source')
const source: SourceSpec = { name: 'pg', file: 'pg.jsonl', format: 'debezium', table: 'raw.pg', batch: { maxMessages: 120 } }

async function ingest(messages: Captured[]) {
  appendFileSync(path.join(dir, source.file!), captureLines(messages))
  const report = await ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }, source)
  assert.equal(report.deadLetters, 0)
}

/** The DuckDB statements `run` issues (db.run and db.rows), for telling which path a batch took. */
async function statementsOf(db: DuckDb, run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  const original = { run: db.run, rows: db.rows }
  db.run = async function (this: DuckDb, sql: string) {
    seen.push(sql)
    return original.run.call(this, sql)
  }
  db.rows = async function (this: DuckDb, sql: string) {
    seen.push(sql)
    return original.rows.call(this, sql)
  }
  try {
    await run()
  } finally {
    db.run = original.run
    db.rows = original.rows
  }
  return seen
}

test('a flow without transforms MERGEs from its batch table in place: the same rows and change feed as through a copied source', async () => {
  writeFileSync(path.join(dir, source.file!), '')
  const stream = postgresStream({ seed: 11, keys: 60, changes: 600, partitions: 3 })
  assert.ok(stream.counts.delete > 5 && stream.counts.duplicate > 5 && stream.counts.update > 50, JSON.stringify(stream.counts))
  const half = Math.floor(stream.messages.length / 2)
  const flows: FlowSpec[] = [
    { name: 'in_place', from: 'raw.pg', to: 'refined.in_place', mode: 'cdc', key: ['id'] },
    { name: 'copied', from: 'raw.pg', to: 'refined.copied', mode: 'cdc', key: ['id'], transforms: [{ op: 'cast', columns: { id: 'long' } }] },
  ]
  const db = await lake.duckdb()
  const refineAll = async () => {
    const statements: string[][] = []
    for (const flow of flows) statements.push(await statementsOf(db, () => refineFlow(lake, catalog, flow, { untilCaughtUp: true })))
    return statements
  }
  await ingest(stream.messages.slice(0, half))
  await refineAll()

  // The second half, then a raw version in which rows gain a field, one row is deleted with no
  // before image (its key comes from the Kafka key) and a new one is created: one batch reads both.
  await ingest(stream.messages.slice(half))
  const offsets = [0, 1, 2].map((p) => 1 + Math.max(...stream.messages.filter((m) => m.partition === p).map((m) => m.offset)))
  const ts = Math.max(...stream.messages.map((m) => m.ts)) + 1000
  const expected = new Map([...stream.final.entries()].map(([id, row]) => [id, { ...row, email: null as string | null }]))
  const [updated, deleted] = [...expected.keys()].sort((a, b) => a - b)
  const created = 1000
  const message = (id: number, op: string, before: unknown, after: unknown, at: number): Captured => {
    const partition = id % 3
    const payload = JSON.stringify({ before, after, op, ts_ms: at + 5, source: { connector: 'postgresql', ts_ms: at, lsn: at } })
    return { topic: 'pg.public.customers', partition, offset: offsets[partition]++, ts: at, key: JSON.stringify({ id }), payload, headers: [] }
  }
  const drifted = { ...expected.get(updated)!, email: 'a@example.com' }
  const fresh = { id: created, name: 'customer 1000', tier: 'gold', balance: 5, tags: ['x'], email: 'b@example.com' }
  await ingest([
    message(updated, 'u', expected.get(updated), drifted, ts),
    message(deleted, 'd', null, null, ts + 1),
    message(created, 'c', null, fresh, ts + 2),
  ])
  expected.set(updated, drifted)
  expected.delete(deleted)
  expected.set(created, fresh)
  const [inPlace, copied] = await refineAll()

  // The batch's table was the MERGE's source for the flow without transforms; the other copied its rows.
  assert.ok(!inPlace.some((sql) => /CREATE TEMP TABLE __refine_upserts_/.test(sql)), 'no copy of the MERGE source')
  assert.ok(
    inPlace.some((sql) => /^\s*SELECT count\(\*\) AS n FROM "__refine_final_\d+"/.test(sql)),
    'the MERGE read the batch table',
  )
  assert.ok(
    copied.some((sql) => /CREATE TEMP TABLE __refine_upserts_/.test(sql)),
    'the transformed flow copied its source',
  )

  const rows = (table: string) => query(`SELECT id, name, tier, balance, tags, email FROM ${table} ORDER BY id`)
  const want = [...expected.values()].sort((a, b) => a.id - b.id)
  assert.deepEqual(await rows('refined.in_place'), want)
  assert.deepEqual(await rows('refined.copied'), want)
  const feed = (table: string) =>
    query(`SELECT * EXCLUDE (_commit_timestamp) FROM table_changes('${table}', 0) ORDER BY _commit_version, id, _change_type, balance, tier, name`)
  const inPlaceFeed = await feed('refined.in_place')
  assert.deepEqual(inPlaceFeed, await feed('refined.copied'))
  const lastVersion = Math.max(...inPlaceFeed.map((r) => Number(r._commit_version)))
  const last = inPlaceFeed.filter((r) => Number(r._commit_version) === lastVersion)
  assert.deepEqual(
    last.filter((r) => r.id === updated || r.id === deleted || r.id === created).map((r) => [r.id, r._change_type, r.email]),
    [
      [updated, 'update_postimage', 'a@example.com'],
      [updated, 'update_preimage', null],
      [deleted, 'delete', null],
      [created, 'insert', 'b@example.com'],
    ].sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1]))),
  )
})
