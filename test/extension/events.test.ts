/** The extension's reading of `lakehouse run --events`: every field checked, bad lines reported, never thrown. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseEventLine, splitJobId } from '../../src/extension/pipelines/events'

test('job and batch events are read with their optional fields', () => {
  assert.deepEqual(parseEventLine('{"type":"job","job":"source:orders","state":"running","at":1700000000000}'), {
    event: { type: 'job', job: 'source:orders', state: 'running', at: 1700000000000 },
  })
  assert.deepEqual(parseEventLine('{"type":"job","job":"flow:x","state":"failed","error":"boom","at":5}\r'), {
    event: { type: 'job', job: 'flow:x', state: 'failed', error: 'boom', at: 5 },
  })
  const batch = parseEventLine(
    JSON.stringify({ type: 'batch', job: 'source:o', table: 'raw.o', version: 3, rows: 10, messages: 12, deadLetters: 2, lag: 40, durationMs: 15.5, at: 9 }),
  )
  assert.deepEqual(batch, {
    event: { type: 'batch', job: 'source:o', table: 'raw.o', version: 3, rows: 10, durationMs: 15.5, at: 9, messages: 12, deadLetters: 2, lag: 40 },
  })
  // A batch that committed nothing (or sums up a whole capture) names no version; unknown fields are ignored.
  assert.deepEqual(parseEventLine('{"type":"batch","job":"flow:f","table":"refined.o","rows":0,"changes":3,"durationMs":2,"at":4}'), {
    event: { type: 'batch', job: 'flow:f', table: 'refined.o', rows: 0, durationMs: 2, at: 4 },
  })
  // Optional counts that are not counts are left out rather than trusted.
  const partial = parseEventLine(
    JSON.stringify({ type: 'batch', job: 'flow:f', table: 'refined.o', version: 1, rows: 0, lag: -1, messages: 'many', durationMs: 1, at: 1 }),
  )
  assert.deepEqual(partial, { event: { type: 'batch', job: 'flow:f', table: 'refined.o', version: 1, rows: 0, durationMs: 1, at: 1 } })
})

test('anything else is a problem with a reason, not an exception', () => {
  const cases: [string, RegExp][] = [
    ['', /not a JSON object/],
    ['lakehouse: starting', /not a JSON object/],
    ['{"type":"job"', /not valid JSON/],
    ['{"type":"job","job":"orders","state":"running","at":1}', /source:<name>/],
    ['{"type":"job","job":"source:o","state":"running"}', /"at"/],
    ['{"type":"job","job":"source:o","state":"paused","at":1}', /unknown job state "paused"/],
    ['{"type":"batch","job":"source:o","table":"raw.o","durationMs":1,"at":1}', /needs "table", "rows"/],
    ['{"type":"progress","job":"source:o","at":1}', /unknown event type "progress"/],
    ['{"type":"job","job":"source:o","state":"running","at":-5}', /"at"/],
    ['{"type":"warning","job":"source:o","at":1}', /a warning event needs "message"/],
  ]
  for (const [line, reason] of cases) {
    const parsed = parseEventLine(line)
    assert.ok('problem' in parsed, line)
    assert.match(parsed.problem, reason, line)
  }
})

test('job ids split into kind and name; a name may contain a colon', () => {
  assert.deepEqual(splitJobId('source:orders'), { kind: 'source', name: 'orders' })
  assert.deepEqual(splitJobId('flow:a:b'), { kind: 'flow', name: 'a:b' })
})

test('a warning (an accepted data-loss gap) is read with its message', () => {
  const parsed = parseEventLine('{"type":"warning","job":"source:orders","message":"data loss accepted: offsets 100 to 199","at":5}')
  assert.deepEqual(parsed, { event: { type: 'warning', job: 'source:orders', message: 'data loss accepted: offsets 100 to 199', at: 5 } })
})

test('a view refresh (job view:<zone.table>) is read with its mode, reason, counts and expectations', () => {
  // The line exactly as `lakehouse run --events` writes it (src/query/definitions/run-definitions.ts).
  const line = JSON.stringify({
    type: 'refresh',
    job: 'view:business.revenue',
    table: 'business.revenue',
    mode: 'incremental',
    reason: 'inner join + group by: 3 keys changed',
    version: 4,
    rowsInserted: 1,
    rowsUpdated: 2,
    rowsDeleted: 0,
    expectations: [{ name: 'positive', onViolation: 'drop', passed: 10, failed: 2 }],
    durationMs: 12.5,
    at: 7,
  })
  assert.deepEqual(parseEventLine(line), {
    event: {
      type: 'refresh',
      job: 'view:business.revenue',
      table: 'business.revenue',
      mode: 'incremental',
      reason: 'inner join + group by: 3 keys changed',
      version: 4,
      rowsInserted: 1,
      rowsUpdated: 2,
      rowsDeleted: 0,
      expectations: [{ name: 'positive', onViolation: 'drop', passed: 10, failed: 2 }],
      durationMs: 12.5,
      at: 7,
    },
  })
  // No new input: no version.
  const unchanged = parseEventLine(
    '{"type":"refresh","job":"view:b.v","table":"b.v","mode":"unchanged","reason":"no new input","rowsInserted":0,"rowsUpdated":0,"rowsDeleted":0,"expectations":[],"durationMs":1,"at":2}',
  )
  assert.ok('event' in unchanged && unchanged.event.type === 'refresh' && unchanged.event.version === undefined && unchanged.event.mode === 'unchanged')
  assert.deepEqual(parseEventLine('{"type":"job","job":"view:b.v","state":"failed","error":"Binder Error","at":3}'), {
    event: { type: 'job', job: 'view:b.v', state: 'failed', error: 'Binder Error', at: 3 },
  })
  assert.deepEqual(splitJobId('view:business.revenue'), { kind: 'view', name: 'business.revenue' })
})

test('a malformed refresh event is a problem, not an event', () => {
  const good = {
    type: 'refresh',
    job: 'view:b.v',
    table: 'b.v',
    mode: 'full',
    reason: 'first refresh',
    rowsInserted: 1,
    rowsUpdated: 0,
    rowsDeleted: 0,
    expectations: [],
    durationMs: 1,
    at: 1,
  }
  const cases: Record<string, unknown>[] = [
    { ...good, mode: 'partial' },
    { ...good, reason: undefined },
    { ...good, rowsInserted: -1 },
    { ...good, expectations: [{ name: 'x', onViolation: 'drop', passed: 1 }] },
    { ...good, expectations: [{ name: 'x', onViolation: 'ignore', passed: 1, failed: 0 }] },
    { ...good, expectations: 'none' },
    { ...good, job: 'table:b.v' },
  ]
  for (const c of cases) {
    const parsed = parseEventLine(JSON.stringify(c))
    assert.ok('problem' in parsed, JSON.stringify(c))
  }
  assert.ok('event' in parseEventLine(JSON.stringify(good)))
})
