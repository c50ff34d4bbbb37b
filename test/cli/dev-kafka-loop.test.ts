/**
 * The dev-Kafka loop end to end, as a user runs it (real processes): Avro messages produced with
 * `lakehouse produce` to the mock broker land as dead letters while the pipeline file still says
 * the topic is JSON; after the format is changed to avro in the pipeline file, `dead-letters
 * replay` decodes them into the raw table at their own Kafka coordinates (the offsets kcat reads),
 * and an Avro letter whose value the schema cannot read is fixed with an edited value that is
 * encoded through the schema registry. `lakehouse trace --message` then follows each message to its
 * raw row and the version that wrote it, and to the letter it was first.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog, runQuery } from '../../src/query'
import { MOCK_CONSUMER_SETTINGS, startBroker, type MockBroker } from '../kafka/broker'
import { LocalRegistry } from '../helpers/schema-registry'
import { runCli } from '../reliability/cli-process'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-dev-loop-'))
const registry = new LocalRegistry()
let broker: MockBroker
let url: string
const file = path.join(dir, 'lakehouse.json')
const SCHEMA = {
  type: 'record',
  name: 'Click',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'page', type: 'string' },
  ],
}

function writePipeline(format: string) {
  const { sessionTimeout, heartbeatInterval, maxWaitTimeInMs } = MOCK_CONSUMER_SETTINGS
  writeFileSync(
    file,
    JSON.stringify({
      lake: 'lake',
      kafka: { brokers: broker.brokers, dev: true, schemaRegistry: { url }, consumer: { sessionTimeout, heartbeatInterval, maxWaitTimeInMs } },
      sources: [{ name: 'clicks', topic: 'clicks', format, table: 'raw.clicks', batch: { maxMs: 200 } }],
    }),
  )
}

before(async () => {
  broker = await startBroker({ topics: [{ name: 'clicks', partitions: 1 }] })
  url = await registry.start()
  registry.register(3, 'clicks-value', 1, { schema: JSON.stringify(SCHEMA) })
})
after(async () => {
  await broker.stop()
  await registry.stop()
  rmSync(dir, { recursive: true, force: true })
})

const cli = async (...args: string[]) => {
  const r = await runCli(args, { cwd: dir })
  return { code: r.code, stdout: r.stdout, stderr: r.stderr }
}

async function query(sql: string) {
  const lake = new LakeEngine()
  try {
    return (await runQuery(lake, new LakeCatalog(path.join(dir, 'lake'), lake.io.storage), sql)).rows
  } finally {
    await lake.close()
  }
}

test('produce Avro, ingest as JSON (dead letters), change the format, replay: rows at their offsets; an unreadable value fixed by an edited value', async () => {
  writePipeline('avro')
  const ndjson = path.join(dir, 'clicks.ndjson')
  writeFileSync(ndjson, [1, 2, 3].map((i) => JSON.stringify({ id: i, page: `/p${i}` })).join('\n') + '\n')
  const produced = await cli('produce', '--pipeline', file, '--topic', 'clicks', '--file', ndjson)
  assert.equal(produced.code, 0, produced.stderr)
  // A value no Avro reader can read: the schema id is right, the body is cut.
  const cut = execFileSync('kcat', ['-b', broker.brokers.join(','), '-C', '-e', '-q', '-t', 'clicks', '-o', '0', '-c', '1', '-f', '%s'])
  execFileSync('kcat', ['-b', broker.brokers.join(','), '-P', '-t', 'clicks', '-p', '0'], { input: cut.subarray(0, 6) })

  writePipeline('json')
  const ingest = await cli('ingest', '--pipeline', file, '--until-caught-up')
  assert.equal(ingest.code, 0, ingest.stderr)
  assert.match(ingest.stdout, /4 messages → 0 rows, 0 tombstones, 4 dead letters/)

  writePipeline('avro')
  const replay = await cli('dead-letters', 'replay', '--pipeline', file, '--source', 'clicks')
  assert.equal(replay.code, 1, 'one letter still fails')
  assert.match(replay.stdout, /^clicks: 3 letters replayed into raw\.clicks \(version \d+\), 1 still failing\n {2}clicks\/clicks\/0\/3: truncated-avro/)
  const show = await cli('dead-letters', 'show', '--pipeline', file, 'clicks/clicks/0/3')
  assert.match(show.stdout, /\nvalue {6}6 bytes, hex \(not UTF-8 text\):\n {2}000000000302\n/)
  assert.match(show.stdout, /\ndetail {5}Unexpected token '\\x00'/, 'control characters escaped')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a raw NUL in the output is what must not be there
  assert.doesNotMatch(show.stdout, /\x00/)
  assert.match(show.stdout, /still fails: truncated-avro/)
  const fixed = await cli('dead-letters', 'replay', '--pipeline', file, 'clicks/clicks/0/3', '--value', '{"id":4,"page":"/p4"}')
  assert.equal(fixed.code, 0, fixed.stderr + fixed.stdout)

  const kcat = execFileSync('kcat', ['-b', broker.brokers.join(','), '-C', '-J', '-e', '-q', '-t', 'clicks'])
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { offset: number })
  const rows = await query('SELECT _topic, _partition, _offset, id, page FROM raw.clicks ORDER BY _offset')
  assert.deepEqual(
    rows,
    kcat.map((m, i) => ({ _topic: 'clicks', _partition: 0, _offset: m.offset, id: i + 1, page: `/p${i + 1}` })),
  )
  const list = JSON.parse((await cli('dead-letters', 'list', '--pipeline', file, '--format', 'json')).stdout)
  assert.deepEqual(
    list.map((g: Record<string, unknown>) => [g.reason, g.state, g.letters]),
    [['invalid-json', 'replayed', 4]],
  )

  // Lineage from the message: the raw row at its offset, the version that wrote it, and the letter it was first.
  const versions = [/version (\d+)\)/.exec(replay.stdout)![1], /version (\d+)\)/.exec(fixed.stdout)![1]]
  const traced = await cli('trace', '--pipeline', file, '--message', 'clicks/0/3')
  assert.equal(traced.code, 0, traced.stderr)
  assert.match(traced.stdout, new RegExp(`^clicks: a dead letter \\(invalid-json: .*\\), replayed \\(raw version ${versions[1]}\\)\\n`))
  assert.match(traced.stdout, new RegExp(`\\nclicks: a row of raw\\.clicks, written by version ${versions[1]}; key null, time \\d{4}-`))
  const first = JSON.parse((await cli('trace', '--pipeline', file, '--message', 'clicks/0/0', '--json')).stdout)
  assert.deepEqual(
    first.map((f: { kind: string; rawVersion?: number }) => [f.kind, f.rawVersion ?? null]),
    [
      ['dead-letter', null],
      ['row', Number(versions[0])],
    ],
  )
  const none = await cli('trace', '--pipeline', file, '--message', 'clicks/0/99')
  assert.match(none.stdout, /^clicks: raw\.clicks holds no row of this message, and no dead letter names it/)
  assert.equal((await cli('trace', '--pipeline', file, '--message', 'other/0/1')).code, 2)
})
