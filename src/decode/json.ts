/**
 * Plain JSON values: one object per message, typed by inference (infer.ts). The top level must
 * be an object, since its keys become the columns; an array or a bare scalar is 'not-an-object'
 * rather than a guessed wrapper column. JsonConverter's `{"schema":…,"payload":…}` is not
 * unwrapped here: that is the 'debezium' format's job.
 *
 * Inference runs once per shape (shape.ts): a message whose shape was seen before is its parsed
 * value with that shape's schema, and carries the shape so the raw batch can decide once per shape.
 */
import type { StructType } from '../delta/schema'
import { jsonValueDecoder } from './errors'
import { inferRow, type InferOptions } from './infer'
import { describeTop, isJsonObject } from './json-text'
import { shapeOf } from './shape'
import type { Decoder } from './types'

/** Shapes remembered per decoder; past this many (values of ever-new shapes) the memory starts over. */
const MAX_SHAPES = 10_000

export function createJsonDecoder(options: InferOptions = {}): Decoder {
  const schemas = new Map<string, StructType>()
  return jsonValueDecoder((value) => {
    if (!isJsonObject(value)) return { kind: 'error', reason: 'not-an-object', detail: `the value is ${describeTop(value)}, not a JSON object` }
    const shape = shapeOf(value, options.dates === true)
    if (shape === undefined) return { kind: 'row', ...inferRow(value, options) }
    const known = schemas.get(shape)
    // Inference would return the value unchanged (shape.ts), and the same schema as before.
    if (known) return { kind: 'row', row: value, schema: known, shape }
    const inferred = inferRow(value, options)
    if (schemas.size >= MAX_SHAPES) schemas.clear()
    schemas.set(shape, inferred.schema)
    return { kind: 'row', ...inferred, shape }
  })
}
