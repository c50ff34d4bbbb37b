/**
 * Statistics are another writer's data: a table whose `add.stats` do not parse as JSON still reads
 * whole and takes MERGE, UPDATE and DELETE (the row count then comes from the Parquet footer, and
 * no file is skipped on statistics). Before, MERGE's choice of a key pass, the deletion vector
 * writer and the view refresh each parsed the text themselves and failed with a SyntaxError.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { liveRowCount, statsNumRecords } from '../../src/delta'
import { appendQuery } from '../../src/table/delta-writer'
import { merge } from '../../src/table/merge'
import { deleteRows, update } from '../../src/table/update-delete'
import { readCommitFile } from '../helpers/delta-log'
import { scanRows } from '../helpers/table-rows'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('unparsable-stats')

const ROWS = 2000

/** A 2,000-row table (deletion vectors on, one file) whose only add carries statistics cut off mid-object. */
async function tableWithBrokenStats(): Promise<string> {
  const table = freshTable()
  await appendQuery(lake, table, `SELECT i::BIGINT AS id, 'v' || i AS v FROM range(${ROWS}) t(i)`, { create: {} })
  const commit = readCommitFile(table, 0)
  const actions = commit.actions.map((action) => (action.add ? { add: { ...action.add, stats: `{"numRecords":${ROWS},"minValues":{"id":0` } } : action))
  assert.equal(actions.filter((a) => a.add).length, 1, 'one data file')
  writeFileSync(commit.file, actions.map((a) => JSON.stringify(a)).join('\n') + '\n')
  return table
}

const rowsOf = (table: string) => scanRows(lake, table, (from) => `SELECT id, v FROM ${from} ORDER BY id`)

test('the row count of statistics that do not parse is unknown, not an error', () => {
  assert.equal(statsNumRecords('{"numRecords":12'), undefined)
  assert.equal(statsNumRecords('null'), undefined)
  assert.equal(statsNumRecords('{"numRecords":"12"}'), undefined)
  assert.equal(statsNumRecords('{"numRecords":12}'), 12)
  assert.equal(liveRowCount({ stats: '{"numRecords":12}', deletionVector: { cardinality: 5 } }), 7)
  assert.equal(liveRowCount({ stats: '{', deletionVector: { cardinality: 5 } }), undefined)
})

test('a table whose statistics do not parse takes MERGE (sparse: the key pass is chosen), UPDATE and DELETE', async () => {
  const table = await tableWithBrokenStats()
  assert.equal((await rowsOf(table)).length, ROWS, 'the table reads whole')

  const merged = await merge(lake, table, `SELECT * FROM (VALUES (5::BIGINT, 'five'), (${ROWS}::BIGINT, 'new')) s(id, v)`, {
    on: 't.id = s.id',
    whenMatchedUpdate: { set: '*' },
    whenNotMatchedInsert: { values: '*' },
  })
  assert.deepEqual([merged.metrics.rowsUpdated, merged.metrics.rowsInserted], [1, 1])

  await update(lake, table, 'id = 7', { v: "'seven'" })
  await deleteRows(lake, table, 'id < 3')

  const rows = await rowsOf(table)
  assert.equal(rows.length, ROWS + 1 - 3)
  const byId = new Map(rows.map((r) => [Number(r.id), r.v]))
  assert.deepEqual([byId.get(5), byId.get(7), byId.get(ROWS), byId.get(0), byId.get(8)], ['five', 'seven', 'new', undefined, 'v8'])
})
