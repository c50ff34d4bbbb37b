/**
 * `lakehouse ingest` and `lakehouse sample` with a file source, as a user runs them.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-ingest-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const lakehouse = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

writeFileSync(
  path.join(dir, 'events.ndjson'),
  [
    JSON.stringify({ id: 1, kind: 'click', at: '2026-11-24T10:00:00Z' }),
    'oops',
    JSON.stringify({ id: 2, kind: 'view', at: '2026-11-24T10:00:01Z', extra: { depth: 3 } }),
  ].join('\n') + '\n',
)
const pipelineFile = path.join(dir, 'lakehouse.json')
writeFileSync(pipelineFile, JSON.stringify({ lake: 'lake', sources: [{ name: 'events', file: 'events.ndjson', format: 'json', table: 'raw.events' }] }))

test('ingest a file source, then again: exactly once, with the dead letter counted', () => {
  const first = lakehouse('ingest', '--pipeline', pipelineFile)
  assert.equal(first.code, 0, first.stderr)
  assert.equal(first.stdout, 'events: 3 messages → 2 rows, 0 tombstones, 1 dead letters, 0 already recorded (1 batches)\n')
  const second = lakehouse('ingest', '--pipeline', pipelineFile, '--source', 'events')
  assert.equal(second.code, 0, second.stderr)
  assert.match(second.stdout, /→ 0 rows, 0 tombstones, 0 dead letters, 3 already recorded/)
  const rows = lakehouse('query', '--lake', path.join(dir, 'lake'), '--format', 'csv', 'SELECT id, kind, extra.depth AS depth FROM raw.events ORDER BY id')
  assert.equal(rows.stdout, 'id,kind,depth\r\n1,click,\r\n2,view,3\r\n')
  const dead = lakehouse('query', '--lake', path.join(dir, 'lake'), '--format', 'csv', 'SELECT _offset, reason FROM raw._dead_letters')
  assert.equal(dead.stdout, '_offset,reason\r\n1,invalid-json\r\n')
})

test('sample prints decoded messages and the inferred schema', () => {
  const sample = lakehouse('sample', '--pipeline', pipelineFile, '--source', 'events', '--limit', '2')
  assert.equal(sample.code, 0, sample.stderr)
  const parsed = JSON.parse(sample.stdout)
  assert.equal(parsed.messages.length, 2)
  assert.equal(parsed.messages[1].decoded.kind, 'error')
  assert.deepEqual(Object.keys(parsed.messages[0].decoded).sort(), ['kind', 'row', 'schema'])
  assert.deepEqual(
    parsed.schema.fields.map((f: { name: string; type: unknown }) => [f.name, f.type]),
    [
      ['id', 'long'],
      ['kind', 'string'],
      ['at', 'timestamp'],
    ],
  )
})

test('sample shows what a row gives up to _rescued_data: a second spelling of a name', () => {
  writeFileSync(path.join(dir, 'clash.ndjson'), `${JSON.stringify({ id: 7, ID: 70, name: 'x' })}\n`)
  const file = path.join(dir, 'clash.json')
  writeFileSync(file, JSON.stringify({ lake: 'lake', sources: [{ name: 'clash', file: 'clash.ndjson', format: 'json', table: 'raw.clash' }] }))
  const sample = lakehouse('sample', '--pipeline', file, '--source', 'clash')
  assert.equal(sample.code, 0, sample.stderr)
  const [message] = JSON.parse(sample.stdout).messages
  assert.deepEqual(message.decoded.row, { id: 7, name: 'x' })
  assert.deepEqual(message.decoded.rescued, { ID: 70 })
})

test('a pipeline file with problems is a usage error listing each with its JSON path', () => {
  const bad = path.join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify({ lake: 'lake', sources: [{ name: 'x', file: 'f', format: 'csv', table: 'raw.x', password: 'p' }] }))
  const r = lakehouse('ingest', '--pipeline', bad)
  assert.equal(r.code, 2)
  assert.match(r.stderr, /\$\.sources\[0\]\.format: "csv" is not one of "json", /)
  assert.match(r.stderr, /\$\.sources\[0\]\.password: credentials do not belong in the pipeline file/)
  assert.equal(lakehouse('ingest', '--pipeline', pipelineFile, '--source', 'nope').code, 2)
})
