/**
 * Dead-letter replays racing each other (two engines, as two processes would): the replay txn on
 * the raw snapshot each checked makes the later commit conflict, so every letter lands once; the
 * loser's rerun finds nothing left to do. And the pieces the views use: where JSON parsing
 * failed, a JSON Patch applied to a letter's value.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog } from '../../src/query'
import { fixedValue, replayLetters, selectLetters } from '../../src/pipeline/dead-letter-replay'
import { failurePosition } from '../../src/pipeline/dead-letter-triage'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { tempLake } from '../helpers/temp-lake'

const { dir, lakeDir, lake, catalog, query } = tempLake('dead-letter-replay')

test('two replays of the same letters at once: each letter lands exactly once', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => (i % 2 ? `{"id":${i},"v":${i},}` : JSON.stringify({ id: i, v: i })))
  writeFileSync(path.join(dir, 'e.ndjson'), lines.join('\n') + '\n')
  const source: SourceSpec = { name: 'e', file: 'e.ndjson', format: 'json', table: 'raw.e' }
  const pipeline: Pipeline = { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }
  const report = await ingestFile(lake, catalog, pipeline, source)
  assert.equal(report.deadLetters, 20)
  // Trailing commas: the letters are not JSON, so the fix is each letter's value without it.
  const engines = [new LakeEngine(), new LakeEngine()]
  try {
    const outcomes = await Promise.allSettled(
      engines.map(async (engine) => {
        const own = new LakeCatalog(lakeDir, engine.io.storage)
        const letters = await selectLetters(engine, own, { source: 'e' }, ['open'])
        // Each letter fixed by hand (an edited value each): replay them one by one, as a user would.
        let replayed = 0
        for (const letter of letters) {
          const value = Buffer.from(letter.value!.toString().replace(',}', '}'))
          const [r] = await replayLetters(
            engine,
            own,
            pipeline,
            { ids: [`e/${letter.topic}/${letter.partition}/${letter.offset}`] },
            { decoder: {}, fix: { value } },
          )
          replayed += r?.replayed ?? 0
        }
        return replayed
      }),
    )
    const conflicts = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))
    assert.ok(
      conflicts.every((c) => /concurrent|conflict|another writer/i.test(c)),
      conflicts.join('\n'),
    )
    // Whoever lost a race reruns: nothing lands twice, everything lands once.
    for (const letter of await selectLetters(lake, catalog, { source: 'e' }, ['open'])) {
      const value = Buffer.from(letter.value!.toString().replace(',}', '}'))
      await replayLetters(lake, catalog, pipeline, { ids: [`e/${letter.topic}/${letter.partition}/${letter.offset}`] }, { decoder: {}, fix: { value } })
    }
  } finally {
    await Promise.all(engines.map((e) => e.close()))
  }
  const rows = await query('SELECT _offset, count(*) AS n, min(id) AS id FROM raw.e GROUP BY _offset ORDER BY _offset')
  assert.deepEqual(
    rows.map((r) => [Number(r._offset), Number(r.n), Number(r.id)]),
    lines.map((_, i) => [i, 1, i]),
  )
  assert.equal((await selectLetters(lake, catalog, { source: 'e' }, ['open'])).length, 0)
  assert.equal((await selectLetters(lake, catalog, { source: 'e' }, ['replayed'])).length, 20)
})

test('where JSON failed: the position in the detail, else the first error jsonc-parser finds', () => {
  assert.deepEqual(failurePosition('invalid-json', 'Expected double-quoted property name in JSON at position 7', '{"a":1,}'), {
    at: 7,
    line: 1,
    column: 8,
    context: '{"a":1,}',
    caret: 7,
  })
  assert.equal(failurePosition('invalid-json', "Unexpected token 'o'", '{"a":\n oops}')?.line, 2)
  assert.equal(failurePosition('invalid-json', "Unexpected token 'o'", '{"a":\n oops}')?.column, 2)
  assert.equal(failurePosition('not-an-object', 'an array', '[1]'), undefined)
})

test("a JSON Patch applies to a letter's value; one that does not apply says why", () => {
  const letter = { value: Buffer.from('{"id":1,"price":"12,50"}') } as Parameters<typeof fixedValue>[0]
  assert.equal(Buffer.from(fixedValue(letter, { patch: [{ op: 'replace', path: '/price', value: 12.5 }] })!).toString(), '{"id":1,"price":12.5}')
  assert.throws(() => fixedValue(letter, { patch: [{ op: 'test', path: '/id', value: 2 }] }), /the patch does not apply/)
})
