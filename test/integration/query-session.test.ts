/**
 * Query results for the editor: a real lake on disk, results kept in DuckDB and read page by page,
 * sorted, exported, cancelled; errors that say what went wrong.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { LakeEngine } from '../../src/engine'
import { appendQuery, merge } from '../../src/table'
import { destructiveStatements, LakeCatalog, QueryCancelledError, QuerySession, runQuery, type QueryResultInfo } from '../../src/query'
import { tempLake } from '../helpers/temp-lake'
import { waitUntil, withinGuard } from '../helpers/waiting'

const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-session-'))
const lake = new LakeEngine()
// The counts of files read and vacuumed below are those of copy-on-write (deletion vectors off).
lake.newTableProperties = {}
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
const session = new QuerySession(lake, catalog)

const EVENTS = (k: number) => `SELECT (10000 * ${k} + i)::BIGINT AS id, (i % 4)::INTEGER AS p, (i * 1.25)::DECIMAL(12,2) AS amount,
  9007199254740993 + i AS big, 'c' || (i % 7) AS customer, TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (i) SECOND AS at,
  CASE WHEN i % 10 = 0 THEN NULL ELSE i / 3.0 END AS ratio FROM range(10000) t(i)`

before(async () => {
  // raw.events: 3 appends of 10 000 rows, partitioned by p (12 files), then one merge (version 3).
  for (let k = 0; k < 3; k++) await appendQuery(lake, path.join(lakeDir, 'raw', 'events'), EVENTS(k), { create: { partitionColumns: ['p'] } })
  await merge(lake, path.join(lakeDir, 'raw', 'events'), 'SELECT 5::BIGINT AS id, 999.99::DECIMAL(12,2) AS amount', {
    on: 't.id = s.id',
    whenMatchedUpdate: { set: { amount: 's.amount' } },
  })
  await appendQuery(lake, path.join(lakeDir, 'refined', 'customers'), `SELECT 'c' || i AS customer, 'Name ' || i AS name FROM range(7) t(i)`)
})
after(async () => {
  await session.closeAll()
  await lake.close()
  rmSync(lakeDir, { recursive: true, force: true })
})

/** Every row of a result, read in pages of `size`. */
async function allPages(result: QueryResultInfo, size: number, sort?: Parameters<QuerySession['page']>[3]) {
  const rows = []
  for (let offset = 0; offset < result.rowCount; offset += size) rows.push(...(await session.page(result.id, offset, size, sort)).rows)
  return rows
}

test('pages hold exactly the rows of the query, in order, JSON-safe; rowCount, column types, files read', async () => {
  const sql = 'SELECT * FROM raw.events WHERE p IN (1, 2) ORDER BY customer, id DESC'
  const result = await session.run(sql)
  const direct = await runQuery(lake, catalog, sql)
  assert.equal(result.rowCount, 15000)
  assert.deepEqual(result.columns, direct.columns)
  assert.deepEqual(
    result.columns.map((c) => c.type),
    ['BIGINT', 'INTEGER', 'DECIMAL(12,2)', 'BIGINT', 'VARCHAR', 'TIMESTAMP WITH TIME ZONE', 'DOUBLE'],
  )
  assert.deepEqual(await allPages(result, 1000), direct.rows)
  assert.deepEqual(await allPages(result, 777), direct.rows, 'page size need not divide the row count')
  const [first] = (await session.page(result.id, 0, 1)).rows
  assert.deepEqual(first, { id: 29989, p: 1, amount: '12486.25', big: '9007199254750982', customer: 'c0', at: '2026-01-01T02:46:29Z', ratio: 9989 / 3 })
  assert.ok(result.elapsedMs >= 0)
  assert.deepEqual(
    result.tables.map((t) => [t.name, t.version, t.filesRead, t.filesTotal]),
    [['raw.events', 3, 6, 12]],
  )
  const page = await session.page(result.id, 14990, 100)
  assert.equal(page.rows.length, 10, 'the last page is short')
  assert.equal(page.rowCount, 15000)
  assert.deepEqual((await session.page(result.id, 20000, 10)).rows, [], 'past the end: no rows')
  await session.close(result.id)
})

test('deep pages of a 1M-row result', async () => {
  const result = await session.run(`SELECT i AS n, i * 2 AS twice, 'row ' || i AS label FROM range(1000000) t(i)`)
  assert.equal(result.rowCount, 1_000_000)
  const deep = await session.page(result.id, 999_950, 100)
  assert.equal(deep.rows.length, 50)
  assert.deepEqual(deep.rows[0], { n: 999_950, twice: 1_999_900, label: 'row 999950' })
  assert.deepEqual(deep.rows.at(-1), { n: 999_999, twice: 1_999_998, label: 'row 999999' })
  const middle = await session.page(result.id, 500_000, 3)
  assert.deepEqual(
    middle.rows.map((r) => r.n),
    [500_000, 500_001, 500_002],
  )
  await session.close(result.id)
})

test('sorting: both directions, NULLs last, ties in the result order, shallow and deep pages agree', async () => {
  const result = await session.run('SELECT id, customer, ratio FROM raw.events ORDER BY id')
  const byCustomer = (await runQuery(lake, catalog, 'SELECT id, customer, ratio FROM raw.events ORDER BY customer DESC, id')).rows
  // Top-N pages (shallow) and pages of the sorted copy (beyond 10 000 rows) give one consistent order.
  assert.deepEqual(await allPages(result, 2500, { column: 'customer', direction: 'desc' }), byCustomer)
  assert.deepEqual((await session.page(result.id, 0, 5, { column: 'customer', direction: 'desc' })).rows, byCustomer.slice(0, 5))
  const byRatio = (await runQuery(lake, catalog, 'SELECT id, customer, ratio FROM raw.events ORDER BY ratio ASC NULLS LAST, id')).rows
  assert.deepEqual((await session.page(result.id, 0, 3, { column: 'ratio', direction: 'asc' })).rows, byRatio.slice(0, 3))
  assert.deepEqual((await session.page(result.id, 29_990, 10, { column: 'ratio', direction: 'asc' })).rows, byRatio.slice(29_990))
  assert.equal((await session.page(result.id, 29_999, 1, { column: 'ratio', direction: 'asc' })).rows[0].ratio, null)
  // The unsorted order is still there.
  assert.deepEqual(
    (await session.page(result.id, 0, 2)).rows.map((r) => r.id),
    [0, 1],
  )
  await assert.rejects(session.page(result.id, 0, 10, { column: 'nope', direction: 'asc' }), /cannot sort by 'nope'.*columns: id, customer, ratio/)
  await session.close(result.id)
})

test('export to csv, parquet and JSON lines: read back by DuckDB, equal to the result', async () => {
  const result = await session.run('SELECT * FROM raw.events WHERE p = 3 ORDER BY id')
  const rows = await allPages(result, 5000)
  const columns = `{${result.columns.map((c) => `'${c.name}': '${c.type}'`).join(', ')}}`
  const readers = {
    csv: (file: string) => `read_csv('${file}', header = true, columns = ${columns})`,
    parquet: (file: string) => `read_parquet('${file}')`,
    jsonl: (file: string) => `read_json('${file}', format = 'newline_delimited', columns = ${columns})`,
  }
  for (const format of ['csv', 'parquet', 'jsonl'] as const) {
    const file = path.join(lakeDir, `export.${format}`)
    const written = await session.export(result.id, file, format)
    assert.equal(written.rows, 7500, format)
    assert.ok(written.bytes > 1000, `${format}: ${written.bytes} bytes`)
    const back = await runQuery(lake, catalog, `SELECT * FROM ${readers[format](file)}`)
    assert.deepEqual(back.rows, rows, format)
  }
  const lines = readFileSync(path.join(lakeDir, 'export.jsonl'), 'utf8').trimEnd().split('\n')
  assert.equal(lines.length, 7500)
  assert.equal(JSON.parse(lines[0]).id, 3)
  // In a sort order.
  const sortedFile = path.join(lakeDir, 'sorted.parquet')
  await session.export(result.id, sortedFile, 'parquet', { sort: { column: 'id', direction: 'desc' } })
  const sorted = await runQuery(lake, catalog, `SELECT id FROM read_parquet('${sortedFile}') LIMIT 2`)
  assert.deepEqual(
    sorted.rows.map((r) => r.id),
    [29999, 29995],
  )
  await assert.rejects(session.export(result.id, path.join(lakeDir, 'x.xml'), 'xml' as 'csv'), /csv, parquet or jsonl/)
  await session.close(result.id)
})

test('cancel interrupts a long query: run() rejects with "query cancelled", the session stays usable', async () => {
  // 10^18 rows: it never finishes by itself, so only the interrupt can end it.
  const long = session.run('SELECT count(*) FROM range(1000000000) a CROSS JOIN range(1000000000) b')
  const queued = session.run('SELECT 1 AS one')
  await waitUntil(() => session.executingStatement, 'the long query executing in DuckDB')
  assert.equal(session.busy, true)
  assert.equal(session.cancel(), true)
  await withinGuard(
    assert.rejects(long, (error: unknown) => error instanceof QueryCancelledError && error.message === 'query cancelled'),
    'the interrupted query rejecting',
  )
  await withinGuard(assert.rejects(queued, QueryCancelledError, 'a run waiting behind the cancelled one is cancelled too'), 'the queued run rejecting')
  assert.equal(session.busy, false)
  assert.equal(session.executingStatement, false)
  assert.equal(session.cancel(), false, 'nothing to cancel')
  const next = await session.run('SELECT count(*) AS n FROM raw.events')
  assert.deepEqual((await session.page(next.id, 0, 10)).rows, [{ n: 30000 }])
  await session.close(next.id)
})

test('errors: unknown table lists the tables, version out of range, DuckDB errors with their position', async () => {
  await assert.rejects(session.run('SELECT * FROM raw.nope'), (error: unknown) => {
    assert.ok(error instanceof DeltaError)
    assert.match(error.message, /unknown table 'raw\.nope' .*\(tables: raw\.events, refined\.customers\)/)
    return true
  })
  await assert.rejects(session.run('SELECT * FROM raw.events VERSION AS OF 9'), /version 9 does not exist; the latest version is 3/)
  await assert.rejects(session.run('SELECT id FROM raw.events WHERE id = 1 ORDR BY id'), (error: Error) => {
    assert.match(error.message, /^Parser Error: syntax error at or near "ORDR"/)
    const [, line, caret] = /\nLINE 1: (.*)\n( *\^)/.exec(error.message)!
    assert.equal(line, 'SELECT id FROM raw.events WHERE id = 1 ORDR BY id')
    assert.equal(caret.length - 'LINE 1: '.length - 1, line.indexOf('ORDR'), 'the caret is under the error')
    return true
  })
  // An error DuckDB finds while binding: its position is in the user's text, not in the CREATE TABLE around it.
  await assert.rejects(session.run('SELECT nope FROM raw.events'), (error: Error) => {
    assert.match(error.message, /^Binder Error: Referenced column "nope" not found/)
    const [, line, caret] = /\nLINE 1: (.*)\n( *\^)/.exec(error.message)!
    assert.equal(line, 'SELECT nope FROM raw.events')
    assert.equal(caret.length - 'LINE 1: '.length - 1, line.indexOf('nope'))
    return true
  })
  // Several statements run in order; the result is the last one's (the first's is dropped).
  const script = await session.run('SELECT 1; SELECT 2 AS two')
  assert.deepEqual((await session.page(script.id, 0, 1)).rows, [{ two: 2 }])
  await session.close(script.id)
  await assert.rejects(session.page('r0', 0, 10), /no query result 'r0'/)
  // None of these left a result behind, and the session still works.
  const ok = await session.run('SELECT 1 AS one')
  assert.deepEqual((await session.page(ok.id, 0, 1)).rows, [{ one: 1 }])
  assert.deepEqual(session.ids, [ok.id])
  await session.close(ok.id)
})

test('statements that are not queries (DESCRIBE, EXPLAIN, DESCRIBE HISTORY) give results too', async () => {
  const history = await session.run('DESCRIBE HISTORY raw.events')
  assert.deepEqual(
    (await session.page(history.id, 0, 10)).rows.map((r) => [r.version, r.operation]),
    [
      [3, 'MERGE'],
      [2, 'WRITE'],
      [1, 'WRITE'],
      [0, 'WRITE'],
    ],
  )
  const describe = await session.run('DESCRIBE SELECT * FROM refined.customers')
  assert.deepEqual(
    (await session.page(describe.id, 0, 10)).rows.map((r) => [r.column_name, r.column_type]),
    [
      ['customer', 'VARCHAR'],
      ['name', 'VARCHAR'],
    ],
  )
  const explain = await session.run('EXPLAIN SELECT * FROM refined.customers')
  assert.equal(explain.rowCount, 1)
  for (const id of session.ids) await session.close(id)
})

test('close drops the result tables', async () => {
  const result = await session.run('SELECT * FROM refined.customers')
  await session.page(result.id, 20000, 10, { column: 'name', direction: 'desc' })
  const db = await lake.duckdb()
  const count = async () => Number((await db.rows(`SELECT count(*) AS n FROM duckdb_tables() WHERE temporary AND table_name LIKE '__result%'`))[0].n)
  assert.equal(await count(), 2, 'the result and its sorted copy')
  await session.close(result.id)
  assert.equal(await count(), 0)
  await assert.rejects(session.page(result.id, 0, 1), /no query result/)
})

test('writing statements in the panel: each commits, the result shows the last answer, writes are reported', async () => {
  const { lake, catalog } = tempLake('session-writes')
  mkdirSync(catalog.lakeDir, { recursive: true })
  const session = new QuerySession(lake, catalog)
  const created = await session.run('CREATE TABLE gold.t (id INT, v STRING)')
  assert.deepEqual(
    created.writes.map((w) => [w.table, w.operation, w.version]),
    [['gold.t', 'CREATE TABLE', 0]],
  )
  assert.deepEqual((await session.page(created.id, 0, 5)).rows, [{ table: 'gold.t', operation: 'CREATE TABLE', version: 0 }])
  const merged = await session.run(`INSERT INTO gold.t VALUES (1, 'a'), (2, 'b');
    MERGE INTO gold.t t USING (VALUES (2, 'B'), (3, 'c')) AS s(id, v) ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`)
  assert.deepEqual(
    merged.writes.map((w) => [w.operation, w.version, w.rowsInserted, w.rowsUpdated]),
    [
      ['WRITE', 1, 2, undefined],
      ['MERGE', 2, 1, 1],
    ],
  )
  assert.deepEqual((await session.page(merged.id, 0, 5)).rows, [{ num_affected_rows: 2, num_updated_rows: 1, num_deleted_rows: 0, num_inserted_rows: 1 }])
  const shown = await session.run('UPDATE gold.t SET v = upper(v) WHERE id = 1; SELECT * FROM gold.t ORDER BY id')
  assert.deepEqual(
    shown.writes.map((w) => w.operation),
    ['UPDATE'],
  )
  assert.deepEqual((await session.page(shown.id, 0, 5)).rows, [
    { id: 1, v: 'A' },
    { id: 2, v: 'B' },
    { id: 3, v: 'c' },
  ])
  await assert.rejects(session.run("SELECT 1; ATTACH 'x.db'"), /'ATTACH' is not a statement the lake runs.*statement 2/)
  await assert.rejects(session.run('VACUUM gold.t RETAIN 0 HOURS'), /shorter than the table's/)
  const vacuumed = await session.run('VACUUM gold.t RETAIN 0 HOURS DRY RUN', { allowShortRetention: true })
  // Deletion vectors (the default): the MERGE and the UPDATE marked rows instead of replacing
  // files; the first file, once both its rows were marked, was removed: the one file to vacuum.
  assert.equal(vacuumed.rowCount, 1, 'the file whose every row the MERGE and the UPDATE marked')
  await session.closeAll()
})

test('destructive statements are found for the editor to confirm', () => {
  const found = destructiveStatements(`SELECT 1; DELETE FROM a.t WHERE id = 1;
DELETE FROM a.t; TRUNCATE TABLE a.u; DROP TABLE IF EXISTS a.v; INSERT OVERWRITE a.t SELECT 1; RESTORE a.t TO VERSION AS OF 1;
VACUUM a.t RETAIN 1 HOURS; VACUUM a.t RETAIN 200 HOURS; VACUUM a.t RETAIN 1 HOURS DRY RUN; CREATE OR REPLACE TABLE a.w AS SELECT 1`)
  assert.deepEqual(
    found.map((d) => [d.position, d.reason.split(' ').slice(0, 2).join(' '), d.shortRetention ?? false]),
    [
      ['2:1', 'DELETE FROM', false],
      ['2:18', 'TRUNCATE TABLE', false],
      ['2:38', 'DROP TABLE', false],
      ['2:64', 'INSERT OVERWRITE', false],
      ['2:95', 'RESTORE TABLE', false],
      ['3:1', 'VACUUM a.t', true],
      ['3:92', 'CREATE OR', false],
    ],
  )
  assert.deepEqual(destructiveStatements('DELETE FROM a.t WHERE'), [], 'a text that does not parse: the run reports it')
})
