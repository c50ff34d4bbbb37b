import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conformsTo, createDecoder, type Decoded } from '../../src/decode'
import { typeExtendedJson } from '../../src/decode/extended-json'
import { parseJsonText } from '../../src/decode/json-text'
import { debeziumDir, decodeEventFile, eventDocuments, message, row, typeAt } from './fixtures'

const skip = !debeziumDir && 'conformance data not found'
const mongo = createDecoder('debezium-mongodb')
const decodeFile = (file: string, key: string | null = null) => decodeEventFile(file, 'debezium-mongodb', key)

async function decodePair(name: string, op: string): Promise<Decoded> {
  const [key] = eventDocuments(`paimon/debezium-bson-event-event-${name}-key.json`)
  const [value] = eventDocuments(`paimon/debezium-bson-event-event-${name}-value-op-${op}.json`)
  return mongo.decode(message(value, key))
}

function ejson(text: string) {
  const parsed = parseJsonText(text)
  assert.ok(parsed.ok)
  return typeExtendedJson(parsed.value)
}

describe('MongoDB change events (Debezium 2.7, paimon)', { skip }, () => {
  test('insert: $oid, $numberLong and $date typed; the key is the ObjectId', async () => {
    const decoded = await decodePair('insert-00', 'c')
    const r = row(decoded)
    assert.equal(r.op, 'c')
    assert.equal(r.key, '67ab25755c0d5ac87eb8c632')
    assert.equal(r.before, null)
    assert.deepEqual(r.after, {
      _id: '67ab25755c0d5ac87eb8c632',
      created_at: 1736207571013,
      created_by: 'peter',
      tags: ['pending'],
      updated_at: '2025-02-13T14:01:37.970Z',
    })
    assert.equal(typeAt(decoded, 'after._id'), 'string')
    assert.equal(typeAt(decoded, 'after.created_at'), 'long')
    assert.equal(typeAt(decoded, 'after.updated_at'), 'timestamp')
    assert.deepEqual(typeAt(decoded, 'after.tags'), { type: 'array', elementType: 'string', containsNull: false })
    assert.equal(r.update_description, null)
    assert.equal((r.source as Record<string, unknown>).ts_ns, '1739321992000000000')
    assert.deepEqual(Object.keys(r), ['op', 'ts_ms', 'key', 'before', 'after', 'update_description', 'source', 'transaction'])
    assert.deepEqual(conformsTo(r, (decoded as Extract<Decoded, { kind: 'row' }>).schema), { ok: true })
  })

  test('updates with and without a pre-image', async () => {
    const afterOnly = row(await decodePair('update-00', 'u'))
    assert.equal(afterOnly.before, null)
    assert.deepEqual((afterOnly.after as Record<string, unknown>).tags, ['succeed'])
    const both = row(await decodePair('update-01', 'u'))
    assert.deepEqual((both.before as Record<string, unknown>).tags, ['pending'])
    assert.equal((both.after as Record<string, unknown>).updated_at, '2025-02-13T14:03:17.970Z')
  })

  test('deletes: no images, a string-id key, a pre-image', async () => {
    const bare = await decodePair('delete-00', 'd')
    assert.deepEqual([row(bare).before, row(bare).after, row(bare).key], [null, null, '67ab25755c0d5ac87eb8c632'])
    assert.equal(typeAt(bare, 'after'), undefined)
    const stringKey = row(await decodePair('delete-01', 'd'))
    assert.equal(stringKey.key, '67ab25755c0d5ac87eb8c632', 'the key id is the JSON string "\\"67ab…\\""')
    const preImage = row(await decodePair('delete-02', 'd'))
    assert.equal((preImage.before as Record<string, unknown>).created_by, 'peter')
  })
})

describe('MongoDB change events (documentation)', { skip }, () => {
  const [docsKey] = eventDocuments('debezium-docs/mongodb/current/key-with-schema.json')

  test('create with schema: the key from a JsonConverter key, a 64-bit source.h typed by the schema', async () => {
    const [value] = eventDocuments('debezium-docs/mongodb/current/create-with-schema.doc.txt')
    const decoded = await mongo.decode(message(value, docsKey))
    const r = row(decoded)
    assert.equal(r.key, '1004')
    assert.deepEqual(r.after, { _id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' })
    assert.equal((r.source as Record<string, unknown>).h, '1546547425148721999')
    assert.equal(typeAt(decoded, 'source.ord'), 'integer')
    assert.equal(r.ts_ns, '1558965515240142879')
  })

  test('change-streams update: updateDescription with updatedFields as JSON text', async () => {
    const decoded = await decodeFile('debezium-docs/mongodb/current/update-change-streams.doc.txt', docsKey)
    const r = row(decoded)
    assert.deepEqual(r.update_description, { updated_fields: '{"first_name":"Anne Marie"}', removed_fields: null, truncated_arrays: null })
    assert.equal((r.before as Record<string, unknown>).first_name, 'unknown')
    assert.equal((r.after as Record<string, unknown>).first_name, 'Anne Marie')
    assert.equal(typeof (r.source as Record<string, unknown>).lsid, 'string', 'source.lsid stays the text Debezium sent')
  })

  test('removed fields and truncated arrays', async () => {
    const value = JSON.stringify({
      op: 'u',
      ts_ms: 1,
      after: '{"_id": {"$oid": "5f0000000000000000000001"}, "n": {"$numberInt": "3"}}',
      updateDescription: {
        removedFields: ['a', 'b.c'],
        updatedFields: '{"n": {"$numberInt": "3"}, "at": {"$date": "2024-01-01T00:00:00Z"}}',
        truncatedArrays: [{ field: 'items', size: 2 }],
      },
      source: { connector: 'mongodb' },
    })
    const decoded = await mongo.decode(message(value, '{"id": "{\\"$oid\\": \\"5f0000000000000000000001\\"}"}'))
    assert.deepEqual(row(decoded).update_description, {
      updated_fields: '{"n":3,"at":"2024-01-01T00:00:00Z"}',
      removed_fields: ['a', 'b.c'],
      truncated_arrays: [{ field: 'items', size: 2 }],
    })
    assert.equal(typeAt(decoded, 'after.n'), 'integer')
  })

  test('legacy 1.x oplog form: patch and filter as JSON text', async () => {
    const patch = row(await decodeFile('debezium-docs/mongodb/legacy-1.9/update-oplog-patch-filter.doc.txt', docsKey))
    assert.equal(patch.patch, '{"$set":{"first_name":"Anne Marie"}}')
    assert.equal(patch.filter, '{"_id":1004}')
    assert.equal(patch.after, null)
    const deleted = row(await decodeFile('debezium-docs/mongodb/legacy-1.9/delete-filter.doc.txt', docsKey))
    assert.equal(deleted.filter, '{"_id":1004}')
    assert.equal('patch' in deleted, false)
    const created = row(await decodeFile('debezium-docs/mongodb/legacy-1.9/create-with-schema.doc.txt', docsKey))
    assert.equal(created.patch, null)
  })

  test('transaction block with numbers printed as strings', async () => {
    const r = row(await decodeFile('debezium-docs/mongodb/current/event-with-transaction-block.doc.txt', docsKey))
    assert.deepEqual(r.transaction, { id: '1462833718356672513', total_order: 1, data_collection_order: 1 })
    assert.equal(r.ts_ns, '1580390884335486281')
  })

  test('ExtractNewDocumentState output: arrays of documents with differing fields merge', async () => {
    const decoded = await decodeFile('debezium-docs/extract-new-document-state/array-input.json')
    assert.deepEqual(row(decoded).a1, [
      { a: 1, b: 'none' },
      { a: 'c', d: 'something' },
    ])
    assert.deepEqual(typeAt(decoded, 'a1'), {
      type: 'array',
      elementType: {
        type: 'struct',
        fields: [
          { name: 'a', type: 'string', nullable: true, metadata: {} },
          { name: 'b', type: 'string', nullable: true, metadata: {} },
          { name: 'd', type: 'string', nullable: true, metadata: {} },
        ],
      },
      containsNull: false,
    })
  })

  test('a key that is not JSON is a dead letter; a document that is not Extended JSON too', async () => {
    const value = '{"op":"c","after":"{\\"_id\\": 1}","source":{}}'
    const badKey = await mongo.decode(message(value, 'not json'))
    assert.equal(badKey.kind === 'error' && badKey.reason, 'invalid-key')
    const badDocument = await mongo.decode(message('{"op":"c","after":"{_id: 1}","source":{}}', '{"id":"1"}'))
    assert.equal(badDocument.kind === 'error' && badDocument.reason, 'invalid-extended-json')
    const noKey = row(await mongo.decode(message(value, null)))
    assert.equal(noKey.key, null)
  })
})

describe('Extended JSON', () => {
  test('v2 canonical and relaxed wrappers', () => {
    const typed = ejson(
      JSON.stringify({
        oid: { $oid: '507f1f77bcf86cd799439011' },
        dateIso: { $date: '2024-02-29T12:00:00.5+01:00' },
        dateCanonical: { $date: { $numberLong: '-1' } },
        long: { $numberLong: '9223372036854775807' },
        int: { $numberInt: '-42' },
        double: { $numberDouble: '1.5' },
        nan: { $numberDouble: 'NaN' },
        inf: { $numberDouble: '-Infinity' },
        decimal: { $numberDecimal: '1234.5678901234567890123456789012' },
        bin: { $binary: { base64: 'AQID', subType: '00' } },
        ts: { $timestamp: { t: 1700000000, i: 7 } },
        re: { $regularExpression: { pattern: '^a.*', options: 'i' } },
        min: { $minKey: 1 },
        max: { $maxKey: 1 },
        sym: { $symbol: 'x' },
        code: { $code: 'function () {}' },
        notAWrapper: { $oid: 'x', other: 1 },
      }),
    )
    assert.deepEqual(typed.value, {
      oid: '507f1f77bcf86cd799439011',
      dateIso: '2024-02-29T11:00:00.500Z',
      dateCanonical: '1969-12-31T23:59:59.999Z',
      long: '9223372036854775807',
      int: -42,
      double: 1.5,
      nan: 'NaN',
      inf: '-Infinity',
      decimal: '1234.5678901234567890123456789012',
      bin: 'AQID',
      ts: { t: 1700000000, i: 7 },
      re: '/^a.*/i',
      min: 'MinKey',
      max: 'MaxKey',
      sym: 'x',
      code: 'function () {}',
      notAWrapper: { $oid: 'x', other: 1 },
    })
    const types = Object.fromEntries((typed.type as { fields: Array<{ name: string; type: unknown }> }).fields.map((f) => [f.name, f.type]))
    assert.equal(types.dateIso, 'timestamp')
    assert.equal(types.long, 'long')
    assert.equal(types.int, 'integer')
    assert.equal(types.nan, 'double')
    assert.equal(types.decimal, 'string')
    assert.equal(types.bin, 'binary')
    assert.equal(typeof types.ts, 'object')
    assert.equal(typeof types.notAWrapper, 'object')
  })

  test('v1 strict wrappers', () => {
    const typed = ejson(
      '{"d": {"$date": 1739455297970}, "b": {"$binary": "AQID", "$type": "04"}, "r": {"$regex": "x", "$options": "m"}, "u": {"$undefined": true}}',
    )
    assert.deepEqual(typed.value, { d: '2025-02-13T14:01:37.970Z', b: 'AQID', r: '/x/m', u: null })
  })
})
