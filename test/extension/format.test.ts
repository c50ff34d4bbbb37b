/** The texts of the trees and the status bar. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { firstLine, formatAge, formatBytes, formatCount, jobDescription, statusBarText, tableDescription } from '../../src/extension/format'
import { PipelineBoard } from '../../src/extension/pipelines/board'

test('sizes, counts and ages are short', () => {
  assert.deepEqual([0, 1023, 1024, 1536, 10 * 1024 ** 2, 3.5 * 1024 ** 3, 5 * 1024 ** 5].map(formatBytes), [
    '0 B',
    '1023 B',
    '1.0 KB',
    '1.5 KB',
    '10 MB',
    '3.5 GB',
    '5120 TB',
  ])
  assert.deepEqual([0, 999, 1000, 12_345, 999_999, 4_200_000, 7e9].map(formatCount), ['0', '999', '1k', '12.3k', '1000k', '4.2M', '7G'])
  assert.deepEqual(
    [0, 1_000, 12_000, 5 * 60_000, 3 * 3_600_000, 2 * 86_400_000].map((ago) => formatAge(1e12 - ago, 1e12)),
    ['just now', 'just now', '12 s ago', '5 min ago', '3 h ago', '2 d ago'],
  )
  // A clock that is a little ahead is not "in the future".
  assert.equal(formatAge(1e12 + 5_000, 1e12), 'just now')
})

test('a table says rows, size, version and whether it records changes', () => {
  assert.equal(tableDescription({ version: 5, rows: 1234, bytes: 2_200_000, files: 3, changeDataFeed: true }), '1.2k rows · 2.1 MB · v5 · CDF')
  assert.equal(tableDescription({ version: 0, rows: 1, bytes: 900, files: 1, changeDataFeed: false }), '1 row · 900 B · v0')
  assert.equal(tableDescription({ version: 2, bytes: 0, files: 0, changeDataFeed: false }), '? rows · 0 B · v2')
})

test('a job says its state, rate, lag and last commit; a failure says why', () => {
  const board = new PipelineBoard()
  board.starting(['source:o', 'flow:f'], 0)
  board.apply({ type: 'batch', job: 'source:o', table: 'raw.o', version: 1, rows: 5_000, messages: 5_000, lag: 30, durationMs: 1, at: 2_000 })
  board.apply({ type: 'batch', job: 'flow:f', table: 'refined.o', version: 1, rows: 50, durationMs: 1, at: 3_000 })
  assert.equal(jobDescription(board.status('source:o')!, board.rate('source:o', 5_000), 5_000), 'running · 1k msg/s · lag 30 · last commit 3 s ago')
  assert.equal(jobDescription(board.status('flow:f')!, board.rate('flow:f', 5_000), 5_000), 'running · 10 rows/s · last commit 2 s ago')
  board.apply({ type: 'job', job: 'flow:f', state: 'failed', error: '\nCOMMIT_CONFLICT: raw.o changed\nat line 2', at: 6_000 })
  assert.equal(jobDescription(board.status('flow:f')!, 0, 6_000), 'failed: COMMIT_CONFLICT: raw.o changed')
  board.setJobs(['source:new'], 7_000)
  assert.equal(jobDescription(board.status('source:new')!, 0, 7_000), 'not started')
})

test('the status bar shows rate, lag and commit age, with a warning when a job failed', () => {
  assert.equal(statusBarText({ active: 2, failed: 0, messagesPerSecond: 1234, lag: 30, lastCommitAt: 6_000 }, 10_000), '$(pulse) 1.2k msg/s · lag 30 · 4 s ago')
  assert.equal(statusBarText({ active: 1, failed: 1, messagesPerSecond: 0 }, 10_000), '$(warning) 0 msg/s · no commit yet')
  assert.equal(firstLine('x'.repeat(200)).length, 118)
})

test('times are written one way: UTC, seconds, the zone named', async () => {
  const { formatUtc } = await import('../../src/extension/format')
  assert.equal(formatUtc(Date.parse('2026-11-24T10:00:03.250Z')), '2026-11-24 10:00:03 UTC')
  const { formatTime, timestampText } = await import('../../webview/shared/format')
  assert.equal(formatTime(Date.parse('2026-11-24T10:00:03.250Z')), formatUtc(Date.parse('2026-11-24T10:00:03.250Z')))
  assert.equal(timestampText('2026-11-24T10:00:03.250Z'), '2026-11-24 10:00:03.250 UTC')
  assert.equal(timestampText('2026-11-24T10:00:03.000Z'), '2026-11-24 10:00:03 UTC')
  assert.equal(timestampText('2026-11-24T10:00:03.250'), '2026-11-24 10:00:03.250', 'timestamp_ntz: no zone')
  assert.equal(timestampText('infinity'), 'infinity')
})
