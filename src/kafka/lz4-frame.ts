/**
 * Kafka's LZ4: the LZ4 *frame* format (lz4_Frame_format.md, version 1), which Kafka producers
 * (librdkafka, Java's KafkaLZ4BlockOutputStream) wrap around LZ4 blocks. Decompression only.
 *
 * Everything the frame offers to check is checked: the magic number, the version and reserved
 * bits, the header checksum, each block's size against the declared maximum, each block's checksum
 * and the content checksum when the frame carries them, the content size when declared, and every
 * match of the block decoder against the bytes already written. Frames may follow each other
 * (skippable frames are skipped). Kafka never uses dictionaries: a frame that names one is refused.
 *
 * Kafka before 0.10 (message format v0) computed the header checksum over the magic number as well
 * (KAFKA-3160); `legacyHeaderChecksum` accepts that variant, for batches not known to be v2.
 */
import { xxhash32 } from './checksums'
import { KafkaError } from './errors'

const FRAME_MAGIC = 0x184d2204
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const MAX_BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 }

export class Lz4FrameError extends KafkaError {
  constructor(message: string) {
    super(`LZ4 frame: ${message}`)
    this.name = 'Lz4FrameError'
  }
}

const u32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0

/** A growable output buffer. */
class Output {
  bytes: Uint8Array
  length = 0
  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(64, capacity))
  }
  reserve(extra: number): void {
    const need = this.length + extra
    if (need <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }
}

export interface Lz4FrameOptions {
  /** Also accept Kafka 0.8/0.9's header checksum over the magic number (see the header). */
  legacyHeaderChecksum?: boolean
}

/** The content of one or more LZ4 frames. Throws Lz4FrameError on anything malformed. */
export function decompressLz4Frames(input: Uint8Array, options: Lz4FrameOptions = {}): Uint8Array {
  const out = new Output(input.length * 4)
  let i = 0
  if (input.length < 4) throw new Lz4FrameError(`${input.length} bytes are too few for a frame`)
  while (i < input.length) {
    if (input.length - i < 4) throw new Lz4FrameError(`${input.length - i} stray bytes after the last frame`)
    const magic = u32(input, i)
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (input.length - i < 8) throw new Lz4FrameError('truncated skippable frame')
      i += 8 + u32(input, i + 4)
      if (i > input.length) throw new Lz4FrameError('truncated skippable frame')
      continue
    }
    if (magic !== FRAME_MAGIC) throw new Lz4FrameError(`bad magic number 0x${magic.toString(16)} at byte ${i}`)
    i = readFrame(input, i, out, options)
  }
  return out.bytes.subarray(0, out.length)
}

/** Reads the frame at `start` into `out`; returns where the next frame begins. */
function readFrame(input: Uint8Array, start: number, out: Output, options: Lz4FrameOptions): number {
  let i = start + 4
  if (input.length - i < 3) throw new Lz4FrameError('truncated frame descriptor')
  const flg = input[i]
  const bd = input[i + 1]
  if (flg >> 6 !== 1) throw new Lz4FrameError(`unsupported frame version ${flg >> 6}`)
  if (flg & 0x02 || bd & 0x8f) throw new Lz4FrameError('reserved bits are set in the frame descriptor')
  const independent = (flg & 0x20) !== 0
  const blockChecksum = (flg & 0x10) !== 0
  const contentSizeFlag = (flg & 0x08) !== 0
  const contentChecksum = (flg & 0x04) !== 0
  if (flg & 0x01) throw new Lz4FrameError('the frame names a dictionary, which Kafka never uses')
  const maxBlock = MAX_BLOCK_SIZES[(bd >> 4) & 7]
  if (maxBlock === undefined) throw new Lz4FrameError(`unsupported block maximum size code ${(bd >> 4) & 7}`)
  const descriptorEnd = i + 2 + (contentSizeFlag ? 8 : 0)
  if (input.length < descriptorEnd + 1) throw new Lz4FrameError('truncated frame descriptor')
  let contentSize: number | undefined
  if (contentSizeFlag) {
    contentSize = u32(input, i + 2) + u32(input, i + 6) * 2 ** 32
    out.reserve(Math.min(contentSize, 1 << 30))
  }
  const hc = input[descriptorEnd]
  if (
    hc !== ((xxhash32(input, i, descriptorEnd) >>> 8) & 0xff) &&
    !(options.legacyHeaderChecksum && hc === ((xxhash32(input, start, descriptorEnd) >>> 8) & 0xff))
  ) {
    throw new Lz4FrameError('header checksum mismatch')
  }
  i = descriptorEnd + 1
  const contentStart = out.length
  for (;;) {
    if (input.length - i < 4) throw new Lz4FrameError('truncated: no end mark')
    const word = u32(input, i)
    i += 4
    if (word === 0) break
    const stored = (word & 0x80000000) !== 0
    const size = word & 0x7fffffff
    if (size > maxBlock) throw new Lz4FrameError(`a block of ${size} bytes exceeds the frame's maximum of ${maxBlock}`)
    if (input.length - i < size + (blockChecksum ? 4 : 0)) throw new Lz4FrameError('truncated block')
    if (blockChecksum && xxhash32(input, i, i + size) !== u32(input, i + size)) throw new Lz4FrameError('block checksum mismatch')
    out.reserve(stored ? size : maxBlock)
    if (stored) {
      out.bytes.set(input.subarray(i, i + size), out.length)
      out.length += size
    } else {
      out.length = decodeBlock(input, i, i + size, out.bytes, out.length, maxBlock, independent ? out.length : contentStart)
    }
    i += size + (blockChecksum ? 4 : 0)
  }
  if (contentChecksum) {
    if (input.length - i < 4) throw new Lz4FrameError('truncated content checksum')
    if (xxhash32(out.bytes, contentStart, out.length) !== u32(input, i)) throw new Lz4FrameError('content checksum mismatch')
    i += 4
  }
  if (contentSize !== undefined && out.length - contentStart !== contentSize) {
    throw new Lz4FrameError(`content is ${out.length - contentStart} bytes, the frame declares ${contentSize}`)
  }
  return i
}

/**
 * One LZ4 block, input[start, end), appended to output at `pos` (capacity already reserved for
 * `maxOut` bytes). Matches may reach back to `windowStart` (the block's own start when blocks are
 * independent). Returns the new end of the output.
 */
export function decodeBlock(input: Uint8Array, start: number, end: number, output: Uint8Array, pos: number, maxOut: number, windowStart: number): number {
  const limit = pos + maxOut
  let i = start
  for (;;) {
    if (i >= end) throw new Lz4FrameError('block ends inside a sequence')
    const token = input[i++]
    let literals = token >>> 4
    if (literals === 15) {
      let b: number
      do {
        if (i >= end) throw new Lz4FrameError('block ends inside a literal length')
        b = input[i++]
        literals += b
      } while (b === 255)
    }
    if (literals > end - i || literals > limit - pos) throw new Lz4FrameError('literals run past the block')
    if (literals < 16) for (let k = 0; k < literals; k++) output[pos++] = input[i++]
    else {
      output.set(input.subarray(i, i + literals), pos)
      pos += literals
      i += literals
    }
    if (i === end) return pos // the last sequence has literals only
    if (end - i < 2) throw new Lz4FrameError('block ends inside a match offset')
    const offset = input[i] | (input[i + 1] << 8)
    i += 2
    if (offset === 0 || offset > pos - windowStart) throw new Lz4FrameError(`match offset ${offset} reaches before the data`)
    let length = token & 15
    if (length === 15) {
      let b: number
      do {
        if (i >= end) throw new Lz4FrameError('block ends inside a match length')
        b = input[i++]
        length += b
      } while (b === 255)
    }
    length += 4
    if (length > limit - pos) throw new Lz4FrameError('a match runs past the block maximum size')
    let from = pos - offset
    if (offset >= length) {
      output.copyWithin(pos, from, from + length)
      pos += length
    } else {
      for (const stop = pos + length; pos < stop; ) output[pos++] = output[from++]
    }
  }
}
