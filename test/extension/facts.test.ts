/** What the Lake view shows of a table, read from its log; where lakes are found from commit files. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { appendQuery, deleteRows } from '../../src/table'
import { factsOf, lakeDirsFromLogFiles, tableFacts, tableHistory } from '../../src/extension/lake/facts'

const lake = new LakeEngine()
const dir = mkdtempSync(path.join(tmpdir(), 'lakehouse-facts-'))

after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

test('rows (less deleted ones), size, version, files and change data feed come from the log', async () => {
  const table = path.join(dir, 'raw', 'orders')
  await appendQuery(lake, table, 'SELECT range AS id, range % 3 AS shop FROM range(10)', {
    create: { properties: { 'delta.enableChangeDataFeed': 'true', 'delta.enableDeletionVectors': 'true' } },
  })
  await appendQuery(lake, table, 'SELECT range + 10 AS id, 1 AS shop FROM range(5)')
  let facts = await tableFacts(lake, table)
  assert.equal(facts.version, 1)
  assert.equal(facts.rows, 15)
  assert.equal(facts.files, 2)
  assert.equal(facts.changeDataFeed, true)
  assert.ok(facts.bytes > 0)
  assert.deepEqual(facts.columns, [
    { name: 'id', type: 'long', nullable: true },
    { name: 'shop', type: 'long', nullable: true },
  ])
  await deleteRows(lake, table, 'id < 3')
  facts = await tableFacts(lake, table)
  assert.equal(facts.version, 2)
  assert.equal(facts.rows, 12)
  const history = await tableHistory(lake, table, 2)
  assert.deepEqual(
    history.map((h) => h.version),
    [2, 1],
  )
  assert.equal(history[0].operation, 'DELETE')
})

test('a file without statistics makes the row count unknown', async () => {
  const snapshot = await lake.snapshot(path.join(dir, 'raw', 'orders'))
  const stripped = { ...snapshot, files: snapshot.files.map((f, i) => (i === 0 ? { ...f, add: { ...f.add, stats: null } } : f)) }
  assert.equal(factsOf(stripped).rows, undefined)
})

test('a lake is three folders above a _delta_log, inside a workspace folder', () => {
  const roots = ['/w']
  const logs = [
    '/w/lake/raw/orders/_delta_log/00000000000000000000.json',
    '/w/lake/raw/orders/_delta_log/00000000000000000001.json',
    '/w/lake/refined/orders/_delta_log/00000000000000000000.json',
    '/w/other/lake2/raw/x/_delta_log/00000000000000000003.json',
    '/w/events/_delta_log/00000000000000000000.json',
    '/w/not-a-log/00000000000000000000.json',
  ]
  assert.deepEqual(lakeDirsFromLogFiles(logs, roots), ['/w/lake', '/w/other/lake2'])
  assert.deepEqual(lakeDirsFromLogFiles(['/w/raw/t/_delta_log/0.json'], roots), ['/w'])
})
