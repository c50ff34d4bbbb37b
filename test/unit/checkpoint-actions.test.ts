/**
 * Turning a checkpoint row (hyparquet's record: one column per action kind, 64-bit integers as
 * bigint, maps as Map, absent fields undefined) or a commit line into an action: fields copied
 * with their values normalised, undefined ones left out, a field named __proto__ kept as a field.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCommit, toAction } from '../../src/delta/actions'

test('a checkpoint row becomes its action: bigint as number, maps as objects, undefined fields left out', () => {
  const row = {
    txn: undefined,
    add: {
      path: 'part-0.parquet',
      partitionValues: new Map([
        ['day', '2026-12-07'],
        ['region', null],
      ]),
      size: 355010n,
      modificationTime: 1796654767225n,
      dataChange: false,
      stats: '{"numRecords":3}',
      tags: undefined,
      deletionVector: { storageType: 'i', pathOrInlineDv: 'abc', offset: undefined, sizeInBytes: 34n, cardinality: 2n },
      baseRowId: null,
    },
    remove: undefined,
    metaData: null,
  }
  const action = toAction(row)
  assert.deepEqual(action, {
    add: {
      path: 'part-0.parquet',
      partitionValues: { day: '2026-12-07', region: null },
      size: 355010,
      modificationTime: 1796654767225,
      dataChange: false,
      stats: '{"numRecords":3}',
      deletionVector: { storageType: 'i', pathOrInlineDv: 'abc', sizeInBytes: 34, cardinality: 2 },
      baseRowId: null,
    },
  })
  assert.deepEqual(Object.keys((action as { add: object }).add), [
    'path',
    'partitionValues',
    'size',
    'modificationTime',
    'dataChange',
    'stats',
    'deletionVector',
    'baseRowId',
  ])
  // Defaults the protocol allows writers to leave out.
  assert.deepEqual(toAction({ add: { path: 'a', size: 1n } }), { add: { path: 'a', size: 1, partitionValues: {} } })
  assert.deepEqual(toAction({ remove: { path: 'a', deletionTimestamp: 5n } }), { remove: { path: 'a', deletionTimestamp: 5, dataChange: true } })
  assert.equal(toAction({ txn: undefined, add: null }), undefined)
})

test('a commit line with a field named __proto__ keeps it as a field, not as a prototype', () => {
  const [action] = parseCommit('{"add":{"path":"a","size":1,"tags":{"__proto__":{"polluted":"yes"}},"partitionValues":{}}}\n', 'test')
  const tags = (action as { add: { tags: Record<string, unknown> } }).add.tags
  assert.ok(Object.hasOwn(tags, '__proto__'))
  assert.equal(Object.getPrototypeOf(tags), Object.prototype)
  assert.equal((tags as { polluted?: string }).polluted, undefined)
  assert.equal(JSON.stringify(tags), '{"__proto__":{"polluted":"yes"}}')
})
