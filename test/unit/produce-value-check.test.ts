/**
 * The topic panel's Produce editor checks (webview/topic/value-check.ts), as plain functions: where
 * JSON stops parsing, the object path at the caret inside arrays and nested objects, notes against
 * the inferred schema, and whitespace removed without touching strings or 64-bit numbers.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SchemaNode } from '../../webview/shared/protocol'
import { caretContext, compactJson, fieldSuggestions, jsonErrorOffset, parseJsonValue, schemaNotes } from '../../webview/topic/value-check'

const leaf = (name: string, type: string): SchemaNode => ({ name, type, nullable: true, children: [] })
const SCHEMA: SchemaNode[] = [
  leaf('id', 'long'),
  {
    name: 'items',
    type: 'array<struct>',
    nullable: true,
    children: [{ name: 'element', type: 'struct', nullable: false, children: [leaf('sku', 'string'), leaf('qty', 'integer')] }],
  },
  { name: 'tags', type: 'array<string>', nullable: true, children: [] },
  leaf('price', 'decimal(10,2)'),
]

test('the first character that is not JSON', () => {
  for (const text of ['{"a": [1, 2, {"b": null}], "c": -1.5e3, "d": "x\\"y"}', ' true ', '"\\u00e9"']) {
    assert.equal(jsonErrorOffset(text), text.length, text)
    assert.equal(parseJsonValue(text).ok, true)
  }
  assert.equal(jsonErrorOffset('{"a": 1,}'), 8)
  assert.equal(jsonErrorOffset('[1 2]'), 3)
  assert.equal(jsonErrorOffset('{"a": tru}'), 6)
  assert.equal(jsonErrorOffset('{"a": "open'), 11)
  assert.equal(jsonErrorOffset('{} x'), 3)
  assert.equal(jsonErrorOffset('01'), 1)
  assert.deepEqual(parseJsonValue('{\n "a":\n  ]}'), {
    ok: false,
    message: (() => {
      try {
        JSON.parse('{\n "a":\n  ]}')
      } catch (e) {
        return (e as Error).message
      }
    })(),
    line: 3,
    column: 3,
  })
})

test('the object at the caret: through array elements, the names it has, the name being typed', () => {
  const text = '{"id": 1, "items": [{"sku": "a", "q'
  assert.deepEqual(caretContext(text, text.length), { path: ['items', 'element'], atKey: true, typed: 'q', present: ['sku'] })
  assert.deepEqual(
    fieldSuggestions(SCHEMA, caretContext(text, text.length)).map((f) => f.name),
    ['qty'],
  )
  // In a value, not a name: nothing to suggest.
  const inValue = '{"id": "1'
  assert.equal(caretContext(inValue, inValue.length).atKey, false)
  // After a closed object, back at the top; names already there are not offered again.
  const top = '{"items": [{"sku": "a"}], '
  assert.deepEqual(
    fieldSuggestions(SCHEMA, caretContext(top, top.length)).map((f) => f.name),
    ['id', 'tags', 'price'],
  )
  // The caret in the middle of the text: only what is before it counts.
  assert.deepEqual(caretContext('{"id": 1, }', 10).present, ['id'])
})

test('notes against the inferred schema', () => {
  assert.deepEqual(schemaNotes({ id: 1.5, items: [{ sku: 'a', qty: 'two', colour: 'red' }], tags: 'x', price: 3, extra: null }, SCHEMA), [
    'id: a number where the schema has long (ingest keeps it in _rescued_data)',
    'items[0].qty: text where the schema has integer (ingest keeps it in _rescued_data)',
    'items[0].colour: not in the inferred schema (ingest adds it as a new column)',
    'tags: text where the schema has array<string> (ingest keeps it in _rescued_data)',
    'extra: not in the inferred schema (ingest adds it as a new column)',
  ])
  assert.deepEqual(schemaNotes({ id: null, items: null }, SCHEMA), [])
  assert.deepEqual(schemaNotes({ anything: 1 }, []), [], 'no schema yet (an empty topic): nothing to say')
})

test('compacting keeps strings and every digit', () => {
  assert.equal(compactJson('{ "a b" : [ 1 ,\n\t12345678901234567890 ], "q": "x \\" y" }'), '{"a b":[1,12345678901234567890],"q":"x \\" y"}')
})
