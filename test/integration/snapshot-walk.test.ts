/**
 * Loading a snapshot walks the commits after the last checkpoint, reading them in growing windows
 * (1, 2, 4, … 32 at once) until one is missing (src/delta/snapshot.ts). Held here: every version
 * from the checkpoint to 40 commits past it (so every window boundary) loads exactly its commits,
 * and a commit missing inside a window, or at its start, is refused naming it, as before.
 */
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { writeCheckpoint } from '../../src/delta/checkpoint'
import { commitFileName } from '../../src/delta/log-files'
import { loadSnapshot } from '../../src/delta/snapshot'
import { appendQuery } from '../../src/table/delta-writer'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('snapshot-walk')

const CHECKPOINT = 2
const LAST = 42

/** A table of versions 0..LAST, one row per commit, with a checkpoint at CHECKPOINT only. */
async function table(): Promise<string> {
  const t = freshTable()
  for (let v = 0; v <= LAST; v++) {
    await appendQuery(lake, t, `SELECT ${v}::BIGINT AS v`, { create: { properties: { 'delta.checkpointInterval': '1000' } } })
    if (v === CHECKPOINT) await writeCheckpoint(lake.io, await loadSnapshot(lake.io, t))
  }
  return t
}

test('every version from the checkpoint on loads its own commits, across every window boundary', async () => {
  const t = await table()
  const latest = await loadSnapshot(lake.io, t)
  assert.equal(latest.version, LAST)
  assert.deepEqual(latest.segment, { checkpointVersion: CHECKPOINT, commitsRead: LAST - CHECKPOINT })
  assert.equal(latest.files.length, LAST + 1)
  for (let version = CHECKPOINT; version <= LAST; version++) {
    const snapshot = await loadSnapshot(lake.io, t, { version })
    assert.equal(snapshot.version, version)
    assert.equal(snapshot.files.length, version + 1, `version ${version}`)
    assert.deepEqual(snapshot.segment, { checkpointVersion: CHECKPOINT, commitsRead: version - CHECKPOINT })
  }
})

test('a commit missing inside a window or at its start is refused, naming it', async () => {
  // Windows after checkpoint 2: 3 | 4-5 | 6-9 | 10-17 | 18-33 | 34-65.
  for (const missing of [3, 5, 10, 13, 33, 40]) {
    const t = await table()
    rmSync(path.join(t, '_delta_log', commitFileName(missing)))
    await assert.rejects(
      loadSnapshot(lake.io, t),
      new RegExp(`the log is not contiguous: commit ${commitFileName(missing).replace('.', '\\.')} is missing`),
      `commit ${missing} missing`,
    )
  }
})
