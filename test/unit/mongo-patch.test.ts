/** MongoDB partial updates on documents: change-stream update descriptions and 1.x oplog patches. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { JsonNumber } from '../../src/decode/json-text'
import { applyLegacyPatch, applyUpdateDescription, PatchError, stringifyExact } from '../../src/pipeline/refine/mongo-patch'

const doc = () => ({
  _id: 'a1',
  name: 'Ada',
  address: { city: 'Lyon', geo: { lat: 45.7 } },
  tags: ['x', 'y', 'z'],
  orders: [
    { sku: 's1', qty: 1 },
    { sku: 's2', qty: 2 },
  ],
  nickname: 'A',
})

test('updatedFields set dotted paths into documents and array elements, creating missing parents', () => {
  const original = doc()
  const updated = applyUpdateDescription(original, {
    updated_fields: JSON.stringify({ 'address.city': 'Paris', 'address.geo.lon': 2.3, 'orders.1.qty': 5, 'tags.4': 'w', 'profile.tier': 'gold' }),
  })
  assert.deepEqual(updated.address, { city: 'Paris', geo: { lat: 45.7, lon: 2.3 } })
  assert.deepEqual(updated.orders, [
    { sku: 's1', qty: 1 },
    { sku: 's2', qty: 5 },
  ])
  assert.deepEqual(updated.tags, ['x', 'y', 'z', null, 'w'], 'setting past the end pads with nulls, as MongoDB does')
  assert.deepEqual(updated.profile, { tier: 'gold' })
  assert.equal(original.address.city, 'Lyon', 'the input document is not changed')
})

test('truncatedArrays apply before updatedFields; removedFields remove fields and null out array elements', () => {
  const updated = applyUpdateDescription(doc(), {
    truncated_arrays: [{ field: 'tags', size: 1 }],
    updated_fields: JSON.stringify({ 'tags.1': 'new' }),
    removed_fields: ['nickname', 'address.geo.lat', 'orders.0'],
  })
  assert.deepEqual(updated.tags, ['x', 'new'])
  assert.equal('nickname' in updated, false)
  assert.deepEqual(updated.address, { city: 'Lyon', geo: {} })
  assert.deepEqual(updated.orders, [null, { sku: 's2', qty: 2 }])
})

test('numbers too long for a double keep every digit', () => {
  const updated = applyUpdateDescription({ _id: 1 }, { updated_fields: '{"big": 1731327512006319782}' })
  assert.ok(updated.big instanceof JsonNumber)
  assert.equal(stringifyExact(updated), '{"_id":1,"big":1731327512006319782}')
})

test('1.x oplog patches: $set and $unset, or a replacement document that keeps the id', () => {
  const patched = applyLegacyPatch(doc(), JSON.stringify({ $v: 1, $set: { 'address.city': 'Nice' }, $unset: { nickname: true } }))
  const { nickname: _gone, ...rest } = doc()
  assert.deepEqual(patched, { ...rest, address: { city: 'Nice', geo: { lat: 45.7 } } })
  assert.deepEqual(applyLegacyPatch(doc(), JSON.stringify({ name: 'Replaced' })), { _id: 'a1', name: 'Replaced' })
  assert.throws(() => applyLegacyPatch(doc(), JSON.stringify({ $inc: { n: 1 } })), PatchError)
  assert.throws(() => applyUpdateDescription({ a: 5 }, { updated_fields: JSON.stringify({ 'a.b': 1 }) }), /cannot set 'a.b': 'a' is not a document/)
})
