/**
 * Debezium change events from the relational connectors (MySQL, PostgreSQL, SQL Server, Oracle…)
 * in JSON, with or without JsonConverter's schema. With a schema the images are typed from it
 * (connect-schema.ts: decimals, dates, timestamps exact); without one they are inferred like plain
 * JSON, so a Decimal arrives as its base64 text and a Date as a day count: turn
 * `schemas.enable` on for typed columns.
 */
import { classifyEnvelope, envelopeColumns, flatColumns, rowFromColumns, typedByConnectOrInference } from './debezium-envelope'
import { guarded } from './errors'
import { typeJsonValue } from './infer'
import { parseJsonBytes } from './json-text'
import type { Decoded, Decoder, KafkaMessageInput } from './types'

export function createDebeziumDecoder(): Decoder {
  return {
    async decode(message: KafkaMessageInput): Promise<Decoded> {
      if (message.value === null) return { kind: 'tombstone' }
      const parsed = parseJsonBytes(message.value)
      if (!parsed.ok) return { kind: 'error', reason: parsed.reason, detail: parsed.detail }
      return guarded(() => decodeRelationalEvent(parsed.value))
    },
  }
}

export function decodeRelationalEvent(value: unknown): Decoded {
  const shape = classifyEnvelope(value)
  switch (shape.kind) {
    case 'tombstone':
    case 'error':
      return shape
    case 'flat':
      return rowFromColumns(flatColumns(shape.payload, shape.schema, (row) => typeJsonValue(row)))
    case 'envelope': {
      const { head, tail } = envelopeColumns(shape.payload, shape.schema, typedByConnectOrInference)
      return rowFromColumns([...head, ...tail])
    }
  }
}
