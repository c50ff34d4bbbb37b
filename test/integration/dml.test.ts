/**
 * MERGE, UPDATE and DELETE on real tables: the rows, the files rewritten, the change data files
 * written, and the change feed that comes out, checked row by row.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { commit } from '../../src/delta/commit'
import { dropScan } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'
import { merge } from '../../src/table/merge'
import { deleteRows, update } from '../../src/table/update-delete'
import { rejectsWithDeltaError } from '../helpers/assertions'
import { readCommitFile } from '../helpers/delta-log'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('dml')

// Copy-on-write: these tests keep deletion vectors off (test/integration/deletion-vectors-write.test.ts has merge-on-read).
const CDF = { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': 'false' }

/** Rows as text lines, sorted as strings (order-insensitive comparisons). */
async function rows(sql: string): Promise<string[]> {
  const db = await lake.duckdb()
  return (await db.rows(sql))
    .map((r) =>
      Object.values(r)
        .map((v) => (v === null ? 'NULL' : String(v)))
        .join(','),
    )
    .sort()
}

async function tableRows(table: string, version?: number): Promise<string[]> {
  const scan = await lake.scan(table, version === undefined ? {} : { version })
  try {
    return await rows(`SELECT * FROM ${scan.sql}`)
  } finally {
    await dropScan(await lake.duckdb(), scan)
  }
}

async function changeRows(table: string, startVersion: number, endVersion?: number): Promise<string[]> {
  const feed = await lake.changes(table, { startVersion, endVersion })
  try {
    const db = await lake.duckdb()
    const columns = (await db.describe(`SELECT * FROM ${feed.sql}`)).map((c) => c.name).filter((c) => c !== '_commit_timestamp')
    return await rows(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${feed.sql}`)
  } finally {
    await dropScan(await lake.duckdb(), feed)
  }
}

/** A table with one file per id range of 10: ids 0..49 in 5 files, grp = id % 2. */
async function tenPerFile(properties: Record<string, string> = CDF, partitionColumns: string[] = []) {
  const table = freshTable()
  for (let f = 0; f < 5; f++) {
    await appendQuery(lake, table, `SELECT i::BIGINT AS id, (i % 2)::INTEGER AS grp, 'v' || i AS v FROM range(${f * 10}, ${f * 10 + 10}) t(i)`, {
      create: { properties, partitionColumns },
    })
  }
  return table
}

function commitActions(table: string, version: number) {
  return readCommitFile(table, version).actions as Record<string, Record<string, unknown>>[]
}

test('MERGE upserts and deletes by key, rewriting only the file that holds changed rows', async () => {
  const table = await tenPerFile()
  const result = await merge(
    lake,
    table,
    `SELECT * FROM (VALUES (12, 0, 'changed', 'u'), (13, 1, 'v13', 'u'), (15, 1, NULL, 'd'), (100, 0, 'new', 'u')) s(id, grp, v, op)`,
    {
      on: 't.id = s.id',
      whenMatchedDelete: { condition: "s.op = 'd'" },
      whenMatchedUpdate: { set: { v: 's.v' } },
      whenNotMatchedInsert: { values: '*' },
    },
  )
  assert.equal(result.version, 5)
  assert.deepEqual(
    { ...result.metrics },
    { filesRead: 1, rowsInserted: 1, rowsUpdated: 1, rowsDeleted: 1, rowsCopied: 8, rowsUnchanged: 1, filesRemoved: 1, filesAdded: 1, changeDataFiles: 1 },
    'ids 10..19 live in one file, the only one holding a source key; 13 is updated to its own value (a no-op); copies and the insert share one new file',
  )
  const after = await tableRows(table)
  assert.equal(after.length, 50)
  assert.ok(after.includes('12,0,changed') && after.includes('100,0,new') && !after.some((r) => r.startsWith('15,')))
  assert.deepEqual(await changeRows(table, 5), ['100,0,new,insert,5', '12,0,changed,update_postimage,5', '12,0,v12,update_preimage,5', '15,1,v15,delete,5'])
  const actions = commitActions(table, 5)
  const info = actions[0].commitInfo
  assert.equal(info.operation, 'MERGE')
  assert.equal((info.operationMetrics as Record<string, string>).numTargetRowsUpdated, '1')
  assert.equal((info.operationMetrics as Record<string, string>).numSourceRows, '4')
  const cdc = actions.filter((a) => 'cdc' in a).map((a) => a.cdc)
  assert.equal(cdc.length, 1)
  assert.match(String(cdc[0].path), /^_change_data\/cdc-/)
  assert.equal(cdc[0].dataChange, false)
  assert.ok(existsSync(path.join(table, String(cdc[0].path))))
})

test('an update that changes no value rewrites nothing and writes no change rows', async () => {
  const table = await tenPerFile()
  const result = await merge(lake, table, `SELECT 21 AS id, 'v21' AS v`, { on: 't.id = s.id', whenMatchedUpdate: { set: '*' } })
  assert.equal(result.version, undefined, 'nothing to commit')
  assert.equal(result.metrics.rowsUnchanged, 1)
  const noop = await update(lake, table, 'id < 5', { v: 't.v' })
  assert.equal(noop.version, undefined)
  assert.equal((await lake.snapshot(table)).version, 4)
})

test('MERGE reads a source that names a DuckDB table in place: the same result as its query, and the table is left as it was', async () => {
  const db = await lake.duckdb()
  await db.run(
    `CREATE OR REPLACE TEMP TABLE dml_source AS SELECT * FROM (VALUES (12, 0, 'changed', 'u'), (15, 1, NULL, 'd'), (100, 0, 'new', 'u')) s(id, grp, v, op)`,
  )
  const clauses = {
    on: 't.id = s.id',
    whenMatchedDelete: { condition: "s.op = 'd'" },
    whenMatchedUpdate: { set: { v: 's.v' } },
    whenNotMatchedInsert: { values: '*' as const },
  }
  const byName = await tenPerFile()
  const byQuery = await tenPerFile()
  const named = await merge(lake, byName, 'dml_source', clauses)
  const queried = await merge(lake, byQuery, 'SELECT * FROM (SELECT * FROM dml_source)', clauses)
  assert.deepEqual(named.metrics, queried.metrics)
  assert.deepEqual(await tableRows(byName), await tableRows(byQuery))
  assert.deepEqual(await changeRows(byName, 5), await changeRows(byQuery, 5))
  await merge(lake, byName, 'SELECT * FROM "dml_source"', clauses)
  assert.deepEqual(await rows('SELECT * FROM dml_source'), ['100,0,new,u', '12,0,changed,u', '15,1,NULL,d'], 'the source table is neither dropped nor changed')
  await db.run('DROP TABLE dml_source')
})

test('the change feed comes out in version order, change data files and appends interleaved, without a sort', async () => {
  const table = freshTable()
  const db = await lake.duckdb()
  // Enough rows per version that DuckDB reads them with several threads.
  for (let v = 0; v < 6; v++) {
    if (v % 2 === 0) {
      await appendQuery(lake, table, `SELECT i::BIGINT AS id, 'v' || i AS v FROM range(${v * 100_000}, ${v * 100_000 + 100_000}) t(i)`, {
        create: { properties: CDF },
      })
    } else {
      await update(lake, table, `id % 3 = ${v % 3}`, { v: `t.v || '-${v}'` })
    }
  }
  const feed = await lake.changes(table, { startVersion: 0 })
  try {
    const versions = (await db.connection.runAndReadAll(`SELECT _commit_version FROM ${feed.sql}`)).getColumns()[0].map(Number)
    assert.ok(versions.length > 600_000)
    assert.equal(
      versions.findIndex((v, i) => i > 0 && v < versions[i - 1]),
      -1,
      'no row of a version comes after a later version',
    )
    assert.deepEqual([...new Set(versions)], [0, 1, 2, 3, 4, 5])
    const [counts] =
      await db.rows(`SELECT count(*) FILTER (WHERE _change_type = 'insert') AS inserts, count(*) FILTER (WHERE _change_type = 'update_preimage') AS pre,
      count(*) FILTER (WHERE _change_type IS NULL) AS untyped FROM ${feed.sql}`)
    assert.equal(Number(counts.untyped), 0)
    assert.equal(Number(counts.inserts), 300_000)
    assert.equal(Number(counts.pre), Number((await db.rows(`SELECT count(*) AS n FROM ${feed.sql} WHERE _change_type = 'update_postimage'`))[0].n))
  } finally {
    await dropScan(db, feed)
  }
})

test('MERGE refuses two source rows for one target row, naming the row, and commits nothing', async () => {
  const table = await tenPerFile()
  await rejectsWithDeltaError(
    merge(lake, table, `SELECT 7 AS id, 'a' AS v UNION ALL SELECT 7, 'b'`, { on: 't.id = s.id', whenMatchedUpdate: { set: { v: 's.v' } } }),
    'INVALID_ARGUMENT',
    '"id":7',
    'with 2 source rows',
  )
  assert.equal((await lake.snapshot(table)).version, 4)
  // Several source rows that only insert are fine.
  const inserted = await merge(lake, table, `SELECT 500 AS id, 1 AS grp, 'x' AS v UNION ALL SELECT 501, 1, 'y'`, {
    on: 't.id = s.id',
    whenNotMatchedInsert: { values: '*' },
  })
  assert.equal(inserted.metrics.rowsInserted, 2)
})

test('MERGE reads only files whose key statistics overlap the source keys', async () => {
  const table = await tenPerFile()
  const result = await merge(lake, table, `SELECT 31 AS id, 'x' AS v UNION ALL SELECT 33, 'y'`, { on: 't.id = s.id', whenMatchedUpdate: { set: { v: 's.v' } } })
  assert.equal(result.metrics.filesRead, 1)
  assert.equal(result.metrics.filesRemoved, 1)
  // An OR in the condition could match anywhere: every file is read.
  const wide = await merge(lake, table, `SELECT 31 AS id, 'z' AS v`, { on: 't.id = s.id OR t.v = s.v', whenMatchedUpdate: { set: { v: 's.v' } } })
  assert.equal(wide.metrics.filesRead, 5)
})

test('insert-only MERGE writes no change data files; the feed derives inserts from the adds', async () => {
  const table = await tenPerFile()
  const result = await merge(lake, table, `SELECT 200 AS id, 0 AS grp, 'n' AS v`, { on: 't.id = s.id', whenNotMatchedInsert: { values: '*' } })
  assert.equal(result.metrics.changeDataFiles, 0)
  assert.ok(!commitActions(table, result.version!).some((a) => 'cdc' in a))
  assert.deepEqual(await changeRows(table, result.version!), [`200,0,n,insert,${result.version}`])
})

test('a batch replayed with the same txn version is skipped; a newer one applies', async () => {
  const table = await tenPerFile()
  const batch = (v: string) => `SELECT 1 AS id, '${v}' AS v`
  const options = { on: 't.id = s.id', whenMatchedUpdate: { set: { v: 's.v' } } }
  const first = await merge(lake, table, batch('first'), { ...options, txn: { appId: 'flow-a', version: 5 } })
  assert.equal(first.version, 5)
  const replay = await merge(lake, table, batch('replayed'), { ...options, txn: { appId: 'flow-a', version: 5 } })
  assert.equal(replay.alreadyApplied, true)
  assert.equal((await lake.snapshot(table)).version, 5)
  assert.ok((await tableRows(table)).includes('1,1,first'))
  const next = await merge(lake, table, batch('next'), { ...options, txn: { appId: 'flow-a', version: 6 } })
  assert.equal(next.version, 6)
  assert.equal((await lake.snapshot(table)).txns.get('flow-a')?.version, 6)
  // A txn is recorded even when the batch changes nothing, so progress is not replayed.
  const empty = await merge(lake, table, batch('next'), { ...options, txn: { appId: 'flow-a', version: 7 } })
  assert.equal(empty.version, 7)
})

test('MERGE with WHEN NOT MATCHED BY SOURCE DELETE replaces the table in one commit (a truncate, a full refresh)', async () => {
  const table = await tenPerFile()
  const result = await merge(lake, table, `SELECT * FROM (VALUES (3, 1, 'kept-changed'), (77, 1, 'new')) s(id, grp, v)`, {
    on: 't.id = s.id',
    whenMatchedUpdate: { set: '*' },
    whenNotMatchedInsert: { values: '*' },
    whenNotMatchedBySource: { delete: true },
  })
  assert.deepEqual(await tableRows(table), ['3,1,kept-changed', '77,1,new'])
  assert.equal(result.metrics.rowsDeleted, 49)
  assert.equal(result.metrics.filesRemoved, 5)
  const feed = await changeRows(table, result.version!)
  assert.equal(feed.filter((r) => r.includes(',delete,')).length, 49)
  assert.ok(feed.includes(`3,1,v3,update_preimage,${result.version}`) && feed.includes(`77,1,new,insert,${result.version}`))
  const operation = commitActions(table, result.version!).find((a) => 'commitInfo' in a)!.commitInfo as Record<string, Record<string, string>>
  assert.match(operation.operationParameters.notMatchedBySourcePredicates, /"actionType":"delete"/)
})

test("MERGE with schemaMode evolve adds the source's new columns; a type conflict names the column and both types", async () => {
  const table = await tenPerFile()
  const result = await merge(lake, table, `SELECT 5::BIGINT AS id, 'x' AS v, 'gold' AS tier`, {
    on: 't.id = s.id',
    whenMatchedUpdate: { set: '*' },
    schemaMode: 'evolve',
  })
  assert.deepEqual(
    (await lake.snapshot(table)).schema.fields.map((f) => f.name),
    ['id', 'grp', 'v', 'tier'],
  )
  assert.ok((await tableRows(table)).includes('5,1,x,gold'))
  assert.ok((await tableRows(table)).includes('6,0,v6,NULL'))
  assert.ok(commitActions(table, result.version!).some((a) => 'metaData' in a))
  await assert.rejects(
    merge(lake, table, `SELECT 5::BIGINT AS id, 'not a number' AS grp`, { on: 't.id = s.id', whenMatchedUpdate: { set: '*' }, schemaMode: 'evolve' }),
    /column 'grp' has type integer in the table but string in the data/,
  )
})

test('UPDATE and DELETE with predicates, partition pruning and change rows', async () => {
  const table = await tenPerFile(CDF, ['grp'])
  const updated = await update(lake, table, 'grp = 1 AND id < 10', { v: "t.v || '!'" })
  assert.equal(updated.metrics.rowsUpdated, 5)
  assert.equal(updated.metrics.filesRead, 5, 'only the grp=1 files of the 10 are read')
  assert.deepEqual(
    await changeRows(table, updated.version!),
    [...[1, 3, 5, 7, 9].flatMap((id) => [`${id},1,v${id}!,update_postimage,5`, `${id},1,v${id},update_preimage,5`])].sort(),
  )
  const deleted = await deleteRows(lake, table, 'grp = 0')
  assert.equal(deleted.metrics.rowsDeleted, 25)
  assert.equal(deleted.metrics.filesAdded, 0, 'whole files go: nothing to copy')
  assert.equal((await tableRows(table)).length, 25)
  assert.equal((await changeRows(table, deleted.version!)).length, 25)
  const all = await deleteRows(lake, table, undefined)
  assert.equal(all.metrics.rowsDeleted, 25)
  assert.deepEqual(await tableRows(table), [])
  await rejectsWithDeltaError(update(lake, table, undefined, { nope: '1' }), 'INVALID_ARGUMENT', "'nope'")
})

test('without the change data feed no change files are written and reading the feed is refused', async () => {
  const table = await tenPerFile({})
  const result = await update(lake, table, 'id = 3', { v: "'three'" })
  assert.equal(result.metrics.changeDataFiles, 0)
  assert.ok(!existsSync(path.join(table, '_change_data')))
  await rejectsWithDeltaError(lake.changes(table, { startVersion: result.version! }), 'INVALID_ARGUMENT', 'not enabled')
})

test('append-only tables refuse DELETE; a MERGE that read files another writer changed conflicts', async () => {
  const appendOnly = await tenPerFile({ 'delta.appendOnly': 'true' })
  await rejectsWithDeltaError(deleteRows(lake, appendOnly, 'id = 1'), 'INVALID_ARGUMENT', 'append-only')
  const table = await tenPerFile()
  const stale = await lake.snapshot(table)
  await update(lake, table, 'id = 1', { v: "'winner'" })
  await rejectsWithDeltaError(
    merge(lake, table, `SELECT 2 AS id, 'loser' AS v`, { on: 't.id = s.id', whenMatchedUpdate: { set: { v: 's.v' } }, snapshot: stale }),
    'COMMIT_CONFLICT',
  )
  assert.ok((await tableRows(table)).includes('1,1,winner'))
  assert.ok(!(await tableRows(table)).includes('2,0,loser'))
  void commit
})

test('rewritten files land in their partitions and change data files mirror the partitioning', async () => {
  const table = await tenPerFile(CDF, ['grp'])
  await merge(lake, table, `SELECT 4 AS id, 'four' AS v UNION ALL SELECT 5, 'five'`, { on: 't.id = s.id', whenMatchedUpdate: { set: { v: 's.v' } } })
  const changeDirs = readdirSync(path.join(table, '_change_data')).sort()
  assert.deepEqual(changeDirs, ['grp=0', 'grp=1'])
  const snapshot = await lake.snapshot(table)
  for (const { add } of snapshot.files) assert.ok(add.path.startsWith(`grp=${add.partitionValues.grp}/`), add.path)
})
