/** Records as the Kafka layer hands them up: kafkajs's messages, typed here so that no other layer imports kafkajs. */

/** kafkajs's header values: text, bytes, or several of either for a repeated header. */
export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>

/** One record as fetched (kafkajs's message, unchanged). */
export interface ConsumedMessage {
  /** 64-bit offsets, as decimal text. */
  offset: string
  /** Milliseconds since the epoch, as text. */
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers?: MessageHeaders
}

/** Headers as one value per name (a repeated header keeps its last value). */
export function lastHeaderValues(headers: MessageHeaders | undefined): Record<string, Uint8Array | string | undefined> {
  if (headers === undefined || isEmpty(headers)) return NO_HEADER_VALUES
  const out: Record<string, Uint8Array | string | undefined> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value[value.length - 1] : value
  return out
}

/** Shared by every message without headers (most): nothing writes to a message's headers. */
const NO_HEADER_VALUES: Record<string, Uint8Array | string | undefined> = Object.freeze({}) as Record<string, Uint8Array | string | undefined>

function isEmpty(object: object): boolean {
  for (const _ in object) return false
  return true
}
