import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { conformsTo, createDecoder, type Decoded, type Format } from '../../src/decode'
import { debeziumDir, debeziumEventFiles, decodeEventFile, eventDocuments, message, readEvent, row, typeAt, unwrapFragment } from './fixtures'

const skip = !debeziumDir && 'conformance data not found'

/**
 * What each file of 3-debezium decodes to: `op:x` a row with that op, `tombstone`, `error:<reason>`;
 * `key` is a Kafka key (JSON, read with its value by the MongoDB tests), `broken-key` one that is not JSON.
 */
const EXPECTED: Record<string, { format: Format; outcomes: string[] }> = {
  'debezium-docs/extract-new-document-state/array-encoding-document-output.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  'debezium-docs/extract-new-document-state/array-input.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  'debezium-docs/extract-new-document-state/envelope-before.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:c'] },
  'debezium-docs/extract-new-document-state/flattened-after.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  'debezium-docs/extract-new-document-state/legacy-1.9-unset-output.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  // after/patch without an op: the fragment the docs show is not a whole event.
  'debezium-docs/extract-new-document-state/legacy-1.9-unset-patch-input.json': { format: 'debezium-mongodb', outcomes: ['error:unknown-debezium-envelope'] },
  'debezium-docs/extract-new-document-state/nested-flattened-output.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  'debezium-docs/extract-new-document-state/nested-input.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  'debezium-docs/extract-new-document-state/unset-output-value-partial.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  'debezium-docs/extract-new-document-state/unset-output-value.json': { format: 'debezium-mongodb', outcomes: ['op:null'] },
  // The docs print "ts_ms": "..." as a placeholder: not a number, so a dead letter.
  'debezium-docs/extract-new-document-state/unset-update-payload.doc.txt': { format: 'debezium-mongodb', outcomes: ['error:invalid-value'] },
  'debezium-docs/extract-new-record-state/add-fields-metadata.doc.txt': { format: 'debezium', outcomes: ['op:c'] },
  'debezium-docs/extract-new-record-state/delete-rewrite-__deleted.doc.txt': { format: 'debezium', outcomes: ['op:d'] },
  'debezium-docs/extract-new-record-state/envelope-before.doc.txt': { format: 'debezium', outcomes: ['error:invalid-value'] },
  'debezium-docs/extract-new-record-state/flattened-after.json': { format: 'debezium', outcomes: ['op:null'] },
  'debezium-docs/mongodb/current/create-with-schema.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:c'] },
  'debezium-docs/mongodb/current/delete.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:d'] },
  'debezium-docs/mongodb/current/event-with-transaction-block.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:c'] },
  'debezium-docs/mongodb/current/key-with-schema.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'debezium-docs/mongodb/current/transaction-begin-end.doc.txt': {
    format: 'debezium-mongodb',
    outcomes: ['error:debezium-transaction-marker', 'error:debezium-transaction-marker'],
  },
  'debezium-docs/mongodb/current/update-change-streams.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:u'] },
  'debezium-docs/mongodb/legacy-1.9/create-with-schema.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:c'] },
  'debezium-docs/mongodb/legacy-1.9/delete-filter.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:d'] },
  'debezium-docs/mongodb/legacy-1.9/key-with-schema.doc.txt': { format: 'debezium-mongodb', outcomes: ['key'] },
  'debezium-docs/mongodb/legacy-1.9/update-change-streams.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:u'] },
  'debezium-docs/mongodb/legacy-1.9/update-oplog-patch-filter.doc.txt': { format: 'debezium-mongodb', outcomes: ['op:u'] },
  'debezium-docs/mysql/create-with-schema.json': { format: 'debezium', outcomes: ['op:c'] },
  'debezium-docs/mysql/delete.doc.txt': { format: 'debezium', outcomes: ['op:d'] },
  'debezium-docs/mysql/event-with-transaction-block.doc.txt': { format: 'debezium', outcomes: ['op:c'] },
  'debezium-docs/mysql/key-with-schema.json': { format: 'debezium', outcomes: ['key'] },
  'debezium-docs/mysql/schema-change-key.json': { format: 'debezium', outcomes: ['key'] },
  'debezium-docs/mysql/schema-change-value.json': { format: 'debezium', outcomes: ['error:debezium-schema-change'] },
  'debezium-docs/mysql/transaction-begin-end.doc.txt': {
    format: 'debezium',
    outcomes: ['error:debezium-transaction-marker', 'error:debezium-transaction-marker'],
  },
  'debezium-docs/mysql/truncate.doc.txt': { format: 'debezium', outcomes: ['op:t'] },
  'debezium-docs/mysql/update.doc.txt': { format: 'debezium', outcomes: ['op:u'] },
  'debezium-docs/postgresql/create-with-schema.json': { format: 'debezium', outcomes: ['op:c'] },
  'debezium-docs/postgresql/delete.doc.txt': { format: 'debezium', outcomes: ['op:d'] },
  'debezium-docs/postgresql/event-with-transaction-block.doc.txt': { format: 'debezium', outcomes: ['op:c'] },
  'debezium-docs/postgresql/key-with-schema.doc.txt': { format: 'debezium', outcomes: ['key'] },
  'debezium-docs/postgresql/message-non-transactional.doc.txt': { format: 'debezium', outcomes: ['op:m'] },
  'debezium-docs/postgresql/message-transactional.doc.txt': { format: 'debezium', outcomes: ['op:m'] },
  'debezium-docs/postgresql/transaction-begin-end.doc.txt': {
    format: 'debezium',
    outcomes: ['error:debezium-transaction-marker', 'error:debezium-transaction-marker'],
  },
  'debezium-docs/postgresql/truncate.doc.txt': { format: 'debezium', outcomes: ['op:t'] },
  'debezium-docs/postgresql/update.doc.txt': { format: 'debezium', outcomes: ['op:u'] },
  'debezium-docs/tutorial-mysql/create-key.json': { format: 'debezium', outcomes: ['key'] },
  'debezium-docs/tutorial-mysql/delete-key.json': { format: 'debezium', outcomes: ['key'] },
  'debezium-docs/tutorial-mysql/delete-value.doc.txt': { format: 'debezium', outcomes: ['op:d'] },
  'debezium-docs/tutorial-mysql/read-value-with-schema.json': { format: 'debezium', outcomes: ['op:r'] },
  // The docs' tombstone key lacks a comma (even repaired it is not JSON); the relational format never reads keys.
  'debezium-docs/tutorial-mysql/tombstone-key.doc.txt': { format: 'debezium', outcomes: ['broken-key'] },
  'debezium-docs/tutorial-mysql/tombstone-value.json': { format: 'debezium', outcomes: ['tombstone'] },
  'debezium-docs/tutorial-mysql/update-key.json': { format: 'debezium', outcomes: ['key'] },
  'debezium-docs/tutorial-mysql/update-value.doc.txt': { format: 'debezium', outcomes: ['op:u'] },
  'debezium-examples/engine-wasm-mysql-r-id1004.json': { format: 'debezium', outcomes: ['op:r'] },
  'debezium-examples/engine-wasm-mysql-u-id1001.json': { format: 'debezium', outcomes: ['op:u'] },
  'debezium-test-resources/mysql-serde-unknown-property.json': { format: 'debezium', outcomes: ['op:u'] },
  'debezium-test-resources/mysql-serde-unwrapped.json': { format: 'debezium', outcomes: ['op:null'] },
  'debezium-test-resources/mysql-serde-update.json': { format: 'debezium', outcomes: ['op:u'] },
  'debezium-test-resources/mysql-serde-with-schema.json': { format: 'debezium', outcomes: ['op:c'] },
  'debezium-test-resources/mysql-serde-without-schema.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-bson-event-event-delete-00-key.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'paimon/debezium-bson-event-event-delete-00-value-op-d.json': { format: 'debezium-mongodb', outcomes: ['op:d'] },
  'paimon/debezium-bson-event-event-delete-01-key.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'paimon/debezium-bson-event-event-delete-01-value-op-d.json': { format: 'debezium-mongodb', outcomes: ['op:d'] },
  'paimon/debezium-bson-event-event-delete-02-key.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'paimon/debezium-bson-event-event-delete-02-value-op-d.json': { format: 'debezium-mongodb', outcomes: ['op:d'] },
  'paimon/debezium-bson-event-event-insert-00-key.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'paimon/debezium-bson-event-event-insert-00-value-op-c.json': { format: 'debezium-mongodb', outcomes: ['op:c'] },
  'paimon/debezium-bson-event-event-update-00-key.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'paimon/debezium-bson-event-event-update-00-value-op-u.json': { format: 'debezium-mongodb', outcomes: ['op:u'] },
  'paimon/debezium-bson-event-event-update-01-key.json': { format: 'debezium-mongodb', outcomes: ['key'] },
  'paimon/debezium-bson-event-event-update-01-value-op-u.json': { format: 'debezium-mongodb', outcomes: ['op:u'] },
  'paimon/debezium-database-include-topic0-debezium-data-1-00-value-op-c.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-database-include-topic0-debezium-data-1-01-value-op-c.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-database-include-topic0-debezium-data-1-02-value-op-c.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-database-include-topic0-debezium-data-1-03-value-op-c.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-nullvalue-debezium-data-1-00-value-op-c.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-schema-alltype-debezium-data-1-00-value-op-r.json': { format: 'debezium', outcomes: ['op:r'] },
  'paimon/debezium-schema-include-debezium-data-1-00-value-op-c.json': { format: 'debezium', outcomes: ['op:c'] },
  'paimon/debezium-schema-schemaevolution-debezium-data-with-delete-00-value-op-d.json': { format: 'debezium', outcomes: ['op:d'] },
  'paimon/mysql-debezium-event-change-00-value.json': { format: 'debezium', outcomes: ['error:debezium-schema-change'] },
}

function outcome(decoded: Decoded): string {
  if (decoded.kind === 'row') return `op:${String(decoded.row.op ?? decoded.row.__op ?? null)}`
  if (decoded.kind === 'error') return `error:${decoded.reason}`
  return decoded.kind
}

async function decodeFile(file: string, key: string | null = null): Promise<Decoded> {
  return decodeEventFile(file, EXPECTED[file].format, key)
}

describe('every event file of 3-debezium', { skip }, () => {
  test('has an expectation, and decodes to it', async () => {
    const files = debeziumEventFiles()
    assert.deepEqual(
      files.filter((f) => !EXPECTED[f]),
      [],
      'files without an expectation in this test',
    )
    for (const file of files) {
      const { format, outcomes } = EXPECTED[file]
      const documents = eventDocuments(file)
      if (outcomes[0] === 'key') {
        documents.forEach((json) => assert.doesNotThrow(() => JSON.parse(json), file))
        continue
      }
      if (outcomes[0] === 'broken-key') {
        const tombstone = await createDecoder(format).decode(message(null, documents[0]))
        assert.deepEqual(tombstone, { kind: 'tombstone' }, file)
        continue
      }
      const decoder = createDecoder(format)
      const got = await Promise.all(documents.map((json) => decoder.decode(message(unwrapFragment(file, json)))))
      assert.deepEqual(got.map(outcome), outcomes, `${file}: ${JSON.stringify(got).slice(0, 400)}`)
      for (const decoded of got) {
        if (decoded.kind !== 'row') continue
        // Every row fits the schema it came with, and survives JSON text unchanged.
        assert.deepEqual(conformsTo(decoded.row, decoded.schema), { ok: true }, file)
        assert.deepEqual(JSON.parse(JSON.stringify(decoded.row)), decoded.row, file)
      }
    }
  })

  test('a null value is a tombstone in both Debezium formats', async () => {
    assert.deepEqual(await createDecoder('debezium').decode(message(null)), { kind: 'tombstone' })
    assert.deepEqual(await createDecoder('debezium-mongodb').decode(message(null, '{"id":"1"}')), { kind: 'tombstone' })
  })
})

describe('relational Debezium events', { skip }, () => {
  test('all MySQL types with a Connect schema: decimals, dates, timestamps, times, bytes, geometry', async () => {
    const decoded = await decodeFile('paimon/debezium-schema-alltype-debezium-data-1-00-value-op-r.json')
    const after = row(decoded).after as Record<string, unknown>
    // Connect Decimal printed as JSON numbers (decimal.format=NUMERIC), all digits kept.
    assert.equal(after.pt, '1.1')
    assert.equal(typeAt(decoded, 'after.pt'), 'decimal(2,1)')
    assert.equal(after._numeric, '12345.110')
    assert.equal(typeAt(decoded, 'after._numeric'), 'decimal(8,3)')
    assert.equal(after._fixed, '123456789876543212345678987654321.110')
    assert.equal(typeAt(decoded, 'after._fixed'), 'string', 'precision 40 is past Delta decimals')
    assert.equal(after._big_decimal, '2222222222222222300000001111.1234567890')
    assert.equal(typeAt(decoded, 'after._big_decimal'), 'decimal(38,10)')
    assert.equal(after._bigint_unsigned, '20000000000')
    assert.equal(typeAt(decoded, 'after._bigint_unsigned'), 'decimal(38,0)')
    assert.equal(after._date, '2023-03-23')
    assert.equal(typeAt(decoded, 'after._date'), 'date')
    assert.equal(after._datetime, '2023-03-23T14:30:05Z')
    assert.equal(after._datetime3, '2023-03-23T14:30:05.123Z')
    assert.equal(after._datetime6, '2023-03-23T14:30:05.123456Z')
    assert.equal(typeAt(decoded, 'after._datetime6'), 'timestamp')
    assert.equal(after._timestamp, '2023-03-23T22:00:10.123456Z')
    assert.equal(typeAt(decoded, 'after._timestamp'), 'timestamp')
    assert.equal(after._time, '10:13:23')
    assert.equal(typeAt(decoded, 'after._time'), 'string')
    assert.equal(after._tinyint, 1)
    assert.equal(typeAt(decoded, 'after._tinyint'), 'short')
    assert.equal(after._bigint, 10000000000)
    assert.equal(typeAt(decoded, 'after._bigint'), 'long')
    assert.equal(after._bit, 'xwcAAAAAAAA=')
    assert.equal(typeAt(decoded, 'after._bit'), 'binary')
    assert.equal(after._json, '{"a": "b"}')
    assert.equal(after._year, 2023)
    assert.deepEqual(after._point, { x: 1, y: 1, wkb: 'AQEAAAAAAAAAAADwPwAAAAAAAPA/', srid: null })
    assert.equal(typeAt(decoded, 'after._point.wkb'), 'binary')
    assert.equal(typeAt(decoded, 'before.pt'), 'decimal(2,1)', 'a null before is still typed by the schema')
    assert.equal(row(decoded).source && (row(decoded).source as Record<string, unknown>).snapshot, 'false')
  })

  test('with and without JsonConverter schema, 64-bit timestamps stay exact', async () => {
    const withSchema = await decodeFile('debezium-test-resources/mysql-serde-with-schema.json')
    assert.equal(row(withSchema).ts_ns, '1465491411815000000')
    assert.equal(typeAt(withSchema, 'ts_ns'), 'long')
    assert.equal(typeAt(withSchema, 'after.id'), 'integer')
    assert.equal(typeAt(withSchema, 'source.snapshot'), 'boolean')
    const without = await decodeFile('debezium-test-resources/mysql-serde-without-schema.json')
    assert.deepEqual(row(without).after, { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' })
    assert.equal(typeAt(without, 'after.id'), 'long')
    assert.equal(typeAt(without, 'before'), undefined, 'a null image without a schema has no type yet')
    const engine = await decodeFile('debezium-examples/engine-wasm-mysql-r-id1004.json')
    assert.equal(row(engine).ts_ns, '1731327512006319782')
    assert.equal((row(engine).source as Record<string, unknown>).ts_ns, '1731327511000000000')
    assert.deepEqual(Object.keys(row(engine)), ['op', 'ts_ms', 'ts_us', 'ts_ns', 'before', 'after', 'source', 'transaction'])
  })

  test('update, delete, truncate, messages and transactions', async () => {
    const update = row(await decodeFile('debezium-examples/engine-wasm-mysql-u-id1001.json'))
    assert.equal((update.before as Record<string, unknown>).first_name, 'Sally')
    assert.equal((update.after as Record<string, unknown>).first_name, 'Sarah')
    const extra = row(await decodeFile('debezium-test-resources/mysql-serde-unknown-property.json'))
    assert.equal((extra.after as Record<string, unknown>).middle_name, 'L')
    const deleted = row(await decodeFile('paimon/debezium-schema-schemaevolution-debezium-data-with-delete-00-value-op-d.json'))
    assert.equal(deleted.after, null)
    assert.equal((deleted.before as Record<string, unknown>).weight, 3.14)
    const truncate = row(await decodeFile('debezium-docs/postgresql/truncate.doc.txt'))
    assert.deepEqual([truncate.before, truncate.after], [null, null])
    const messageEvent = row(await decodeFile('debezium-docs/postgresql/message-transactional.doc.txt'))
    assert.deepEqual(messageEvent.message, { prefix: 'foo', content: 'Ymfy' })
    const inTransaction = await decodeFile('debezium-docs/mysql/event-with-transaction-block.doc.txt')
    assert.deepEqual(row(inTransaction).transaction, { id: '0e4d5dcd-a33b-11ea-80f1-02010a22a99e:10', total_order: 1, data_collection_order: 1 })
    assert.equal(row(inTransaction).ts_ms, 1580390884335, 'the docs print it as a string; it is still a long')
  })

  test('PostgreSQL create with schema keeps a 64-bit ts_ns and types source from the schema', async () => {
    const decoded = await decodeFile('debezium-docs/postgresql/create-with-schema.json')
    assert.equal(row(decoded).ts_ns, '1559033904863841257')
    assert.equal((row(decoded).source as Record<string, unknown>).lsn, 24023128)
    assert.equal(typeAt(decoded, 'source.txId'), 'long')
  })

  test('the ExtractNewRecordState (unwrapped) form folds __deleted / __op into op', async () => {
    const plain = row(await decodeFile('debezium-test-resources/mysql-serde-unwrapped.json'))
    assert.deepEqual(plain, { op: null, id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' })
    const deleted = row(await decodeFile('debezium-docs/extract-new-record-state/delete-rewrite-__deleted.doc.txt'))
    assert.deepEqual(deleted, { op: 'd', pk: 2, cola: null })
    const added = row(await decodeFile('debezium-docs/extract-new-record-state/add-fields-metadata.doc.txt'))
    assert.deepEqual(added, { op: 'c', __table: 'MY_TABLE', __lsn: '123456789', __source_ts_ms: '123456789' })
    const ownOp = row(await createDecoder('debezium').decode(message('{"id":1,"__op":"u","Op":"buy"}')))
    assert.equal(ownOp.Op, 'buy')
    assert.equal(ownOp.__op, 'u')
    const withSchema = await createDecoder('debezium').decode(
      message(
        JSON.stringify({
          schema: {
            type: 'struct',
            fields: [
              { field: 'id', type: 'int32', optional: false },
              { field: 'day', type: 'int32', name: 'io.debezium.time.Date', optional: true },
              { field: '__deleted', type: 'string', optional: true },
            ],
          },
          payload: { id: 7, day: 1, __deleted: 'false' },
        }),
      ),
    )
    assert.deepEqual(row(withSchema), { op: null, id: 7, day: '1970-01-02' })
    assert.equal(typeAt(withSchema, 'day'), 'date')
  })

  test('unknown shapes and broken values are dead letters with a reason', async () => {
    const decoder = createDecoder('debezium')
    const reason = async (value: string) => {
      const decoded = await decoder.decode(message(value))
      return decoded.kind === 'error' ? decoded.reason : decoded.kind
    }
    assert.equal(await reason('{"op":"x","after":{}}'), 'unknown-debezium-envelope')
    assert.equal(await reason('{"before":null,"after":{"id":1},"source":{}}'), 'unknown-debezium-envelope')
    assert.equal(await reason('{"schema":null,"payload":"text"}'), 'unknown-debezium-envelope')
    assert.equal(await reason('[1,2]'), 'not-an-object')
    assert.equal(await reason('{"op":'), 'invalid-json')
    assert.equal(await reason('{"schema":null,"payload":null}'), 'tombstone')
    const badDecimal = JSON.stringify({
      schema: {
        type: 'struct',
        fields: [
          {
            field: 'after',
            type: 'struct',
            optional: true,
            fields: [
              { field: 'amount', type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2', 'connect.decimal.precision': '3' } },
            ],
          },
        ],
      },
      payload: { op: 'c', after: { amount: Buffer.from([0x01, 0x86, 0xa0]).toString('base64') } }, // 100000 → 1000.00 needs 6 digits
    })
    assert.equal(await reason(badDecimal), 'invalid-value')
  })

  test('Connect Decimal bytes, VariableScaleDecimal, MicroTime and NanoTimestamp with a schema', async () => {
    const field = (name: string, extra: Record<string, unknown>) => ({ field: name, optional: true, ...extra })
    const decoded = await createDecoder('debezium').decode(
      message(
        JSON.stringify({
          schema: {
            type: 'struct',
            fields: [
              field('after', {
                type: 'struct',
                fields: [
                  field('price', {
                    type: 'bytes',
                    name: 'org.apache.kafka.connect.data.Decimal',
                    parameters: { scale: '2', 'connect.decimal.precision': '10' },
                  }),
                  field('negative', { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '3' } }),
                  field('any', {
                    type: 'struct',
                    name: 'io.debezium.data.VariableScaleDecimal',
                    fields: [field('scale', { type: 'int32' }), field('value', { type: 'bytes' })],
                  }),
                  field('at', { type: 'int64', name: 'io.debezium.time.NanoTimestamp' }),
                  field('clock', { type: 'int64', name: 'io.debezium.time.MicroTime' }),
                  field('tags', { type: 'map', keys: { type: 'int32' }, values: { type: 'string' } }),
                ],
              }),
            ],
          },
          payload: {
            op: 'c',
            after: {
              price: Buffer.from([0x30, 0x39]).toString('base64'), // 12345
              negative: Buffer.from([0xff, 0x85]).toString('base64'), // -123
              any: { scale: 4, value: Buffer.from([0x01, 0xe2, 0x40]).toString('base64') }, // 123456
              at: 1700000000123456789,
              clock: -3_600_000_001,
              tags: [
                [1, 'one'],
                [2, 'two'],
              ],
            },
          },
        }),
      ),
    )
    const after = row(decoded).after as Record<string, unknown>
    assert.equal(after.price, '123.45')
    assert.equal(typeAt(decoded, 'after.price'), 'decimal(10,2)')
    assert.equal(after.negative, '-0.123')
    assert.equal(typeAt(decoded, 'after.negative'), 'decimal(38,3)')
    assert.equal(after.any, '12.3456')
    assert.equal(after.at, '2023-11-14T22:13:20.123456Z')
    assert.equal(after.clock, '-01:00:00.000001')
    assert.deepEqual(after.tags, { 1: 'one', 2: 'two' })
    assert.deepEqual(typeAt(decoded, 'after.tags'), { type: 'map', keyType: 'integer', valueType: 'string', valueContainsNull: true })
  })

  test('a schemaless delete after typed rows: the null image adds nothing to the schema', async () => {
    const decoded = await decodeFile('paimon/debezium-schema-schemaevolution-debezium-data-with-delete-00-value-op-d.json')
    assert.equal(typeAt(decoded, 'after'), undefined)
    assert.equal(typeAt(decoded, 'before.weight'), 'double')
    assert.deepEqual(readEvent('paimon/debezium-nullvalue-debezium-data-1-00-value-op-c.json').length > 0, true)
  })
})
