/**
 * SHALLOW CLONE's files stay the source's: the clone's adds name them by absolute file: URI
 * inside the source's folder, and even a VACUUM with no retention on the clone, after the clone
 * dropped one of them, leaves the source's files alone.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runScript } from '../../src/query'
import { readCommitFile } from '../helpers/delta-log'
import { tempLake } from '../helpers/temp-lake'

test('a shallow clone references the source files, and its VACUUM never deletes them', async () => {
  const { lake, catalog, lakeDir } = tempLake('clone')
  mkdirSync(lakeDir, { recursive: true })
  await runScript(
    lake,
    catalog,
    `CREATE TABLE prod.t (id INT); INSERT INTO prod.t VALUES (1), (2);
    CREATE TABLE dev.t SHALLOW CLONE prod.t; DELETE FROM dev.t WHERE id = 1`,
  )
  const [add] = readCommitFile(catalog.pathOf('dev.t'), 0)
    .actions.filter((a) => 'add' in a)
    .map((a) => a.add)
  const sourceFile = fileURLToPath(add.path)
  assert.ok(add.path.startsWith('file://') && sourceFile.startsWith(catalog.pathOf('prod.t')), add.path)
  await runScript(lake, catalog, 'VACUUM dev.t RETAIN 0 HOURS', { allowShortRetention: true })
  assert.ok(existsSync(sourceFile), 'the source file is still there')
  const [read] = await runScript(lake, catalog, 'SELECT count(*)::INTEGER AS n FROM prod.t')
  assert.deepEqual(read.rows, [{ n: 2 }])
  const [clone] = await runScript(lake, catalog, 'SELECT id FROM dev.t')
  assert.deepEqual(clone.rows, [{ id: 2 }])
})
