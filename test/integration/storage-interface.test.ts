/**
 * The Delta core's Storage interface is all a storage needs (issue 17 part 3): symbolic-link checks
 * and log watching are its optional methods, so a storage without links or notifications (an object
 * store) is one new implementation. Here a storage with only the required methods (the local disk
 * behind it, as no object store runs here) writes, reads and waits for a table's commits, and the
 * local disk's watch is what wakes a waiting refine.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import type { Storage } from '../../src/delta'
import { HyparquetActionReader, LakeEngine, LakeCatalog, LocalStorage } from '../../src/engine'
import { waitForCommit } from '../../src/pipeline/refine'
import { runQuery } from '../../src/query'
import { appendQuery } from '../../src/table'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-storage-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Only what every storage must have: no realPath, no watch. */
function requiredOnly(local: LocalStorage): Storage {
  return {
    list: (d) => local.list(d),
    read: (f) => local.read(f),
    putIfAbsent: (f, data) => local.putIfAbsent(f, data),
    put: (f, data) => local.put(f, data),
    delete: (f) => local.delete(f),
    stat: (f) => local.stat(f),
    join: (root, relative) => local.join(root, relative),
  }
}

/** A lake in `folder` over `storage`, closed after `use`. */
async function withLake(storage: Storage, folder: string, use: (lake: LakeEngine, catalog: LakeCatalog, lakeDir: string) => Promise<void>) {
  const lake = new LakeEngine({ storage, parquet: new HyparquetActionReader() })
  const lakeDir = path.join(dir, folder)
  try {
    await use(lake, new LakeCatalog(lakeDir, storage), lakeDir)
  } finally {
    await lake.close()
  }
}

test('a storage with only the required methods writes, reads and waits for commits (by polling)', async () => {
  const storage = requiredOnly(new LocalStorage())
  await withLake(storage, 'plain', async (lake, catalog) => {
    const table = catalog.pathOf('raw.events')
    await appendQuery(lake, table, 'SELECT range AS id FROM range(3)')
    const waiting = waitForCommit(storage, table, 0)
    await appendQuery(lake, table, 'SELECT 3 AS id')
    await waiting
    assert.deepEqual((await runQuery(lake, catalog, 'SELECT count(*)::INTEGER AS n, max(id)::INTEGER AS top FROM raw.events')).rows, [{ n: 4, top: 3 }])
    // Without realPath there are no links to follow: the table's own path is the answer.
    assert.equal(await catalog.confinedPathOf('raw.events'), table)
  })
})

test("the local disk's watch wakes a waiting reader with the commit's name, and its realPath refuses a table linked out of the lake", async () => {
  const seen: string[] = []
  const local = new LocalStorage()
  const storage: Storage = {
    ...requiredOnly(local),
    realPath: (f) => local.realPath(f),
    watch: (d, onChange) =>
      local.watch(d, (name) => {
        seen.push(name)
        onChange(name)
      }),
  }
  await withLake(storage, 'watched', async (lake, catalog, lakeDir) => {
    const table = catalog.pathOf('raw.events')
    await appendQuery(lake, table, 'SELECT 1 AS id')
    const waiting = waitForCommit(storage, table, 0)
    await appendQuery(lake, table, 'SELECT 2 AS id')
    await waiting
    assert.ok(seen.includes('00000000000000000001.json'), `the watch reported the new commit (saw ${seen.join(', ')})`)

    const outside = path.join(dir, 'outside-table')
    await appendQuery(lake, outside, 'SELECT 1 AS id')
    symlinkSync(outside, path.join(lakeDir, 'raw', 'linked'))
    await assert.rejects(catalog.confinedPathOf('raw.linked'), /raw\.linked.*is a symbolic link to .*outside-table, outside the lake/)
  })
})
