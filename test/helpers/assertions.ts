import assert from 'node:assert/strict'
import { DeltaError } from '../../src/delta/errors'

/** The operation fails with a DeltaError of `code` whose message mentions every one of `mentions`. */
export async function rejectsWithDeltaError(promise: Promise<unknown>, code: string, ...mentions: string[]): Promise<DeltaError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  assert.ok(caught !== undefined, `expected a DeltaError ${code}, but the operation succeeded`)
  assert.ok(caught instanceof DeltaError, `expected a DeltaError ${code}, got ${(caught as Error)?.stack ?? caught}`)
  assert.equal(caught.code, code, `wrong error code; message: ${caught.message}`)
  for (const text of mentions) assert.ok(caught.message.includes(text), `the message should mention '${text}': ${caught.message}`)
  return caught
}
