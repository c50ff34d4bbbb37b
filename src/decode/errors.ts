/**
 * The two ways decoding fails. A `ValueError` is the message's fault (a value that does not fit
 * its declared type): the decoders catch it and return a dead letter. A `DecodeError` is not (the
 * schema registry is down, or refuses our credentials): it is thrown, because dead-lettering good
 * messages while a dependency is away would lose them; the job retries the batch instead.
 */
import { parseJsonText, utf8Text } from './json-text'
import type { Decoded, Decoder, KafkaMessageInput } from './types'

export class ValueError extends Error {
  constructor(message: string, readonly reason = 'invalid-value') {
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

/**
 * A decoder for values that are JSON text: tombstones and unparseable bytes are handled here,
 * `convert` turns the parsed value into a row, and any ValueError it throws becomes a dead letter.
 * `fromBytes`, when given, may answer from the bytes alone, before they are decoded and parsed.
 */
export function jsonValueDecoder(
  convert: (value: unknown, message: KafkaMessageInput) => Decoded,
  fromBytes?: (bytes: Uint8Array) => Decoded | undefined,
): Decoder {
  return {
    async decode(message: KafkaMessageInput): Promise<Decoded> {
      if (message.value === null) return { kind: 'tombstone' }
      const known = fromBytes?.(message.value)
      if (known !== undefined) return known
      const text = utf8Text(message.value)
      if (typeof text !== 'string') return { kind: 'error', reason: text.reason, detail: text.detail }
      const parsed = parseJsonText(text)
      if (!parsed.ok) return { kind: 'error', reason: parsed.reason, detail: parsed.detail }
      return guarded(() => convert(parsed.value, message))
    },
  }
}
