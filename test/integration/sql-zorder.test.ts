/**
 * OPTIMIZE … ZORDER BY through SQL: the new file holds the rows along a Z-order curve of the
 * columns (read in file order, the first four of a 16×16 grid are its 2×2 corner), every partition
 * is rewritten whole, and a partition column or an unknown column is refused.
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { runScript } from '../../src/query'
import { readCommitFile } from '../helpers/delta-log'
import { tempLake } from '../helpers/temp-lake'

test('ZORDER BY (x, y) writes the rows along the curve; partitions are rewritten whole', async () => {
  const { lake, catalog, lakeDir } = tempLake('zorder')
  mkdirSync(lakeDir, { recursive: true })
  await runScript(
    lake,
    catalog,
    `CREATE TABLE geo.grid (x INT, y INT, part STRING) PARTITIONED BY (part);
    INSERT INTO geo.grid SELECT (i % 16)::INT, (i // 16)::INT, 'a' FROM range(256) t(i) ORDER BY random();
    INSERT INTO geo.grid SELECT 0, 0, 'b';
    OPTIMIZE geo.grid ZORDER BY (x, y)`,
  )
  const table = catalog.pathOf('geo.grid')
  const commit = readCommitFile(table, 3)
  const adds = commit.actions.filter((a) => 'add' in a).map((a) => a.add)
  assert.deepEqual(adds.map((a) => a.partitionValues.part).sort(), ['a', 'b'], 'each partition rewritten, the one-file partition too')
  assert.ok(adds.every((a) => a.dataChange === false))
  const fileA = path.join(table, decodeURIComponent(adds.find((a) => a.partitionValues.part === 'a').path))
  const db = await lake.duckdb()
  const first = await db.rows(`SELECT x, y FROM read_parquet('${fileA.replaceAll("'", "''")}', file_row_number = true) ORDER BY file_row_number LIMIT 4`)
  assert.deepEqual(
    first.map((r) => [r.x, r.y]),
    [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ],
  )
  await assert.rejects(runScript(lake, catalog, 'OPTIMIZE geo.grid ZORDER BY (part)'), /it is a partition column/)
  await assert.rejects(runScript(lake, catalog, 'OPTIMIZE geo.grid ZORDER BY (z)'), /ZORDER BY z: no such column/)
})
