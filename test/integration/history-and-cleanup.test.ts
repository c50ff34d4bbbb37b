/**
 * History entries and log cleanup by retention, on real tables written to disk.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { readHistory } from '../../src/delta/history'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-history-'))
const lake = new LakeEngine()
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

test('history lists every commit newest first with operation, parameters, metrics and action counts', async () => {
  const table = path.join(dir, 'h')
  await appendQuery(lake, table, 'SELECT 1::BIGINT AS id', { create: { partitionColumns: [] } })
  await appendQuery(lake, table, 'SELECT i AS id FROM range(3) t(i)', { txns: [{ appId: 'app', version: 7 }] })
  const history = await readHistory(lake.io, table)
  assert.deepEqual(
    history.map((h) => h.version),
    [1, 0],
  )
  assert.equal(history[0].operation, 'WRITE')
  assert.equal(history[0].operationParameters.mode, 'Append')
  assert.equal(history[0].operationMetrics.numOutputRows, '3')
  assert.equal(history[0].readVersion, 0)
  assert.deepEqual(history[0].actionCounts, { txn: 1, add: 1 })
  assert.deepEqual(history[1].actionCounts, { protocol: 1, metaData: 1, add: 1 })
  assert.ok(history[0].timestamp > history[1].timestamp, 'commit timestamps increase')
  assert.equal((await readHistory(lake.io, table, { limit: 1 })).length, 1)
})

test('log cleanup deletes expired commits and checkpoints, keeping what the oldest kept checkpoint needs', async () => {
  const table = path.join(dir, 'c')
  const properties = { 'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 1 days' }
  await appendQuery(lake, table, 'SELECT 0 AS id', { create: { properties } })
  for (let v = 1; v <= 4; v++) await appendQuery(lake, table, `SELECT ${v} AS id`)
  const log = path.join(table, '_delta_log')
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000)
  for (const name of readdirSync(log)) {
    const version = /^(\d{20})\./.exec(name)
    if (version && Number(version[1]) <= 4) utimesSync(path.join(log, name), twoDaysAgo, twoDaysAgo)
  }
  await appendQuery(lake, table, 'SELECT 5 AS id')
  const result = await appendQuery(lake, table, 'SELECT 6 AS id')
  assert.equal(result.version, 6)
  assert.equal(result.checkpointed, true)
  const left = readdirSync(log)
    .filter((n) => /^\d{20}\./.test(n))
    .sort()
  assert.deepEqual(left, [
    '00000000000000000004.checkpoint.parquet',
    '00000000000000000004.json',
    '00000000000000000005.json',
    '00000000000000000006.checkpoint.parquet',
    '00000000000000000006.json',
  ])
  const latest = await lake.snapshot(table)
  assert.equal(latest.version, 6)
  assert.equal(latest.files.length, 7, 'no data was lost with the log files')
  assert.equal((await lake.snapshot(table, { version: 4 })).files.length, 5)
  await assert.rejects(
    lake.snapshot(table, { version: 3 }),
    (e: unknown) => e instanceof DeltaError && e.code === 'VERSION_NOT_FOUND' && e.message.includes('versions 4 to 6'),
  )
  assert.deepEqual(
    (await readHistory(lake.io, table)).map((h) => h.version),
    [6, 5, 4],
  )
})

test('with cleanup disabled, expired log files stay', async () => {
  const table = path.join(dir, 'keep')
  const properties = { 'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 1 days', 'delta.enableExpiredLogCleanup': 'false' }
  await appendQuery(lake, table, 'SELECT 0 AS id', { create: { properties } })
  for (let v = 1; v <= 3; v++) await appendQuery(lake, table, `SELECT ${v} AS id`)
  const log = path.join(table, '_delta_log')
  const old = new Date(Date.now() - 3 * 86_400_000)
  for (const name of readdirSync(log)) if (/^\d{20}\./.test(name)) utimesSync(path.join(log, name), old, old)
  await appendQuery(lake, table, 'SELECT 4 AS id')
  assert.ok(readdirSync(log).includes('00000000000000000000.json'))
})
