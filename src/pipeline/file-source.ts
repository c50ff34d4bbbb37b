/**
 * Replaying captured topic data from a file, the embedded default for users without a broker:
 * `kcat -J` output (one JSON object per message, with topic, partition, offset, ts, key, payload,
 * headers) or plain NDJSON (one message value per line; partition 0, offset = line number). The
 * messages go through the same decoding and the same exactly-once bookkeeping as Kafka's.
 *
 * A file is one or the other, decided by its first line. In a kcat capture every line must be a
 * record as kcat writes it (`"headers": ["k1", "v1", "k2", "v2"]`, key and payload strings or
 * null): a line that is not is an error naming the file and line, never a guess. In a plain
 * capture a line is a message value, and a value that cannot be decoded is a dead letter like a
 * bad message on a topic.
 */
import { createReadStream } from 'node:fs'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import type { IngestMessage } from './ingest-message'

const encoder = new TextEncoder()

export interface CapturedMessage extends Omit<IngestMessage, 'decoded'> {}

/** A line of a kcat capture that is not a kcat -J record; `line` counts from 1. */
export class CaptureFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`)
    this.name = 'CaptureFileError'
  }
}

/** The topic name a plain NDJSON capture is recorded under (offsets are keyed on the file). */
export function fileTopic(file: string): string {
  return `file:${path.basename(file)}`
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** What kcat -J prints for every message: the value and its coordinates. */
function looksLikeKcat(value: unknown): value is Json {
  return isObject(value) && 'payload' in value && ('offset' in value || 'partition' in value)
}

function parse(line: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(line) }
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
}

const describe = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`

/** A kcat -J record as a message, or the reason it is not one. */
function kcatMessage(record: Json, file: string): CapturedMessage | string {
  const { topic, partition, offset, ts, key, payload, headers } = record
  if (topic !== undefined && (typeof topic !== 'string' || topic === '')) return `"topic" must be a non-empty string, not ${describe(topic)}`
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0)
    return `"partition" must be a whole number >= 0, not ${describe(partition)}`
  const offsetText =
    typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0
      ? String(offset)
      : typeof offset === 'string' && /^\d+$/.test(offset)
        ? offset
        : undefined
  if (offsetText === undefined) return `"offset" must be a whole number >= 0, not ${describe(offset)}`
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isSafeInteger(ts))) return `"ts" must be a timestamp in milliseconds, not ${describe(ts)}`
  if (key !== undefined && key !== null && typeof key !== 'string')
    return `"key" must be a string or null (kcat -J writes the key's text), not ${describe(key)}`
  if (payload !== null && typeof payload !== 'string')
    return `"payload" must be a string or null (kcat -J writes the value's text, e.g. "{\\"id\\":1}"), not ${describe(payload)}`
  const headerMap = kcatHeaders(headers)
  if (typeof headerMap === 'string') return headerMap
  return {
    topic: topic ?? fileTopic(file),
    partition,
    offset: offsetText,
    timestamp: String(ts ?? Date.now()),
    key: key === null || key === undefined ? null : encoder.encode(key),
    value: payload === null ? null : encoder.encode(payload),
    headers: headerMap,
  }
}

/** kcat's flat list of names and values; a repeated name keeps its last value, as from Kafka. */
function kcatHeaders(headers: unknown): Record<string, string | null> | string {
  const out: Record<string, string | null> = {}
  if (headers === undefined) return out
  if (!Array.isArray(headers)) return `"headers" must be kcat's list of names and values (["k1", "v1", "k2", "v2"]), not ${describe(headers)}`
  for (let i = 0; i < headers.length; i += 2) {
    if (typeof headers[i] !== 'string')
      return `"headers"[${i}] must be a header name (a string), not ${describe(headers[i])} (kcat -J writes ["k1", "v1", "k2", "v2"])`
  }
  if (headers.length % 2 !== 0) return `"headers" must list names and values in pairs (["k1", "v1", ...]); it has ${headers.length} entries`
  for (let i = 0; i < headers.length; i += 2) {
    const [name, value] = [headers[i] as string, headers[i + 1]]
    if (value !== null && typeof value !== 'string')
      return `"headers"[${i + 1}] (the value of header '${name}') must be a string or null, not ${describe(value)}`
    out[name] = value
  }
  return out
}

/**
 * The messages of a capture file, in order. Throws CaptureFileError at the first line of a kcat
 * capture that is not a kcat record, or at a kcat record in a plain capture.
 */
export async function* readCapture(file: string): AsyncGenerator<CapturedMessage> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  let lineNumber = -1
  let kind: 'kcat' | 'plain' | undefined
  for await (const line of lines) {
    lineNumber++
    if (line.trim() === '') continue
    const parsed = parse(line)
    kind ??= parsed.ok && looksLikeKcat(parsed.value) ? 'kcat' : 'plain'
    const fail = (reason: string) => new CaptureFileError(file, lineNumber + 1, reason)
    if (kind === 'plain') {
      if (parsed.ok && looksLikeKcat(parsed.value)) {
        throw fail(
          'a kcat -J record in a capture whose first line is a plain value: a capture file is either kcat -J output or plain NDJSON (one value per line)',
        )
      }
      yield {
        topic: fileTopic(file),
        partition: 0,
        offset: String(lineNumber),
        timestamp: String(Date.now()),
        key: null,
        value: encoder.encode(line),
        headers: {},
      }
      continue
    }
    if (!parsed.ok) throw fail(`not a kcat -J record: not JSON (${parsed.reason})`)
    if (!isObject(parsed.value)) throw fail(`not a kcat -J record: ${describe(parsed.value)} instead of an object`)
    if (!('payload' in parsed.value)) throw fail('not a kcat -J record: no "payload" (kcat -J writes topic, partition, offset, ts, headers, key and payload)')
    const message = kcatMessage(parsed.value, file)
    if (typeof message === 'string') throw fail(message)
    yield message
  }
}
