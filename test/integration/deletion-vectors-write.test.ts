/**
 * Merge-on-read with deletion vectors: UPDATE, DELETE and MERGE on tables with
 * delta.enableDeletionVectors mark rows instead of rewriting files. Checked here, beside the
 * change-feed property test (which runs every DML path with DVs on and off against one model):
 * the log's shape (the same path removed and re-added with a DV, only new rows written, stats
 * numRecords and tightBounds), a file through many DV generations, tables created before (DVs
 * off) keep copy-on-write, concurrent writers marking one file conflict, OPTIMIZE purges and
 * VACUUM collects DV files, a table delta-kernel-rs wrote with DVs takes our DVs on top, and the
 * SQL forms (REORG TABLE … APPLY (PURGE), SET TBLPROPERTIES delta.enableDeletionVectors).
 * Every table ends with the protocol check (test/helpers/protocol-check.ts).
 */
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { dropScan } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'
import { merge } from '../../src/table/merge'
import { optimize } from '../../src/table/optimize'
import { deleteRows, update } from '../../src/table/update-delete'
import { vacuum } from '../../src/table/vacuum'
import { rejectsWithDeltaError } from '../helpers/assertions'
import { readCommitFile } from '../helpers/delta-log'
import { checkTableAgainstProtocol } from '../helpers/protocol-check'
import { conformanceTable } from '../helpers/conformance'
import { scanRows, versionChangeRows } from '../helpers/table-rows'
import { tempLake } from '../helpers/temp-lake'
import { runScript } from '../../src/query'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('dv-write')

const DV_TABLE = conformanceTable('2-delta-tables/delta-kernel-rs/table-with-dv-small')
const CDF = { 'delta.enableChangeDataFeed': 'true' }

async function rows(table: string, version?: number): Promise<string[]> {
  return (await scanRows(lake, table, (from) => `SELECT id, v FROM ${from} ORDER BY id`, { version })).map((r) => `${r.id}:${r.v}`)
}

async function feed(table: string, version: number): Promise<string[]> {
  return (await versionChangeRows(lake, table, version, (from) => `SELECT id, v, _change_type FROM ${from} ORDER BY id, _change_type`)).map(
    (r) => `${r.id}:${r.v}:${r._change_type}`,
  )
}

type Actions = Record<string, Record<string, unknown>>[]
const actionsOf = (table: string, version: number) => readCommitFile(table, version).actions as Actions
const dataFiles = (table: string) =>
  readdirSync(table)
    .filter((f) => f.endsWith('.parquet'))
    .sort()
const dvFiles = (table: string) =>
  readdirSync(table)
    .filter((f) => f.startsWith('deletion_vector_'))
    .sort()

/** 1,000 rows in one file: id 0..999, v 'v<id>'. */
async function oneFile(properties: Record<string, string> = CDF): Promise<string> {
  const table = freshTable()
  await appendQuery(lake, table, `SELECT i::BIGINT AS id, 'v' || i AS v FROM range(1000) t(i)`, { create: { properties } })
  return table
}

test('UPDATE, DELETE and MERGE mark rows in the file they were in and write only the new rows; the feed is the same as copy-on-write', async () => {
  const onDv = await oneFile()
  const offDv = await oneFile({ ...CDF, 'delta.enableDeletionVectors': 'false' })
  const original = dataFiles(onDv)
  const operations = [
    (t: string) => update(lake, t, 'id % 10 = 0', { v: "v || '!'" }),
    (t: string) => deleteRows(lake, t, 'id BETWEEN 500 AND 520'),
    (t: string) =>
      merge(lake, t, `SELECT * FROM (VALUES (1, 'm1'), (2, 'v2'), (3, NULL), (2000, 'new')) s(id, v)`, {
        on: 't.id = s.id',
        whenMatchedDelete: { condition: 's.v IS NULL' },
        whenMatchedUpdate: { set: '*' },
        whenNotMatchedInsert: { values: '*' },
      }),
  ]
  for (const [i, operation] of operations.entries()) {
    const version = i + 1
    const [withDv, without] = [await operation(onDv), await operation(offDv)]
    assert.equal(withDv.version, version)
    assert.deepEqual(
      { ...withDv.metrics, filesRead: 0, rowsCopied: 0, filesRemoved: 0, filesAdded: 0, deletionVectorsAdded: undefined, deletionVectorsRemoved: undefined },
      { ...without.metrics, filesRead: 0, rowsCopied: 0, filesRemoved: 0, filesAdded: 0, deletionVectorsAdded: undefined, deletionVectorsRemoved: undefined },
      `v${version}: the same row counts`,
    )
    assert.equal(withDv.metrics.rowsCopied, 0, `v${version}: nothing copied`)
    assert.ok(without.metrics.rowsCopied > 800, `v${version}: copy-on-write copies the rest of the file`)
    assert.deepEqual(await rows(onDv), await rows(offDv), `v${version}: the same rows`)
    assert.deepEqual(await feed(onDv, version), await feed(offDv, version), `v${version}: the same change feed`)
    // The original file is removed with its old DV and added again with the new one.
    const actions = actionsOf(onDv, version)
    const originalPath = original[0]
    const removed = actions.filter((a) => 'remove' in a).map((a) => String(a.remove.path))
    const readded = actions.filter((a) => 'add' in a && removed.includes(String(a.add.path))).map((a) => a.add)
    assert.ok(removed.includes(originalPath))
    assert.deepEqual(readded.map((a) => a.path).sort(), removed.sort(), `v${version}: every marked file is added again with its DV`)
    assert.ok(readded.every((a) => a.deletionVector))
    const stats = JSON.parse(String(readded.find((a) => a.path === originalPath)!.stats))
    assert.equal(stats.numRecords, 1000, 'numRecords stays the physical row count')
    assert.equal(stats.tightBounds, false)
    // New files hold only the new rows (updates' new values and inserts).
    const written = actions.filter((a) => 'add' in a && !removed.includes(String(a.add.path))).map((a) => JSON.parse(String(a.add.stats)).numRecords as number)
    assert.equal(
      written.reduce((s, n) => s + n, 0),
      withDv.metrics.rowsUpdated + withDv.metrics.rowsInserted,
    )
  }
  const marks = actionsOf(onDv, 3).find((a) => 'add' in a && a.add.path === original[0])!.add.deletionVector as { cardinality: number; storageType: string }
  assert.equal(
    marks.cardinality,
    100 + 18 + 2,
    "updated ids 0,10,…,990; deleted 500..520 but 500, 510 and 520 (their new values live in the update's file); then 1 and 3 (2 was a no-op)",
  )
  assert.equal(marks.storageType, 'u', 'a DV of this size lives in a DV file')
  await checkTableAgainstProtocol(lake, onDv)
  await checkTableAgainstProtocol(lake, offDv)
})

test('one file through 40 DV generations, inline then on disk: every version reads back, time travel included', async () => {
  const table = await oneFile()
  const expected: string[][] = [await rows(table)]
  for (let g = 1; g <= 40; g++) {
    // A row deleted and one updated per generation; later generations delete runs of rows.
    const result =
      g <= 20 ? await deleteRows(lake, table, `id = ${g * 7}`) : await update(lake, table, `id BETWEEN ${g * 20} AND ${g * 20 + 9}`, { v: `'g${g}'` })
    assert.equal(result.version, g)
    expected.push(await rows(table))
  }
  const storage = (version: number) =>
    (
      actionsOf(table, version).find((a) => 'add' in a && (a.add.deletionVector as { storageType?: string })?.storageType)!.add.deletionVector as {
        storageType: string
      }
    ).storageType
  assert.equal(storage(1), 'i', 'one deleted row: inline')
  assert.equal(storage(40), 'u', 'hundreds of marked rows: a DV file')
  const files = (await lake.snapshot(table)).files
  assert.equal(files.length, 21, 'the original file and one file per update')
  assert.equal(files.filter((f) => f.add.deletionVector).length, 1, 'only the original file has marks')
  for (let v = 0; v <= 40; v += 5) assert.deepEqual(await rows(table, v), expected[v], `version ${v}`)
  assert.equal(expected[40].length, 1000 - 20)
  await checkTableAgainstProtocol(lake, table)
})

test('a table created with deletion vectors off keeps copy-on-write', async () => {
  const table = await oneFile({ 'delta.enableDeletionVectors': 'false' })
  const before = dataFiles(table)
  const result = await deleteRows(lake, table, 'id = 1')
  assert.equal(result.metrics.rowsCopied, 999, 'the file was rewritten')
  assert.deepEqual(
    actionsOf(table, 1)
      .filter((a) => 'remove' in a)
      .map((a) => a.remove.path),
    before,
  )
  assert.equal(
    actionsOf(table, 1).some((a) => 'add' in a && a.add.deletionVector),
    false,
  )
  assert.equal(dvFiles(table).length, 0)
})

test("two writers marking rows of the same file: the second conflicts, and the first one's marks stand", async () => {
  const table = await oneFile()
  const stale = await lake.snapshot(table)
  await deleteRows(lake, table, 'id = 10')
  await rejectsWithDeltaError(update(lake, table, 'id = 20', { v: "'loser'" }, { snapshot: stale }), 'COMMIT_CONFLICT')
  await rejectsWithDeltaError(deleteRows(lake, table, 'id = 30', { snapshot: stale }), 'COMMIT_CONFLICT')
  const now = await rows(table)
  assert.equal(now.length, 999)
  assert.ok(!now.includes('10:v10') && now.includes('20:v20') && now.includes('30:v30'))
})

test('OPTIMIZE purges deletion vectors; VACUUM then deletes the DV files no version still needs', async () => {
  const table = await oneFile()
  await update(lake, table, 'id < 300', { v: "'x'" })
  await deleteRows(lake, table, 'id % 3 = 0')
  const dvs = dvFiles(table)
  assert.ok(dvs.length >= 1, 'DV files were written')
  const expected = await rows(table)
  const optimized = await optimize(lake, table)
  assert.ok(optimized.version !== undefined)
  const snapshot = await lake.snapshot(table)
  assert.ok(
    snapshot.files.every((f) => !f.add.deletionVector),
    'no DV left',
  )
  assert.deepEqual(await rows(table), expected)
  const stats = snapshot.files.map((f) => JSON.parse(f.add.stats!))
  assert.equal(
    stats.reduce((s, st) => s + st.numRecords, 0),
    expected.length,
    'the rewritten files hold only the live rows',
  )
  await checkTableAgainstProtocol(lake, table)
  // Kept while a remembered version needs them…
  await vacuum(lake, table)
  assert.deepEqual(dvFiles(table), dvs)
  // …deleted with the removed files once retention allows.
  const result = await vacuum(lake, table, { retentionHours: 0, force: true })
  assert.deepEqual(dvFiles(table), [])
  for (const dv of dvs)
    assert.ok(
      result.filesDeleted.some((f) => f.endsWith(dv)),
      `${dv} reported deleted`,
    )
  assert.deepEqual(await rows(table), expected)
})

test('a table delta-kernel-rs wrote with a deletion vector: our DELETE adds to its marks, and OPTIMIZE purges them', async () => {
  const table = path.join(path.dirname(freshTable()), 'kernel-dv')
  cpSync(DV_TABLE, table, { recursive: true })
  const db = await lake.duckdb()
  const values = async () => {
    const scan = await lake.scan(table)
    try {
      return (await db.rows(`SELECT * FROM ${scan.sql}`)).map((r) => Number(Object.values(r)[0])).sort((a, b) => a - b)
    } finally {
      await dropScan(db, scan)
    }
  }
  const before = await values()
  assert.deepEqual(before, [1, 2, 3, 4, 5, 6, 7, 8], 'the DV hides rows 0 and 9')
  const snapshot = await lake.snapshot(table)
  const column = snapshot.schema.fields[0].name
  const result = await deleteRows(lake, table, `"${column}" IN (2, 5)`)
  assert.equal(result.metrics.rowsDeleted, 2)
  const dv = actionsOf(table, result.version!).find((a) => 'add' in a)!.add.deletionVector as { cardinality: number }
  assert.equal(dv.cardinality, 4, 'the old marks (rows 0 and 9) and the new ones')
  assert.deepEqual(await values(), [1, 3, 4, 6, 7, 8])
  await optimize(lake, table)
  assert.deepEqual(await values(), [1, 3, 4, 6, 7, 8])
  assert.ok(existsSync(path.join(table, '_delta_log')))
})

test('SQL: DELETE marks rows; REORG TABLE … APPLY (PURGE) rewrites only the files with DVs; SET TBLPROPERTIES turns DVs on for an older table', async () => {
  const { lake: sqlLake, catalog, lakeDir } = tempLake('dv-sql')
  mkdirSync(lakeDir, { recursive: true })
  const run = async (sql: string) => (await runScript(sqlLake, catalog, sql)).at(-1)!
  await run(`CREATE TABLE s.t (id BIGINT, v STRING, p INT) PARTITIONED BY (p);
    INSERT INTO s.t SELECT range, 'v' || range, (range % 2)::INT FROM range(100);
    DELETE FROM s.t WHERE id % 10 = 0 AND p = 0`)
  const table = catalog.pathOf('s.t')
  const before = await sqlLake.snapshot(table)
  assert.equal(before.files.filter((f) => f.add.deletionVector).length, 1, 'the p=0 file has a DV; the p=1 file none')
  const kept = before.files.find((f) => !f.add.deletionVector)!.path
  await run('REORG TABLE s.t APPLY (PURGE)')
  const after = await sqlLake.snapshot(table)
  const info = readCommitFile(table, after.version).actions.find((a) => 'commitInfo' in a)!.commitInfo as {
    operation: string
    operationParameters: Record<string, string>
  }
  assert.equal(info.operation, 'REORG')
  assert.equal(info.operationParameters.applyPurge, 'true')
  assert.ok(after.files.every((f) => !f.add.deletionVector))
  assert.ok(
    after.files.some((f) => f.path === kept),
    'the file without a DV was left alone',
  )
  assert.deepEqual((await run('SELECT count(*) AS n FROM s.t')).rows, [{ n: 90 }])
  await checkTableAgainstProtocol(sqlLake, table)

  sqlLake.newTableProperties = {}
  await run(`CREATE TABLE s.old (id BIGINT); INSERT INTO s.old SELECT range FROM range(50)`)
  const old = catalog.pathOf('s.old')
  assert.deepEqual((await sqlLake.snapshot(old)).protocol, { minReaderVersion: 1, minWriterVersion: 2 })
  await run(`ALTER TABLE s.old SET TBLPROPERTIES (delta.enableDeletionVectors = true); DELETE FROM s.old WHERE id < 3`)
  const upgraded = await sqlLake.snapshot(old)
  assert.deepEqual(upgraded.protocol, {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['deletionVectors'],
    writerFeatures: ['appendOnly', 'deletionVectors', 'invariants'],
  })
  assert.equal(upgraded.files.filter((f) => f.add.deletionVector).length, 1, 'the DELETE after the change marked rows')
  await checkTableAgainstProtocol(sqlLake, old)
})
