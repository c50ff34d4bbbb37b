/**
 * Exactly-once refine under SIGKILL: the refine process is killed at random moments (between
 * batches, while writing data files, during a commit), restarted each time, then run to the end.
 * The refined tables (including a child table and a MongoDB flow's document state) must then
 * equal those of an uninterrupted run of the same flow, row for row.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { FlowSpec, Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import { runQuery } from '../../src/query'
import { tempLake } from '../helpers/temp-lake'
import { captureLines, mongoStream, random } from '../helpers/cdc-streams'

const here = path.dirname(fileURLToPath(import.meta.url))
const { dir, lakeDir, lake, catalog } = tempLake('refine-crash')

function runChild(flow: FlowSpec, killAfterMs: number | undefined): Promise<{ killed: boolean; batches: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'refine-child.ts'), JSON.stringify({ lakeDir, flow })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let batches = 0
    let stderr = ''
    let timer: NodeJS.Timeout | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      batches += chunk
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('{"batch"')).length
      // Kill a random time after the first batch, so kills land anywhere inside later batches.
      if (killAfterMs !== undefined && timer === undefined && batches > 0) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (signal === 'SIGKILL') resolve({ killed: true, batches })
      else if (code === 0) resolve({ killed: false, batches })
      else reject(new Error(`refine child exited ${code}: ${stderr}`))
    })
  })
}

test('refine killed with SIGKILL at random moments, then run to the end, equals an uninterrupted run', async () => {
  const stream = mongoStream({ seed: 99, keys: 30, changes: 500 })
  const source: SourceSpec = { name: 'mongo', file: 'mongo.jsonl', format: 'debezium-mongodb', table: 'raw.customers', batch: { maxMessages: 20 } }
  writeFileSync(path.join(dir, source.file!), captureLines(stream.messages))
  const pipeline: Pipeline = { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }
  await ingestFile(lake, catalog, pipeline, source)

  const flow = (suffix: string): FlowSpec => ({
    name: `customers${suffix}`,
    from: 'raw.customers',
    to: `refined.customers${suffix}`,
    mode: 'cdc',
    key: ['_id'],
    transforms: [{ op: 'explode', column: 'tags', into: `refined.customer_tags${suffix}` }, { op: 'flatten' }],
    batch: { maxVersions: 1 },
  })
  await refineFlow(lake, catalog, flow('_reference'), { untilCaughtUp: true })

  const next = random(2026)
  const log: string[] = []
  let kills = 0
  for (let round = 0; kills < 10 && round < 16; round++) {
    const outcome = await runChild(flow(''), Math.floor(next() * 400))
    if (outcome.killed) kills++
    log.push(`${outcome.killed ? 'killed' : 'finished'} after ${outcome.batches}`)
  }
  assert.ok(kills >= 10, `at least 10 kills: ${log.join(', ')}`)
  const finished = await runChild(flow(''), undefined)
  assert.equal(finished.killed, false)

  const rows = async (table: string) => (await runQuery(lake, catalog, `SELECT * FROM ${table} ORDER BY ALL`)).rows
  assert.deepEqual(await rows('refined.customers'), await rows('refined.customers_reference'))
  assert.deepEqual(await rows('refined.customer_tags'), await rows('refined.customer_tags_reference'))
  assert.deepEqual(await rows('refined._customers_documents'), await rows('refined._customers_reference_documents'))
  assert.equal((await rows('refined.customers')).length, stream.final.size)
  // Each table's progress is the raw table's last version: nothing left behind, nothing ahead.
  const rawVersion = (await lake.snapshot(catalog.pathOf('raw.customers'))).version
  for (const table of ['refined.customers', 'refined.customer_tags', 'refined._customers_documents']) {
    assert.equal((await lake.snapshot(catalog.pathOf(table))).txns.get('lakehouse/flow/customers')?.version, rawVersion)
  }
})
