/**
 * The one retry policy of our own code (issue 17 part 5). An operation is run again only when its
 * error says so: errors carry `retriable` (DeltaError: a lost commit race; DecodeError: a schema
 * registry that did not answer; the Kafka layer's errors), and an error without the flag is never
 * retried, so a bug or a bad input fails at once instead of after a round of waiting. Between
 * attempts the wait doubles up to a ceiling; after the last attempt the last error is thrown as it
 * is (its message is what the user reads).
 *
 * Not here, on purpose: src/delta/commit.ts moves a transaction to the next log version after a
 * lost race (the same actions, checked against the winner: part of the protocol, not a retry of
 * the operation), and kafkajs retries its own requests (configured in src/kafka/, it reads the
 * same `retriable` flag).
 */
import { setTimeout as sleep } from 'node:timers/promises'

export interface RetryPolicy {
  /** Attempts in all, the first included (1: never retried). */
  attempts: number
  /** The wait before the second attempt; each later wait doubles. */
  firstDelayMs: number
  /** The longest wait between two attempts. */
  maxDelayMs: number
}

/**
 * A flow's batch that lost a commit race to another writer (OPTIMIZE on its target, say) is
 * computed again from the new state: five attempts, short waits (the other writer has already
 * committed, the next attempt reads its result).
 */
export const COMMIT_RACE_POLICY: RetryPolicy = { attempts: 5, firstDelayMs: 10, maxDelayMs: 200 }

/** Whether an error says that running the same operation again may succeed. */
export function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true
}

/** The wait after the failed attempt `attempt` (1-based), before the next. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1))
}

export interface RetryOptions {
  /** Called before each wait, with the error that will be retried. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  /** How to wait (tests pass one that records the waits). */
  wait?: (ms: number) => Promise<void>
}

/** Runs `operation` until it succeeds, its error is not retriable, or the policy's attempts are used up. */
export async function withRetries<T>(policy: RetryPolicy, operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const wait = options.wait ?? ((ms: number) => sleep(ms))
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (!isRetriable(error) || attempt >= policy.attempts) throw error
      const delayMs = retryDelayMs(policy, attempt)
      options.onRetry?.(error, attempt, delayMs)
      await wait(delayMs)
    }
  }
}
