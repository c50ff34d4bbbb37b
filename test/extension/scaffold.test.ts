/** "New Pipeline" and "Add as Source": the files written are valid pipeline files. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import schema from '../../schemas/pipeline.schema.json'
import { addSourceEdit, commentPlaces, newPipelineText, sourceNameFor, type CommentPlaces } from '../../src/extension/scaffold'
import { checkPipeline } from '../../src/pipeline/pipeline-file'

const places = commentPlaces(schema)
const everywhere: CommentPlaces = { root: true, kafka: true, source: true, flow: true }

test('comments go only where the schema lets "$comment" through', () => {
  assert.deepEqual(
    commentPlaces({
      additionalProperties: false,
      definitions: { kafka: {}, source: { additionalProperties: false, properties: { $comment: {} } }, flow: { additionalProperties: false } },
    }),
    { root: false, kafka: true, source: true, flow: false },
  )
  const text = newPipelineText({ topic: 'orders', format: 'json', comments: everywhere })
  assert.equal(JSON.parse(text).sources[0].$comment, 'Each message is one JSON object; columns and types are inferred, new fields add columns.')
})

test('every format scaffolds a file that passes the pipeline checks, from a topic or a capture', () => {
  for (const format of ['json', 'debezium', 'debezium-mongodb', 'avro'] as const) {
    for (const from of [{ topic: 'shop.public.orders', brokers: ['k1:9092', 'k2:9092'] }, { file: 'captures/orders.jsonl' }]) {
      const text = newPipelineText({ ...from, format, comments: places })
      const problems = checkPipeline(JSON.parse(text))
      // avro needs a schema registry, which only a Kafka pipeline has.
      if (format === 'avro' && 'file' in from) assert.match(problems.map((p) => p.message).join(), /schemaRegistry/)
      else assert.deepEqual(problems, [], `${format} ${JSON.stringify(from)}: ${text}`)
    }
  }
  const cdc = JSON.parse(newPipelineText({ topic: 'db.inventory.customers', format: 'debezium', comments: places }))
  assert.deepEqual(cdc.sources[0], {
    name: 'db_inventory_customers',
    topic: 'db.inventory.customers',
    format: 'debezium',
    table: 'raw.db_inventory_customers',
    startingOffsets: 'earliest',
  })
  assert.deepEqual(cdc.flows[0], {
    name: 'db_inventory_customers_refined',
    from: 'raw.db_inventory_customers',
    to: 'refined.db_inventory_customers',
    mode: 'cdc',
    key: ['id'],
  })
  assert.deepEqual(cdc.kafka, { brokers: ['localhost:9092'] })
})

test('source names are valid and unique', () => {
  assert.equal(sourceNameFor('shop.orders'), 'shop_orders')
  assert.equal(sourceNameFor('orders.jsonl'), 'orders_jsonl')
  assert.equal(JSON.parse(newPipelineText({ file: 'captures/orders.v2.jsonl', format: 'json', comments: places })).sources[0].name, 'orders_v2')
  assert.equal(sourceNameFor('-x'), '_x')
  assert.equal(sourceNameFor('orders', ['orders', 'orders_2']), 'orders_3')
})

test("a source is appended to the sources array in the file's own layout", () => {
  const source = { name: 'b', topic: 'b', format: 'json', table: 'raw.b' }
  const indented = '{\n  "lake": "l",\n  "sources": [\n    { "name": "a", "file": "a.jsonl", "format": "json", "table": "raw.a" }\n  ]\n}\n'
  const apply = (text: string) => {
    const edit = addSourceEdit(text, source)!
    return text.slice(0, edit.offset) + edit.text + text.slice(edit.offset + edit.length)
  }
  const out = apply(indented)
  assert.equal(
    out,
    '{\n  "lake": "l",\n  "sources": [\n    { "name": "a", "file": "a.jsonl", "format": "json", "table": "raw.a" },\n    { "name": "b", "topic": "b", "format": "json", "table": "raw.b" }\n  ]\n}\n',
  )
  assert.deepEqual(
    JSON.parse(out).sources.map((s: { name: string }) => s.name),
    ['a', 'b'],
  )
  assert.deepEqual(JSON.parse(apply('{"lake":"l","sources":[{"name":"a"}]}')).sources.length, 2)
  assert.equal(apply('{\n  "sources": []\n}'), '{\n  "sources": [\n    { "name": "b", "topic": "b", "format": "json", "table": "raw.b" }\n  ]\n}')
  assert.equal(addSourceEdit('{"lake": "l"}', source), undefined)
  assert.equal(addSourceEdit('{"sources": {}}', source), undefined)
  assert.equal(addSourceEdit('{"sources": [', source), undefined)
})
