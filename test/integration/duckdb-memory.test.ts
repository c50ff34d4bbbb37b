/**
 * The engine's DuckDB keeps to its memory limit by spilling to a directory of its own in the
 * system's temp folder (not the working directory), removed on close; one left by a killed
 * process is removed by the next database opened; a malformed limit is refused by name.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MEMORY_LIMIT, DuckDb, memoryLimit } from '../../src/engine/duckdb'
import { LakeEngine } from '../../src/engine'

test('the memory limit: 1 GiB by default, LAKEHOUSE_DUCKDB_MEMORY_LIMIT when it is a size, an error naming it when not', () => {
  assert.equal(memoryLimit({}), DEFAULT_MEMORY_LIMIT)
  assert.equal(memoryLimit({ LAKEHOUSE_DUCKDB_MEMORY_LIMIT: ' 512MB ' }), '512MB')
  assert.equal(memoryLimit({ LAKEHOUSE_DUCKDB_MEMORY_LIMIT: '2GiB' }), '2GiB')
  for (const bad of ['lots', '1GB; DROP TABLE x', '-1GB']) {
    assert.throws(() => memoryLimit({ LAKEHOUSE_DUCKDB_MEMORY_LIMIT: bad }), /LAKEHOUSE_DUCKDB_MEMORY_LIMIT is '.*': expected a size/)
  }
})

test("the engine's option (the extension's setting) sets the limit; a malformed one is refused by name", async () => {
  const lake = new LakeEngine(undefined, { memoryLimit: '300MB' })
  const [row] = await (await lake.duckdb()).rows(`SELECT current_setting('memory_limit') AS m`)
  await lake.close()
  assert.match(String(row.m), /^28\d(\.\d+)? MiB$/, '300 MB is 286 MiB')
  await assert.rejects(DuckDb.open({ memoryLimit: 'plenty' }), /the memory limit is 'plenty': expected a size/)
})

test('a result larger than the memory limit spills to its own temp directory, which close removes', async () => {
  const saved = process.env.LAKEHOUSE_DUCKDB_MEMORY_LIMIT
  process.env.LAKEHOUSE_DUCKDB_MEMORY_LIMIT = '64MB'
  const db = await DuckDb.open().finally(() => {
    if (saved === undefined) delete process.env.LAKEHOUSE_DUCKDB_MEMORY_LIMIT
    else process.env.LAKEHOUSE_DUCKDB_MEMORY_LIMIT = saved
  })
  const [settings] = await db.rows(`SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t`)
  const spill = String(settings.t)
  assert.equal(path.dirname(spill), os.tmpdir())
  assert.match(path.basename(spill), new RegExp(`^lakehouse-duckdb-${process.pid}-`))
  assert.match(String(settings.m), /^6\d(\.\d+)? MiB$/)
  // About 200 MB of rows in a temporary table, as a query panel's result is kept.
  await db.run(`CREATE TEMP TABLE big AS SELECT i AS id, repeat('x', 40) || i AS name FROM range(3000000) t(i)`)
  const [check] = await db.rows(`SELECT count(*) AS n, count(DISTINCT name) AS d, sum(id) AS s FROM big`)
  assert.deepEqual(check, { n: '3000000', d: '3000000', s: String((3_000_000 * 2_999_999) / 2) })
  assert.ok(readdirSync(spill).length > 0, 'DuckDB wrote spill files')
  db.close()
  for (let i = 0; i < 50 && existsSync(spill); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(existsSync(spill), false, 'removed on close')
})

test("a spill directory whose process is gone is removed when the next database opens; a live process's is kept", async () => {
  // A pid that certainly ended: a child that has exited.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
  const left = path.join(os.tmpdir(), `lakehouse-duckdb-${gone}-left-by-a-killed-process`)
  const live = path.join(os.tmpdir(), `lakehouse-duckdb-${process.ppid}-a-live-process`)
  for (const dir of [left, live]) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'duckdb_temp_block-1.block'), 'x')
  }
  // The sweep runs once per process: a fresh process opens a database.
  const opened = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', `import('./src/engine/duckdb.ts').then(async ({ DuckDb }) => (await DuckDb.open()).close())`],
    { cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..') },
  )
  assert.equal(opened.status, 0, opened.stderr.toString())
  assert.equal(existsSync(left), false, 'the dead process’s directory is removed')
  assert.equal(existsSync(live), true, 'a live process’s directory is kept')
  rmSync(live, { recursive: true, force: true })
})
