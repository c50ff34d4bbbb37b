/**
 * The "fail instead of skip under CI" rule: any truthy CI counts (CI systems set true, 1 or their
 * own name), so missing conformance data fails a CI run instead of skipping whole suites.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requireConformanceDir, runningUnderCi } from '../helpers/conformance'

test('any truthy CI is a CI run; empty, 0 and false are not', () => {
  for (const value of ['true', 'TRUE', '1', 'yes', 'github-actions', ' true ']) assert.equal(runningUnderCi({ CI: value }), true, `CI=${value}`)
  for (const value of [undefined, '', '0', 'false', 'False']) assert.equal(runningUnderCi({ CI: value }), false, `CI=${value}`)
})

test('missing conformance data fails under any truthy CI and is reported as missing elsewhere', () => {
  const missing = { LAKEHOUSE_CONFORMANCE_DIR: '/nonexistent/conformance' }
  for (const CI of ['true', '1', 'yes']) {
    assert.throws(() => requireConformanceDir({ ...missing, CI }), /conformance data not found .*CI must have it/, `CI=${CI}`)
  }
  assert.equal(requireConformanceDir({ ...missing, CI: '0' }), undefined)
  assert.equal(requireConformanceDir({ ...missing }), undefined)
})
