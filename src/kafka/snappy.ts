/**
 * Kafka's Snappy, in both framings found on topics: raw Snappy (librdkafka and the clients built
 * on it) and xerial's framing (the Java client, through snappy-java's SnappyOutputStream: the magic
 * `\x82SNAPPY\0`, two big-endian int32 versions, then blocks of a big-endian int32 length followed
 * by that many bytes of raw Snappy). librdkafka
 * reads both; so do we. Decompression only, through hysnappy's WebAssembly decoder (bundled by
 * hyparquet-compressors, already a dependency).
 */
import { compressors } from 'hyparquet-compressors'
import { KafkaError } from './errors'

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]
const XERIAL_HEADER_BYTES = 16
/** Snappy's densest element (a 3-byte copy of 64 bytes) expands 64/3 times: a larger declared length is corruption. */
const MAX_EXPANSION = 22

export class SnappyError extends KafkaError {
  constructor(message: string) {
    super(`Snappy: ${message}`)
    this.name = 'SnappyError'
  }
}

const uncompress = compressors.SNAPPY as (input: Uint8Array, outputLength: number) => Uint8Array

export function isXerialFramed(input: Uint8Array): boolean {
  if (input.length < XERIAL_HEADER_BYTES) return false
  for (let k = 0; k < XERIAL_MAGIC.length; k++) if (input[k] !== XERIAL_MAGIC[k]) return false
  return true
}

/** Kafka Snappy, raw or xerial-framed, decompressed. Throws SnappyError on anything malformed. */
export function decompressKafkaSnappy(input: Uint8Array): Uint8Array {
  if (!isXerialFramed(input)) return decompressRawSnappy(input)
  const blocks: Uint8Array[] = []
  let total = 0
  let i = XERIAL_HEADER_BYTES
  while (i < input.length) {
    if (input.length - i < 4) throw new SnappyError(`xerial framing: ${input.length - i} stray bytes where a block length belongs`)
    const size = ((input[i] << 24) | (input[i + 1] << 16) | (input[i + 2] << 8) | input[i + 3]) >>> 0
    i += 4
    if (size > input.length - i) throw new SnappyError(`xerial framing: a block of ${size} bytes runs past the end (${input.length - i} left)`)
    const block = decompressRawSnappy(input.subarray(i, i + size))
    blocks.push(block)
    total += block.length
    i += size
  }
  if (blocks.length === 1) return blocks[0]
  const out = new Uint8Array(total)
  let at = 0
  for (const block of blocks) {
    out.set(block, at)
    at += block.length
  }
  return out
}

/** One raw Snappy stream: a varint of the uncompressed length, then literal and copy elements. */
export function decompressRawSnappy(input: Uint8Array): Uint8Array {
  let length = 0
  let i = 0
  for (let shift = 0; ; shift += 7) {
    if (i >= input.length || shift > 28) throw new SnappyError('bad uncompressed-length preamble')
    const b = input[i++]
    length += (b & 0x7f) * 2 ** shift
    if (b < 0x80) break
  }
  if (length > (input.length - i) * MAX_EXPANSION + 64)
    throw new SnappyError(`declares ${length} bytes from ${input.length} compressed bytes, more than Snappy can expand`)
  if (length === 0) {
    if (i !== input.length) throw new SnappyError('data after an empty stream')
    return new Uint8Array(0)
  }
  try {
    return uncompress(input, length)
  } catch (error) {
    throw new SnappyError((error as Error).message)
  }
}
