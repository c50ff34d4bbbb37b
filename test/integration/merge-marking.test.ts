/**
 * How merge-on-read MERGE lists the rows to mark: one list per file read as typed values, each
 * entry row * 2 + (1 for a no-op), so a target row matched twice is two neighbours of the same row
 * (no-op updates listed too) instead of a count(DISTINCT) per file. Held here against
 * copy-on-write (deletion vectors off, which still counts distinct rows per file) and against the
 * expected marks, with the change feed on and off (off, the changes keep no old images and the
 * refused row is read again from the target).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type AddFile, resolveLogPath } from '../../src/delta'
import { DeletionVectorLoader, dropScan } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'
import { merge } from '../../src/table/merge'
import { rejectsWithDeltaError } from '../helpers/assertions'
import { readCommitFile } from '../helpers/delta-log'
import { checkTableAgainstProtocol } from '../helpers/protocol-check'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('merge-marking')

const FILES = 4
const PER_FILE = 500

/** FILES files of PER_FILE rows: file f holds ids f*PER_FILE … in order, so a row's index in its file is id % PER_FILE. */
async function table(properties: Record<string, string>): Promise<string> {
  const path = freshTable()
  for (let f = 0; f < FILES; f++) {
    await appendQuery(lake, path, `SELECT i::BIGINT AS id, 'v' || i AS v FROM range(${f * PER_FILE}, ${(f + 1) * PER_FILE}) t(i) ORDER BY i`, {
      create: { properties },
    })
  }
  return path
}

async function rows(path: string): Promise<string[]> {
  const db = await lake.duckdb()
  const scan = await lake.scan(path)
  try {
    return (await db.rows(`SELECT id, v FROM ${scan.sql} ORDER BY id`)).map((r) => `${r.id}:${r.v}`)
  } finally {
    await dropScan(db, scan)
  }
}

// Updates of id % 7 = 0 (a no-op where id % 5 = 0 too), deletes of id % 13 = 0 (unless id % 7 = 0), inserts past the table.
const SOURCE = `SELECT id, CASE WHEN id % 7 = 0 AND id % 5 = 0 THEN 'v' || id ELSE 'new' || id END AS v, id % 13 = 0 AND id % 7 <> 0 AS gone
  FROM range(${FILES * PER_FILE + 50}) t(id) WHERE id % 7 = 0 OR id % 13 = 0 OR id >= ${FILES * PER_FILE}`
const OPTIONS = {
  on: 't.id = s.id',
  whenMatchedDelete: { condition: 's.gone' },
  whenMatchedUpdate: { set: { v: 's.v' } },
  whenNotMatchedInsert: { values: { id: 's.id', v: 's.v' } },
}

for (const feed of [false, true]) {
  const properties: Record<string, string> = feed ? { 'delta.enableChangeDataFeed': 'true' } : {}

  test(`change feed ${feed ? 'on' : 'off'}: each file's DV marks exactly its updated and deleted rows, no-ops left out; rows as copy-on-write`, async () => {
    const onDv = await table(properties)
    const offDv = await table({ ...properties, 'delta.enableDeletionVectors': 'false' })
    const [withDv, without] = [await merge(lake, onDv, SOURCE, OPTIONS), await merge(lake, offDv, SOURCE, OPTIONS)]
    assert.deepEqual(await rows(onDv), await rows(offDv))
    for (const key of ['rowsUpdated', 'rowsDeleted', 'rowsInserted', 'rowsUnchanged'] as const) assert.equal(withDv.metrics[key], without.metrics[key], key)
    const ids = [...Array(FILES * PER_FILE).keys()]
    assert.equal(withDv.metrics.rowsUnchanged, ids.filter((id) => id % 35 === 0).length)
    const loader = new DeletionVectorLoader(lake.io.storage, onDv)
    const readded = readCommitFile(onDv, withDv.version!)
      .actions.filter((a): a is { add: AddFile } => 'add' in a && Boolean((a as { add: AddFile }).add.deletionVector))
      .map((a) => a.add)
    assert.equal(readded.length, FILES, 'every file has a marked row')
    const marked = new Map<number, number[]>()
    for (const add of readded) {
      const file = resolveLogPath(onDv, add.path, lake.io.storage.join, onDv)
      const firstId = Number((JSON.parse(String(add.stats)) as { minValues: { id: number } }).minValues.id)
      marked.set(firstId / PER_FILE, await loader.rows(add.deletionVector!, file))
    }
    for (let f = 0; f < FILES; f++) {
      const expected = ids
        .filter((id) => Math.floor(id / PER_FILE) === f && ((id % 7 === 0 && id % 35 !== 0) || (id % 13 === 0 && id % 7 !== 0)))
        .map((id) => id % PER_FILE)
      assert.deepEqual(marked.get(f), expected, `file ${f}: the marked rows`)
    }
    await checkTableAgainstProtocol(lake, onDv)
  })

  test(`change feed ${feed ? 'on' : 'off'}: a target row matched twice is refused and named, whatever the two matches do`, async () => {
    const pairs = {
      'two updates': `(10, 'a', false), (10, 'b', false)`,
      'an update and a no-op': `(10, 'a', false), (10, 'v10', false)`,
      'two no-ops': `(10, 'v10', false), (10, 'v10', false)`,
      'a delete and an update': `(10, 'a', true), (10, 'b', false)`,
      'two rows in different files': `(3, 'a', false), (${PER_FILE + 3}, 'b', false), (${PER_FILE + 3}, 'c', false)`,
    }
    for (const dv of [true, false]) {
      const path = await table({ ...properties, 'delta.enableDeletionVectors': String(dv) })
      const before = await rows(path)
      for (const [what, values] of Object.entries(pairs)) {
        const error = await rejectsWithDeltaError(
          merge(lake, path, `SELECT * FROM (VALUES ${values}) s(id, v, gone)`, OPTIONS),
          'INVALID_ARGUMENT',
          'with 2 source rows',
        )
        assert.match(error.message, /MERGE matched target row \{"id":(10|503),"v":"v(10|503)"\}/, `${what} (DVs ${dv ? 'on' : 'off'})`)
      }
      assert.deepEqual(await rows(path), before, 'nothing was changed')
    }
  })
}

test('a MERGE whose source matches and inserts nothing: no changes grouped, nothing committed, the rows as they were', async () => {
  const path = await table({})
  const before = await rows(path)
  const result = await merge(lake, path, `SELECT * FROM (VALUES (10, 'x', false)) s(id, v, gone) WHERE false`, OPTIONS)
  assert.equal(result.version, undefined)
  assert.deepEqual([result.metrics.rowsInserted, result.metrics.rowsUpdated, result.metrics.rowsDeleted, result.metrics.rowsUnchanged], [0, 0, 0, 0])
  assert.deepEqual(await rows(path), before)
})
