/**
 * Which target columns MERGE's key pass reads: every table column whose name occurs in the join
 * condition (as a word or a quoted identifier, any case); none can be left out, a source column of
 * the same name is read needlessly. A condition on the whole target row (`t.*`, `t` alone) has no
 * key pass.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StructType } from '../../src/delta'
import { columnsNamedIn } from '../../src/table/key-pass'

const field = (name: string) => ({ name, type: 'long', nullable: true, metadata: {} })
const schema: StructType = { type: 'struct', fields: ['id', 'Region', 'odd name', 'v', 'tag'].map(field) }

test('the columns a join condition names, in the schema’s order', () => {
  assert.deepEqual(columnsNamedIn('t.id = s.id', schema, 't'), ['id'])
  assert.deepEqual(columnsNamedIn('t.region = s.region AND t.ID = s.id', schema, 't'), ['id', 'Region'])
  assert.deepEqual(columnsNamedIn('"t"."odd name" = s.k AND "t".v > 0', schema, 't'), ['odd name', 'v'])
  assert.deepEqual(columnsNamedIn('target.id = source.id', schema, 'target'), ['id'])
  // Unqualified names and names inside expressions count too (over-reading is harmless).
  assert.deepEqual(columnsNamedIn("t.id = s.id AND coalesce(tag, 'x') = s.tag", schema, 't'), ['id', 'tag'])
  assert.deepEqual(columnsNamedIn('s.k = 1', schema, 't'), [])
})

test('with the source alias given, names right after it are the source’s', () => {
  assert.deepEqual(columnsNamedIn('t.id = s.id AND s.v <> \'x\' AND "s"."tag" = t.v', schema, 't', 's'), ['id', 'v'])
  assert.deepEqual(columnsNamedIn('t.id = src.tag', schema, 't', 'src'), ['id'])
  // Without it, every name counts.
  assert.deepEqual(columnsNamedIn('t.id = s.v', schema, 't'), ['id', 'v'])
})

test('a condition on the whole target row has no key pass', () => {
  assert.equal(columnsNamedIn('t.* IS NOT NULL AND t.id = s.id', schema, 't'), undefined)
  assert.equal(columnsNamedIn('t IS NOT NULL AND t.id = s.id', schema, 't'), undefined)
  assert.equal(columnsNamedIn('hash("t") = s.h', schema, 't'), undefined)
  // The alias inside other names, or as a source column, is not the row.
  assert.deepEqual(columnsNamedIn('t.id = s.t AND s.tt = 1', schema, 't'), ['id'])
})
