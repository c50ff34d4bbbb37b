/** The Pipelines view's state: events and process exits folded into per-job state, rates, lag and a summary. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PipelineBoard } from '../../src/extension/pipelines/board'
import type { BatchEvent } from '../../src/extension/pipelines/events'

const batch = (job: BatchEvent['job'], at: number, messages: number, extra: Partial<BatchEvent> = {}): BatchEvent => ({
  type: 'batch',
  job,
  table: 'raw.o',
  version: 1,
  rows: messages,
  messages,
  durationMs: 5,
  at,
  ...extra,
})

test('jobs of the file appear as not started; removed ones go unless they still run', () => {
  const board = new PipelineBoard()
  board.setJobs(['source:a', 'source:b', 'flow:f'], 0)
  assert.deepEqual(
    board.jobs().map((j) => [j.job, j.state]),
    [
      ['source:a', 'not started'],
      ['source:b', 'not started'],
      ['flow:f', 'not started'],
    ],
  )
  board.starting(['source:b'], 10)
  board.setJobs(['source:a'], 20)
  assert.deepEqual(
    board
      .jobs()
      .map((j) => j.job)
      .sort(),
    ['source:a', 'source:b'],
  )
})

test('state follows the events; a batch counts, sets the lag and proves the job runs', () => {
  const board = new PipelineBoard()
  board.starting(['source:a'], 1_000)
  assert.equal(board.status('source:a')!.state, 'starting')
  board.apply(batch('source:a', 2_000, 100, { lag: 7, deadLetters: 1, version: 4 }))
  const status = board.status('source:a')!
  assert.equal(status.state, 'running')
  assert.equal(status.lag, 7)
  assert.deepEqual(status.lastCommit, { table: 'raw.o', version: 4, at: 2_000 })
  assert.deepEqual(status.totals, { rows: 100, messages: 100, deadLetters: 1, batches: 1 })
  // A batch that wrote nothing is no commit.
  board.apply(batch('source:a', 2_500, 0, { version: undefined, rows: 0 }))
  assert.equal(board.status('source:a')!.lastCommit!.at, 2_000)
  board.apply({ type: 'job', job: 'source:a', state: 'idle', at: 3_000 })
  assert.equal(board.status('source:a')!.state, 'idle')
  board.apply({ type: 'job', job: 'source:a', state: 'failed', error: 'broker down', at: 4_000 })
  assert.equal(board.status('source:a')!.error, 'broker down')
  assert.equal(board.status('source:a')!.lag, undefined)
  // A restart clears the error.
  board.starting(['source:a'], 5_000)
  assert.equal(board.status('source:a')!.error, undefined)
})

test('the rate is averaged over the window, or since the start when that is shorter', () => {
  const board = new PipelineBoard(10_000)
  board.starting(['source:a'], 0)
  board.apply(batch('source:a', 1_000, 500))
  board.apply(batch('source:a', 2_000, 500))
  // 1000 messages in the 4 s since the start.
  assert.equal(board.rate('source:a', 4_000), 250)
  // Later, only what falls in the last 10 s counts.
  board.apply(batch('source:a', 19_000, 2_000))
  assert.equal(board.rate('source:a', 20_000), 200)
  assert.equal(board.rate('source:a', 40_000), 0)
  board.apply({ type: 'job', job: 'source:a', state: 'stopped', at: 41_000 })
  assert.equal(board.rate('source:a', 41_000), 0)
})

test('a process exit ends the jobs it did not end itself: stop when asked or clean, else failed with its stderr', () => {
  const board = new PipelineBoard()
  board.starting(['source:a', 'source:b', 'flow:f'], 0)
  board.apply({ type: 'job', job: 'source:b', state: 'failed', error: 'decode error', at: 1 })
  board.exited(['source:a', 'source:b', 'flow:f'], { code: 1, signal: null, requested: false, detail: 'lakehouse: disk full\n' }, 2)
  assert.equal(board.status('source:a')!.state, 'failed')
  assert.equal(board.status('source:a')!.error, 'lakehouse: disk full')
  assert.equal(board.status('source:b')!.error, 'decode error')

  board.starting(['source:a'], 3)
  board.exited(['source:a'], { code: null, signal: 'SIGTERM', requested: true }, 4)
  assert.equal(board.status('source:a')!.state, 'stopped')
  board.starting(['source:a'], 5)
  board.exited(['source:a'], { code: null, signal: 'SIGKILL', requested: false }, 6)
  assert.equal(board.status('source:a')!.error, 'the process was killed (SIGKILL)')
  board.starting(['source:a'], 7)
  board.exited(['source:a'], { code: 0, signal: null, requested: false }, 8)
  assert.equal(board.status('source:a')!.state, 'stopped')
})

test('the summary adds up active sources (flows re-read what sources wrote) and keeps the newest commit', () => {
  const board = new PipelineBoard(10_000)
  board.starting(['source:a', 'source:b', 'flow:f'], 0)
  board.apply(batch('source:a', 1_000, 1_000, { lag: 5 }))
  board.apply(batch('source:b', 2_000, 3_000, { lag: 10 }))
  board.apply(batch('flow:f', 3_000, 4_000))
  const summary = board.summary(10_000)
  assert.equal(summary.active, 3)
  assert.equal(summary.failed, 0)
  assert.equal(summary.messagesPerSecond, 400)
  assert.equal(summary.lag, 15)
  assert.equal(summary.lastCommitAt, 3_000)
  board.exited(['source:b'], { code: 2, signal: null, requested: false }, 11_000)
  const after = board.summary(11_000)
  assert.equal(after.active, 2)
  assert.equal(after.failed, 1)
  assert.equal(after.lag, 5)
})
