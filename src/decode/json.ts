/**
 * Plain JSON values: one object per message, typed by inference (infer.ts). The top level must
 * be an object, since its keys become the columns; an array or a bare scalar is 'not-an-object'
 * rather than a guessed wrapper column. JsonConverter's `{"schema":…,"payload":…}` is not
 * unwrapped here: that is the 'debezium' format's job.
 *
 * Inference runs once per shape (shape.ts): a message whose shape was seen before is its parsed
 * value with that shape's schema, and carries the shape so the raw batch can decide once per shape.
 * A message in the compact form of one of the last few shapes is not even decoded or parsed
 * (shape-text.ts, text-row.ts).
 */
import type { StructType } from '../delta'
import { jsonValueDecoder } from './json-value-decoder'
import { inferRow, type InferOptions } from './infer'
import { describeTop, isJsonObject } from './json-text'
import { hasShape, shapeOf, templateOf, type ShapeTemplate } from './shape'
import { bytesHaveShape } from './shape-text'
import { TextRow } from './text-row'
import type { Decoded, Decoder } from './types'

/** Shapes remembered per decoder; past this many (values of ever-new shapes) the memory starts over. */
const MAX_SHAPES = 10_000

/** Shapes tried on a message's bytes before it is parsed. */
const RECENT_SHAPES = 4

/** A shape seen before: its text, its template (for matching without the text) and its schema. */
interface KnownShape {
  shape: string
  template: ShapeTemplate
  schema: StructType
}

export function createJsonDecoder(options: InferOptions = {}): Decoder {
  const dates = options.dates === true
  const known = new Map<string, KnownShape>()
  // Most topics carry one shape, or a few interleaved: the last few are tried first, most recent
  // first, without their text (a mismatch usually shows within a few bytes).
  const recent: KnownShape[] = []
  const use = (shape: KnownShape): KnownShape => {
    const at = recent.indexOf(shape)
    if (at !== 0) {
      if (at > 0) recent.splice(at, 1)
      else if (recent.length >= RECENT_SHAPES) recent.pop()
      recent.unshift(shape)
    }
    return shape
  }
  // A recent shape's compact form: its row, known without decoding or parsing (shape-text.ts).
  const fromBytes = (bytes: Uint8Array): Decoded | undefined => {
    for (const shape of recent) {
      if (bytesHaveShape(bytes, shape.template, dates)) return new TextRow(bytes, use(shape).schema, shape.shape)
    }
    return undefined
  }
  return jsonValueDecoder((value) => {
    if (!isJsonObject(value)) return { kind: 'error', reason: 'not-an-object', detail: `the value is ${describeTop(value)}, not a JSON object` }
    const last = recent[0]
    if (last !== undefined && hasShape(value, last.template, dates)) return knownRow(value, last)
    const shape = shapeOf(value, dates)
    if (shape === undefined) return { kind: 'row', ...inferRow(value, options) }
    const seen = known.get(shape)
    // Inference would return the value unchanged (shape.ts), and the same schema as before.
    if (seen) return knownRow(value, use(seen))
    const inferred = inferRow(value, options)
    // Names that clashed in case were taken out: the row is not the parsed value, so not a shape.
    if (inferred.rescued) return { kind: 'row', ...inferred }
    if (known.size >= MAX_SHAPES) {
      known.clear()
      recent.length = 0
    }
    const added = { shape, template: templateOf(value, dates), schema: inferred.schema }
    known.set(shape, use(added))
    return { kind: 'row', ...inferred, shape }
  }, fromBytes)
}

/** A row of a known shape: the parsed value itself, with the shape's schema. */
function knownRow(row: Record<string, unknown>, known: KnownShape): Decoded {
  return { kind: 'row', row, schema: known.schema, shape: known.shape }
}
