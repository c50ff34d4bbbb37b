/**
 * MERGE's key pass (merge-on-read, deletion vectors on): the matched rows are found reading only
 * the columns the join condition names, then the full rows are read for those rows alone
 * ('listed', when they sit together in their files) or for the files that hold one ('files').
 * Pinned here: what the pass reads (its metrics), and that it gives exactly what the one-join read
 * ('whole') gives on random MERGEs: the rows, the row metrics, the deletion vectors' counts, the
 * change feed's rows, and the same refusal of a target row matched twice. The random MERGEs mix
 * conditions on non-key target columns (in the join condition and in the clauses), updates that
 * read the old row, no-op updates, rows an earlier DELETE marked, partitioned tables, column
 * mapping, the change feed on and off, and files whose key ranges overlap or not.
 */
import assert from 'node:assert/strict'
import { cpSync } from 'node:fs'
import { test } from 'node:test'
import { DeltaError } from '../../src/delta'
import { appendQuery } from '../../src/table/delta-writer'
import { merge, type MergeOptions } from '../../src/table/merge'
import type { RewriteResult } from '../../src/table/rewrite'
import { deleteRows } from '../../src/table/update-delete'
import { scanRows, versionChangeRows } from '../helpers/table-rows'
import { seededRandom } from '../../src/demo/seeded-random'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('merge-key-pass')

const FILES = 4
const PER_FILE = 400

interface Layout {
  partitioned: boolean
  columnMapping: boolean
  changeFeed: boolean
  /** Rows written in key order (files' key ranges apart) or in hash order (every file spans all keys). */
  sorted: boolean
}

/** FILES files of PER_FILE rows: id, grp (0..2), v, n. */
async function table(layout: Layout): Promise<string> {
  const path = freshTable()
  const properties: Record<string, string> = {
    ...(layout.changeFeed ? { 'delta.enableChangeDataFeed': 'true' } : {}),
    ...(layout.columnMapping ? { 'delta.columnMapping.mode': 'name' } : {}),
  }
  for (let f = 0; f < FILES; f++) {
    const ids = layout.sorted
      ? `range(${f * PER_FILE}, ${(f + 1) * PER_FILE})`
      : `(SELECT range AS i FROM range(${FILES * PER_FILE}) WHERE range % ${FILES} = ${f})`
    await appendQuery(
      lake,
      path,
      `SELECT i::BIGINT AS id, (i % 3)::INTEGER AS grp, 'v' || i AS v, (i % 10) / 10.0 AS n FROM ${ids} t(i) ORDER BY ${layout.sorted ? 'i' : 'hash(i)'}`,
      { create: { properties, ...(layout.partitioned ? { partitionColumns: ['grp'] } : {}) } },
    )
  }
  return path
}

async function rows(path: string): Promise<string[]> {
  return (await scanRows(lake, path, (from) => `SELECT id, grp, v, n FROM ${from} ORDER BY id, grp, v, n`)).map((r) => `${r.id}|${r.grp}|${r.v}|${r.n}`)
}

async function changeRows(path: string, version: number): Promise<string[]> {
  return (await versionChangeRows(lake, path, version, (from) => `SELECT id, grp, v, n, _change_type FROM ${from}`))
    .map((r) => `${r._change_type}:${r.id}|${r.grp}|${r.v}|${r.n}`)
    .sort()
}

/** Seeded PRNG (mulberry32), the demo's. */
const random = seededRandom

const ONS = ['t.id = s.id', 't.id = s.id AND t.grp = s.grp', 't.id = s.id AND t.n >= 0.2', '"t"."id" = s.id AND s.op <> \'x\'']
const SETS: MergeOptions['whenMatchedUpdate'][] = [
  { set: '*' },
  { set: { v: 's.v', n: 't.n + 1' }, condition: "t.v <> 'v7'" },
  { set: { v: "t.v || '+'" }, condition: 't.n < 0.9' },
]

/** A random MERGE: source keys (some matched twice when `duplicate`), ops, values that sometimes equal the target's (no-ops). */
function randomMerge(next: () => number, duplicate: boolean): { source: string; options: MergeOptions } {
  const picked = new Set<number>()
  const count = 5 + Math.floor(next() * 30)
  const cluster = next() < 0.5
  while (picked.size < count)
    picked.add(cluster ? Math.floor(next() * 60) + PER_FILE * Math.floor(next() * FILES) : Math.floor(next() * FILES * PER_FILE * 1.05))
  // Some MERGEs have no-op updates (the row's own values), some move rows to another group.
  const noOps = next() < 0.4
  const shift = next() < 0.8 ? 1 : 0
  const values = [...picked].map((id) => {
    const op = next() < 0.2 ? 'd' : 'u'
    const same = noOps && next() < 0.3
    return `(${id}::BIGINT, ${same ? id % 3 : (id + shift) % 3}, '${same ? `v${id}` : `new${id}`}', ${same ? (id % 10) / 10 : 0.5}::DOUBLE, '${op}')`
  })
  if (duplicate) {
    const id = [...picked][0]!
    values.push(`(${id}::BIGINT, ${id % 3}, 'again${id}', 0.25::DOUBLE, 'u')`)
  }
  const update = SETS[Math.floor(next() * SETS.length)]!
  return {
    source: `SELECT * FROM (VALUES ${values.join(', ')}) v(id, grp, v, n, op)`,
    options: {
      on: ONS[Math.floor(next() * ONS.length)]!,
      whenMatchedDelete: { condition: next() < 0.5 ? "s.op = 'd'" : "s.op = 'd' AND t.grp <> 1" },
      whenMatchedUpdate: update,
      whenNotMatchedInsert: { condition: "s.op = 'u'", values: { id: 's.id', grp: 's.grp', v: 's.v', n: 's.n' } },
      controlColumns: ['op'],
    },
  }
}

async function outcome(path: string, source: string, options: MergeOptions): Promise<{ result?: RewriteResult; error?: string }> {
  try {
    return { result: await merge(lake, path, source, options) }
  } catch (error) {
    if (!(error instanceof DeltaError)) throw error
    return { error: `${error.code}: ${error.message.replaceAll(path, '<table>')}` }
  }
}

const SEQUENCES = 12

test(`random MERGEs: the key pass gives what the one-join read gives (${SEQUENCES} tables, 3 MERGEs each)`, async () => {
  const seen = new Set<string>()
  for (let i = 0; i < SEQUENCES; i++) {
    const next = random(2201 + i)
    const layout: Layout = { partitioned: i % 3 === 1, columnMapping: i % 4 === 2, changeFeed: i % 4 < 2, sorted: i % 5 < 3 }
    const keys = await table(layout)
    // Rows an earlier DELETE marked in the files' deletion vectors must never match.
    if (i % 3 !== 2) await deleteRows(lake, keys, `id % 11 = ${i % 11}`)
    const whole = freshTable()
    cpSync(keys, whole, { recursive: true })
    for (let m = 0; m < 3; m++) {
      const { source, options } = randomMerge(next, next() < 0.2)
      const label = `table ${i} ${JSON.stringify(layout)}, MERGE ${m}: ${options.on}; ${JSON.stringify(options.whenMatchedUpdate)}`
      const a = await outcome(keys, source, { ...options, targetRead: 'keysFirst' })
      const b = await outcome(whole, source, { ...options, targetRead: 'whole' })
      assert.equal(a.error, b.error, label)
      if (a.error) {
        seen.add('refused')
        continue
      }
      const [ra, rb] = [a.result!, b.result!]
      assert.ok(ra.keyPass, `${label}: the key pass ran`)
      assert.equal(rb.keyPass, undefined, label)
      // A probe that decided every update read no full row: the matched rows were never listed.
      assert.equal(ra.keyPass.fullRows === undefined, ra.keyPass.probe === 'decided', label)
      if (ra.keyPass.fullRows) seen.add(ra.keyPass.fullRows)
      if (ra.keyPass.probe) seen.add(`probe ${ra.keyPass.probe}`)
      assert.deepEqual(ra.metrics, rb.metrics, label)
      assert.equal(ra.version, rb.version, label)
      assert.deepEqual(await rows(keys), await rows(whole), label)
      if (layout.changeFeed && ra.version !== undefined) assert.deepEqual(await changeRows(keys, ra.version), await changeRows(whole, rb.version!), label)
      if (ra.metrics.rowsUnchanged > 0) seen.add('no-op')
    }
  }
  // The draw covers both ways of reading the full rows, refusals and no-ops.
  assert.deepEqual([...seen].sort(), ['files', 'listed', 'no-op', 'probe decided', 'probe undecided', 'refused'])
})

test('the key pass reads only the join condition’s columns, then the files holding a match', async () => {
  const path = await table({ partitioned: false, columnMapping: false, changeFeed: false, sorted: true })
  // Ids 5, 6 (file 0) and 405 (file 1) are matched; 5000 is new. 1,600 target rows, 4 source rows: 'auto' reads the keys first.
  const source = (tag: string, newId: number) =>
    `SELECT * FROM (VALUES (5::BIGINT, '${tag}a'), (6::BIGINT, '${tag}b'), (405::BIGINT, '${tag}c'), (${newId}::BIGINT, '${tag}d')) v(id, v)`
  const options: MergeOptions = {
    on: 't.id = s.id',
    whenMatchedUpdate: { set: { v: 's.v' } },
    whenNotMatchedInsert: { values: { id: 's.id', grp: '0', v: 's.v', n: '0' } },
  }
  const auto = await merge(lake, path, source('1', 5000), options)
  // Statistics skip the files whose id range holds no source key (files 2 and 3).
  // The update keeps grp and n: with v (the only other column) that is every column, so no probe.
  assert.deepEqual(auto.keyPass, { columns: ['id'], filesRead: 2, filesMatched: 2, rowsMatched: 3, fullRows: 'listed', matchedRowColumns: 'all' })
  assert.equal(auto.metrics.rowsUpdated, 3)
  assert.equal(auto.metrics.rowsInserted, 1)
  const withGroup = await merge(lake, path, source('2', 5001), { ...options, on: 't.id = s.id AND t.grp IN (0, 1, 2)' })
  assert.deepEqual(withGroup.keyPass?.columns, ['id', 'grp'])
  assert.equal(withGroup.metrics.rowsUpdated, 3)
  const whole = await merge(lake, path, source('3', 5002), { ...options, targetRead: 'whole' })
  assert.equal(whole.keyPass, undefined)
  // The whole target row in the condition: only a full read can serve it.
  const wholeRow = await merge(lake, path, source('4', 5003), { ...options, on: 't.id = s.id AND t IS NOT NULL', targetRead: 'keysFirst' })
  assert.equal(wholeRow.keyPass, undefined)
  assert.equal(wholeRow.metrics.rowsUpdated, 3)
  // Every column from the source: the clauses need only the key, and grp (the narrowest other
  // column) is read to tell no-ops; the updates change it, so no full row is read.
  const all = `SELECT * FROM (VALUES (5::BIGINT, 0, 'x', 0.5::DOUBLE), (405::BIGINT, 1, 'y', 0.5::DOUBLE)) v(id, grp, v, n)`
  const star = await merge(lake, path, all, { on: 't.id = s.id', whenMatchedUpdate: { set: '*' } })
  assert.deepEqual([star.keyPass?.matchedRowColumns, star.keyPass?.probe, star.metrics.rowsUpdated], [['id', 'grp'], 'decided', 2])
  // The same rows again leave grp as it is: the full rows tell that both are no-ops.
  const again = await merge(lake, path, all, { on: 't.id = s.id', whenMatchedUpdate: { set: '*' } })
  assert.deepEqual([again.keyPass?.matchedRowColumns, again.keyPass?.probe, again.metrics.rowsUnchanged, again.version], ['all', 'undecided', 2, undefined])
  assert.ok((await rows(path)).includes('5|0|x|0.5'))
  const ids = (await rows(path)).map((r) => Number(r.split('|')[0]))
  assert.deepEqual(ids.slice(-4), [5000, 5001, 5002, 5003])
  assert.equal(ids.length, FILES * PER_FILE + 4)
})
