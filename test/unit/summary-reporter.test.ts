/**
 * test/summary-reporter.mjs, the reporter of `node test/run.mjs`, run for real over a sample file:
 * known gaps (todo) are listed as known gaps and never under "failing tests"; what was skipped
 * (whole suites too) is listed with its reason; a real failure still gets node's "failing tests"
 * section; the run ends with the runner's counts and a plain "N passed, N failed" line.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const reporter = path.join(here, '..', 'summary-reporter.mjs')
const sample = path.join(here, 'fixtures', 'reporter-sample.mjs')

function run(fail: boolean) {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env
  const result = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, sample], {
    encoding: 'utf8',
    env: { ...env, REPORTER_SAMPLE_FAIL: fail ? '1' : '0', NO_COLOR: '1' },
  })
  return { status: result.status, output: result.stdout + result.stderr }
}

test('a green run with known gaps and skips ends without "failing tests", listing both with reasons', () => {
  const { status, output } = run(false)
  assert.equal(status, 0, output)
  assert.doesNotMatch(output, /failing tests/, output)
  assert.match(output, /^ℹ pass 1$/m, output)
  assert.match(output, /^ℹ fail 0$/m, output)
  assert.match(output, /^ℹ todo 2$/m, output)
  assert.match(output, /^skipped \(2\):$/m, output)
  assert.match(output, /a skipped test — no data here/, output)
  assert.match(output, /a skipped suite \(a whole suite: its tests did not run\) — whole suite off/, output)
  assert.match(output, /^known gaps, run as todo \(2;/m, output)
  assert.match(output, /a known gap that still fails — not read yet\n\s+still fails: boom: the gap is still open\n/, output)
  assert.match(output, /a known gap that passes now — was a gap\n\s+passes now: take it off the known gaps/, output)
  const lines = output.trimEnd().split('\n')
  assert.deepEqual(lines.slice(-2), ['known gaps (todo, not failures): 2', '1 passed, 0 failed, 2 skipped'], output)
})

test('a real failure keeps node\'s "failing tests" section and is counted', () => {
  const { status, output } = run(true)
  assert.notEqual(status, 0, output)
  assert.match(output, /failing tests:/, output)
  const failing = output.slice(output.indexOf('failing tests:'), output.indexOf('\nskipped ('))
  assert.match(failing, /a real failure/, output)
  assert.doesNotMatch(failing, /a known gap/, output)
  assert.equal(output.trimEnd().split('\n').at(-1), '1 passed, 1 failed, 2 skipped', output)
})
