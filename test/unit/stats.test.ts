import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StructType } from '../../src/delta/schema'
import { buildFileStats, leafKey, type LeafStatistics } from '../../src/delta/stats'

const field = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} })

test('stats keep 64-bit integers and decimals exact and widen only safely', () => {
  const schema: StructType = {
    type: 'struct',
    fields: [
      field('id', 'long'),
      field('amount', 'decimal(20,2)'),
      field('name', 'string'),
      field('at', 'timestamp'),
      field('local', 'timestamp_ntz'),
      field('day', 'date'),
      field('flag', 'boolean'),
      field('nested', { type: 'struct', fields: [field('x', 'integer')] }),
    ],
  }
  const long = 'x'.repeat(40)
  const columns = new Map<string, LeafStatistics>([
    [leafKey(['id']), { min: '-9007199254740993', max: '9007199254740993', nullCount: '0' }],
    [leafKey(['amount']), { min: '-12345678901234567.89', max: '1.50', nullCount: '1' }],
    [leafKey(['name']), { min: long, max: long, nullCount: '2' }],
    [leafKey(['at']), { min: '2024-01-01 10:00:00.123456+00', max: '2024-01-01 10:00:00.123456+00', nullCount: '0' }],
    [leafKey(['local']), { min: '2024-01-01 10:00:00', max: '2024-01-01 10:00:00.000001', nullCount: '0' }],
    [leafKey(['day']), { min: '2024-02-29', max: '2024-03-01', nullCount: '0' }],
    [leafKey(['flag']), { min: 'false', max: 'true', nullCount: '3' }],
    [leafKey(['nested', 'x']), { min: '1', max: '2', nullCount: '4' }],
  ])
  const text = buildFileStats(schema, 10, columns)
  assert.ok(text.includes('"id":-9007199254740993'), text)
  assert.ok(text.includes('"id":9007199254740993'), text)
  assert.ok(text.includes('"amount":-12345678901234567.89'), text)
  const stats = JSON.parse(text)
  assert.equal(stats.numRecords, 10)
  assert.equal(stats.minValues.name, 'x'.repeat(32))
  assert.equal(stats.maxValues.name, undefined, 'a truncated max would be too small')
  assert.equal(stats.minValues.at, '2024-01-01T10:00:00.123Z')
  assert.equal(stats.maxValues.at, '2024-01-01T10:00:00.124Z')
  assert.equal(stats.minValues.local, '2024-01-01T10:00:00.000')
  assert.equal(stats.maxValues.local, '2024-01-01T10:00:00.001')
  assert.equal(stats.maxValues.day, '2024-03-01')
  assert.equal(stats.minValues.flag, undefined)
  assert.equal(stats.nullCount.flag, 3)
  assert.deepEqual(stats.nullCount.nested, { x: 4 })
  assert.deepEqual(stats.maxValues.nested, { x: 2 })
})

test('only the first numIndexedCols leaf columns get stats', () => {
  const schema: StructType = {
    type: 'struct',
    fields: [field('a', 'integer'), field('s', { type: 'struct', fields: [field('b', 'integer'), field('c', 'integer')] }), field('d', 'integer')],
  }
  const columns = new Map<string, LeafStatistics>(['a', 's\u0000b', 's\u0000c', 'd'].map((k) => [k, { min: '1', max: '1', nullCount: '0' }]))
  const stats = JSON.parse(buildFileStats(schema, 1, columns, { numIndexedCols: 2 }))
  assert.deepEqual(stats.nullCount, { a: 0, s: { b: 0 } })
})
