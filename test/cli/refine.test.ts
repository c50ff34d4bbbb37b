/**
 * `lakehouse run` and `lakehouse refine` as a user (or the VS Code extension) runs them: a file
 * source of Debezium events, a cdc flow, progress as JSON lines, exit codes.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { captureLines, postgresStream } from '../helpers/cdc-streams'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-refine-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const lakehouse = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const stream = postgresStream({ seed: 1, keys: 20, changes: 120 })
writeFileSync(path.join(dir, 'customers.jsonl'), captureLines(stream.messages))
const pipelineFile = path.join(dir, 'lakehouse.json')
writeFileSync(
  pipelineFile,
  JSON.stringify({
    lake: 'lake',
    sources: [{ name: 'customers', file: 'customers.jsonl', format: 'debezium', table: 'raw.customers' }],
    flows: [
      {
        name: 'customers',
        from: 'raw.customers',
        to: 'refined.customers',
        mode: 'cdc',
        key: ['id'],
        transforms: [{ op: 'select', columns: ['id', 'name', 'balance'] }],
      },
    ],
  }),
)

test('run --until-caught-up --events: ingest then refine, progress as JSON lines', () => {
  const run = lakehouse('run', '--pipeline', pipelineFile, '--until-caught-up', '--events')
  assert.equal(run.code, 0, run.stderr)
  const events = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
  const states = events.filter((e) => e.type === 'job').map((e) => `${e.job} ${e.state}`)
  assert.deepEqual(states, [
    'source:customers starting',
    'source:customers running',
    'source:customers stopped',
    'flow:customers starting',
    'flow:customers running',
    'flow:customers stopped',
  ])
  const batch = events.find((e) => e.type === 'batch' && e.job === 'flow:customers')!
  assert.equal(batch.table, 'refined.customers')
  assert.equal(typeof batch.version, 'number')
  const rows = lakehouse('query', '--lake', path.join(dir, 'lake'), '--format', 'json', 'SELECT id, name, balance FROM refined.customers ORDER BY id')
  assert.deepEqual(
    JSON.parse(rows.stdout),
    [...stream.final.values()].sort((a, b) => a.id - b.id).map(({ id, name, balance }) => ({ id, name, balance })),
  )
})

test('refine reports nothing new when caught up; unknown flows and --full-refresh without --flow are usage errors', () => {
  const again = lakehouse('refine', '--pipeline', pipelineFile, '--until-caught-up')
  assert.equal(again.code, 0, again.stderr)
  assert.equal(again.stdout, 'customers: 0 batches, 0 changes (nothing new)\n')
  const unknown = lakehouse('refine', '--pipeline', pipelineFile, '--flow', 'nope')
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /no flow 'nope' .* \(flows: customers\)/)
  assert.equal(lakehouse('refine', '--pipeline', pipelineFile, '--full-refresh').code, 2)
  const refreshed = lakehouse('refine', '--pipeline', pipelineFile, '--flow', 'customers', '--full-refresh', '--until-caught-up')
  assert.equal(refreshed.code, 0, refreshed.stderr)
  assert.match(refreshed.stderr, /customers: snapshot of version \d+/)
})
