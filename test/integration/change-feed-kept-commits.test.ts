/**
 * A change feed read again at the same latest snapshot takes the range's commits kept with that
 * snapshot instead of reading and parsing them again (src/delta/change-feed.ts). Checked: the
 * rows are the same as the first read's; a snapshot that is not the kept one (a copy, or the new
 * latest after a commit) reads the log again, which a deleted commit file proves: the kept
 * snapshot still plans without it, any other snapshot reports the version as no longer available.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import * as path from 'node:path'
import { test } from 'node:test'
import { planChangeFeed } from '../../src/delta/change-feed'
import { dropScan } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('cdf-kept-commits')

async function feedRows(table: string, startVersion: number) {
  const db = await lake.duckdb()
  const feed = await lake.changes(table, { startVersion })
  try {
    return await db.rows(`SELECT id, v, _change_type, _commit_version FROM ${feed.sql} ORDER BY _commit_version, id`)
  } finally {
    await dropScan(db, feed)
  }
}

test('a feed read again at the same snapshot gives the same rows; other snapshots read the log', async () => {
  const table = freshTable()
  await appendQuery(lake, table, `SELECT i::BIGINT AS id, 'a' || i AS v FROM range(3) t(i)`, {
    create: { properties: { 'delta.enableChangeDataFeed': 'true' } },
  })
  await appendQuery(lake, table, `SELECT (10 + i)::BIGINT AS id, 'b' || i AS v FROM range(2) t(i)`)
  const first = await feedRows(table, 0)
  assert.equal(first.length, 5)
  assert.deepEqual(await feedRows(table, 0), first)
  assert.deepEqual(await feedRows(table, 1), first.slice(3))

  const latest = await lake.snapshot(table)
  await rm(path.join(table, '_delta_log', '00000000000000000001.json'))
  // The snapshot the reads above kept their commits with plans without reading the log.
  const kept = await planChangeFeed(lake.io, table, { startVersion: 0 }, latest)
  assert.deepEqual(
    kept.dataFiles.map((f) => f.version),
    [0, 1],
  )
  // A copy of the same snapshot has nothing kept: the missing commit is reported.
  await assert.rejects(planChangeFeed(lake.io, table, { startVersion: 0 }, { ...latest }), (error: Error) => {
    assert.match(error.message, /change data of version 1 is no longer available/)
    return true
  })
})

test('after a new commit the feed reads the new latest snapshot’s log', async () => {
  const table = freshTable()
  // A checkpoint at version 2: the snapshot loads without commit 1, the feed from 0 needs it.
  await appendQuery(lake, table, `SELECT i::BIGINT AS id, 'a' || i AS v FROM range(2) t(i)`, {
    create: { properties: { 'delta.enableChangeDataFeed': 'true', 'delta.checkpointInterval': '2' } },
  })
  await appendQuery(lake, table, `SELECT 5::BIGINT AS id, 'b' AS v`)
  assert.equal((await feedRows(table, 0)).length, 3)
  await appendQuery(lake, table, `SELECT 6::BIGINT AS id, 'c' AS v`)
  assert.deepEqual(
    (await feedRows(table, 1)).map((r) => [r.id, r._commit_version]),
    [
      ['5', '1'],
      ['6', '2'],
    ],
  )
  await rm(path.join(table, '_delta_log', '00000000000000000001.json'))
  await appendQuery(lake, table, `SELECT 7::BIGINT AS id, 'd' AS v`)
  await assert.rejects(feedRows(table, 0), /change data of version 1 is no longer available/)
})
