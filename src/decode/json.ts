/**
 * Plain JSON values: one object per message, typed by inference (infer.ts). The top level must
 * be an object, since its keys become the columns; an array or a bare scalar is 'not-an-object'
 * rather than a guessed wrapper column. JsonConverter's `{"schema":…,"payload":…}` is not
 * unwrapped here: that is the 'debezium' format's job.
 */
import { jsonValueDecoder } from './errors'
import { inferRow, type InferOptions } from './infer'
import { describeTop, isJsonObject } from './json-text'
import type { Decoder } from './types'

export function createJsonDecoder(options: InferOptions = {}): Decoder {
  return jsonValueDecoder((value) => {
    if (!isJsonObject(value)) return { kind: 'error', reason: 'not-an-object', detail: `the value is ${describeTop(value)}, not a JSON object` }
    return { kind: 'row', ...inferRow(value, options) }
  })
}
