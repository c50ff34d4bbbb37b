/**
 * The one retry policy (src/pipeline/retry-policy.ts): retriable errors are retried with doubling
 * waits up to the policy's attempts, other errors never, and giving up throws the last error.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DecodeError } from '../../src/decode'
import { DeltaError } from '../../src/delta'
import { isRetriable, retryDelayMs, withRetries, type RetryPolicy } from '../../src/pipeline/retry-policy'

const policy: RetryPolicy = { attempts: 4, firstDelayMs: 10, maxDelayMs: 25 }

/** An operation failing with the given errors in turn, then answering 'done'; and the waits asked for. */
function failing(errors: unknown[]) {
  const waits: number[] = []
  let calls = 0
  const operation = async (attempt: number) => {
    calls++
    assert.equal(attempt, calls, 'the attempt number counts from 1')
    if (calls <= errors.length) throw errors[calls - 1]
    return 'done'
  }
  return {
    operation,
    waits,
    wait: async (ms: number) => {
      waits.push(ms)
    },
    calls: () => calls,
  }
}

const conflict = (n: number) => new DeltaError('COMMIT_CONFLICT', `lost race ${n}`, { table: '/lake/t', retriable: true })

test('retriable errors are retried with doubling waits, capped, until the operation succeeds', async () => {
  const run = failing([conflict(1), conflict(2), conflict(3)])
  const retried: string[] = []
  const result = await withRetries(policy, run.operation, {
    wait: run.wait,
    onRetry: (error, attempt, ms) => retried.push(`${attempt}:${ms}:${(error as Error).message}`),
  })
  assert.equal(result, 'done')
  assert.equal(run.calls(), 4)
  assert.deepEqual(run.waits, [10, 20, 25])
  assert.deepEqual(retried, ['1:10:lost race 1 (table: /lake/t)', '2:20:lost race 2 (table: /lake/t)', '3:25:lost race 3 (table: /lake/t)'])
})

test('an error that is not retriable is thrown at once, without a wait', async () => {
  for (const error of [
    new DeltaError('SCHEMA_MISMATCH', 'column v is a string, the batch has a long'),
    new DecodeError('schema registry answered 401', { retriable: false }),
    new Error('a bug'),
    'not even an Error',
  ]) {
    const run = failing([error])
    await assert.rejects(withRetries(policy, run.operation, { wait: run.wait }), (thrown) => thrown === error)
    assert.equal(run.calls(), 1, `${String(error)} is tried once`)
    assert.deepEqual(run.waits, [])
  }
})

test('after the last attempt the last error is thrown as it is', async () => {
  const errors = [conflict(1), conflict(2), conflict(3), conflict(4), conflict(5)]
  const run = failing(errors)
  await assert.rejects(withRetries(policy, run.operation, { wait: run.wait }), (thrown) => thrown === errors[3])
  assert.equal(run.calls(), policy.attempts)
  assert.deepEqual(run.waits, [10, 20, 25])
})

test('a retriable error followed by one that is not: the second ends the retries', async () => {
  const fatal = new DecodeError('schema 7 has no schema text', { retriable: false })
  const run = failing([new DecodeError('the schema registry did not answer', { retriable: true }), fatal])
  await assert.rejects(withRetries(policy, run.operation, { wait: run.wait }), (thrown) => thrown === fatal)
  assert.equal(run.calls(), 2)
  assert.deepEqual(run.waits, [10])
})

test('the flag is read as it is: only retriable === true retries', () => {
  assert.equal(isRetriable(conflict(1)), true)
  assert.equal(isRetriable(new DeltaError('COMMIT_CONFLICT', 'x')), false)
  assert.equal(isRetriable({ retriable: 'yes' }), false)
  assert.equal(isRetriable(null), false)
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => retryDelayMs({ attempts: 9, firstDelayMs: 100, maxDelayMs: 1000 }, n)),
    [100, 200, 400, 800, 1000],
  )
})

test('without a wait given, the policy really waits and still succeeds', async () => {
  const run = failing([conflict(1)])
  assert.equal(await withRetries({ attempts: 2, firstDelayMs: 1, maxDelayMs: 1 }, run.operation), 'done')
  assert.equal(run.calls(), 2)
})
