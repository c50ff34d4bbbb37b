/**
 * The shapes of the decode layer: what the ingest job hands in per Kafka message and what it gets
 * back. A decoder never throws for a bad message (that is a dead letter, `kind: 'error'`); it
 * throws only when retrying later could succeed (the schema registry is unreachable).
 */
import type { DataType, StructType } from '../delta'

export type Format = 'json' | 'debezium' | 'debezium-mongodb' | 'avro' | 'protobuf' | 'json-schema'

export interface KafkaMessageInput {
  key: Uint8Array | null
  value: Uint8Array | null
  headers?: Record<string, Uint8Array | string | null | undefined>
  topic: string
  partition: number
  /** 64-bit offsets as decimal text. */
  offset: string
  /** Milliseconds since the epoch, as text. */
  timestamp: string
}

export type Decoded =
  /** `row` is JSON-safe; `schema` is the Delta type of its columns (columns only ever seen as null are left out). */
  | {
      kind: 'row'
      row: Record<string, unknown>
      schema: StructType
      /**
       * Set by the JSON decoder when `row` is the parsed value itself, JSON.parse's output unchanged
       * (no bigints, every value as inference types it), and `schema` is the one of every row of
       * this shape (shape.ts): such rows are decided once per shape and serialised as they are.
       */
      shape?: string
      /** Values the decoder took out of the row, by path, for `_rescued_data` (names that clash in case). */
      rescued?: Record<string, unknown>
    }
  /** The value was null (a Kafka tombstone, or JsonConverter's `{"schema":null,"payload":null}`). */
  | { kind: 'tombstone' }
  /** A dead letter: `reason` is a short code ('invalid-json', 'unknown-schema-id', ...), `detail` says what and where. */
  | { kind: 'error'; reason: string; detail?: string }

export interface DecoderOptions {
  schemaRegistry?: { url: string; username?: string; password?: string; fetch?: typeof fetch }
}

export interface Decoder {
  decode(message: KafkaMessageInput): Promise<Decoded>
}

/** A value in its JSON-safe form with its Delta type; 'void' marks a value seen only as null (or empty). */
export interface Typed {
  value: unknown
  type: DataType
}

export const VOID = 'void'
