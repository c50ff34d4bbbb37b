/**
 * Replaying captured topic data from a file, the embedded default for users without a broker:
 * `kcat -J` output (one JSON object per message, with topic, partition, offset, ts, key, payload,
 * headers) or plain NDJSON (one message value per line; partition 0, offset = line number). The
 * messages go through the same decoding and the same exactly-once bookkeeping as Kafka's.
 */
import { createReadStream } from 'node:fs'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import type { IngestMessage } from './raw-batch'

const encoder = new TextEncoder()

export interface CapturedMessage extends Omit<IngestMessage, 'decoded'> {}

/** The topic name a plain NDJSON capture is recorded under (offsets are keyed on the file). */
export function fileTopic(file: string): string {
  return `file:${path.basename(file)}`
}

interface KcatRecord {
  topic?: unknown
  partition?: unknown
  offset?: unknown
  ts?: unknown
  key?: unknown
  payload?: unknown
  headers?: unknown
}

function isKcatRecord(value: unknown): value is KcatRecord {
  return !!value && typeof value === 'object' && 'payload' in value && 'offset' in value && 'partition' in value
}

function kcatHeaders(headers: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i])] = headers[i + 1] === null ? null : String(headers[i + 1])
  return out
}

/**
 * The messages of a capture file, in order. A line that is a kcat record is that message; any
 * other line (JSON or not: a malformed line must reach the dead letters, not stop the replay) is
 * a value of the file's own topic, at offset = its line number.
 */
export async function* readCapture(file: string): AsyncGenerator<CapturedMessage> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  let lineNumber = -1
  for await (const line of lines) {
    lineNumber++
    if (line.trim() === '') continue
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch {
      record = undefined
    }
    if (isKcatRecord(record)) {
      yield {
        topic: String(record.topic ?? fileTopic(file)),
        partition: Number(record.partition),
        offset: String(record.offset),
        timestamp: String(typeof record.ts === 'number' ? record.ts : Date.now()),
        key: record.key === null || record.key === undefined ? null : encoder.encode(String(record.key)),
        value: record.payload === null ? null : encoder.encode(typeof record.payload === 'string' ? record.payload : JSON.stringify(record.payload)),
        headers: kcatHeaders(record.headers),
      }
    } else {
      yield { topic: fileTopic(file), partition: 0, offset: String(lineNumber), timestamp: String(Date.now()), key: null, value: encoder.encode(line), headers: {} }
    }
  }
}
