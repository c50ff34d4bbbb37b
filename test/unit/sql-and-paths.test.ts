import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { canonicalPartitionValue, serializePartitionValue } from '../../src/delta/partition-values'
import { percentDecode, percentEncodePath, resolveLogPath } from '../../src/delta/paths'
import { canWidenInto, mergeSchemaForAppend, type DataType, type StructField, type StructType } from '../../src/delta/schema'
import { splitConjuncts } from '../../src/table/predicates'
import { findDeltaPathReferences, maskSql } from '../../src/query/sql-text'

test('delta.`path` references are found outside strings and comments only', () => {
  const sql = 'SELECT \'delta.`/no`\', "delta.`/no2`" FROM delta.`/a/b` JOIN DELTA . `rel``x` -- delta.`/c`\n /* delta.`/d` */ WHERE x = mydelta.`/e`'
  const refs = findDeltaPathReferences(sql)
  assert.deepEqual(
    refs.map((r) => r.path),
    ['/a/b', 'rel`x'],
  )
  assert.equal(maskSql(sql).length, sql.length)
  assert.ok(!maskSql(sql).includes('/c'), 'comments are blanked')
})

test('a delta.`path` holding comment or quote characters is one reference, not a comment', () => {
  const sql = "SELECT * FROM delta.`/tmp/a--b/t` JOIN delta.`/tmp/x/*y*/` ON true JOIN delta.`/it's` ON true -- delta.`/no`"
  assert.deepEqual(
    findDeltaPathReferences(sql).map((r) => r.path),
    ['/tmp/a--b/t', '/tmp/x/*y*/', "/it's"],
  )
})

test('log paths are percent-decoded and resolved; other schemes are refused', () => {
  const join = (a: string, b: string) => `${a}/${b}`
  assert.equal(resolveLogPath('/t', 'p=a%20b/test%25file.parquet', join), '/t/p=a b/test%file.parquet')
  assert.equal(resolveLogPath('/t', 'file:///data/x%3Ay.parquet', join), '/data/x:y.parquet')
  assert.throws(
    () => resolveLogPath('/t', 's3://bucket/x.parquet', join),
    (e: unknown) => e instanceof DeltaError && e.message.includes('s3:'),
  )
  assert.equal(percentDecode('bad%zzescape%41'), 'bad%zzescapeA')
  assert.equal(percentEncodePath('s=a%2Fb c/part-1.parquet'), 's=a%252Fb%20c/part-1.parquet')
})

test('partition values are checked and canonicalised per type', () => {
  assert.equal(canonicalPartitionValue('2021-09-08 11:11:11', 'timestamp', 'c'), '2021-09-08 11:11:11+00:00')
  assert.equal(canonicalPartitionValue('1970-01-01T00:00:00.123456Z', 'timestamp', 'c'), '1970-01-01 00:00:00.123456+00:00')
  assert.equal(canonicalPartitionValue('2021-09-08 11:11:11.5', 'timestamp_ntz', 'c'), '2021-09-08 11:11:11.5')
  assert.equal(canonicalPartitionValue('', 'integer', 'c'), null)
  assert.equal(canonicalPartitionValue('', 'string', 'c'), null, 'the protocol: an empty string is null for any type')
  assert.equal(canonicalPartitionValue(null, 'string', 'c'), null)
  assert.throws(
    () => canonicalPartitionValue('abc', 'integer', 'c', '/t'),
    (e: unknown) => e instanceof DeltaError && e.message.includes("'abc'") && e.message.includes('/t'),
  )
  assert.equal(serializePartitionValue('2024-01-01 10:00:00+00', 'timestamp'), '2024-01-01T10:00:00.000000Z')
  assert.equal(serializePartitionValue('2024-01-01 10:00:00.25+00', 'timestamp'), '2024-01-01T10:00:00.250000Z')
})

test('schema evolution adds nullable columns and refuses type changes', () => {
  const f = (name: string, type: string) => ({ name, type, nullable: false, metadata: {} })
  const table: StructType = {
    type: 'struct',
    fields: [f('id', 'long'), { name: 's', type: { type: 'struct', fields: [f('a', 'integer')] }, nullable: true, metadata: {} }],
  }
  assert.equal(mergeSchemaForAppend(table, { type: 'struct', fields: [f('ID', 'long')] }), table, 'same columns (case-insensitive): unchanged')
  const merged = mergeSchemaForAppend(table, {
    type: 'struct',
    fields: [
      f('id', 'long'),
      f('extra', 'string'),
      { name: 's', type: { type: 'struct', fields: [f('a', 'integer'), f('b', 'date')] }, nullable: true, metadata: {} },
    ],
  })
  assert.deepEqual(
    merged.fields.map((x) => x.name),
    ['id', 's', 'extra'],
  )
  assert.equal(merged.fields[2].nullable, true)
  assert.deepEqual(
    (merged.fields[1].type as StructType).fields.map((x) => x.name),
    ['a', 'b'],
  )
  assert.throws(
    () => mergeSchemaForAppend(table, { type: 'struct', fields: [f('id', 'string')] }, '/t'),
    (e: unknown) => e instanceof DeltaError && e.code === 'SCHEMA_MISMATCH' && e.message.includes("'id'"),
  )
  assert.equal(mergeSchemaForAppend(table, { type: 'struct', fields: [f('id', 'integer')] }), table, 'integer data casts losslessly into long')
  const narrow: StructType = { type: 'struct', fields: [f('n', 'integer')] }
  assert.throws(
    () => mergeSchemaForAppend(narrow, { type: 'struct', fields: [f('n', 'long')] }),
    (e: unknown) => e instanceof DeltaError && e.code === 'SCHEMA_MISMATCH',
  )
})

test('appends evolve structs at any depth: in array elements and map values too', () => {
  const f = (name: string, type: DataType): StructField => ({ name, type, nullable: true, metadata: {} })
  const struct = (...fields: StructField[]): StructType => ({ type: 'struct', fields })
  const array = (elementType: DataType): DataType => ({ type: 'array', elementType, containsNull: true })
  const map = (valueType: DataType): DataType => ({ type: 'map', keyType: 'string', valueType, valueContainsNull: true })
  const table = struct(
    f('items', array(struct(f('sku', 'string')))),
    f('m', map(struct(f('p', 'long')))),
    f('o', struct(f('l', array(array(struct(f('t', 'long'))))))),
  )
  const incoming = struct(
    f('items', array(struct(f('sku', 'string'), f('discount', 'double')))),
    f('m', map(struct(f('p', 'integer'), f('q', 'string')))),
    f('o', struct(f('l', array(array(struct(f('t', 'long'), f('u', 'string'))))))),
  )
  const merged = mergeSchemaForAppend(table, incoming)
  assert.deepEqual(
    merged,
    struct(
      f('items', array(struct(f('sku', 'string'), f('discount', 'double')))),
      f('m', map(struct(f('p', 'long'), f('q', 'string')))),
      f('o', struct(f('l', array(array(struct(f('t', 'long'), f('u', 'string'))))))),
    ),
  )
  assert.equal(mergeSchemaForAppend(merged, table), merged, 'older data (fewer fields) changes nothing')
  assert.throws(
    () => mergeSchemaForAppend(table, struct(f('items', array(struct(f('sku', 'long')))))),
    (e: unknown) => e instanceof DeltaError && e.message.includes("column 'items.element.sku' has type string in the table but long"),
  )
})

test('lossless widening rules', () => {
  assert.ok(canWidenInto('short', 'long'))
  assert.ok(canWidenInto('integer', 'double'))
  assert.ok(!canWidenInto('long', 'double'), 'doubles lose 64-bit integers')
  assert.ok(canWidenInto('integer', 'decimal(12,2)'))
  assert.ok(!canWidenInto('integer', 'decimal(10,2)'))
  assert.ok(canWidenInto('decimal(5,2)', 'decimal(7,3)'))
  assert.ok(!canWidenInto('decimal(5,2)', 'decimal(5,3)'))
  assert.ok(canWidenInto({ type: 'array', elementType: 'integer', containsNull: true }, { type: 'array', elementType: 'long', containsNull: true }))
  assert.ok(!canWidenInto('string', 'long'))
})

test('predicates split at top-level ANDs only', () => {
  assert.deepEqual(splitConjuncts('grp = 1 AND id < 10'), ['grp = 1', 'id < 10'])
  assert.deepEqual(splitConjuncts('(a = 1 AND b = 2) and c = \'x AND y\' AND "band" = 3'), ['(a = 1 AND b = 2)', "c = 'x AND y'", '"band" = 3'])
  assert.deepEqual(splitConjuncts('brand = 1 OR android = 2'), ['brand = 1 OR android = 2'])
  assert.deepEqual(splitConjuncts('x BETWEEN -1 AND 0 AND y = 2'), ['x BETWEEN -1 AND 0', 'y = 2'], "BETWEEN's AND is not a conjunction")
})
