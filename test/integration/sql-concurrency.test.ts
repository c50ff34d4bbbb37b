/**
 * Two SQL writers at once, each with its own engine (its own DuckDB and snapshot cache), follow
 * the engine's conflict rules. The race is made certain, not left to timing: writer B's first
 * attempt to write a commit file waits until writer A has committed, so B always loses the race
 * for that version and must check A's commit: blind appends move on to the next version, a
 * statement that read data A changed (or whose table definition A changed) fails as retriable,
 * leaving A's result intact, and succeeds when run again.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import type { Engine } from '../../src/delta/engine'
import { isDeltaError } from '../../src/delta/errors'
import { LakeEngine, localEngine } from '../../src/engine'
import { DuckDbCheckpointWriter } from '../../src/engine/checkpoint-writer'
import { LakeCatalog, runScript } from '../../src/query'
import { checkTableAgainstProtocol } from '../helpers/protocol-check'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-sql-race-'))
const engines: LakeEngine[] = []
after(async () => {
  for (const engine of engines) await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

/** An engine whose first commit-file write waits for `release()`; `reached` resolves when it is waiting. */
function gatedEngine() {
  let release!: () => void
  let markReached!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const reached = new Promise<void>((resolve) => {
    markReached = resolve
  })
  const base = localEngine()
  let gated = true
  const storage: Engine['storage'] = Object.create(base.storage)
  storage.putIfAbsent = async (file, data) => {
    if (gated && /_delta_log[\\/]\d{20}\.json$/.test(file)) {
      gated = false
      markReached()
      await gate
    }
    return base.storage.putIfAbsent(file, data)
  }
  const engine: LakeEngine = new LakeEngine({ ...base, storage, checkpointWriter: new DuckDbCheckpointWriter(() => engine.duckdb()) })
  engines.push(engine)
  return { engine, reached, release }
}

let lakeCount = 0
async function freshLake(setup: string) {
  const lakeDir = path.join(dir, `lake${++lakeCount}`)
  const a = new LakeEngine()
  engines.push(a)
  const catalog = (engine: LakeEngine) => new LakeCatalog(lakeDir, engine.io.storage)
  mkdirSync(lakeDir, { recursive: true })
  await runScript(a, catalog(a), setup)
  const b = gatedEngine()
  const run = (engine: LakeEngine, sql: string) => runScript(engine, catalog(engine), sql)
  return { a, b, run, catalog: catalog(a) }
}

const SETUP = `CREATE TABLE s.t (id INT, region STRING, v INT) PARTITIONED BY (region) TBLPROPERTIES (delta.enableChangeDataFeed = true);
  INSERT INTO s.t VALUES (1, 'eu', 10), (2, 'eu', 20), (3, 'us', 30)`

/** B starts `second`, stops at its commit; A runs `first` to the end; then B goes on. */
async function race(first: string, second: string) {
  const lake = await freshLake(SETUP)
  const bRun = lake.run(lake.b.engine, second).then(
    (r) => ({ ok: true as const, r }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  await lake.b.reached
  const aResult = await lake.run(lake.a, first)
  lake.b.release()
  return { ...lake, aResult, bOutcome: await bRun }
}

async function rows(lake: { a: LakeEngine; catalog: LakeCatalog }, sql = 'SELECT id, region, v FROM s.t ORDER BY id') {
  const [result] = await runScript(lake.a, lake.catalog, sql)
  return result.rows.map((r) => Object.values(r))
}

test('two INSERTs at once: both land, the loser at the next version (blind appends do not conflict)', async () => {
  const r = await race("INSERT INTO s.t VALUES (4, 'eu', 40)", "INSERT INTO s.t VALUES (5, 'us', 50)")
  assert.ok(r.bOutcome.ok, String(!r.bOutcome.ok && r.bOutcome.error))
  assert.deepEqual([r.aResult[0].write?.version, r.bOutcome.r[0].write?.version], [2, 3])
  assert.deepEqual(await rows(r), [
    [1, 'eu', 10],
    [2, 'eu', 20],
    [3, 'us', 30],
    [4, 'eu', 40],
    [5, 'us', 50],
  ])
  await checkTableAgainstProtocol(r.a, r.catalog.pathOf('s.t'))
})

test('UPDATE and DELETE of the same rows at once: the second fails as retriable, the first stands, a retry applies', async () => {
  const r = await race("UPDATE s.t SET v = v + 1 WHERE region = 'eu'", 'DELETE FROM s.t WHERE id = 2')
  assert.equal(r.bOutcome.ok, false)
  const error = !r.bOutcome.ok ? r.bOutcome.error : undefined
  assert.ok(isDeltaError(error, 'COMMIT_CONFLICT') && error.retriable, String(error))
  assert.match(String(error), /concurrent commit 2 conflicts with this transaction: it removed file .*region=eu/)
  assert.deepEqual(await rows(r), [
    [1, 'eu', 11],
    [2, 'eu', 21],
    [3, 'us', 30],
  ])
  const [retry] = await r.run(r.b.engine, 'DELETE FROM s.t WHERE id = 2')
  assert.equal(retry.write?.version, 3)
  assert.deepEqual(await rows(r), [
    [1, 'eu', 11],
    [3, 'us', 30],
  ])
  assert.deepEqual(await rows(r, "SELECT _commit_version, _change_type, id, v FROM table_changes('s.t', 2) ORDER BY 1, 2, 3"), [
    [2, 'update_postimage', 1, 11],
    [2, 'update_postimage', 2, 21],
    [2, 'update_preimage', 1, 10],
    [2, 'update_preimage', 2, 20],
    [3, 'delete', 2, 21],
  ])
  await checkTableAgainstProtocol(r.a, r.catalog.pathOf('s.t'))
})

test('a MERGE that read the table conflicts with an INSERT committed meanwhile (its rows could have matched)', async () => {
  const r = await race(
    "INSERT INTO s.t VALUES (9, 'us', 90)",
    `MERGE INTO s.t t USING (VALUES (9, 'us', 99)) AS s(id, region, v) ON t.id = s.id
    WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`,
  )
  assert.equal(r.bOutcome.ok, false)
  assert.match(String(!r.bOutcome.ok && r.bOutcome.error), /it added file .* which this transaction could not have seen/)
  const [retry] = await r.run(
    r.b.engine,
    `MERGE INTO s.t t USING (VALUES (9, 'us', 99)) AS s(id, region, v) ON t.id = s.id
    WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`,
  )
  assert.deepEqual([retry.write?.rowsUpdated, retry.write?.rowsInserted], [1, 0], 'the retry sees the row and updates it: no duplicate key')
  assert.deepEqual(await rows(r), [
    [1, 'eu', 10],
    [2, 'eu', 20],
    [3, 'us', 30],
    [9, 'us', 99],
  ])
})

test('an INSERT racing ALTER TABLE fails: the table definition changed under it', async () => {
  const r = await race('ALTER TABLE s.t ADD COLUMNS (note STRING)', "INSERT INTO s.t VALUES (4, 'eu', 40)")
  assert.equal(r.bOutcome.ok, false)
  assert.match(String(!r.bOutcome.ok && r.bOutcome.error), /it changed the table metadata/)
  const [retry] = await r.run(r.b.engine, "INSERT INTO s.t VALUES (4, 'eu', 40, 'late')")
  assert.equal(retry.write?.version, 3)
  assert.deepEqual(await rows(r, 'SELECT id, note FROM s.t WHERE id = 4'), [[4, 'late']])
})
