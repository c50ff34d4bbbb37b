/**
 * The Dead Letters panel's host side on a letter too large for one message: its first bytes go
 * as hex and the answer still passes the protocol's checks (the panel would drop it otherwise).
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { createDeadLettersHandler } from '../../src/extension/panels/dead-letters-handler'
import { ingestFile } from '../../src/pipeline/ingest-file'
import { loadPipeline } from '../../src/pipeline/pipeline-file'
import { check } from '../../webview/shared/validate'
import { deadLettersToPanel, type DeadLettersToPanel } from '../../webview/shared/protocol'
import { tempLake } from '../helpers/temp-lake'

const { dir, lake, catalog } = tempLake('dead-letters-handler')

test('a 6 MB letter is shown as its first MiB in hex, in a message the panel accepts', async () => {
  const huge = `{"blob":"${'x'.repeat(6_000_000)}",}`
  writeFileSync(path.join(dir, 'big.ndjson'), `${huge}\n`)
  writeFileSync(
    path.join(dir, 'lakehouse.json'),
    JSON.stringify({ lake: 'lake', sources: [{ name: 'big', file: 'big.ndjson', format: 'json', table: 'raw.big' }] }),
  )
  const pipeline = loadPipeline(path.join(dir, 'lakehouse.json'))
  assert.equal((await ingestFile(lake, catalog, pipeline, pipeline.sources[0])).deadLetters, 1)
  const sent: DeadLettersToPanel[] = []
  const errors: string[] = []
  const handler = createDeadLettersHandler(
    {
      lake,
      catalog,
      pipeline: () => pipeline,
      decoderOptions: async () => ({}),
      confirm: async () => false,
      onLettersChanged: () => {},
      log: { info: () => {}, error: (m) => void errors.push(m) },
    },
    { label: 'lakehouse.json', restore: {} },
    (m) => void sent.push(m),
  )
  await handler.receive({ type: 'show', requestId: 1, id: 'big/file:big.ndjson/0/0' })
  assert.deepEqual(errors, [])
  const [answer] = sent
  assert.equal(answer.type, 'letter')
  const checked = check(deadLettersToPanel, answer)
  assert.ok(checked.ok, checked.ok ? '' : checked.error)
  const letter = (answer as Extract<DeadLettersToPanel, { type: 'letter' }>).letter
  assert.equal(letter.size, huge.length)
  assert.equal(letter.text, null)
  assert.equal(letter.hex, Buffer.from(huge.slice(0, 1024 * 1024)).toString('hex'))
  assert.equal(letter.summary.reason, 'invalid-json')
})
