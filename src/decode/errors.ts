/**
 * The two ways decoding fails. A `ValueError` is the message's fault (a value that does not fit
 * its declared type): the decoders catch it and return a dead letter. A `DecodeError` is not (the
 * schema registry is down, or refuses our credentials): it is thrown, because dead-lettering good
 * messages while a dependency is away would lose them; the job stops before writing the batch
 * (`retriable` says whether waiting may help), and its next run reads the batch again.
 */
import type { Decoded } from './types'

export class ValueError extends Error {
  constructor(
    message: string,
    readonly reason = 'invalid-value',
  ) {
    super(message)
    this.name = 'ValueError'
  }
}

export class DecodeError extends Error {
  readonly retriable: boolean
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.name = 'DecodeError'
    this.retriable = options.retriable
  }
}

/** Runs a conversion, turning a ValueError into a dead letter. */
export function guarded(convert: () => Decoded): Decoded {
  try {
    return convert()
  } catch (error) {
    if (error instanceof ValueError) return { kind: 'error', reason: error.reason, detail: error.message }
    throw error
  }
}
