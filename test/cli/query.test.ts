/**
 * The `lakehouse` command as a user runs it: a real process, real tables on disk, real DuckDB.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-'))

function lakehouse(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

before(async () => {
  const lake = new LakeEngine()
  await appendQuery(
    lake,
    path.join(lakeDir, 'orders'),
    `SELECT i AS id, 'c' || (i % 3) AS customer, (i * 1.25)::DECIMAL(10,2) AS amount, 9007199254740993 + i AS big,
            TIMESTAMPTZ '2026-11-24 10:00:00+00' + INTERVAL (i) MINUTE AS at FROM range(5) t(i)`,
    { create: { partitionColumns: ['customer'] } },
  )
  await lake.close()
})
after(() => rmSync(lakeDir, { recursive: true, force: true }))

test('without arguments, lakehouse prints its usage', () => {
  const { code, stdout } = lakehouse()
  assert.equal(code, 0)
  assert.match(stdout, /lakehouse query \[--lake DIR\]/)
})

test('query --format json: row objects with exact big integers, decimals and ISO timestamps', () => {
  const { code, stdout, stderr } = lakehouse('query', '--lake', lakeDir, '--format', 'json', 'SELECT * FROM delta.`orders` ORDER BY id')
  assert.equal(code, 0, stderr)
  const rows = JSON.parse(stdout)
  assert.equal(rows.length, 5)
  assert.deepEqual(rows[1], { id: 1, amount: '1.25', big: '9007199254740994', at: '2026-11-24T10:01:00Z', customer: 'c1' })
})

test('query --format csv and table', () => {
  const csv = lakehouse('query', '--lake', lakeDir, '--format', 'csv', 'SELECT customer, count(*) AS n FROM delta.`orders` GROUP BY 1 ORDER BY 1')
  assert.equal(csv.code, 0, csv.stderr)
  assert.equal(csv.stdout, 'customer,n\r\nc0,2\r\nc1,2\r\nc2,1\r\n')
  const table = lakehouse('query', '--lake', lakeDir, `SELECT count(*) AS n FROM delta.\`${path.join(lakeDir, 'orders')}\``)
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^n\n-+\n5\n\(1 row\)\n$/)
})

test('errors are one clear line and a non-zero exit', () => {
  const missing = lakehouse('query', '--lake', lakeDir, 'SELECT * FROM delta.`nope`')
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /^lakehouse: not a Delta table: .*nope/)
  assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace')
  const syntax = lakehouse('query', '--lake', lakeDir, 'SELEC 1')
  assert.equal(syntax.code, 1)
  assert.match(syntax.stderr, /Parser Error/)
  const usage = lakehouse('query', '--format', 'xml', 'SELECT 1')
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /--format must be table, json, csv or markdown/)
})
