/**
 * A lake table whose every reference DuckDB's parse locates is read through a subquery in the
 * query's text instead of a view (src/query/inline-tables.ts): no view is created, and the
 * answer, its column names and types are those of the view path, which stays for what the
 * subquery cannot stand in for (a column qualified by the table's full name, a statement DuckDB
 * will not serialise). Errors show their position in the query's own text.
 */
import assert from 'node:assert/strict'
import * as path from 'node:path'
import { before, test } from 'node:test'
import { appendQuery } from '../../src/table'
import { runQuery } from '../../src/query'
import { tableOccurrences } from '../../src/query/constraints'
import { inlineReplacements } from '../../src/query/inline-tables'
import { forgetQueryState } from '../../src/query/query-state'
import { tempLake } from '../helpers/temp-lake'

const { lake, lakeDir, catalog } = tempLake('query-inline')
const events = path.join(lakeDir, 'raw', 'events')

before(async () => {
  for (let c = 0; c < 2; c++) {
    await appendQuery(lake, events, `SELECT (${c * 100} + i)::BIGINT AS id, (i % 4)::INTEGER AS p, 'é' || i AS s FROM range(100) t(i)`, {
      create: { partitionColumns: ['p'] },
    })
  }
})

async function lakeViews(): Promise<string[]> {
  const db = await lake.duckdb()
  return (await db.rows(`SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'raw'`)).map((r) => String(r.view_name))
}

async function fresh(sql: string) {
  forgetQueryState(await lake.duckdb())
  return runQuery(lake, catalog, sql)
}

test('a first query reads through a subquery (no view) and answers as the view does', async () => {
  const inline = await fresh('SELECT id, p, s FROM raw.events WHERE p = 1 ORDER BY id')
  assert.deepEqual(await lakeViews(), [])
  // A column qualified by the table's full name needs the view.
  const viaView = await fresh('SELECT raw.events.id, raw.events.p, raw.events.s FROM raw.events WHERE p = 1 ORDER BY raw.events.id')
  assert.deepEqual(await lakeViews(), ['events'])
  assert.deepEqual(inline.columns, viaView.columns)
  assert.deepEqual(inline.rows, viaView.rows)
  assert.equal(inline.rows.length, 50)
  assert.deepEqual([inline.tables[0].filesRead, inline.tables[0].filesTotal], [2, 8])
  // The next inline query drops the kept view, so nothing reads it.
  await runQuery(lake, catalog, 'SELECT count(*) FROM raw.events')
  assert.deepEqual(await lakeViews(), [])
})

test('aliases, the table name as qualifier, a self join, a CTE and a subquery, text before the reference in several lines and bytes', async () => {
  const cases: [string, unknown][] = [
    ['SELECT count(*) AS n FROM raw.events e WHERE e.p = 2', 50],
    ['SELECT max(events.id) AS n FROM raw.events WHERE events.p = 3', 199],
    ['SELECT count(*) AS n FROM raw.events a JOIN raw.events AS b ON a.id = b.id WHERE a.p = 0', 50],
    [`SELECT 'ééé' AS x,\n  count(*) AS n\nFROM  "raw" . "events"\nWHERE p = 1`, 50],
    ['WITH x AS (SELECT * FROM raw.events WHERE p = 1) SELECT count(*) AS n FROM x WHERE id IN (SELECT id FROM raw.events)', 50],
  ]
  for (const [sql, expected] of cases) {
    const result = await fresh(sql)
    assert.equal(Number(result.rows[0].n), expected, sql)
    assert.deepEqual(await lakeViews(), [], sql)
  }
})

test('a statement DuckDB will not serialise keeps the view', async () => {
  await fresh('CREATE OR REPLACE TEMP TABLE inline_copy AS SELECT * FROM raw.events')
  assert.deepEqual(await lakeViews(), ['events'])
  const db = await lake.duckdb()
  assert.deepEqual(await db.rows('SELECT count(*)::INTEGER AS n FROM inline_copy'), [{ n: 200 }])
})

test('DESCRIBE, SHOW and SUMMARIZE keep the view (their syntax wants a name there), also inside a query', async () => {
  for (const sql of ['DESCRIBE raw.events', 'SHOW raw.events', "SELECT column_type FROM (DESCRIBE raw.events) WHERE column_name = 's'"]) {
    const result = await fresh(sql)
    assert.ok(result.rows.length >= 1, sql)
    assert.deepEqual(await lakeViews(), ['events'], sql)
  }
  assert.deepEqual((await fresh("SELECT column_type FROM (DESCRIBE raw.events) WHERE column_name = 'id'")).rows, [{ column_type: 'BIGINT' }])
  assert.equal(Number((await fresh('SUMMARIZE raw.events')).rows.find((r) => r.column_name === 'id')?.count), 200)
})

test('an error shows its position in the query text, not in the subquery', async () => {
  await assert.rejects(fresh('SELECT id\nFROM raw.events WHERE nope = 1'), (error: Error) => {
    assert.match(error.message, /Referenced column "nope" not found/)
    const [, line, caret] = /\nLINE (\d+): .*\n( *)\^/.exec(error.message)!.slice(0)
    assert.equal(line, '2')
    assert.match(error.message, /\nLINE 2: FROM raw\.events WHERE nope = 1\n/)
    assert.equal(caret.length - 'LINE 2: '.length, 'FROM raw.events WHERE '.length)
    return true
  })
})

test('a reference is replaced only where the parse located exactly that name', async () => {
  const sql = `SELECT 'é' AS x FROM raw.events`
  const [use] = tableOccurrences({
    statements: [
      { node: { type: 'SELECT_NODE', from_table: { type: 'BASE_TABLE', query_location: 22, schema_name: 'raw', table_name: 'events', alias: '' } } },
    ],
  })
  assert.deepEqual(inlineReplacements(sql, [use]), [{ start: 21, end: 31, suffix: ' AS "events"' }])
  // Inside the two bytes of é, at another word, or a name that is not there: the view stays.
  assert.equal(inlineReplacements(sql, [{ ...use, inline: { location: 9, aliased: false } }]), undefined)
  assert.equal(inlineReplacements(sql, [{ ...use, inline: { location: 0, aliased: false } }]), undefined)
  assert.equal(inlineReplacements(sql, [{ ...use, table: 'other' }]), undefined)
  assert.equal(inlineReplacements(sql, [{ ...use, inline: undefined }]), undefined)
})
