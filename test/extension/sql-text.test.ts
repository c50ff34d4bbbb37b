/** The `.sql` editor's reading of a file: statements, the one at the cursor, table names, aliases, completion context. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { completionContext, statementAt, statementsOf, tableAliases, tableReferences } from '../../src/extension/sql/sql-text'

const FILE = `-- orders; per customer
SELECT c.name, o.total FROM raw.orders o JOIN refined.customers AS c ON o.customer_id = c.customer_id;

INSERT INTO refined.totals SELECT 'a;b' AS "x;y", count(*) FROM raw.orders;
select * from raw.ordrs`

test('statements split where the query layer splits them; the cursor picks one', () => {
  const statements = statementsOf(FILE)
  assert.equal(statements.length, 3)
  assert.match(statements[1].text, /^INSERT INTO refined\.totals SELECT 'a;b' AS "x;y", count\(\*\) FROM raw\.orders$/)
  assert.equal(statementAt(FILE, FILE.indexOf('JOIN'))?.text, statements[0].text)
  assert.equal(statementAt(FILE, FILE.indexOf('raw.ordrs') + 3)?.text, 'select * from raw.ordrs')
  // Right after a semicolon: the statement it ends.
  assert.equal(statementAt(FILE, statements[0].end + 1)?.text, statements[0].text)
  assert.deepEqual(statementsOf("SELECT 'open"), [], 'an unclosed string: no statements yet')
})

test("table names of the lake's zones, with their offsets; aliases", () => {
  const zones = new Set(['raw', 'refined'])
  const names = tableReferences(FILE, zones).map((r) => `${r.zone}.${r.table}@${FILE.slice(r.start, r.end)}`)
  assert.deepEqual(names, [
    'raw.orders@raw.orders',
    'refined.customers@refined.customers',
    'refined.totals@refined.totals',
    'raw.orders@raw.orders',
    'raw.ordrs@raw.ordrs',
  ])
  assert.deepEqual(
    tableReferences('SELECT o.total, x.raw.y FROM raw.orders o', zones).map((r) => r.table),
    ['orders'],
    'o.total and x.raw.y are not tables',
  )
  const first = statementsOf(FILE)[0]
  const aliases = tableAliases(first.text, tableReferences(first.text, zones))
  assert.deepEqual([...aliases.entries()].map(([alias, r]) => `${alias}=${r.table}`).sort(), [
    'c=customers',
    'customers=customers',
    'o=orders',
    'orders=orders',
  ])
  const plain = 'SELECT * FROM raw.orders WHERE id = 1'
  assert.deepEqual([...tableAliases(plain, tableReferences(plain, zones)).keys()], ['orders'], 'WHERE is no alias')
})

test('what the word at the cursor completes', () => {
  assert.deepEqual(completionContext('SELECT * FROM raw.', 18), { kind: 'member', qualifier: 'raw', prefix: '' })
  assert.deepEqual(completionContext('SELECT * FROM raw.ord', 21), { kind: 'member', qualifier: 'raw', prefix: 'ord' })
  assert.deepEqual(completionContext('SELECT o.tot', 12), { kind: 'member', qualifier: 'o', prefix: 'tot' })
  assert.deepEqual(completionContext('SELECT "my t".c', 15), { kind: 'member', qualifier: 'my t', prefix: 'c' })
  assert.deepEqual(completionContext('SELECT cus', 10), { kind: 'any', prefix: 'cus' })
  assert.deepEqual(completionContext('SELECT ', 7), { kind: 'any', prefix: '' })
})
