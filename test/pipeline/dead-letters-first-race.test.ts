/**
 * Every source shares raw._dead_letters. Two sources whose first batches both hold letters race
 * to create that table (version 0): the loser must land its batch on the winner's table, not fail.
 * Found by running `lakehouse ingest` on two sources of a fresh lake.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { createDecoder } from '../../src/decode'
import { LakeEngine } from '../../src/engine'
import type { IngestMessage } from '../../src/pipeline/ingest-message'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { writeRawBatch } from '../../src/pipeline/raw-batch'
import { LakeCatalog, runQuery } from '../../src/query'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-dead-race-'))
const lake = new LakeEngine()
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

async function batch(topic: string): Promise<IngestMessage[]> {
  const decoder = createDecoder('json')
  return Promise.all(
    ['{"id":1}', '{not json', '{"id":2}'].map(async (value, offset) => {
      const input = { key: null, value: Buffer.from(value), headers: {}, topic, partition: 0, offset: String(offset), timestamp: '1700000000000' }
      return { ...input, decoded: await decoder.decode(input) }
    }),
  )
}

test('two sources writing their first dead letters at once both land, on one dead-letter table', async () => {
  // Several fresh lakes: the race is decided by which create reaches the log first.
  for (let round = 0; round < 5; round++) {
    const catalog = new LakeCatalog(path.join(dir, `lake-${round}`), lake.io.storage)
    const sources: SourceSpec[] = ['clicks', 'orders'].map((name) => ({ name, topic: name, format: 'json', table: `raw.${name}` }))
    const results = await Promise.all(sources.map(async (source) => writeRawBatch(lake, catalog, source, await batch(source.name))))
    for (const result of results) assert.deepEqual([result.rows, result.deadLetters], [2, 1])
    const letters = await runQuery(lake, catalog, 'SELECT _topic, _offset FROM raw._dead_letters ORDER BY _topic')
    assert.deepEqual(
      letters.rows.map((r) => [r._topic, Number(r._offset)]),
      [
        ['clicks', 1],
        ['orders', 1],
      ],
    )
    for (const source of sources) {
      const rows = await runQuery(lake, catalog, `SELECT count(*)::INTEGER AS n FROM ${source.table}`)
      assert.equal(rows.rows[0].n, 2, source.table)
    }
    // Both sources' offsets are recorded in the shared table, so a restart skips their letters.
    const dead = await lake.snapshot(catalog.pathOf('raw._dead_letters'))
    assert.deepEqual([...dead.txns.keys()].map((appId) => appId.split('/')[1]).sort(), ['clicks', 'orders'])
  }
})
