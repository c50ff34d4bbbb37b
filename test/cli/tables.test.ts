/**
 * The `lakehouse` table commands as a user runs them (tables, history, changes, optimize,
 * vacuum): a real process, real tables on disk, and exit codes 0 / 1 (failed) / 2 (usage).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { LakeEngine } from '../../src/engine'
import { appendQuery, merge, update } from '../../src/table'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const lakeDir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-tables-'))

function lakehouse(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Runs a command that must succeed; its stdout. */
function ok(...args: string[]): string {
  const { code, stdout, stderr } = lakehouse(...args)
  assert.equal(code, 0, `lakehouse ${args.join(' ')}: ${stderr}`)
  return stdout
}

/** The rows of `--format table` output (header and rule dropped, count line dropped). */
function tableRows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .slice(2, -1)
    .map((line) => line.split(' | ').map((cell) => cell.trim()))
}

before(async () => {
  const lake = new LakeEngine()
  const orders = path.join(lakeDir, 'raw', 'orders')
  // Versions 0–2: appends of 10 ids each in 2 partitions; 3: an UPDATE; 4: a MERGE (delete + insert).
  for (let k = 0; k < 3; k++) {
    await appendQuery(lake, orders, `SELECT (10 * ${k} + i)::BIGINT AS id, (i % 2)::INTEGER AS p, (i * 1.5)::DECIMAL(10,2) AS amount FROM range(10) t(i)`, {
      // Copy-on-write (deletion vectors off): the history below shows the rows the MERGE copied.
      create: { partitionColumns: ['p'], properties: { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': 'false' } },
    })
  }
  await update(lake, orders, 'id = 3', { amount: '100' })
  await merge(lake, orders, `SELECT 4::BIGINT AS id, 0.0::DECIMAL(10,2) AS amount UNION ALL SELECT 99, 1.25`, {
    on: 't.id = s.id',
    whenMatchedDelete: {},
    whenNotMatchedInsert: { values: { id: 's.id', p: '0', amount: 's.amount' } },
  })
  // raw.small: 4 small files of one partition, for optimize and vacuum.
  for (let k = 0; k < 4; k++) await appendQuery(lake, path.join(lakeDir, 'raw', 'small'), `SELECT ${k} * 100 + i AS n FROM range(100) t(i)`)
  await appendQuery(lake, path.join(lakeDir, 'refined', 'customers'), `SELECT 'c' || i AS customer FROM range(3) t(i)`)
  await lake.close()
})
after(() => rmSync(lakeDir, { recursive: true, force: true }))

test('without arguments or with --help, lakehouse prints the usage of every command', () => {
  for (const args of [[], ['help'], ['history', '--help']]) {
    const { code, stdout } = lakehouse(...args)
    assert.equal(code, 0)
    for (const usage of [
      /lakehouse query \[--lake DIR\] \[--format table\|json\|csv\|markdown\] \[--stats\] \("SQL" \| --file FILE\.sql\)/,
      /lakehouse tables \[--lake DIR\] \[--format table\|json\|csv\|markdown\]/,
      /lakehouse history \[--lake DIR\] \[--limit N\] \[--format table\|json\|csv\|markdown\] TABLE/,
      /lakehouse changes \[--lake DIR\] --from V \[--to V\] \[--format table\|json\|csv\|markdown\] TABLE/,
      /lakehouse optimize \[--lake DIR\] \[--target-size BYTES\] TABLE/,
      /lakehouse vacuum \[--lake DIR\] \[--retention-hours H\] \[--dry-run\] \[--force\] TABLE/,
    ])
      assert.match(stdout, usage)
  }
})

test('tables: every table with its version, files and size', () => {
  const rows = JSON.parse(ok('tables', '--lake', lakeDir, '--format', 'json'))
  assert.deepEqual(
    rows.map((r: Record<string, unknown>) => [r.table, r.version, r.files]),
    [
      ['raw.orders', 4, 6],
      ['raw.small', 3, 4],
      ['refined.customers', 0, 1],
    ],
  )
  for (const row of rows) {
    assert.ok(row.bytes > 0)
    assert.match(row.last_commit, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  }
  const text = ok('tables', '--lake', lakeDir)
  assert.match(text, /^table +\| version \| files \| bytes \| last_commit\n/)
  assert.deepEqual(
    tableRows(text).map((r) => r.slice(0, 3)),
    [
      ['raw.orders', '4', '6'],
      ['raw.small', '3', '4'],
      ['refined.customers', '0', '1'],
    ],
  )
})

test('history: the versions newest first with their operation, by name or by path', () => {
  const text = ok('history', '--lake', lakeDir, 'raw.orders')
  assert.deepEqual(
    tableRows(text).map((r) => [r[0], r[2]]),
    [
      ['4', 'MERGE'],
      ['3', 'UPDATE'],
      ['2', 'WRITE'],
      ['1', 'WRITE'],
      ['0', 'WRITE'],
    ],
  )
  const limited = JSON.parse(ok('history', '--lake', lakeDir, '--limit', '2', '--format', 'json', 'raw/orders'))
  assert.deepEqual(
    limited.map((r: Record<string, unknown>) => [r.version, r.operation, r.readVersion]),
    [
      [4, 'MERGE', 3],
      [3, 'UPDATE', 2],
    ],
  )
  // Parameters and metrics are objects, not JSON text; Spark's JSON-in-a-string predicates are parsed too.
  assert.deepEqual(limited[1].operationParameters, { predicate: ['id = 3'] })
  assert.equal(limited[0].operationMetrics.numTargetRowsDeleted, 1)
  // The text shows what changed per commit, uncut: rows inserted, updated, deleted and files.
  const [merge, update] = tableRows(text)
  assert.match(merge[3], /^1 inserted, 1 deleted, \d+ copied$/)
  assert.match(merge[4], /^\+\d+ -\d+$/)
  assert.match(update[3], /^1 updated/)
  const csv = ok('history', '--lake', lakeDir, '--format', 'csv', '--limit', '1', 'raw.small')
  assert.match(csv, /^version,timestamp,operation,/)
  assert.match(csv.split('\r\n')[1], /^3,\d{4}-.*,WRITE,/)
})

test('changes: the change rows of an update and a merge, by version and by timestamp', () => {
  const rows = JSON.parse(ok('changes', '--lake', lakeDir, '--from', '3', '--format', 'json', 'raw.orders'))
  const strip = (r: Record<string, unknown>) => [r.id, r.amount, r._change_type, r._commit_version]
  const sorted = (list: unknown[][]) => [...list].sort((a, b) => Number(a[3]) - Number(b[3]) || String(a[2]).localeCompare(String(b[2])))
  assert.deepEqual(sorted(rows.map(strip)), [
    [3, '100.00', 'update_postimage', 3],
    [3, '4.50', 'update_preimage', 3],
    [4, '6.00', 'delete', 4],
    [99, '1.25', 'insert', 4],
  ])
  assert.match(rows[0]._commit_timestamp, /Z$/)
  const onlyUpdate = JSON.parse(ok('changes', '--lake', lakeDir, '--from', '3', '--to', '3', '--format', 'json', 'raw.orders'))
  assert.deepEqual(onlyUpdate.map((r: Record<string, unknown>) => r._change_type).sort(), ['update_postimage', 'update_preimage'])
  // From a timestamp: the first commit at or after it (version 4's own timestamp → version 4 only).
  const at = rows.find((r: Record<string, unknown>) => r._commit_version === 4)._commit_timestamp
  const fromTime = JSON.parse(ok('changes', '--lake', lakeDir, '--from', at, '--format', 'json', 'raw.orders'))
  assert.deepEqual(
    fromTime.map((r: Record<string, unknown>) => r._commit_version),
    [4, 4],
  )
  const first = ok('changes', '--lake', lakeDir, '--from', '0', '--to', '0', '--format', 'csv', 'raw.orders')
  assert.equal(first.trimEnd().split('\r\n').length, 11, 'version 0: a header and 10 inserts')
})

test('optimize compacts the small files and reports the file count; a second run has nothing to do', () => {
  const first = ok('optimize', '--lake', lakeDir, 'raw.small')
  assert.match(first, /^raw\.small: compacted 4 files \(.+\) into 1 \(.+\) in version 4; files in the table: 4 → 1\n$/)
  const [small] = JSON.parse(ok('tables', '--lake', lakeDir, '--format', 'json')).filter((r: Record<string, unknown>) => r.table === 'raw.small')
  assert.deepEqual([small.version, small.files], [4, 1])
  assert.match(ok('optimize', '--lake', lakeDir, '--target-size', '64mb', 'raw.small'), /^raw\.small: nothing to compact \(1 file at version 4/)
  assert.equal(ok('query', '--lake', lakeDir, '--format', 'csv', 'SELECT count(*) AS n, sum(n) AS s FROM raw.small'), 'n,s\r\n400,79800\r\n')
})

test('vacuum: nothing to delete in a fresh table, a short retention needs --force, then the compacted files go', () => {
  assert.match(
    ok('vacuum', '--lake', lakeDir, '--dry-run', 'refined.customers'),
    /^refined\.customers: vacuum would delete 0 files \(0 B\) that no version since .* needs\n$/,
  )
  const refused = lakehouse('vacuum', '--lake', lakeDir, '--retention-hours', '1', 'raw.small')
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^lakehouse: a retention of 1 hour is shorter than the table's 7 days .*--force on the command line/)
  assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace')
  // raw.small was optimized by the test before: its 4 old files are what a zero retention frees.
  const dryRun = ok('vacuum', '--lake', lakeDir, '--retention-hours', '0', '--force', '--dry-run', 'raw.small')
  const listed = dryRun.trimEnd().split('\n')
  assert.match(listed[0], /^raw\.small: vacuum would delete 4 files \(.+\) that no version since .* needs:$/)
  assert.equal(listed.slice(1).filter((l) => /^ {2}part-.*\.parquet$/.test(l)).length, 4)
  assert.match(ok('vacuum', '--lake', lakeDir, '--retention-hours', '0', '--force', 'raw.small'), /^raw\.small: deleted 4 files /)
  assert.match(ok('vacuum', '--lake', lakeDir, '--retention-hours', '0', '--force', '--dry-run', 'raw.small'), /would delete 0 files/)
  assert.equal(ok('query', '--lake', lakeDir, '--format', 'csv', 'SELECT count(*) AS n FROM raw.small'), 'n\r\n400\r\n')
})

test('errors: an unknown table lists the tables (exit 1), wrong usage exits 2, never a stack trace', () => {
  for (const command of [['history'], ['changes', '--from', '0'], ['optimize'], ['vacuum', '--dry-run']]) {
    const { code, stdout, stderr } = lakehouse(...command, '--lake', lakeDir, 'raw.nope')
    assert.equal(code, 1, command[0])
    assert.equal(stdout, '')
    assert.match(
      stderr,
      /^lakehouse: unknown table 'raw\.nope' in the lake .* \(tables: raw\.orders, raw\.small, refined\.customers\)\. The lake is .* \(--lake\); pass --lake DIR to use another\n$/,
      command[0],
    )
  }
  const notDelta = lakehouse('history', '--lake', lakeDir, './raw/nope')
  assert.equal(notDelta.code, 1)
  assert.match(notDelta.stderr, /^lakehouse: not a Delta table/)
  const badVersion = lakehouse('changes', '--lake', lakeDir, '--from', '9', 'raw.orders')
  assert.equal(badVersion.code, 1)
  assert.match(badVersion.stderr, /^lakehouse: the start version 9 is after the latest version 4/)
  const noLake = lakehouse('tables', '--lake', path.join(lakeDir, 'missing'))
  assert.equal(noLake.code, 1)
  assert.match(noLake.stderr, /^lakehouse: the lake folder .*missing \(--lake\) does not exist/)

  const usage: [string[], RegExp][] = [
    [['history', '--lake', lakeDir, '--bogus', 'raw.orders'], /^lakehouse: history: unknown option '--bogus'\. Options: --lake --format --limit\n$/],
    [['history', '--lake', lakeDir, '--limit', 'ten', 'raw.orders'], /--limit must be a whole number >= 1, not 'ten'/],
    [['history', '--lake', lakeDir], /history takes TABLE, got none/],
    [['history', '--lake', lakeDir, 'orders'], /TABLE must be zone\.table .* or a path containing '\/'/],
    [['changes', '--lake', lakeDir, 'raw.orders'], /changes needs --from V/],
    [['changes', '--lake', lakeDir, '--from', 'yesterday', 'raw.orders'], /--from must be a version number or a timestamp/],
    [['tables', '--lake', lakeDir, '--format', 'xml'], /--format must be table, json, csv or markdown, not 'xml'/],
    [['optimize', '--lake', lakeDir, '--target-size', 'big', 'raw.small'], /--target-size must be a size in bytes/],
    [['vacuum', '--lake', lakeDir, '--retention-hours=-1', 'raw.small'], /--retention-hours must be a number of hours >= 0/],
    [['vacuum', '--lake', lakeDir, '--dry-run=yes', 'raw.small'], /--dry-run takes no value/],
    [['compact', 'raw.small'], /unknown command 'compact'/],
    [['histroy', 'raw.small'], /unknown command 'histroy'\. Did you mean 'history'\?/],
    [['history', '--lake', lakeDir, '--limt', '2', 'raw.small'], /unknown option '--limt'\. Did you mean '--limit'\?/],
    [['tables', '--lake', lakeDir, '--format', 'jsn'], /not 'jsn'\. Did you mean 'json'\?/],
  ]
  for (const [args, message] of usage) {
    const { code, stderr } = lakehouse(...args)
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`)
    assert.match(stderr, message)
    assert.doesNotMatch(stderr, /\n\s+at /)
  }
})
