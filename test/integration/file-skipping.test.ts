/**
 * File skipping decided in JavaScript (whole-number columns compared with whole-number literals)
 * against the same decision made by DuckDB over the files' bounds: a seeded random set of
 * constraints over a table whose files have partition values, min/max statistics, open bounds,
 * only NULLs and no statistics.
 */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { AddFile } from '../../src/delta/actions'
import type { ActiveFile, Snapshot } from '../../src/delta/snapshot'
import { LakeEngine } from '../../src/engine'
import { filesMatching, type ColumnConstraint } from '../../src/engine/file-skipping'

const lake = new LakeEngine()
after(async () => {
  await lake.close()
})

function file(i: number, part: string | null, stats: unknown): ActiveFile {
  const add: AddFile = {
    path: `f${i}.parquet`,
    partitionValues: { part },
    size: 1,
    modificationTime: 0,
    dataChange: true,
    stats: stats === undefined ? undefined : JSON.stringify(stats),
  }
  return { path: `/t/f${i}.parquet`, add }
}

test('whole-number constraints skip exactly the files DuckDB would skip', async () => {
  const db = await lake.duckdb()
  let seed = 2026
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const files = Array.from({ length: 40 }, (_, i) => {
    const lo = random(100) - 20
    const kind = i % 8
    const stats =
      kind === 6
        ? undefined
        : kind === 7
          ? { numRecords: 5, nullCount: { id: 5 } }
          : { numRecords: 5, nullCount: { id: 0 }, minValues: kind === 5 ? {} : { id: lo }, maxValues: kind === 4 ? {} : { id: lo + random(30) } }
    return file(i, i % 9 === 0 ? null : String(random(12) - 2), stats)
  })
  const snapshot = {
    files,
    partitionColumns: ['part'],
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'part', type: 'integer', nullable: true, metadata: {} },
      ],
    },
  } as unknown as Snapshot
  // Plain, or as the query layer spells constants: a cast to the column's type.
  const value = () => (random(2) ? String(random(140) - 30) : `CAST(${random(140) - 30} AS ${random(2) ? 'INTEGER' : 'BIGINT'})`)
  for (let round = 0; round < 200; round++) {
    const constraints: ColumnConstraint[] = Array.from({ length: 1 + random(2) }, () => {
      const column = random(2) ? 'id' : 'part'
      const op = ['=', '<', '<=', '>', '>=', 'in', 'between'][random(7)]!
      if (op === 'in') return { column, op, values: Array.from({ length: random(4) }, value) }
      if (op === 'between') return { column, op, low: value(), high: value() }
      return { column, op: op as '=', value: value() }
    })
    // The same literals in parentheses are not plain whole numbers: DuckDB decides those.
    const wrapped = constraints.map(
      (c): ColumnConstraint =>
        c.op === 'in'
          ? { ...c, values: c.values.map((v) => `(${v})`) }
          : c.op === 'between'
            ? { ...c, low: `(${c.low})`, high: `(${c.high})` }
            : { ...c, value: `(${c.value})` },
    )
    const ours = (await filesMatching(db, snapshot, files, constraints)).map((f) => f.path)
    const duckdb = (await filesMatching(db, snapshot, files, wrapped)).map((f) => f.path)
    assert.deepEqual(ours, duckdb, JSON.stringify(constraints))
    if (round === 0) assert.ok(ours.length < files.length, 'some files are skipped')
  }
})
