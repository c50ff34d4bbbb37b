/**
 * `lakehouse query --file script.sql` as a user runs it: a real process, a real lake on disk. The
 * statements run in order, each result printed as it comes; the first error stops the run with
 * its position and a non-zero exit, and what ran before it stays committed.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-script-'))
const lakeDir = path.join(dir, 'lake')
mkdirSync(lakeDir)
after(() => rmSync(dir, { recursive: true, force: true }))

function lakehouse(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('a .sql file of several statements runs in order and stops at the first error, saying where', () => {
  const script = path.join(dir, 'orders.sql')
  writeFileSync(
    script,
    [
      '-- set up the orders table',
      'CREATE TABLE sales.orders (id BIGINT NOT NULL, customer STRING, amount DECIMAL(10,2))',
      '  PARTITIONED BY (customer) TBLPROPERTIES (delta.enableChangeDataFeed = true);',
      "INSERT INTO sales.orders VALUES (1, 'a', 10.50), (2, 'b', 3), (3, 'a', 1);",
      "UPDATE sales.orders SET amount = amount * 2 WHERE customer = 'a';",
      'SELECT id, amount FROM sales.orders ORDER BY id;',
      "INSERT INTO sales.orders VALUES (NULL, 'c', 1);",
      'DELETE FROM sales.orders;',
    ].join('\n'),
  )
  const run = lakehouse('query', '--lake', lakeDir, '--file', script)
  assert.equal(run.code, 1, run.stderr)
  assert.match(run.stdout, /-- \[1\] 2:1 CREATE TABLE sales\.orders .*\n-- sales\.orders: CREATE TABLE, version 0\n/)
  assert.match(
    run.stdout,
    /-- \[2\] 4:1 INSERT INTO sales\.orders[^\n]*\nnum_affected_rows \| num_inserted_rows\n-+\+-+\n3 +\| 3\n\(1 row\)\n-- sales\.orders: WRITE \(3 inserted\), version 1\n/,
  )
  assert.match(run.stdout, /-- sales\.orders: UPDATE \(2 updated\), version 2\n/)
  assert.match(run.stdout, /id \| amount\n-+\+-+\n1 +\| 21\.00\n2 +\| 3\.00\n3 +\| 2\.00\n\(3 rows\)\n$/)
  assert.match(
    run.stderr,
    /^lakehouse: NOT NULL constraint violated: column 'id' is NULL in row .* \(statement 5 of 6, at 7:1; 4 statement\(s\) before it ran\)\n$/,
  )
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')

  const after = lakehouse(
    'query',
    '--lake',
    lakeDir,
    '--format',
    'json',
    "SELECT count(*)::INTEGER AS n FROM sales.orders; SELECT _change_type, count(*)::INTEGER AS n FROM table_changes('sales.orders', 2) GROUP BY 1 ORDER BY 1",
  )
  assert.equal(after.code, 0, after.stderr)
  const results = JSON.parse(after.stdout)
  assert.deepEqual(
    results.map((r: { rows: unknown }) => r.rows),
    [
      [{ n: 3 }],
      [
        { _change_type: 'update_postimage', n: 2 },
        { _change_type: 'update_preimage', n: 2 },
      ],
    ],
  )
  assert.equal(results[1].position, '1:50')
})

test('one writing statement prints what it did; a refused statement is a clear error', () => {
  const insert = lakehouse('query', '--lake', lakeDir, '--format', 'csv', "INSERT INTO sales.orders BY NAME SELECT 9 AS id, 'z' AS customer")
  assert.equal(insert.code, 0, insert.stderr)
  assert.equal(insert.stdout, 'num_affected_rows,num_inserted_rows\r\n1,1\r\n')
  const refused = lakehouse('query', '--lake', lakeDir, "COPY (SELECT 1) TO 'out.csv'")
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^lakehouse: 'COPY' is not a statement the lake runs: .* \(at 1:1\)\n$/)
  const syntax = lakehouse('query', '--lake', lakeDir, 'SELECT 1;\nUPDATE sales.orders SET WHERE id = 1')
  assert.equal(syntax.code, 1)
  assert.match(syntax.stderr, /expected =, found 'id' \(at 2:31, statement 2\)/)
  assert.equal(syntax.stdout, '', 'a syntax error anywhere runs nothing')
  const missing = lakehouse('query', '--lake', lakeDir, '--file', path.join(dir, 'nope.sql'))
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /cannot read --file .*nope\.sql: no such file/)
})
