/**
 * A read that exposes each row's file (`fileColumn`, as MERGE, UPDATE and DELETE read their target)
 * can be filtered on it, and DuckDB then prunes the files it lists and numbers the ones left from
 * 0: a partition value or constant looked up by `file_index` would come from another file. Here
 * the files' paths do not spell their partition values (as in tables with column mapping or other
 * writers' layouts), so those values cannot come from the paths, and each filter on one file must
 * still see that file's own values. A filter on a Hive partition column prunes the same way, so
 * a positioned read of Hive-style paths filtered on its partition must still name each row by its
 * own file and index.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { quoteString, type StructType } from '../../src/delta'
import { dropScan, LakeEngine, registerFileRead } from '../../src/engine'

const lake = new LakeEngine()
const dir = mkdtempSync(path.join(os.tmpdir(), 'file-read-file-filter-'))
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'v', type: 'long', nullable: true, metadata: {} },
    { name: 'region', type: 'string', nullable: true, metadata: {} },
  ],
}

const REGIONS = ['eu', 'us', 'apac']

/**
 * Three files (`pathOf(region)`), region i holding v = 10i, 10i + 1, 10i + 2, read by position
 * (each row's file and index), with a `_commit_version` constant per file when `constants` is given.
 */
async function positionedRead(table: string, pathOf: (region: string, i: number) => string, constants?: (i: number) => Record<string, string>) {
  const db = await lake.duckdb()
  const files = REGIONS.map(pathOf)
  for (const [i, file] of files.entries()) {
    mkdirSync(path.dirname(file), { recursive: true })
    await db.run(`COPY (SELECT ${i * 10} + range AS v FROM range(3)) TO ${quoteString(file)} (FORMAT parquet)`)
  }
  const scan = await registerFileRead(db, lake.io.storage, {
    table,
    version: 0,
    schema,
    partitionColumns: ['region'],
    columnMapping: 'none',
    ...(constants ? { constants: [{ name: '_commit_version', type: 'BIGINT' }] } : {}),
    fileColumn: '__file',
    rowIndexColumn: '__row',
    entries: files.map((file, i) => ({ path: file, partitionValues: { region: REGIONS[i] }, ...(constants ? { constants: constants(i) } : {}) })),
  })
  return { db, files, scan }
}

test('filtered on its file, a read keeps each file its own partition value and constants', async () => {
  const table = path.join(dir, 'table')
  const { db, files, scan } = await positionedRead(
    table,
    (_, i) => path.join(table, `part-${i}.parquet`),
    (i) => ({ _commit_version: `${i + 100}::BIGINT` }),
  )
  try {
    for (const [i, file] of files.entries()) {
      const rows = await db.rows(`SELECT DISTINCT region, _commit_version, v // 10 AS file FROM ${scan.sql} s WHERE __file = ${quoteString(file)}`)
      assert.deepEqual(rows, [{ region: REGIONS[i], _commit_version: String(i + 100), file: String(i) }], `filtered on ${path.basename(file)}`)
    }
    // Unfiltered, every file still has its own values.
    const all = await db.rows(`SELECT region, min(_commit_version) AS version, count(*) AS n FROM ${scan.sql} GROUP BY region ORDER BY region`)
    assert.deepEqual(all, [
      { region: 'apac', version: '102', n: '3' },
      { region: 'eu', version: '100', n: '3' },
      { region: 'us', version: '101', n: '3' },
    ])
  } finally {
    await dropScan(db, scan)
  }
})

test('filtered on a Hive partition column, a positioned read still names each row by its own file and index', async () => {
  const table = path.join(dir, 'hive')
  const { db, files, scan } = await positionedRead(table, (region) => path.join(table, `region=${region}`, 'part-0.parquet'))
  try {
    for (const [i, region] of REGIONS.entries()) {
      const rows = await db.rows(`SELECT v, region, __file, __row FROM ${scan.sql} s WHERE region = ${quoteString(region)} ORDER BY v`)
      assert.deepEqual(
        rows.map((r) => ({ v: Number(r.v), region: r.region, file: r.__file, row: Number(r.__row) })),
        [0, 1, 2].map((row) => ({ v: i * 10 + row, region, file: files[i], row })),
        `filtered on region ${region}`,
      )
    }
  } finally {
    await dropScan(db, scan)
  }
})
