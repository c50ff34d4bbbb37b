/**
 * OPTIMIZE (bin-packing compaction) and VACUUM on real tables written to temp dirs: the rows stay
 * the same, the log says dataChange=false, partitions stay apart, concurrent appends are absorbed
 * and concurrent removals conflict; VACUUM deletes exactly what no retained version needs and
 * nothing younger than the retention.
 */
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, test } from 'node:test'
import { removeFileFor } from '../../src/delta/actions'
import { commit } from '../../src/delta/commit'
import type { Snapshot } from '../../src/delta/snapshot'
import { dropScan } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'
import { optimize, planOptimize, tableTargetFileSize } from '../../src/table/optimize'
import { vacuum } from '../../src/table/vacuum'
import { rejectsWithDeltaError } from '../helpers/assertions'
import { conformanceTable } from '../helpers/conformance'
import { actionsOf, commitVersions, dataFilePath, listDataFiles, readCommitFile } from '../helpers/delta-log'
import { lakeFixture } from '../helpers/lake-fixture'

const DV_TABLE = conformanceTable('2-delta-tables/delta-kernel-rs/table-with-dv-small')
const HOUR = 3_600_000
const DAY = 24 * HOUR

const { lake, freshTable } = lakeFixture('optimize')

let saved = 0

/** Materialise a version's rows into a temp table, so later comparisons do not depend on the files. */
async function saveRows(table: string, version?: number): Promise<string> {
  const db = await lake.duckdb()
  const scan = await lake.scan(table, version === undefined ? {} : { version })
  const name = `saved_${++saved}`
  try {
    await db.run(`CREATE TEMP TABLE ${name} AS SELECT * FROM ${scan.sql}`)
  } finally {
    await dropScan(db, scan)
  }
  return name
}

async function count(sql: string): Promise<number> {
  const db = await lake.duckdb()
  return Number((await db.rows(`SELECT count(*) AS n FROM ${sql}`))[0].n)
}

/** Same multiset of rows, compared with EXCEPT ALL both ways. */
async function assertSameRows(a: string, b: string): Promise<void> {
  assert.equal(await count(`(SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`), 0, `rows of ${a} missing from ${b}`)
  assert.equal(await count(`(SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})`), 0, `rows of ${b} missing from ${a}`)
}

async function assertTableHasRows(table: string, expected: string): Promise<void> {
  const current = await saveRows(table)
  await assertSameRows(current, expected)
}

/** A table of `appends` small commits; rows of several types, some nulls. */
async function smallFilesTable(appends: number, properties: Record<string, string> = {}, partitioned = false): Promise<string> {
  const table = freshTable()
  for (let i = 0; i < appends; i++) {
    await appendQuery(
      lake,
      table,
      `SELECT (${i} * 100 + r)::BIGINT AS id, 'row ' || r AS name, CASE WHEN r % 3 = 0 THEN NULL ELSE r * 1.5 END::DOUBLE AS score,
              DATE '2024-01-01' + ${i}::INTEGER AS day, ['x', 'y'][1 + r % 2] AS p
       FROM range(5) t(r)`,
      i === 0 ? { create: { properties, partitionColumns: partitioned ? ['p'] : [] } } : {},
    )
  }
  return table
}

function relativePaths(table: string, files: string[]): string[] {
  return files.map((f) => path.relative(table, f).split(path.sep).join('/')).sort()
}

function setMtime(file: string, when: number): void {
  utimesSync(file, new Date(when), new Date(when))
}

describe('OPTIMIZE', () => {
  test('compacts small files into one, rows unchanged, dataChange=false, no change-feed rows, then has nothing to do', async () => {
    const table = await smallFilesTable(12, { 'delta.enableChangeDataFeed': 'true' })
    const before = await lake.snapshot(table)
    assert.equal(before.files.length, 12)
    const rowsBefore = await saveRows(table)

    const result = await optimize(lake, table)
    assert.equal(result.version, before.version + 1)
    assert.equal(result.filesRemoved, 12)
    assert.equal(result.filesAdded, 1)
    assert.equal(
      result.bytesRemoved,
      before.files.reduce((sum, f) => sum + f.add.size, 0),
    )

    const after = await lake.snapshot(table)
    assert.equal(after.files.length, 1)
    assert.equal(result.bytesAdded, after.files[0].add.size)
    assert.equal(JSON.parse(after.files[0].add.stats!).numRecords, 60)
    await assertTableHasRows(table, rowsBefore)

    const commitFile = readCommitFile(table, result.version!)
    const info = actionsOf([commitFile], 'commitInfo')[0]
    assert.equal(info.operation, 'OPTIMIZE')
    assert.deepEqual(info.operationParameters, { predicate: '[]', zOrderBy: '[]' })
    assert.equal(info.operationMetrics.numRemovedFiles, '12')
    assert.equal(info.operationMetrics.numAddedFiles, '1')
    assert.equal(info.operationMetrics.numRemovedBytes, String(result.bytesRemoved))
    assert.equal(info.operationMetrics.numAddedBytes, String(result.bytesAdded))
    assert.equal(info.isBlindAppend, false)
    const removes = actionsOf([commitFile], 'remove')
    const adds = actionsOf([commitFile], 'add')
    assert.equal(removes.length, 12)
    assert.equal(adds.length, 1)
    for (const action of [...removes, ...adds]) assert.equal(action.dataChange, false, JSON.stringify(action))
    const addsBefore = new Map(before.files.map((f) => [f.add.path, f.add]))
    for (const remove of removes) {
      const add = addsBefore.get(remove.path)
      assert.ok(add, `removed ${remove.path}, which was not live`)
      assert.equal(remove.extendedFileMetadata, true)
      assert.equal(remove.size, add.size)
      assert.equal(remove.stats, add.stats)
      assert.deepEqual(remove.partitionValues, {})
      assert.ok(typeof remove.deletionTimestamp === 'number' && remove.deletionTimestamp > 0)
    }

    const db = await lake.duckdb()
    const changes = await lake.changes(table, { startVersion: result.version })
    try {
      assert.equal(await count(changes.sql), 0, 'OPTIMIZE changes no rows')
    } finally {
      await dropScan(db, changes)
    }
    const all = await lake.changes(table, { startVersion: 0 })
    try {
      assert.equal(await count(all.sql), 60, 'the feed over all versions still has exactly the inserts')
    } finally {
      await dropScan(db, all)
    }

    const again = await optimize(lake, table)
    assert.deepEqual(again, { filesRemoved: 0, filesAdded: 0, bytesRemoved: 0, bytesAdded: 0 })
    assert.equal(commitVersions(table).at(-1), result.version, 'a second OPTIMIZE commits nothing')
  })

  test('partitioned tables are compacted per partition, partition values preserved', async () => {
    const table = await smallFilesTable(6, {}, true)
    const before = await lake.snapshot(table)
    assert.equal(before.files.length, 12, 'each append writes one file per partition')
    const rowsBefore = await saveRows(table)

    const result = await optimize(lake, table)
    assert.equal(result.filesRemoved, 12)
    assert.equal(result.filesAdded, 2)
    const after = await lake.snapshot(table)
    assert.deepEqual(after.files.map((f) => f.add.partitionValues.p).sort(), ['x', 'y'])
    for (const { add } of after.files) {
      assert.ok(add.path.startsWith(`p=${add.partitionValues.p}/`), `${add.path} lies in its partition's directory`)
      const rowsInPartition = before.files
        .filter((f) => f.add.partitionValues.p === add.partitionValues.p)
        .reduce((sum, f) => sum + JSON.parse(f.add.stats!).numRecords, 0)
      assert.equal(JSON.parse(add.stats!).numRecords, rowsInPartition, `every row of partition ${add.partitionValues.p} and no other`)
    }
    await assertTableHasRows(table, rowsBefore)
    const db = await lake.duckdb()
    const scan = await lake.scan(table)
    try {
      const mixed = await db.rows(`SELECT count(*) AS n FROM ${scan.sql} WHERE (p = 'x') <> (id % 100 % 2 = 0)`)
      assert.equal(Number(mixed[0].n), 0, 'rows kept their partition')
    } finally {
      await dropScan(db, scan)
    }
    assert.equal((await optimize(lake, table)).version, undefined)
  })

  test('compacts files written before and after a column was added, and the null partition', async () => {
    const table = freshTable()
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id, NULL::VARCHAR AS p`, { create: { partitionColumns: ['p'] } })
    await appendQuery(lake, table, `SELECT 2::BIGINT AS id, NULL::VARCHAR AS p UNION ALL SELECT 3, 'a'`)
    await appendQuery(lake, table, `SELECT 4::BIGINT AS id, 'a' AS p, 'new' AS extra`)
    await appendQuery(lake, table, `SELECT 5::BIGINT AS id, NULL::VARCHAR AS p, 'newer' AS extra`)
    const rowsBefore = await saveRows(table)
    const result = await optimize(lake, table)
    assert.equal(result.filesRemoved, 5)
    assert.equal(result.filesAdded, 2)
    const after = await lake.snapshot(table)
    const byPartition = new Map(after.files.map((f) => [f.add.partitionValues.p, JSON.parse(f.add.stats!)]))
    assert.deepEqual([...byPartition.keys()].sort(), ['a', null].sort())
    assert.equal(byPartition.get(null).numRecords, 3)
    assert.equal(byPartition.get(null).nullCount.extra, 2, 'rows from before the column existed read as NULL')
    assert.equal(byPartition.get('a').numRecords, 2)
    await assertTableHasRows(table, rowsBefore)
  })

  test('bins hold at most the target size; files at or above the minimum size are left alone', async () => {
    const table = await smallFilesTable(9)
    const snapshot = await lake.snapshot(table)
    const sizes = snapshot.files.map((f) => f.add.size).sort((a, b) => a - b)
    const target = sizes[0] + sizes[1] + sizes[2]
    const plan = planOptimize(snapshot, { targetFileSize: target })
    assert.ok(plan.bins.length >= 3, `${plan.bins.length} bins`)
    for (const bin of plan.bins) {
      assert.ok(bin.files.length >= 2)
      assert.ok(bin.files.reduce((sum, f) => sum + f.add.size, 0) <= target)
    }
    const rowsBefore = await saveRows(table)
    const result = await optimize(lake, table, { targetFileSize: target })
    assert.equal(result.filesAdded, plan.bins.length)
    assert.equal(
      result.filesRemoved,
      plan.bins.reduce((sum, b) => sum + b.files.length, 0),
    )
    await assertTableHasRows(table, rowsBefore)

    const none = planOptimize(snapshot, { targetFileSize: 1 << 30, minFileSize: sizes[0] })
    assert.equal(none.bins.length, 0, 'no file is smaller than the smallest')
  })

  test('targetFileSize comes from delta.targetFileSize; a malformed value is refused', async () => {
    assert.equal(tableTargetFileSize({ 'delta.targetFileSize': '268435456' }, 't'), 268435456)
    assert.equal(tableTargetFileSize({ 'delta.targetFileSize': '32mb' }, 't'), 32 * 1024 * 1024)
    assert.equal(tableTargetFileSize({}, 't'), undefined)
    const table = await smallFilesTable(3, { 'delta.targetFileSize': '1' })
    assert.equal(planOptimize(await lake.snapshot(table)).bins.length, 0, 'a 1-byte target leaves no file to pack with another')
    const bad = await smallFilesTable(2, { 'delta.targetFileSize': 'big' })
    await rejectsWithDeltaError(optimize(lake, bad), 'INVALID_ARGUMENT', 'delta.targetFileSize')
  })

  test('works on append-only tables (its removes change no data)', async () => {
    const table = await smallFilesTable(4, { 'delta.appendOnly': 'true' })
    const rowsBefore = await saveRows(table)
    const result = await optimize(lake, table)
    assert.equal(result.filesRemoved, 4)
    await assertTableHasRows(table, rowsBefore)
  })

  test('a concurrent append committed after the snapshot does not make OPTIMIZE fail', async () => {
    const table = await smallFilesTable(5)
    const stale = await lake.snapshot(table)
    const appended = await appendQuery(lake, table, `SELECT 9999::BIGINT AS id, 'late' AS name, NULL::DOUBLE AS score, DATE '2025-01-01' AS day, 'x' AS p`)
    const rowsBefore = await saveRows(table)

    const result = await optimize(lake, table, { snapshot: stale })
    assert.equal(result.version, appended.version + 1, 'OPTIMIZE moved past the append')
    assert.equal(result.filesRemoved, 5)
    const after = await lake.snapshot(table)
    assert.equal(after.files.length, 2, 'the compacted file and the concurrent append')
    assert.ok(
      after.files.some((f) => f.add.path === appended.files[0].path),
      'the appended file stays live',
    )
    await assertTableHasRows(table, rowsBefore)
  })

  test('a concurrent removal of a file being compacted fails OPTIMIZE with COMMIT_CONFLICT and leaves no files behind', async () => {
    const table = await smallFilesTable(4)
    const stale = await lake.snapshot(table)
    const victim = stale.files[1].add
    const latest = await lake.snapshot(table)
    await commit(lake.io, {
      table,
      snapshot: latest,
      actions: [
        { remove: { path: victim.path, deletionTimestamp: Date.now(), dataChange: true, extendedFileMetadata: true, partitionValues: {}, size: victim.size } },
      ],
      operation: 'DELETE',
    })
    const filesBefore = listDataFiles(table)
    const versionsBefore = commitVersions(table)
    await rejectsWithDeltaError(optimize(lake, table, { snapshot: stale }), 'COMMIT_CONFLICT', victim.path)
    assert.deepEqual(listDataFiles(table), filesBefore, 'the rewritten file of the failed OPTIMIZE was deleted')
    assert.deepEqual(commitVersions(table), versionsBefore)
  })

  test('a file removed and vacuumed while OPTIMIZE compacts it: COMMIT_CONFLICT naming it, nothing committed, no files left behind', async () => {
    const table = await smallFilesTable(4)
    const stale = await lake.snapshot(table)
    const victim = stale.files[1]
    await commit(lake.io, {
      table,
      snapshot: await lake.snapshot(table),
      actions: [{ remove: removeFileFor(victim.add, Date.now()) }],
      operation: 'DELETE',
    })
    const vacuumed = await vacuum(lake, table, { retentionHours: 0, force: true })
    assert.equal(vacuumed.filesDeleted.length, 1, 'VACUUM deleted the removed file')
    const filesBefore = listDataFiles(table)
    const versionsBefore = commitVersions(table)
    const error = await rejectsWithDeltaError(optimize(lake, table, { snapshot: stale }), 'COMMIT_CONFLICT', victim.path, 'run OPTIMIZE again')
    assert.equal(error.retriable, true)
    assert.deepEqual(listDataFiles(table), filesBefore, 'no new file is left behind')
    assert.deepEqual(commitVersions(table), versionsBefore)
    // A file that the latest version still names, gone from the disk, is damage: named as missing.
    const damaged = await smallFilesTable(3)
    const lost = (await lake.snapshot(damaged)).files[0].path
    rmSync(lost)
    await rejectsWithDeltaError(optimize(lake, damaged), 'MISSING_FILE', lost)
  })

  test('purges the deletion vector of a table delta-kernel-rs wrote: a one-file bin, the same rows, no DV left', async () => {
    const table = path.join(path.dirname(freshTable()), 'dv')
    cpSync(DV_TABLE, table, { recursive: true })
    const snapshot = await lake.snapshot(table)
    const plan = planOptimize(snapshot)
    assert.equal(plan.bins.length, 1)
    assert.equal(plan.bins[0].files.length, 1)
    assert.ok(plan.bins[0].files[0].add.deletionVector)
    const before = await saveRows(table)
    const result = await optimize(lake, table)
    assert.equal(result.version, 2)
    const after = await lake.snapshot(table)
    assert.ok(
      after.files.every((f) => !f.add.deletionVector),
      'no file keeps a deletion vector',
    )
    await assertSameRows(before, await saveRows(table))
    const info = readCommitFile(table, 2).actions.find((a) => 'commitInfo' in a)!.commitInfo as { operationMetrics: Record<string, string> }
    assert.equal(info.operationMetrics.numDeletionVectorsRemoved, '1')
  })
})

describe('VACUUM', () => {
  /** A table after OPTIMIZE: its compacted-away files are fresh tombstones. */
  async function optimizedTable(
    properties: Record<string, string> = {},
  ): Promise<{ table: string; removed: string[]; beforeOptimize: Snapshot; rows: string }> {
    const table = await smallFilesTable(4, properties)
    const beforeOptimize = await lake.snapshot(table)
    const rows = await saveRows(table)
    await optimize(lake, table)
    return { table, removed: beforeOptimize.files.map((f) => f.path), beforeOptimize, rows }
  }

  test('keeps fresh tombstones by default, even when the files are old', async () => {
    const { table, removed } = await optimizedTable()
    for (const file of listDataFiles(table)) setMtime(file, Date.now() - 30 * DAY)
    const result = await vacuum(lake, table)
    assert.deepEqual(result.filesDeleted, [])
    assert.equal(result.bytesDeleted, 0)
    for (const file of removed) assert.ok(existsSync(file))
  })

  test('with retention 0 (forced) deletes exactly the compacted-away files; dry run lists the same and deletes nothing; time travel then fails clearly', async () => {
    const { table, removed, beforeOptimize, rows } = await optimizedTable()
    const now = Date.now() + HOUR
    const expected = relativePaths(table, removed)

    const dry = await vacuum(lake, table, { retentionHours: 0, force: true, now, dryRun: true })
    assert.equal(dry.dryRun, true)
    assert.deepEqual([...dry.filesDeleted].sort(), expected)
    for (const file of removed) assert.ok(existsSync(file), 'a dry run deletes nothing')

    const result = await vacuum(lake, table, { retentionHours: 0, force: true, now })
    assert.equal(result.dryRun, false)
    assert.deepEqual([...result.filesDeleted].sort(), expected)
    assert.equal(
      result.bytesDeleted,
      beforeOptimize.files.reduce((sum, f) => sum + f.add.size, 0),
    )
    for (const file of removed) assert.ok(!existsSync(file), `${file} was deleted`)
    assert.equal(listDataFiles(table).length, 1, 'only the compacted file is left')
    await assertTableHasRows(table, rows)

    const error = await rejectsWithDeltaError(saveRows(table, beforeOptimize.version), 'MISSING_FILE', 'missing on disk')
    assert.ok(
      removed.some((file) => error.message.includes(file)),
      `the error names a deleted file: ${error.message}`,
    )

    assert.deepEqual((await vacuum(lake, table, { retentionHours: 0, force: true, now })).filesDeleted, [], 'nothing left to delete')
  })

  test('a forced zero retention deletes removed files at once, but a file no commit names yet (a write in progress) only after an hour', async () => {
    const { table, removed, rows } = await optimizedTable()
    // A writer's data file, written a minute ago and not committed yet (test/reliability/concurrency.test.ts met this).
    const inFlight = path.join(table, 'part-in-flight.parquet')
    writeFileSync(inFlight, 'not committed yet')
    setMtime(inFlight, Date.now() - 60_000)
    for (const file of removed) setMtime(file, Date.now() - 60_000)
    const result = await vacuum(lake, table, { retentionHours: 0, force: true })
    assert.deepEqual([...result.filesDeleted].sort(), relativePaths(table, removed), 'the compacted-away files go')
    assert.ok(existsSync(inFlight), 'the uncommitted file stays')
    await assertTableHasRows(table, rows)
    setMtime(inFlight, Date.now() - HOUR - 60_000)
    assert.deepEqual((await vacuum(lake, table, { retentionHours: 0, force: true })).filesDeleted, ['part-in-flight.parquet'], 'an hour later it is an orphan')
  })

  test('deletes old orphan files and emptied directories; keeps fresh orphans, hidden files and the log', async () => {
    const table = await smallFilesTable(3)
    const old = Date.now() - 10 * DAY
    for (const file of listDataFiles(table)) setMtime(file, old)
    const orphanOld = path.join(table, 'part-orphan-old.parquet')
    const orphanFresh = path.join(table, 'part-orphan-fresh.parquet')
    const nestedDir = path.join(table, 'stale', 'deeper')
    const nested = path.join(nestedDir, 'part-nested.parquet')
    const hidden = path.join(table, '.part-orphan.parquet.crc')
    const success = path.join(table, '_SUCCESS')
    mkdirSync(nestedDir, { recursive: true })
    for (const file of [orphanOld, orphanFresh, nested, hidden, success]) writeFileSync(file, 'not committed')
    for (const file of [orphanOld, nested, hidden, success, nestedDir, path.join(table, 'stale')]) setMtime(file, old)
    const logBefore = readdirSync(path.join(table, '_delta_log')).sort()
    const rows = await saveRows(table)

    const result = await vacuum(lake, table)
    assert.deepEqual([...result.filesDeleted].sort(), ['part-orphan-old.parquet', 'stale/deeper/part-nested.parquet'])
    assert.equal(result.bytesDeleted, 2 * 'not committed'.length)
    assert.deepEqual([...result.directoriesDeleted].sort(), ['stale', 'stale/deeper'])
    assert.ok(!existsSync(orphanOld))
    assert.ok(!existsSync(path.join(table, 'stale')), 'the emptied directories are gone')
    assert.ok(existsSync(orphanFresh), 'a fresh orphan may be an uncommitted write: kept')
    assert.ok(existsSync(hidden) && existsSync(success), "hidden files are not VACUUM's")
    assert.deepEqual(readdirSync(path.join(table, '_delta_log')).sort(), logBefore)
    assert.ok(statSync(table).isDirectory())
    await assertTableHasRows(table, rows)
  })

  test("retention shorter than the table's is refused without force; delta.deletedFileRetentionDuration sets the default", async () => {
    const table = await smallFilesTable(1)
    await rejectsWithDeltaError(vacuum(lake, table, { retentionHours: 24 }), 'INVALID_ARGUMENT', 'force', '7 days')
    await rejectsWithDeltaError(vacuum(lake, table, { retentionHours: -1, force: true }), 'INVALID_ARGUMENT', 'retentionHours')
    assert.deepEqual((await vacuum(lake, table, { retentionHours: 24 * 8 })).filesDeleted, [], 'a longer retention needs no force')

    const short = await smallFilesTable(1, { 'delta.deletedFileRetentionDuration': 'interval 2 hours' })
    const threeHoursAgo = path.join(short, 'part-three-hours.parquet')
    const oneHourAgo = path.join(short, 'part-one-hour.parquet')
    writeFileSync(threeHoursAgo, 'x')
    writeFileSync(oneHourAgo, 'x')
    setMtime(threeHoursAgo, Date.now() - 3 * HOUR)
    setMtime(oneHourAgo, Date.now() - HOUR)
    const result = await vacuum(lake, short)
    assert.deepEqual(result.filesDeleted, ['part-three-hours.parquet'])
    assert.ok(existsSync(oneHourAgo))
    await rejectsWithDeltaError(vacuum(lake, short, { retentionHours: 1 }), 'INVALID_ARGUMENT', '2 hours')
  })

  test('a table with deletion vectors: its live data file and DV file are never deleted', async () => {
    const table = path.join(path.dirname(freshTable()), 'dv')
    cpSync(DV_TABLE, table, { recursive: true })
    const snapshot = await lake.snapshot(table)
    const dvFile = readdirSync(table).find((n) => n.startsWith('deletion_vector_'))!
    const dataFile = readdirSync(table).find((n) => n.endsWith('.parquet'))!
    assert.ok(dvFile && dataFile)
    // Version 1 removed the file without a DV and added it back with one: an expired tombstone
    // naming a live file.
    assert.equal(snapshot.tombstones.length, 1)
    assert.equal(snapshot.tombstones[0].path, dataFile)
    const orphan = path.join(table, 'part-orphan.parquet')
    writeFileSync(orphan, 'x')
    const options = { retentionHours: 0, force: true, now: Date.now() + 365 * DAY }

    const dry = await vacuum(lake, table, { ...options, dryRun: true })
    assert.deepEqual(dry.filesDeleted, ['part-orphan.parquet'])
    assert.ok(!dry.filesDeleted.includes(dvFile) && !dry.filesDeleted.includes(dataFile))
    assert.ok(existsSync(orphan))

    const result = await vacuum(lake, table, options)
    assert.deepEqual(result.filesDeleted, ['part-orphan.parquet'])
    assert.ok(existsSync(path.join(table, dvFile)) && existsSync(dataFilePath(table, dataFile)))
    const rows = await saveRows(table)
    assert.equal(await count(rows), 8, 'the table still reads, deleted rows still excluded')
  })
})
