/**
 * What one query leaves for the next (parses, file skipping, views) never changes an answer:
 * queries running at the same time each see their own files, a new commit or a table written
 * again at the same path is seen at once, and a view is never read by a query that did not name it.
 */
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import * as path from 'node:path'
import { before, test } from 'node:test'
import type { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table'
import { QuerySession, runQuery } from '../../src/query'
import { tempLake } from '../helpers/temp-lake'

const { lake: engine, lakeDir, catalog } = tempLake('query-reuse')
const lake = { engine, dir: lakeDir }
const events = path.join(lakeDir, 'raw', 'events')

before(async () => {
  // 8 files: 4 partitions × 2 commits; p = 0..3, 250 rows each per commit.
  for (let c = 0; c < 2; c++) {
    await appendQuery(lake.engine, events, `SELECT (${c * 1000} + i)::BIGINT AS id, (i % 4)::INTEGER AS p FROM range(1000) t(i)`, {
      create: { partitionColumns: ['p'] },
    })
  }
})

const count = async (sql: string, engine: LakeEngine = lake.engine) => Number(Object.values((await runQuery(engine, catalog, sql)).rows[0])[0])

test('queries at the same time on one table, with different filters, each read their own files', async () => {
  const session = new QuerySession(lake.engine, catalog)
  const asked = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 'SELECT count(*) FROM raw.events' : `SELECT count(*) FROM raw.events WHERE p = ${i % 4}`))
  const answers = await Promise.all(
    asked.map(async (sql, i) => {
      if (i % 2) return count(sql)
      const info = await session.run(sql)
      return Number(Object.values((await session.page(info.id, 0, 1)).rows[0])[0])
    }),
  )
  assert.deepEqual(
    answers,
    asked.map((sql) => (sql.includes('WHERE') ? 500 : 2000)),
  )
  await session.closeAll()
})

test('the same query again sees a new commit, and files skipped before are read when they now match', async () => {
  assert.equal(await count('SELECT count(*) FROM raw.events WHERE p = 1'), 500)
  await appendQuery(lake.engine, events, `SELECT (5000 + i)::BIGINT AS id, 1::INTEGER AS p FROM range(10) t(i)`)
  assert.equal(await count('SELECT count(*) FROM raw.events WHERE p = 1'), 510)
  const stats = (await runQuery(lake.engine, catalog, 'SELECT count(*) FROM raw.events WHERE p = 1')).tables[0]
  assert.deepEqual([stats.filesRead, stats.filesTotal], [3, 9])
})

test('a table deleted and written again at the same path is read anew', async () => {
  const table = path.join(lake.dir, 'raw', 'again')
  await appendQuery(lake.engine, table, 'SELECT range::BIGINT AS id FROM range(3)')
  assert.equal(await count('SELECT count(*) FROM raw.again WHERE id >= 0'), 3)
  rmSync(table, { recursive: true })
  // Same version (0), same path: only the commit time and files tell the tables apart.
  await new Promise((resolve) => setTimeout(resolve, 5))
  await appendQuery(lake.engine, table, 'SELECT range::BIGINT AS id FROM range(7)')
  assert.equal(await count('SELECT count(*) FROM raw.again WHERE id >= 0'), 7)
})

test('a view kept from an earlier query is not read by a query that does not name it', async () => {
  assert.equal(await count('SELECT count(*) FROM raw.events'), 2010)
  // The next query that does not name raw.events drops its kept view, so a reference the parse
  // might miss can only fail as unknown, never read an old snapshot.
  await count('SELECT 1')
  const db = await lake.engine.duckdb()
  const views = await db.rows(`SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'raw'`)
  assert.deepEqual(views, [])
})
