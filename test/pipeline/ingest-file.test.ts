/**
 * The file source end to end: captures (plain NDJSON and kcat -J) replayed into the raw zone with
 * dead letters, offsets in the Delta log, and exactly-once on re-runs.
 */
import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { ingestFile } from '../../src/pipeline/ingest-file'
import { fileTopic } from '../../src/pipeline/file-source'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { offsetAppId } from '../../src/pipeline/offset-ledger'
import { LakeCatalog, runQuery } from '../../src/query'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-ingest-file-'))
const lake = new LakeEngine()
const catalog = new LakeCatalog(path.join(dir, 'lake'), lake.io.storage)
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

function pipelineWith(source: SourceSpec): Pipeline {
  return { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir: path.join(dir, 'lake'), sources: [source] }
}
const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows

test('plain NDJSON: rows, nested structs, rescued values, dead letters with reasons, counts that add up', async () => {
  const file = path.join(dir, 'orders.ndjson')
  writeFileSync(
    file,
    [
      JSON.stringify({ id: 1, customer: { name: 'Ada', tier: 'gold' }, items: [{ sku: 'a', qty: 2 }], at: '2026-11-24T10:00:00Z' }),
      '{ not json',
      JSON.stringify({ id: 2, customer: { name: 'Bob', tier: null }, items: [], at: '2026-11-24T11:00:00Z' }),
      JSON.stringify([1, 2, 3]),
      JSON.stringify({ id: 'three', customer: { name: 'Cy' } }),
      JSON.stringify({ id: 4, extra: true }),
    ].join('\n') + '\n',
  )
  const source: SourceSpec = { name: 'orders', file: 'orders.ndjson', format: 'json', table: 'raw.orders', batch: { maxMessages: 2 } }
  const report = await ingestFile(lake, catalog, pipelineWith(source), source)
  assert.deepEqual({ ...report }, { source: 'orders', messages: 6, rows: 4, tombstones: 0, deadLetters: 2, skipped: 0, batches: 3 })
  const rows = await query(
    'SELECT id, customer.name AS name, items[1].qty AS qty, "at", extra, _rescued_data, _offset, _topic FROM raw.orders ORDER BY _offset',
  )
  assert.deepEqual(rows, [
    { id: 1, name: 'Ada', qty: 2, at: '2026-11-24T10:00:00Z', extra: null, _rescued_data: null, _offset: 0, _topic: fileTopic(file) },
    { id: 2, name: 'Bob', qty: null, at: '2026-11-24T11:00:00Z', extra: null, _rescued_data: null, _offset: 2, _topic: fileTopic(file) },
    // Text where the table has a number: the value is rescued, the rest of the row lands.
    { id: null, name: 'Cy', qty: null, at: null, extra: null, _rescued_data: '{"id":"three"}', _offset: 4, _topic: fileTopic(file) },
    { id: 4, name: null, qty: null, at: null, extra: true, _rescued_data: null, _offset: 5, _topic: fileTopic(file) },
  ])
  const dead = await query(`SELECT _offset, reason, from_base64(value)::VARCHAR AS value FROM raw._dead_letters ORDER BY _offset`)
  assert.deepEqual(
    dead.map((d) => [d._offset, d.reason]),
    [
      [1, 'invalid-json'],
      [3, 'not-an-object'],
    ],
  )
  assert.equal(dead[0].value, '{ not json', 'the raw bytes are kept')
  const snapshot = await lake.snapshot(catalog.pathOf('raw.orders'))
  assert.equal(snapshot.txns.get(offsetAppId('orders', fileTopic(file), 0))?.version, 5)
  assert.equal(snapshot.metadata.configuration['delta.enableChangeDataFeed'], 'true', 'raw tables feed the refine flows')

  // Running again records nothing new; appended lines are picked up alone.
  const again = await ingestFile(lake, catalog, pipelineWith(source), source)
  assert.equal(again.rows + again.deadLetters, 0)
  assert.equal(again.skipped, 6)
  appendFileSync(file, JSON.stringify({ id: 5 }) + '\n')
  const more = await ingestFile(lake, catalog, pipelineWith(source), source)
  assert.equal(more.rows, 1)
  assert.deepEqual(await query('SELECT count(*) AS n, count(DISTINCT _offset) AS d FROM raw.orders'), [{ n: 5, d: 5 }])
})

test('kcat -J captures keep topics, partitions, offsets, keys, headers and tombstones', async () => {
  const file = path.join(dir, 'capture.jsonl')
  const record = (partition: number, offset: number, key: string | null, payload: string | null, headers: string[] = []) =>
    JSON.stringify({ topic: 'customers', partition, offset, tstype: 'create', ts: 1764000000000 + offset, broker: 1, headers, key, payload })
  writeFileSync(
    file,
    [
      record(0, 10, 'c1', JSON.stringify({ name: 'Ada' }), ['trace', 'abc']),
      record(1, 7, 'c2', JSON.stringify({ name: 'Bob' })),
      record(0, 11, 'c1', null),
    ].join('\n') + '\n',
  )
  const source: SourceSpec = { name: 'customers', file: 'capture.jsonl', format: 'json', table: 'raw.customers' }
  const report = await ingestFile(lake, catalog, pipelineWith(source), source)
  assert.equal(report.rows, 2)
  assert.equal(report.tombstones, 1)
  const rows = await query(
    `SELECT _partition, _offset, _key, _headers['trace'] AS trace, name, _tombstone, _timestamp FROM raw.customers ORDER BY _partition, _offset`,
  )
  assert.deepEqual(rows, [
    { _partition: 0, _offset: 10, _key: 'c1', trace: 'abc', name: 'Ada', _tombstone: false, _timestamp: new Date(1764000000010).toISOString() },
    { _partition: 0, _offset: 11, _key: 'c1', trace: null, name: null, _tombstone: true, _timestamp: new Date(1764000000011).toISOString() },
    { _partition: 1, _offset: 7, _key: 'c2', trace: null, name: 'Bob', _tombstone: false, _timestamp: new Date(1764000000007).toISOString() },
  ])
  const snapshot = await lake.snapshot(catalog.pathOf('raw.customers'))
  assert.equal(snapshot.txns.get(offsetAppId('customers', 'customers', 0))?.version, 11)
  assert.equal(snapshot.txns.get(offsetAppId('customers', 'customers', 1))?.version, 7)
})

test('a batch closes at batch.maxBytes of values as well as at maxMessages', async () => {
  const file = path.join(dir, 'large.ndjson')
  const blob = 'y'.repeat(100_000)
  writeFileSync(file, Array.from({ length: 10 }, (_, i) => JSON.stringify({ id: i, blob })).join('\n') + '\n')
  // Three values pass 250,000 bytes: batches of 3, 3, 3 and 1.
  const source: SourceSpec = { name: 'large', file: 'large.ndjson', format: 'json', table: 'raw.large', batch: { maxMessages: 100, maxBytes: 250_000 } }
  const report = await ingestFile(lake, catalog, pipelineWith(source), source)
  assert.deepEqual({ rows: report.rows, batches: report.batches }, { rows: 10, batches: 4 })
  assert.equal((await lake.snapshot(catalog.pathOf('raw.large'))).version, 3, 'one commit a batch')
})

test('batch files a killed job left in the temp folder are removed when they are old', async () => {
  const { utimesSync, existsSync } = await import('node:fs')
  const old = path.join(os.tmpdir(), 'lakehouse-batch-left-by-a-killed-job.ndjson')
  const fresh = path.join(os.tmpdir(), 'lakehouse-batch-of-a-running-job.ndjson')
  writeFileSync(old, '{}\n')
  writeFileSync(fresh, '{}\n')
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000)
  utimesSync(old, twoHoursAgo, twoHoursAgo)
  const file = path.join(dir, 'one.ndjson')
  writeFileSync(file, JSON.stringify({ id: 1 }) + '\n')
  const source: SourceSpec = { name: 'one', file: 'one.ndjson', format: 'json', table: 'raw.one' }
  // The test file's earlier ingests already ran the once-per-process cleanup: use a fresh process.
  const { spawnSync } = await import('node:child_process')
  const script = `import { LakeEngine } from './src/engine/index.ts'; import { LakeCatalog } from './src/query/index.ts'; import { ingestFile } from './src/pipeline/ingest-file.ts';
    const lake = new LakeEngine(); const p = ${JSON.stringify(pipelineWith(source))}; await ingestFile(lake, new LakeCatalog(p.lakeDir, lake.io.storage), p, p.sources[0]); await lake.close()`
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
  })
  assert.equal(run.status, 0, run.stderr)
  assert.ok(!existsSync(old), 'the old batch file is gone')
  assert.ok(existsSync(fresh), 'a fresh one (a running job) stays')
  rmSync(fresh, { force: true })
})
