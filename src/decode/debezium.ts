/**
 * Debezium change events from the relational connectors (MySQL, PostgreSQL, SQL Server, Oracle…)
 * in JSON, with or without JsonConverter's schema. With a schema the images are typed from it
 * (connect-schema.ts: decimals, dates, timestamps exact); without one they are inferred like plain
 * JSON, so a Decimal arrives as its base64 text and a Date as a day count: turn
 * `schemas.enable` on for typed columns.
 */
import { decodeEvent, envelopeColumns, rowFromColumns, typedByConnectOrInference, type ImageTyper } from './debezium-envelope'
import { ValueError } from './errors'
import { jsonValueDecoder } from './json-value-decoder'
import { typeJsonValue } from './infer'
import { describeTop, isJsonObject } from './json-text'
import type { Decoded, Decoder } from './types'

export function createDebeziumDecoder(): Decoder {
  return jsonValueDecoder((value) => decodeRelationalEvent(value))
}

export function decodeRelationalEvent(value: unknown): Decoded {
  return decodeEvent(
    value,
    (row) => typeJsonValue(row),
    (event) => {
      const { head, tail } = envelopeColumns(event.payload, event.schema, rowImage)
      return rowFromColumns([...head, ...tail])
    },
  )
}

/**
 * A relational image is a row or null. Anything else would type the table's before/after column
 * after itself when it comes first, and turn every later event into a type conflict.
 */
const rowImage: ImageTyper = (value, schema, path) => {
  if (value !== null && !isJsonObject(value)) {
    throw new ValueError(`'${path}' should be a row (an object) or null, but is ${describeTop(value)}`, 'unknown-debezium-envelope')
  }
  return typedByConnectOrInference(value, schema, path)
}
