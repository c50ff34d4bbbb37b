/**
 * MERGE with the change data feed on writes its data files and its change data files side by side
 * (table/rewrite-writes.ts: the change rows on sibling connections of DuckDB; from SPLIT_CHANGE_ROWS
 * change rows on, the old images and the new images as two files, each written on its own). Pinned here: on random MERGEs (deletion vectors on and off, partitioned or not,
 * updates, no-op updates, deletes, inserts), the table after the MERGE and the version's change
 * rows are exactly what the rows before and after say (a key in both with other values: a pre- and
 * a post-image; only before: a delete; only after: an insert; the same values: nothing), and the
 * metrics agree. And when the data write fails while the change rows are being written, nothing
 * is committed, the error names the cause and no table of the MERGE is left in DuckDB.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeltaError } from '../../src/delta'
import { dropScan } from '../../src/engine'
import { appendQuery, createTable } from '../../src/table/delta-writer'
import { merge, type MergeOptions } from '../../src/table/merge'
import { SPLIT_CHANGE_ROWS } from '../../src/table/rewrite-writes'
import { scanRows, versionChangeRows } from '../helpers/table-rows'
import { seededRandom } from '../../src/demo/seeded-random'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('merge-change-data')

type Row = { id: number; grp: number; v: string | null; n: number }
/** The source's `op` says upsert or delete: matched deletes, matched updates, unmatched inserts. */
const UPSERT_OR_DELETE: MergeOptions = {
  on: 't.id = s.id',
  whenMatchedDelete: { condition: "s.op = 'delete'" },
  whenMatchedUpdate: { set: '*' },
  whenNotMatchedInsert: { condition: "s.op <> 'delete'", values: '*' },
  controlColumns: ['op'],
}

const key = (r: Row) => `${r.id}|${r.grp}|${r.v}|${r.n}`

async function rows(path: string): Promise<Map<number, Row>> {
  const found = await scanRows(lake, path, (from) => `SELECT id, grp, v, n::DOUBLE AS n FROM ${from} ORDER BY id`)
  return new Map(found.map((r) => [Number(r.id), { id: Number(r.id), grp: Number(r.grp), v: r.v === null ? null : String(r.v), n: Number(r.n) }]))
}

async function changeRows(path: string, version: number): Promise<string[]> {
  const found = await versionChangeRows(lake, path, version, (from) => `SELECT id, grp, v, n::DOUBLE AS n, _change_type FROM ${from}`)
  return found.map((r) => `${r._change_type}:${key({ id: Number(r.id), grp: Number(r.grp), v: r.v === null ? null : String(r.v), n: Number(r.n) })}`).sort()
}

/** The change rows the difference between two states of the table asks for. */
function expectedChangeRows(before: Map<number, Row>, afterRows: Map<number, Row>): string[] {
  const expected: string[] = []
  for (const [id, old] of before) {
    const now = afterRows.get(id)
    if (!now) expected.push(`delete:${key(old)}`)
    else if (key(now) !== key(old)) expected.push(`update_preimage:${key(old)}`, `update_postimage:${key(now)}`)
  }
  for (const [id, now] of afterRows) if (!before.has(id)) expected.push(`insert:${key(now)}`)
  return expected.sort()
}

/** Seeded PRNG (mulberry32), the demo's. */
const random = seededRandom

async function table(options: { deletionVectors: boolean; partitioned: boolean }): Promise<string> {
  const path = freshTable()
  const properties = { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': String(options.deletionVectors) }
  for (let f = 0; f < 3; f++) {
    await appendQuery(
      lake,
      path,
      `SELECT i::BIGINT AS id, (i % 3)::INTEGER AS grp, 'v' || i AS v, (i % 10) / 10.0 AS n FROM range(${f * 300}, ${(f + 1) * 300}) t(i) ORDER BY hash(i)`,
      { create: { properties, ...(options.partitioned ? { partitionColumns: ['grp'] } : {}) } },
    )
  }
  return path
}

test('random MERGEs with the change feed: the rows and the change rows are what the states before and after say', async () => {
  const seed = 2207
  const next = random(seed)
  const db = await lake.duckdb()
  for (let i = 0; i < 8; i++) {
    const layout = { deletionVectors: i % 2 === 0, partitioned: i % 4 >= 2 }
    const path = await table(layout)
    // Each MERGE runs on the state the previous one left (its deletion vectors included).
    for (let round = 0; round < 2; round++) {
      const label = `seed ${seed}, table ${i}, round ${round}, ${JSON.stringify(layout)}`
      const updates = Math.floor(next() * 120)
      const deletes = Math.floor(next() * 40)
      const inserts = Math.floor(next() * 60)
      const noops = Math.floor(next() * 20)
      const start = Math.floor(next() * 700)
      // Source keys: updates, deletes and no-op updates over existing ids (some already deleted), inserts past them.
      await db.run(`CREATE OR REPLACE TEMP TABLE merge_cdf_source AS
        SELECT i::BIGINT AS id, ((i + 1) % 3)::INTEGER AS grp, 'u${round}-' || i AS v, 0.5 AS n, 'upsert' AS op FROM range(${start}, ${start + updates}) t(i)
        UNION ALL SELECT i::BIGINT, 0, NULL, 0, 'delete' FROM range(${start + updates}, ${start + updates + deletes}) t(i)
        UNION ALL SELECT i::BIGINT, (i % 3)::INTEGER, 'v' || i, (i % 10) / 10.0, 'upsert' FROM range(${start + updates + deletes}, ${start + updates + deletes + noops}) t(i)
        UNION ALL SELECT i::BIGINT, (i % 3)::INTEGER, 'new-' || i, 0.25, 'upsert' FROM range(${10_000 + round * 1000 + i * 100}, ${10_000 + round * 1000 + i * 100 + inserts}) t(i)`)
      const before = await rows(path)
      const result = await merge(lake, path, 'SELECT * FROM merge_cdf_source', UPSERT_OR_DELETE)
      const afterRows = await rows(path)
      const expected = expectedChangeRows(before, afterRows)
      const updated = expected.filter((r) => r.startsWith('update_preimage:')).length
      assert.equal(result.metrics.rowsUpdated, updated, label)
      assert.equal(result.metrics.rowsDeleted, expected.filter((r) => r.startsWith('delete:')).length, label)
      assert.equal(result.metrics.rowsInserted, expected.filter((r) => r.startsWith('insert:')).length, label)
      // The source's rows land as it says: updated and inserted ids hold the source's values, deleted ones are gone.
      for (const r of await db.rows(`SELECT id, v, op FROM merge_cdf_source`)) {
        const now = afterRows.get(Number(r.id))
        if (r.op === 'delete') assert.equal(now, undefined, `${label}: id ${r.id} deleted`)
        else if (before.has(Number(r.id)) || !String(r.v).startsWith('u')) assert.equal(now?.v, String(r.v), `${label}: id ${r.id}`)
      }
      if (result.version === undefined) {
        assert.deepEqual(expected, [], label)
        continue
      }
      assert.ok(expected.length > 0, label)
      assert.deepEqual(await changeRows(path, result.version), expected, label)
      // Every commit that rewrites or marks a file carries change data files; an insert-only one needs none.
      if (updated + result.metrics.rowsDeleted > 0) assert.ok(result.metrics.changeDataFiles >= 1, label)
    }
  }
})

test('a MERGE with more change rows than SPLIT_CHANGE_ROWS writes its old and its new images as two files: the same change rows', async () => {
  const db = await lake.duckdb()
  const size = SPLIT_CHANGE_ROWS
  for (const deletionVectors of [true, false]) {
    const path = freshTable()
    const properties = { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': String(deletionVectors) }
    for (let f = 0; f < 2; f++) {
      await appendQuery(
        lake,
        path,
        `SELECT i::BIGINT AS id, (i % 3)::INTEGER AS grp, 'v' || i AS v, (i % 10) / 10.0 AS n FROM range(${f * size}, ${(f + 1) * size}) t(i) ORDER BY hash(i)`,
        { create: { properties } },
      )
    }
    // Updates of half the rows, deletes of a tenth, inserts: more change rows than the split needs, every kind of them.
    await db.run(`CREATE OR REPLACE TEMP TABLE merge_cdf_big AS
      SELECT i::BIGINT AS id, (i % 3)::INTEGER AS grp, 'big-' || i AS v, 0.75 AS n, 'upsert' AS op FROM range(0, ${2 * size}) t(i) WHERE i % 2 = 0
      UNION ALL SELECT i::BIGINT, 0, NULL, 0, 'delete' FROM range(0, ${2 * size}) t(i) WHERE i % 10 = 1
      UNION ALL SELECT i::BIGINT, 1, 'new-' || i, 0.5, 'upsert' FROM range(${2 * size}, ${2 * size + 1000}) t(i)`)
    const before = await rows(path)
    const result = await merge(lake, path, 'SELECT * FROM merge_cdf_big', UPSERT_OR_DELETE)
    const label = `deletion vectors ${deletionVectors}`
    assert.deepEqual([result.metrics.rowsUpdated, result.metrics.rowsDeleted, result.metrics.rowsInserted], [size, size / 5, 1000], label)
    assert.ok(2 * size + size / 5 + 1000 >= SPLIT_CHANGE_ROWS, label)
    assert.equal(result.metrics.changeDataFiles, 2, `${label}: the old and the new images, one file each`)
    const afterRows = await rows(path)
    assert.equal(afterRows.size, 2 * size - size / 5 + 1000, label)
    assert.deepEqual(await changeRows(path, result.version!), expectedChangeRows(before, afterRows), label)
  }
})

test('a MERGE whose data write fails while its change rows are written: nothing committed, the cause named, no table left behind', async () => {
  for (const deletionVectors of [true, false]) {
    const path = freshTable()
    await createTable(lake, path, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: false, metadata: {} },
          { name: 'v', type: 'string', nullable: false, metadata: {} },
        ],
      },
      properties: { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': String(deletionVectors) },
    })
    await appendQuery(lake, path, `SELECT i::BIGINT AS id, 'v' || i AS v FROM range(0, 500) t(i)`)
    const version = (await lake.snapshot(path)).version
    const db = await lake.duckdb()
    // Updates and deletes (change rows to write) and one insert whose v is NULL.
    const source = `SELECT i::BIGINT AS id, CASE WHEN i = 900 THEN NULL ELSE 'w' || i END AS v, CASE WHEN i % 5 = 0 THEN 'delete' ELSE 'upsert' END AS op
      FROM (SELECT range AS i FROM range(0, 300) UNION ALL SELECT 900) t`
    await assert.rejects(
      merge(lake, path, source, {
        on: 't.id = s.id',
        whenMatchedDelete: { condition: "s.op = 'delete'" },
        whenMatchedUpdate: { set: { v: 's.v' } },
        whenNotMatchedInsert: { values: { id: 's.id', v: 's.v' } },
      }),
      (error: unknown) => error instanceof DeltaError && /NOT NULL/i.test(error.message) && /\bv\b/.test(error.message),
    )
    assert.equal((await lake.snapshot(path)).version, version, `deletion vectors ${deletionVectors}: nothing committed`)
    const [left] = await db.rows(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name LIKE '__rewrite_%'`)
    assert.equal(Number(left.n), 0, `deletion vectors ${deletionVectors}: the changes table is dropped`)
    const scan = await lake.scan(path)
    try {
      const [state] = await db.rows(`SELECT count(*) AS n, count(*) FILTER (WHERE v LIKE 'w%') AS changed FROM ${scan.sql}`)
      assert.deepEqual([Number(state.n), Number(state.changed)], [500, 0], `deletion vectors ${deletionVectors}: the rows as they were`)
    } finally {
      await dropScan(db, scan)
    }
  }
})
