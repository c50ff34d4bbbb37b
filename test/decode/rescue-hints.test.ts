/**
 * The pieces of rescue and hints alone (decode/rescue.ts, decode/hints.ts, pipeline/raw-schema.ts):
 * map values (which JSON inference never makes, but Avro and Protobuf do), paths, and the pipeline
 * file's checks of hints, each with its JSON path.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyHintsToStruct, fitRow, normaliseHints } from '../../src/decode'
import type { StructType } from '../../src/delta/schema'
import { checkPipeline } from '../../src/pipeline/pipeline-file'
import { evolveRawSchema, fitsWhateverTheValues } from '../../src/pipeline/raw-schema'

const field = (name: string, type: StructType['fields'][number]['type']) => ({ name, type, nullable: true, metadata: {} })
const struct = (...fields: StructType['fields']): StructType => ({ type: 'struct', fields })

test('map values: a new field in struct values evolves the table; a value that does not fit is rescued at its key', () => {
  const table = struct(field('m', { type: 'map', keyType: 'string', valueType: struct(field('n', 'long')), valueContainsNull: true }))
  const incoming = struct(field('m', { type: 'map', keyType: 'string', valueType: struct(field('n', 'long'), field('x', 'double')), valueContainsNull: true }))
  const evolved = evolveRawSchema(table, incoming, new Map(), new Set())
  assert.deepEqual(evolved.fields[0].type, incoming.fields[0].type)
  assert.equal(evolveRawSchema(evolved, incoming, new Map(), new Set()), evolved, 'nothing new: the same schema object')
  const fitted = fitRow({ m: { a: { n: 1, x: 2 }, b: { n: 1.5, x: 3.25 }, c: 'text' } }, evolved)
  assert.deepEqual(fitted.row, { m: { a: { n: 1, x: 2 }, b: { n: null, x: 3.25 }, c: null } })
  assert.deepEqual(fitted.rescued, { 'm.b.n': 1.5, 'm.c': 'text' })
})

test('an array that takes no nulls (an older table) is rescued whole; decimals are written as exact text', () => {
  const schema = struct(field('a', { type: 'array', elementType: 'long', containsNull: false }), field('p', 'decimal(10,2)'))
  const fitted = fitRow({ a: [1, 2.5], p: 19 }, schema)
  assert.deepEqual(fitted.row, { a: null, p: '19.00' })
  assert.deepEqual(fitted.rescued, { a: [1, 2.5] })
  const same = { a: [1, 2], p: '1.5' }
  assert.equal(fitRow(same, schema).row, same, 'nothing to change: the row itself')
})

test('whole numbers fit double columns by type alone; fractions into long and text into numbers do not', () => {
  assert.ok(fitsWhateverTheValues('long', 'double'))
  assert.ok(
    fitsWhateverTheValues(
      { type: 'array', elementType: struct(field('price', 'long')), containsNull: false },
      { type: 'array', elementType: struct(field('price', 'double'), field('sku', 'string')), containsNull: true },
    ),
  )
  assert.ok(!fitsWhateverTheValues('double', 'long'))
  assert.ok(!fitsWhateverTheValues('long', 'decimal(10,2)'), 'a decimal column checks each value')
  assert.ok(!fitsWhateverTheValues(struct(field('Price', 'long')), struct(field('price', 'double'))), 'names must match exactly')
  // An integer beyond 2^53 (kept as its digits) would be rounded by a double: rescued.
  assert.deepEqual(fitRow({ t: '9007199254740993' }, struct(field('t', 'double'))).rescued, { t: '9007199254740993' })
  assert.equal(fitRow({ t: '9007199254740992' }, struct(field('t', 'double'))).rescued, undefined)
})

test('hints by path, case-insensitive, at any depth; only new columns take them', () => {
  const hints = normaliseHints({ Total: 'double', 'items.element.price': 'decimal(10,2)', 'm.value.n': 'DOUBLE' })
  const data = struct(
    field('total', 'long'),
    field('items', { type: 'array', elementType: struct(field('price', 'long')), containsNull: true }),
    field('m', { type: 'map', keyType: 'string', valueType: struct(field('n', 'long')), valueContainsNull: true }),
  )
  const hinted = applyHintsToStruct(data, hints)
  assert.equal(hinted.fields[0].type, 'double')
  assert.deepEqual(hinted.fields[1].type, { type: 'array', elementType: struct(field('price', 'decimal(10,2)')), containsNull: true })
  assert.deepEqual(hinted.fields[2].type, { type: 'map', keyType: 'string', valueType: struct(field('n', 'double')), valueContainsNull: true })
  const existing = struct(field('total', 'long'))
  assert.equal(evolveRawSchema(existing, struct(field('total', 'long')), hints, new Set()), existing, 'an existing column keeps its type')
})

test('the pipeline file checks hints with their JSON paths', () => {
  const file = (schemaHints: unknown, extra: Record<string, unknown> = {}) => ({
    lake: './l',
    sources: [{ name: 's', file: 'x.ndjson', format: 'json', table: 'raw.x', schemaHints, ...extra }],
  })
  assert.deepEqual(checkPipeline(file({ total: 'double', 'items.element.price': 'decimal(10,2)' })), [])
  assert.deepEqual(checkPipeline(file({ total: 'number', 'a..b': 'long', d: 'decimal(40,2)', e: 'decimal(4,5)' })), [
    {
      path: '$.sources[0].schemaHints["total"]',
      message:
        "'number' is not a type a hint can give: one of string, long, integer, short, byte, double, float, boolean, date, timestamp, timestamp_ntz, decimal(p,s), or map<string, one of those>",
    },
    {
      path: '$.sources[0].schemaHints["a..b"]',
      message: "'a..b' is not a column path: names separated by '.', with 'element' for an array's elements and 'value' for a map's values",
    },
    { path: '$.sources[0].schemaHints["d"]', message: 'decimal precision must be 1 to 38, not 40' },
    { path: '$.sources[0].schemaHints["e"]', message: 'decimal scale 5 is larger than its precision 4' },
  ])
  assert.deepEqual(
    checkPipeline(file({ total: 3 })).map((p) => p.path),
    ['$.sources[0].schemaHints.total'],
  )
  // Map hints: string keys (JSON object keys), a primitive or decimal value type.
  assert.deepEqual(checkPipeline(file({ stock: 'map<string, long>', labels: 'MAP<STRING,STRING>', prices: 'map<string,decimal(10,2)>' })), [])
  assert.deepEqual(checkPipeline(file({ a: 'map<long, long>', b: 'map<string, map<string, long>>', c: 'map<string, decimal(40,1)>' })), [
    { path: '$.sources[0].schemaHints["a"]', message: "a map hint's keys are JSON object keys: map<string, …>, not map<long, …>" },
    {
      path: '$.sources[0].schemaHints["b"]',
      message:
        "in 'map<string, map<string, long>>': 'map<string, long>' is not a type a hint can give: one of string, long, integer, short, byte, double, float, boolean, date, timestamp, timestamp_ntz, decimal(p,s), or map<string, one of those>",
    },
    { path: '$.sources[0].schemaHints["c"]', message: "in 'map<string, decimal(40,1)>': decimal precision must be 1 to 38, not 40" },
  ])
})
