/**
 * Debezium change events from the relational connectors (MySQL, PostgreSQL, SQL Server, Oracle…)
 * in JSON, with or without JsonConverter's schema. With a schema the images are typed from it
 * (connect-schema.ts: decimals, dates, timestamps exact); without one they are inferred like plain
 * JSON, so a Decimal arrives as its base64 text and a Date as a day count: turn
 * `schemas.enable` on for typed columns.
 */
import { classifyEnvelope, envelopeColumns, flatColumns, rowFromColumns, typedByConnectOrInference } from './debezium-envelope'
import { jsonValueDecoder } from './errors'
import { typeJsonValue } from './infer'
import type { Decoded, Decoder } from './types'

export function createDebeziumDecoder(): Decoder {
  return jsonValueDecoder((value) => decodeRelationalEvent(value))
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
