/**
 * Concurrent writers. Two real OS processes (test/helpers/race-writer.ts) append to one table at
 * the same time; afterwards the log must be contiguous, no commit overwritten, every row present
 * exactly once. Because whether the processes really collide depends on timing, the outcomes of a
 * lost race are also forced deterministically: a transaction commits from a stale snapshot after
 * another writer has committed, through the real `commit()` and `appendQuery`.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { readdirSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import type { AddFile } from '../../src/delta/actions'
import { commit } from '../../src/delta/commit'
import { emptyReadSet } from '../../src/delta/conflicts'
import { fileKey } from '../../src/delta/log-replay'
import type { StructType } from '../../src/delta/schema'
import { dropScan } from '../../src/engine'
import { appendQuery, newTableActions } from '../../src/table/delta-writer'
import { actionsOf, commitVersions, fileSize, readCommitFile, readCommits } from '../helpers/delta-log'
import { ROWS_PER_BATCH, type RaceCommit } from '../helpers/race-writer'
import { rejectsWithDeltaError } from '../helpers/assertions'
import { lakeFixture } from '../helpers/lake-fixture'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const RACE_WRITER = path.join(repoRoot, 'test', 'helpers', 'race-writer.ts')
const BATCHES = 15

const { lake, freshTable } = lakeFixture('race')

async function ids(table: string, column = 'id'): Promise<string[]> {
  const db = await lake.duckdb()
  const scan = await lake.scan(table)
  try {
    return (await db.rows(`SELECT ${column} AS v FROM ${scan.sql} ORDER BY 1`)).map((r) => String(r.v))
  } finally {
    await dropScan(db, scan)
  }
}

/** A Parquet file written straight with DuckDB, and the add action for it (as another writer would). */
async function writeLooseFile(table: string, name: string, id: number): Promise<AddFile> {
  const db = await lake.duckdb()
  const file = path.join(table, name)
  await db.run(`COPY (SELECT ${id}::BIGINT AS id) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`)
  return {
    path: name,
    partitionValues: {},
    size: fileSize(file),
    modificationTime: Date.now(),
    dataChange: true,
    stats: JSON.stringify({ numRecords: 1, minValues: { id }, maxValues: { id }, nullCount: { id: 0 } }),
  }
}

// -----------------------------------------------------------------------------------------------
// Two processes

interface Writer {
  label: string
  process: ChildProcessWithoutNullStreams
  commits: RaceCommit[]
  ready: Promise<void>
  exited: Promise<{ code: number | null; stderr: string }>
}

function startWriter(table: string, label: string, n: number): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', RACE_WRITER, table, label, String(n)], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] })
  const commits: RaceCommit[] = []
  let stdout = ''
  let stderr = ''
  let markReady: () => void = () => {}
  let failReady: (error: Error) => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve
    failReady = reject
  })
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk
    let newline: number
    while ((newline = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, newline).trim()
      stdout = stdout.slice(newline + 1)
      if (!line) continue
      const parsed = JSON.parse(line)
      if (parsed.ready) markReady()
      else commits.push(parsed as RaceCommit)
    }
  })
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      failReady(new Error(`writer ${label} exited (code ${code}) before it was ready: ${stderr}`))
      resolve({ code, stderr })
    })
  })
  return { label, process: child, commits, ready, exited }
}

describe('two writers', () => {
  test('two processes appending concurrently: contiguous log, nothing overwritten, every row once', { timeout: 90_000 }, async (t) => {
    const table = freshTable('race')
    const created = await appendQuery(lake, table, `SELECT 'none'::VARCHAR AS label, 0::BIGINT AS batch, 0::BIGINT AS row WHERE false`)
    assert.equal(created.version, 0)
    assert.equal(created.files.length, 0)

    const writers = [startWriter(table, 'A', BATCHES), startWriter(table, 'B', BATCHES)]
    try {
      await Promise.all(writers.map((w) => w.ready))
      for (const w of writers) w.process.stdin.end('go\n')
      const exits = await Promise.all(writers.map((w) => w.exited))
      for (const [i, exit] of exits.entries()) assert.equal(exit.code, 0, `writer ${writers[i].label} failed: ${exit.stderr}`)
    } finally {
      for (const w of writers) if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill()
    }

    const all = writers.flatMap((w) => w.commits)
    for (const w of writers) {
      assert.deepEqual(
        w.commits.map((c) => c.batch),
        [...Array(BATCHES).keys()],
        `writer ${w.label} reported every batch`,
      )
    }
    for (const c of all) assert.equal(c.checkpointError, undefined, `checkpoint after version ${c.version} failed: ${c.checkpointError}`)

    // The log: versions 0..30, no gap, no extra.
    const last = 2 * BATCHES
    assert.deepEqual(commitVersions(table), [...Array(last + 1).keys()], 'versions 0..30, contiguous')
    assert.deepEqual(
      all.map((c) => c.version).sort((a, b) => a - b),
      [...Array(last).keys()].map((v) => v + 1),
      'each writer got its own versions',
    )

    // No commit file overwritten: each version holds exactly what the writer that claims it wrote.
    const commits = readCommits(table)
    const txnIds = commits.map((c) => c.actions[0].commitInfo?.txnId)
    assert.ok(
      txnIds.every((id) => typeof id === 'string' && id.length > 0),
      'every commit has a txnId',
    )
    assert.equal(new Set(txnIds).size, commits.length, 'txnIds are unique')
    for (const c of all) {
      const file = commits[c.version]
      assert.deepEqual(
        actionsOf([file], 'add')
          .map((a) => a.path)
          .sort(),
        [...c.paths].sort(),
        `version ${c.version} holds writer ${c.label}'s batch ${c.batch}`,
      )
      assert.equal(file.actions[0].commitInfo.readVersion, c.version - 1)
    }

    // A writer that needed k attempts lost versions v-k+1 .. v-1, all to the other writer.
    const owner = new Map(all.map((c) => [c.version, c.label]))
    for (const c of all) {
      for (let v = c.version - c.attempts + 1; v < c.version; v++) {
        assert.ok(v >= 1, `version ${c.version} after ${c.attempts} attempts`)
        assert.notEqual(owner.get(v), c.label, `writer ${c.label} cannot have lost version ${v} to itself`)
      }
    }
    // Versions are handed out in each writer's order.
    for (const w of writers) {
      const versions = w.commits.map((c) => c.version)
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
        `writer ${w.label} commits in order`,
      )
    }

    // Every row of both writers exactly once.
    const db = await lake.duckdb()
    const scan = await lake.scan(table)
    try {
      const [counts] = await db.rows(`SELECT count(*) AS total, count(DISTINCT (label, batch, row)) AS distinct_rows FROM ${scan.sql}`)
      assert.deepEqual(counts, { total: String(2 * BATCHES * ROWS_PER_BATCH), distinct_rows: String(2 * BATCHES * ROWS_PER_BATCH) })
      const perLabel = await db.rows(`SELECT label, count(*) AS n, min(batch) AS lo, max(batch) AS hi FROM ${scan.sql} GROUP BY label ORDER BY label`)
      assert.deepEqual(perLabel, [
        { label: 'A', n: String(BATCHES * ROWS_PER_BATCH), lo: '0', hi: String(BATCHES - 1) },
        { label: 'B', n: String(BATCHES * ROWS_PER_BATCH), lo: '0', hi: String(BATCHES - 1) },
      ])
    } finally {
      await dropScan(db, scan)
    }
    const snapshot = await lake.snapshot(table)
    assert.equal(snapshot.version, last)
    assert.equal(snapshot.files.length, 2 * BATCHES)
    // Checkpoints (default interval 10) were written by whichever writer committed 10, 20 and 30.
    for (const c of all) assert.equal(c.checkpointed, c.version % 10 === 0, `version ${c.version}: checkpointed`)
    const checkpoints = readdirSync(path.join(table, '_delta_log'))
      .filter((n) => n.endsWith('.checkpoint.parquet'))
      .map((n) => Number(n.slice(0, 20)))
    assert.deepEqual(
      checkpoints.sort((a, b) => a - b),
      [10, 20, 30],
    )
    // Normally 30; a writer slow to finish checkpoint 20 may legitimately leave _last_checkpoint at 20.
    assert.ok([20, 30].includes(snapshot.segment.checkpointVersion ?? -1), `loads from a checkpoint: ${JSON.stringify(snapshot.segment)}`)
    assert.deepEqual(
      snapshot.files.map((f) => f.add.path).sort(),
      actionsOf(commits, 'add')
        .map((a) => a.path)
        .sort(),
      'the checkpoint holds exactly the files added by the commits',
    )

    const collisions = all.filter((c) => c.attempts > 1)
    t.diagnostic(
      `lost races: ${collisions.length} commits needed more than one attempt (max ${Math.max(...all.map((c) => c.attempts))}); the deterministic tests below force the lost-race paths regardless`,
    )
  })

  // ---------------------------------------------------------------------------------------------
  // The lost race, forced

  test('a blind append from a stale snapshot lands at the next free version', async () => {
    const table = freshTable('blind')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    const stale = await lake.snapshot(table)
    const winner = await appendQuery(lake, table, `SELECT 2::BIGINT AS id`)
    assert.equal(winner.version, 1)

    const add = await writeLooseFile(table, 'late.parquet', 3)
    const result = await commit(lake.io, { table, snapshot: stale, actions: [{ add }], operation: 'WRITE' })
    assert.equal(result.version, 2, 'moved past the winner')
    assert.equal(result.attempts, 2, 'one lost race')
    const info = readCommitFile(table, 2).actions[0].commitInfo
    assert.equal(info.readVersion, 1)
    assert.equal(info.isBlindAppend, true)
    assert.ok(info.timestamp > readCommitFile(table, 1).actions[0].commitInfo.timestamp, 'commit timestamps keep increasing')
    assert.deepEqual(
      actionsOf([readCommitFile(table, 1)], 'add').map((a) => a.path),
      winner.files.map((f) => f.path),
      'the winner was not overwritten',
    )

    // The same through appendQuery with the stale snapshot: two lost races now.
    const again = await appendQuery(lake, table, `SELECT 4::BIGINT AS id`, { snapshot: stale })
    assert.equal(again.version, 3)
    assert.equal(again.attempts, 3)
    assert.deepEqual(await ids(table), ['1', '2', '3', '4'])
  })

  test('a transaction that read the data conflicts with a concurrent add', async () => {
    const table = freshTable('read-data')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    const stale = await lake.snapshot(table)
    const winner = await appendQuery(lake, table, `SELECT 2::BIGINT AS id`)
    const add = await writeLooseFile(table, 'derived.parquet', 3)
    const readSet = { ...emptyReadSet(), readData: true }
    const error = await rejectsWithDeltaError(
      commit(lake.io, { table, snapshot: stale, actions: [{ add }], operation: 'WRITE', readSet }),
      'COMMIT_CONFLICT',
      winner.files[0].path,
    )
    assert.equal(error.retriable, true)
    assert.deepEqual(commitVersions(table), [0, 1], 'nothing was committed')
    assert.deepEqual(await ids(table), ['1', '2'])
  })

  test('removing a file that a concurrent commit removed conflicts', async () => {
    const table = freshTable('delete-delete')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    await appendQuery(lake, table, `SELECT 2::BIGINT AS id`)
    const stale = await lake.snapshot(table)
    const [fileA, fileB] = [...stale.files].sort((x, y) => x.add.stats!.localeCompare(y.add.stats!))
    const removeOf = (add: AddFile) => ({
      remove: {
        path: add.path,
        deletionTimestamp: Date.now(),
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: add.partitionValues,
        size: add.size,
      },
    })
    const winner = await commit(lake.io, { table, snapshot: stale, actions: [removeOf(fileA.add)], operation: 'DELETE' })
    assert.equal(winner.version, 2)

    // With the file in the read set, as a DELETE that read it declares.
    const readSet = emptyReadSet()
    readSet.files.add(fileKey(fileA.path, fileA.add))
    await rejectsWithDeltaError(
      commit(lake.io, { table, snapshot: stale, actions: [removeOf(fileA.add)], operation: 'DELETE', readSet }),
      'COMMIT_CONFLICT',
      fileA.add.path,
    )
    assert.deepEqual(commitVersions(table), [0, 1, 2])

    // Removing another file is no conflict: conflicts are per file.
    const other = emptyReadSet()
    other.files.add(fileKey(fileB.path, fileB.add))
    const ok = await commit(lake.io, { table, snapshot: stale, actions: [removeOf(fileB.add)], operation: 'DELETE', readSet: other })
    assert.equal(ok.version, 3)
    assert.deepEqual(await ids(table), [])
  })

  test('removing a file that a concurrent commit removed conflicts even without an explicit read set', async () => {
    // A transaction's own removes must count as read: a file can be deleted only once (Delta's
    // ConcurrentDeleteDeleteException), or both DELETEs report the rows as theirs.
    const removeOf = (add: AddFile) => ({
      remove: {
        path: add.path,
        deletionTimestamp: Date.now(),
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: add.partitionValues,
        size: add.size,
      },
    })
    const table2 = freshTable('delete-delete-implicit')
    await appendQuery(lake, table2, `SELECT 1::BIGINT AS id`)
    const stale2 = await lake.snapshot(table2)
    const victim = stale2.files[0].add
    await commit(lake.io, { table: table2, snapshot: stale2, actions: [removeOf(victim)], operation: 'DELETE' })
    const second = commit(lake.io, { table: table2, snapshot: stale2, actions: [removeOf(victim)], operation: 'DELETE' })
    await rejectsWithDeltaError(second, 'COMMIT_CONFLICT', victim.path)
    assert.deepEqual(commitVersions(table2), [0, 1], 'the second delete is not committed')
  })

  test('two writers with the same txn appId conflict; different appIds do not', async () => {
    const table = freshTable('txn-race')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    const stale = await lake.snapshot(table)
    const winner = await appendQuery(lake, table, `SELECT 2::BIGINT AS id`, { txns: [{ appId: 'kafka-orders-0', version: 10 }] })
    assert.equal(winner.version, 1)
    const error = await rejectsWithDeltaError(
      appendQuery(lake, table, `SELECT 3::BIGINT AS id`, { snapshot: stale, txns: [{ appId: 'kafka-orders-0', version: 10 }] }),
      'COMMIT_CONFLICT',
      'kafka-orders-0',
    )
    assert.equal(error.retriable, true)
    assert.deepEqual(commitVersions(table), [0, 1])
    assert.equal((await lake.snapshot(table)).txns.get('kafka-orders-0')?.version, 10)

    const other = await appendQuery(lake, table, `SELECT 4::BIGINT AS id`, { snapshot: stale, txns: [{ appId: 'kafka-orders-1', version: 3 }] })
    assert.equal(other.version, 2)
    const latest = await lake.snapshot(table)
    assert.equal(latest.txns.get('kafka-orders-0')?.version, 10)
    assert.equal(latest.txns.get('kafka-orders-1')?.version, 3)
    assert.deepEqual(await ids(table), ['1', '2', '4'])
  })

  test('a concurrent schema change or table creation conflicts', async () => {
    const table = freshTable('metadata-race')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    const stale = await lake.snapshot(table)
    await appendQuery(lake, table, `SELECT 2::BIGINT AS id, 'new' AS extra`)
    await rejectsWithDeltaError(appendQuery(lake, table, `SELECT 3::BIGINT AS id`, { snapshot: stale }), 'COMMIT_CONFLICT', 'metadata')
    assert.deepEqual(commitVersions(table), [0, 1])

    // Two creators: only one version 0.
    const fresh = freshTable('create-race')
    const schema: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] }
    const first = await commit(lake.io, { table: fresh, actions: newTableActions(fresh, { schema }), operation: 'CREATE TABLE' })
    assert.equal(first.version, 0)
    const firstId = readCommitFile(fresh, 0).actions.find((a) => 'metaData' in a)!.metaData.id
    await rejectsWithDeltaError(commit(lake.io, { table: fresh, actions: newTableActions(fresh, { schema }), operation: 'CREATE TABLE' }), 'TABLE_EXISTS')
    assert.equal(readCommitFile(fresh, 0).actions.find((a) => 'metaData' in a)!.metaData.id, firstId, 'version 0 was not replaced')
  })
})
