/**
 * The decoder of the formats whose values are JSON text (json, debezium, debezium-mongodb): the
 * bytes are checked, decoded and parsed once here, and each format only turns the parsed value
 * into a row.
 */
import { guarded } from './errors'
import { parseJsonText, utf8Text } from './json-text'
import type { Decoded, Decoder, KafkaMessageInput } from './types'

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
