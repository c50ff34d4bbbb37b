import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { checkPipeline, loadPipeline, PipelineFileError } from '../../src/pipeline/pipeline-file'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-pipeline-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const valid = {
  lake: './lake',
  kafka: { brokers: ['localhost:9092'], sasl: { mechanism: 'plain', username: 'me', passwordEnv: 'KAFKA_PASSWORD' } },
  sources: [
    { name: 'orders', topic: 'orders', format: 'json', table: 'raw.orders' },
    { name: 'customers', file: 'captures/customers.ndjson', format: 'debezium-mongodb', table: 'raw.customers' },
  ],
  flows: [{ name: 'customers', from: 'raw.customers', to: 'refined.customers', mode: 'cdc', key: ['id'] }],
}

test('a valid pipeline loads, with the lake resolved against the file', () => {
  const file = path.join(dir, 'lakehouse.json')
  writeFileSync(file, JSON.stringify(valid))
  const pipeline = loadPipeline(file)
  assert.equal(pipeline.lakeDir, path.join(dir, 'lake'))
  assert.equal(pipeline.sources.length, 2)
})

test('problems are reported with their JSON paths, all at once', () => {
  const broken = structuredClone(valid) as Record<string, any>
  broken.sources[0].format = 'xml'
  broken.sources[1].table = '../etc.passwd'
  broken.sources.push({ name: 'orders', topic: 't', file: 'f', format: 'json', table: 'raw.x' })
  broken.extra = true
  const problems = checkPipeline(broken)
  const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]))
  assert.match(byPath['$.sources[0].format'], /^"xml" is not one of "json", "debezium", "debezium-mongodb", "avro", /)
  assert.match(byPath['$.sources[1].table'], /must match pattern/)
  assert.match(byPath['$.sources[2]'], /exactly one of "topic", "topicPattern" or "file"/)
  assert.match(byPath['$'], /unknown property 'extra'/)
})

test('a mistyped name or value is quoted, with what was probably meant', () => {
  const typos = structuredClone(valid) as Record<string, any>
  typos.sources[0].format = 'jsn'
  typos.sources[0].startingOfsets = 'earliest'
  typos.flows = [{ name: 'f', from: 'raw.a', to: 'refined.a', mode: 'apend', transforms: [{ op: 'flaten' }, { op: 'sql' }] }]
  const byPath = Object.fromEntries(checkPipeline(typos).map((p) => [p.path, p.message]))
  assert.match(byPath['$.sources[0].format'], /^"jsn" is not one of .*\. Did you mean 'json'\?$/)
  assert.equal(byPath['$.sources[0]'], "unknown property 'startingOfsets'. Did you mean 'startingOffsets'?")
  assert.match(byPath['$.flows[0].mode'], /^"apend" is not one of "append", "cdc"\. Did you mean 'append'\?$/)
  assert.match(byPath['$.flows[0].transforms[0]'], /one of flatten, explode, select, rename, cast, filter, sql, not 'flaten'\. Did you mean 'flatten'\?$/)
})

test('credentials in the file are refused wherever they are', () => {
  const withSecret = structuredClone(valid) as Record<string, any>
  withSecret.kafka.sasl.password = 'hunter2'
  const problems = checkPipeline(withSecret)
  const secret = problems.find((p) => p.path === '$.kafka.sasl.password')
  assert.ok(secret, JSON.stringify(problems))
  assert.match(secret.message, /passwordEnv/)
  assert.ok(!JSON.stringify(problems).includes('hunter2'), 'the secret itself is never echoed')
})

test('rules a schema cannot say: duplicate names, cdc keys, Kafka settings, regular expressions', () => {
  const doc = structuredClone(valid) as Record<string, any>
  doc.sources.push({ name: 'orders', topicPattern: '([', format: 'avro', table: 'raw.more' })
  doc.flows.push({ name: 'customers', from: 'raw.a', to: 'refined.b', mode: 'cdc' })
  const messages = checkPipeline(doc).map((p) => `${p.path} ${p.message}`)
  assert.ok(
    messages.some((m) => m.startsWith("$.sources[2].name source name 'orders' is already used by $.sources[0]")),
    messages.join('\n'),
  )
  assert.ok(messages.some((m) => m.startsWith('$.sources[2].topicPattern not a regular expression')))
  assert.ok(messages.some((m) => m.startsWith('$.sources[2].format the avro format needs kafka.schemaRegistry')))
  assert.ok(messages.some((m) => m.startsWith("$.flows[1].name flow name 'customers' is already used")))
  assert.ok(messages.some((m) => m.startsWith('$.flows[1].key a cdc flow needs "key"')))
  const noKafka = structuredClone(valid) as Record<string, any>
  delete noKafka.kafka
  assert.ok(checkPipeline(noKafka).some((p) => p.path === '$.sources[0]' && /needs the "kafka" section/.test(p.message)))
})

test('an unreadable or malformed file is a PipelineFileError naming the file', () => {
  const file = path.join(dir, 'bad.json')
  writeFileSync(file, '{ "lake": ')
  assert.throws(
    () => loadPipeline(file),
    (e: unknown) => e instanceof PipelineFileError && e.message.startsWith(file) && /not valid JSON/.test(e.message),
  )
  assert.throws(
    () => loadPipeline(path.join(dir, 'missing.json')),
    (e: unknown) => e instanceof PipelineFileError && /cannot read the file/.test(e.message),
  )
})

test('flows: transforms are checked by their op, with the rules between flows and tables', () => {
  const doc = structuredClone(valid) as Record<string, any>
  doc.flows = [
    {
      name: 'a',
      from: 'raw.orders',
      to: 'refined.orders',
      mode: 'cdc',
      key: ['id'],
      transforms: [
        { op: 'flatten', separator: '.' },
        { op: 'explode', column: 'items' },
        { op: 'cast', columns: { id: 5 } },
        { op: 'pivot' },
        { columns: ['x'] },
      ],
    },
    { name: 'b', from: 'raw.orders', to: 'refined.orders', mode: 'append', scd: 2, transforms: [{ op: 'explode', column: 'items', into: 'refined.items' }] },
    { name: 'c', from: 'raw.x', to: 'raw.x', mode: 'append' },
  ]
  const messages = checkPipeline(doc).map((p) => `${p.path} ${p.message}`)
  assert.ok(messages.includes('$.flows[0].transforms[2].columns.id must be string'), messages.join('\n'))
  assert.ok(
    messages.some((m) => m.startsWith('$.flows[0].transforms[3]') && /one of flatten, explode/.test(m)),
    messages.join('\n'),
  )
  assert.ok(
    messages.some((m) => m.startsWith('$.flows[0].transforms[4]') && /"op"/.test(m)),
    messages.join('\n'),
  )
  // Schema-valid now: the rules only the code knows.
  doc.flows[0].transforms = [{ op: 'explode', column: 'items' }]
  const rules = checkPipeline(doc).map((p) => `${p.path} ${p.message}`)
  assert.ok(
    rules.some((m) => m.startsWith('$.flows[0].transforms[0]') && /explodes "into" a child table/.test(m)),
    rules.join('\n'),
  )
  assert.ok(
    rules.some((m) => m === '$.flows[1].scd scd 2 (history rows) needs mode "cdc"'),
    rules.join('\n'),
  )
  assert.ok(
    rules.some((m) => m.startsWith('$.flows[1].transforms[0]') && /needs the flow's "key"/.test(m)),
    rules.join('\n'),
  )
  assert.ok(
    rules.some((m) => m === '$.flows[1] table refined.orders is already written by $.flows[0]: each table has one flow'),
    rules.join('\n'),
  )
  assert.ok(
    rules.some((m) => m === '$.flows[2].to a flow cannot write the table it reads'),
    rules.join('\n'),
  )
})
