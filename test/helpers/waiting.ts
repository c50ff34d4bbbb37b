/**
 * Waiting for states and events instead of the clock: a test waits for what it needs, and only a
 * generous guard (a hang, never a speed limit) turns waiting forever into a clear failure.
 */
import { setTimeout as sleep } from 'node:timers/promises'

/** How long a wait may take before it counts as hung: far beyond any healthy run on a loaded machine. */
export const HANG_GUARD_MS = 60_000

/** Resolve with `promise`, or fail naming `what` if it has not settled within `guardMs`. */
export async function withinGuard<T>(promise: Promise<T>, what: string, guardMs = HANG_GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${guardMs / 1000} s (hung)`)), guardMs)
  })
  try {
    return await Promise.race([promise, guard])
  } finally {
    clearTimeout(timer)
  }
}

/** Poll `condition` (every few milliseconds) until it holds; fail naming `what` past the guard. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, guardMs = HANG_GUARD_MS): Promise<void> {
  const deadline = Date.now() + guardMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached after ${guardMs / 1000} s (hung)`)
    await sleep(5)
  }
}
