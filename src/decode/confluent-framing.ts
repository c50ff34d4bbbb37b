/**
 * The Confluent wire format that Schema Registry serializers write (Avro, Protobuf, JSON Schema):
 * byte 0 is the magic 0, bytes 1–4 the schema id (big-endian), then the body. Protobuf bodies
 * start with the message indexes: the path from the .proto file's top level to the message type,
 * as zig-zag varints (Kafka's ByteUtils.writeVarint, which Confluent's MessageIndexes uses) — a
 * count, then that many indexes — and the one-byte shorthand `0` for the common [0] (the first
 * message of the file).
 */
import type { Decoded, Decoder } from './types'

export const HEADER_BYTES = 5

export type Framed = { ok: true; id: number; buffer: Buffer } | { ok: false; error: Extract<Decoded, { kind: 'error' }> }

/** The schema id of a Confluent-framed value, or the dead letter saying why it is not one. */
export function readConfluentHeader(bytes: Uint8Array): Framed {
  if (bytes.length < HEADER_BYTES) {
    return {
      ok: false,
      error: {
        kind: 'error',
        reason: 'unsupported-framing',
        detail: `${bytes.length} bytes: shorter than the 5-byte Confluent header (magic byte, schema id)`,
      },
    }
  }
  if (bytes[0] !== 0) {
    return {
      ok: false,
      error: {
        kind: 'error',
        reason: 'unsupported-framing',
        detail: `magic byte is 0x${bytes[0].toString(16).padStart(2, '0')}, not 0x00: not the Confluent wire format`,
      },
    }
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { ok: true, id: buffer.readUInt32BE(1), buffer }
}

/**
 * The decoder of the formats whose values are Confluent-framed (avro, protobuf, json-schema):
 * tombstones and values without the header are handled here, `decodeFramed` gets the schema id
 * and the framed bytes (header included).
 */
export function framedValueDecoder(decodeFramed: (id: number, buffer: Buffer) => Promise<Decoded>): Decoder {
  return {
    async decode(message): Promise<Decoded> {
      if (message.value === null) return { kind: 'tombstone' }
      const framed = readConfluentHeader(message.value)
      if (!framed.ok) return framed.error
      return decodeFramed(framed.id, framed.buffer)
    },
  }
}

/** A .proto file declares fewer messages than this at any level; a larger count is a broken frame, not a schema. */
const MAX_INDEXES = 1000

export type MessageIndexes = { ok: true; indexes: number[]; end: number } | { ok: false; detail: string }

/** The message indexes at `offset` (just after the header) and where the Protobuf body starts. */
export function readMessageIndexes(buffer: Uint8Array, offset: number): MessageIndexes {
  const count = readZigZag(buffer, offset)
  if (!count.ok) return { ok: false, detail: `the message-index count: ${count.detail}` }
  if (count.value === 0) return { ok: true, indexes: [0], end: count.end }
  if (count.value < 0 || count.value > MAX_INDEXES) return { ok: false, detail: `the message-index count is ${count.value}: not a path into a .proto file` }
  const indexes: number[] = []
  let at = count.end
  for (let i = 0; i < count.value; i++) {
    const index = readZigZag(buffer, at)
    if (!index.ok) return { ok: false, detail: `message index ${i + 1} of ${count.value}: ${index.detail}` }
    if (index.value < 0) return { ok: false, detail: `message index ${i + 1} of ${count.value} is ${index.value}, below 0` }
    indexes.push(index.value)
    at = index.end
  }
  return { ok: true, indexes, end: at }
}

type Varint = { ok: true; value: number; end: number } | { ok: false; detail: string }

/** A zig-zag varint of at most 32 bits (5 bytes), as Kafka's ByteUtils.readVarint reads it. */
function readZigZag(buffer: Uint8Array, offset: number): Varint {
  let raw = 0
  for (let i = 0; i < 5; i++) {
    const at = offset + i
    if (at >= buffer.length) return { ok: false, detail: `the value ends at byte ${buffer.length} inside a varint` }
    const byte = buffer[at]
    raw |= (byte & 0x7f) << (7 * i)
    if ((byte & 0x80) === 0) {
      const unsigned = raw >>> 0
      return { ok: true, value: (unsigned >>> 1) ^ -(unsigned & 1), end: at + 1 }
    }
  }
  return { ok: false, detail: `the varint at byte ${offset} runs past 5 bytes` }
}
