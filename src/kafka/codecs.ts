/**
 * Compressed record batches: kafkajs ships gzip only and leaves a registry (`CompressionCodecs`)
 * for the rest. This registers Snappy (raw and xerial-framed), LZ4 (Kafka's LZ4 frames) and ZSTD,
 * in pure JavaScript or WebAssembly (no native build: the extension host is Electron), and gzip
 * again through the same checks. Decompression only: producing stays uncompressed.
 *
 * Checks. kafkajs verifies no batch CRC. kafkajs hands a codec the bytes of a v2 batch's records as
 * a view into the fetch response, 61 bytes after the batch's start; where the bytes before the view
 * are that batch's header (length and magic agree, the attributes name this codec), the codec
 * verifies the batch's CRC-32C before decompressing, and after decompressing that the bytes hold
 * exactly the records the header declares.
 *
 * Failures. A codec error thrown inside kafkajs's fetch says neither topic nor partition (one fetch
 * covers many), and kafkajs retries it. So a batch that cannot be read (CRC mismatch, corrupt
 * compressed bytes, a codec id no Kafka defines, a codec left out on purpose) decodes instead into
 * as many records as it declares, at its last offset, each with no key nor value and the header
 * CODEC_FAILURE_HEADER, which describes the failure. kafkajs delivers them in order, in the batch
 * of their topic and partition (or drops them with the rest of an aborted transaction, as it
 * should); whoever consumes calls `codecFailureIn` and stops with a CompressedBatchError naming
 * topic, partition, offsets and codec. Bytes seen outside a v2 batch (the legacy message sets of
 * Kafka < 0.11) have no such place: there a failure is thrown, not retried.
 */
import { promisify } from 'node:util'
import { unzip } from 'node:zlib'
import * as kafkajs from 'kafkajs'
import { decompressZstd } from 'hyparquet-compressors'
import { crc32c } from './checksums'
import type { ConsumedMessage } from './messages'
import { decompressLz4Frames } from './lz4-frame'
import { decompressKafkaSnappy } from './snappy'
import { KafkaError } from './errors'

export type CodecName = 'gzip' | 'snappy' | 'lz4' | 'zstd'
/** Kafka's codec ids (the low three bits of a batch's attributes). */
export const CODEC_IDS: Record<CodecName, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const NAMES_BY_ID = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const codecName = (id: number) => NAMES_BY_ID[id] ?? `codec id ${id}`

/** The header of the records that stand for a batch that could not be read (see the top). */
export const CODEC_FAILURE_HEADER = '__lakehouse.codec-failure'

/** A record batch that cannot be read: never the message's fault, so never a dead letter. */
export class CompressedBatchError extends KafkaError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The batch's first and last offsets. */
    readonly firstOffset: string,
    readonly lastOffset: string,
    readonly codec: string,
    readonly reason: string,
  ) {
    super(
      `topic '${topic}' partition ${partition} offset ${firstOffset}${lastOffset !== firstOffset ? `–${lastOffset}` : ''}: a record batch compressed with ${codec} cannot be read: ${reason}. Nothing of it was written; the job stops here and a later run starts again at this batch.`,
    )
    this.name = 'CompressedBatchError'
  }
}

/** What a failure record carries. */
interface CodecFailure {
  codec: string
  reason: string
  firstOffset: string
  lastOffset: string
}

/** When `message` stands for an unreadable batch (see the top), the error that names its place. */
export function codecFailureOf(topic: string, partition: number, message: Pick<ConsumedMessage, 'offset' | 'headers'>): CompressedBatchError | undefined {
  const raw = message.headers?.[CODEC_FAILURE_HEADER]
  if (raw === undefined) return undefined
  const text = (Array.isArray(raw) ? raw[0] : raw)?.toString() ?? ''
  let failure: CodecFailure
  try {
    failure = JSON.parse(text) as CodecFailure
  } catch {
    failure = { codec: 'an unknown codec', reason: 'it could not be decompressed', firstOffset: message.offset, lastOffset: message.offset }
  }
  return new CompressedBatchError(topic, partition, failure.firstOffset, failure.lastOffset, failure.codec, failure.reason)
}

/** The first record of `messages` that stands for an unreadable batch, as an error naming its place. */
export function codecFailureIn(topic: string, partition: number, messages: Pick<ConsumedMessage, 'offset' | 'headers'>[]): CompressedBatchError | undefined {
  for (const message of messages) {
    const failure = codecFailureOf(topic, partition, message)
    if (failure) return failure
  }
  return undefined
}

// ---- the batch around a codec's input -----------------------------------------------------------

/** firstOffset(8) length(4) leaderEpoch(4) magic(1) crc(4) attributes(2) … recordCount(4): 61 bytes. */
const HEADER_BYTES = 61
/** `length` counts from the leader epoch: the header's last 49 bytes and the records. */
const LENGTH_BASE = HEADER_BYTES - 12
const CRC_FROM = 21

interface BatchHeader {
  view: Uint8Array
  firstOffset: bigint
  lastOffsetDelta: number
  records: number
  crc: number
}

/** The v2 batch header right before `records`, when it is there and names `codecId`. */
export function batchAround(records: Uint8Array, codecId: number): BatchHeader | undefined {
  if (records.byteOffset < HEADER_BYTES) return undefined
  const view = new Uint8Array(records.buffer, records.byteOffset - HEADER_BYTES, HEADER_BYTES)
  const data = new DataView(view.buffer, view.byteOffset, HEADER_BYTES)
  if (data.getInt32(8) !== LENGTH_BASE + records.length || data.getInt8(16) !== 2) return undefined
  if ((data.getInt16(21) & 7) !== codecId) return undefined
  return { view, firstOffset: data.getBigInt64(0), lastOffsetDelta: data.getInt32(23), records: data.getInt32(57), crc: data.getUint32(17) }
}

/** Counts the records in decompressed bytes (each a varint length, then that many bytes). */
function recordsIn(bytes: Uint8Array): number {
  let count = 0
  let i = 0
  while (i < bytes.length) {
    let value = 0
    let shift = 0
    let b: number
    do {
      if (i >= bytes.length || shift > 28) return -1
      b = bytes[i++]
      value |= (b & 0x7f) << shift
      shift += 7
    } while (b & 0x80)
    const length = (value >>> 1) ^ -(value & 1)
    if (length < 0 || length > bytes.length - i) return -1
    i += length
    count++
  }
  return count
}

// ---- records that stand for a failure -----------------------------------------------------------

/** Above this many declared records a failure is thrown instead (a corrupt count could be anything). */
const MAX_FAILURE_RECORDS = 1 << 20

function pushVarint(out: number[], n: number): void {
  let z = ((n << 1) ^ (n >> 31)) >>> 0
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80)
    z >>>= 7
  }
  out.push(z)
}

/** `count` records at offset delta `lastOffsetDelta`, each with only the failure header. */
export function failureRecords(count: number, lastOffsetDelta: number, failure: CodecFailure): Buffer {
  const name = Buffer.from(CODEC_FAILURE_HEADER)
  const value = Buffer.from(JSON.stringify(failure))
  const body: number[] = [0, 0] // attributes, timestamp delta
  pushVarint(body, Math.max(0, lastOffsetDelta))
  pushVarint(body, -1) // key: null
  pushVarint(body, -1) // value: null
  pushVarint(body, 1) // one header
  pushVarint(body, name.length)
  const tail: number[] = []
  pushVarint(tail, value.length)
  const record = Buffer.concat([Buffer.from(body), name, Buffer.from(tail), value])
  const prefix: number[] = []
  pushVarint(prefix, record.length)
  const one = Buffer.concat([Buffer.from(prefix), record])
  const out = Buffer.allocUnsafe(one.length * count)
  for (let k = 0; k < count; k++) one.copy(out, k * one.length)
  return out
}

/**
 * Bytes that no codec could read outside a v2 record batch (a legacy message set) fail the whole
 * fetch, which covers every assigned partition: the error names what was being read (`topics`),
 * at least. Other errors are returned as they are.
 */
export function unreadableFetchError(error: Error, topics: string): Error {
  if (error.name !== 'UnreadableBytesError' && error.name !== 'KafkaJSNotImplemented') return error
  return new KafkaError(`reading topic ${topics}: ${error.message}; nothing of that fetch was written`, { cause: error })
}

/** Not retried by kafkajs, which would fetch the same bytes again. */
class UnreadableBytesError extends KafkaError {
  constructor(message: string) {
    super(message, { retriable: false })
    this.name = 'UnreadableBytesError'
  }
}

// ---- the codecs ---------------------------------------------------------------------------------

type Decompress = (input: Uint8Array, inV2Batch: boolean) => Uint8Array | Promise<Uint8Array>

const unzipAsync = promisify(unzip)

const DECOMPRESSORS: Record<CodecName, Decompress> = {
  gzip: (input) => unzipAsync(input),
  snappy: (input) => decompressKafkaSnappy(input),
  lz4: (input, inV2Batch) => decompressLz4Frames(input, { legacyHeaderChecksum: !inV2Batch }),
  zstd: (input) => decompressZstd(input), // fzstd, through hyparquet-compressors
}

export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

/** Statistics of this process's decompressions, for tests and the bench. */
export const codecStats = { batches: 0, crcVerified: 0, failures: 0 }

function kafkaCodec(codecId: number, decompress: Decompress | undefined, unreadableReason: string): KafkaCodec {
  const name = codecName(codecId)
  return {
    async compress() {
      throw new UnreadableBytesError(`producing ${name}-compressed batches is not supported: Local Lakehouse produces uncompressed batches`)
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      codecStats.batches++
      const batch = batchAround(buffer, codecId)
      let reason: string
      try {
        if (!decompress) throw new KafkaError(unreadableReason)
        if (batch) {
          const computed = crc32c(buffer, crc32c(batch.view.subarray(CRC_FROM)))
          if (computed !== batch.crc)
            throw new KafkaError(
              `its CRC-32C is 0x${computed.toString(16).padStart(8, '0')}, its header says 0x${batch.crc.toString(16).padStart(8, '0')}: the batch is corrupt`,
            )
          codecStats.crcVerified++
        }
        const out = await decompress(buffer, batch !== undefined)
        if (batch) {
          const found = recordsIn(out)
          if (found !== batch.records)
            throw new KafkaError(
              found < 0
                ? `its ${out.length} decompressed bytes do not split into records`
                : `it declares ${batch.records} records, its decompressed bytes hold ${found}`,
            )
        }
        return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength)
      } catch (error) {
        reason = (error as Error).message
      }
      codecStats.failures++
      if (!batch || batch.records < 1 || batch.records > MAX_FAILURE_RECORDS) {
        throw new UnreadableBytesError(
          `a ${name}-compressed ${batch ? 'record batch' : 'message set'}${batch ? ` at offset ${batch.firstOffset}` : ''} cannot be read: ${reason}`,
        )
      }
      const lastOffset = batch.firstOffset + BigInt(Math.max(0, batch.lastOffsetDelta))
      return failureRecords(batch.records, batch.lastOffsetDelta, {
        codec: name,
        reason,
        firstOffset: String(batch.firstOffset),
        lastOffset: String(lastOffset),
      })
    },
  }
}

export interface RegisterCodecsOptions {
  /** Codecs to leave unreadable on purpose (tests of the failure path). */
  unreadable?: CodecName[]
}

let registered = false

/**
 * Puts this module's codecs into kafkajs's registry (process-wide: every client, the CLI's, the
 * extension host's and topic browsing's, reads with them). Codec ids 5–7 exist in no Kafka
 * version; kafkajs would read such a batch as uncompressed, so they are registered as unreadable.
 */
export function registerCompressionCodecs(options: RegisterCodecsOptions = {}): void {
  // Node's ESM loader finds no named export CompressionCodecs in kafkajs (CommonJS): take the module.
  const module = (kafkajs as unknown as { default?: typeof kafkajs }).default ?? kafkajs
  const registry = module.CompressionCodecs as unknown as Record<number, () => KafkaCodec>
  for (const [name, id] of Object.entries(CODEC_IDS) as [CodecName, number][]) {
    const codec = kafkaCodec(id, options.unreadable?.includes(name) ? undefined : DECOMPRESSORS[name], `this build was told not to read ${name}`)
    registry[id] = () => codec
  }
  for (const id of [5, 6, 7]) {
    const codec = kafkaCodec(id, undefined, `no Kafka version defines codec id ${id}`)
    registry[id] = () => codec
  }
  registered = true
}

/** Registers the codecs once per process (kafkaClient and the ingest job call this). */
export function ensureCompressionCodecs(): void {
  if (!registered) registerCompressionCodecs()
}
