/**
 * Decoding of Delta Lake deletion vectors (DVs): the descriptor's derived fields (file path,
 * unique id), Z85, the "RoaringBitmapArray" bitmap format and the DV file framing, as defined in
 * the Delta protocol (PROTOCOL.md, "Deletion Vectors" and "Deletion Vector Format") and the
 * portable Roaring format spec (RoaringFormatSpec). Pure: bytes in, sorted row indexes out.
 */

export interface DeletionVectorDescriptor {
  storageType: 'u' | 'i' | 'p' | string
  pathOrInlineDv: string
  offset?: number
  sizeInBytes: number
  cardinality: number
  maxRowIndex?: number | null
}

export class DeltaDvError extends Error {
  override name = 'DeltaDvError'
}

export const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const Z85_VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < Z85_ALPHABET.length; i++) Z85_VALUES[Z85_ALPHABET.charCodeAt(i)] = i

/**
 * Z85 decode (ZeroMQ spec 32/Z85); throws DeltaDvError on bad length/characters.
 *
 * Also accepts the padded tail of the Rust `z85` crate (v3+), which delta-kernel-rs test tables
 * use for inline DVs: a last block starting with k '#' (impossible in plain Z85, as it would
 * exceed 2^32) holds only 4 - k bytes, right-aligned. Spark instead zero-pads to whole blocks.
 */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new DeltaDvError(`Z85 text length ${text.length} is not a multiple of 5`)
  const blocks = text.length / 5
  let missing = 0
  if (blocks > 0) while (missing < 3 && text[text.length - 5 + missing] === '#') missing++
  const full = new Uint8Array(blocks * 4)
  const view = new DataView(full.buffer)
  for (let block = 0; block < blocks; block++) {
    const tailPad = block === blocks - 1 ? missing : 0
    let value = 0
    for (let i = block * 5; i < block * 5 + 5; i++) {
      const code = text.charCodeAt(i)
      const digit = i - block * 5 < tailPad ? 0 : code < 128 ? Z85_VALUES[code]! : -1
      if (digit < 0) throw new DeltaDvError(`invalid Z85 character ${JSON.stringify(text[i])} at position ${i}`)
      value = value * 85 + digit // stays exact: 85^5 < 2^53
    }
    if (value >= 2 ** (8 * (4 - tailPad))) throw new DeltaDvError(`Z85 block at position ${block * 5} does not fit in ${4 - tailPad} bytes`)
    view.setUint32(block * 4, value, false) // Z85 blocks are big-endian
  }
  if (missing === 0) return full
  // Drop the padded tail's leading zero bytes: its value was right-aligned in the block.
  const out = new Uint8Array(full.length - missing)
  out.set(full.subarray(0, full.length - 4))
  out.set(full.subarray(full.length - 4 + missing), full.length - 4)
  return out
}

// The fixed-length tail of a 'u' path: a 16-byte UUID is exactly 20 Z85 characters.
const ENCODED_UUID_LENGTH = 20

/** For storageType 'u': the DV file path relative to the table root: optional random prefix (chars before the last 20), then `deletion_vector_<uuid>.bin` where uuid is the Z85-decoded last 20 chars formatted as 8-4-4-4-12 hex. For 'p': the absolute path/URI as given. For 'i': undefined. */
export function deletionVectorRelativePath(dv: DeletionVectorDescriptor): string | undefined {
  switch (dv.storageType) {
    case 'i':
      return undefined
    case 'p':
      return dv.pathOrInlineDv
    case 'u': {
      const encoded = dv.pathOrInlineDv
      if (encoded.length < ENCODED_UUID_LENGTH) {
        throw new DeltaDvError(`'u' deletion vector path ${JSON.stringify(encoded)} is shorter than the ${ENCODED_UUID_LENGTH}-character encoded UUID`)
      }
      const prefix = encoded.slice(0, encoded.length - ENCODED_UUID_LENGTH)
      const hex = Array.from(z85Decode(encoded.slice(-ENCODED_UUID_LENGTH)), (b) => b.toString(16).padStart(2, '0')).join('')
      const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
      // The random prefix is a directory under the table root (it spreads DV files over
      // object-store key ranges), not part of the file name.
      return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`
    }
    default:
      throw new DeltaDvError(`unsupported deletion vector storageType ${JSON.stringify(dv.storageType)} (expected 'u', 'i' or 'p')`)
  }
}

/** Unique id as the protocol defines it (storageType + pathOrInlineDv, plus '@' + offset when offset is present). */
export function deletionVectorUniqueId(dv: DeletionVectorDescriptor): string {
  // JSON logs write `"offset": null` for inline DVs; null means absent, as in the protocol's Option.
  return dv.offset == null ? `${dv.storageType}${dv.pathOrInlineDv}` : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`
}

const PORTABLE_MAGIC = 1681511377 // Delta's prefix for the portable 64-bit Roaring serialization
const NATIVE_MAGIC = 1681511376 // reserved by Delta for a "native" format nobody writes yet
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346
const SERIAL_COOKIE = 12347
const NO_OFFSET_THRESHOLD = 4
const ARRAY_CONTAINER_MAX = 4096
const TWO_POW_32 = 2 ** 32
// Keys at or above this would put row indexes past Number.MAX_SAFE_INTEGER.
const MAX_SAFE_KEY = 2 ** 21

/** Bounds-checked little-endian reader: a truncated DV must fail loudly, not read zeros. */
class Reader {
  readonly view: DataView
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      throw new DeltaDvError(`deletion vector bitmap truncated: need ${n} bytes for ${what} at byte ${this.pos}, only ${this.bytes.length - this.pos} left`)
    }
  }
  u16(what: string): number {
    this.need(2, what)
    return this.view.getUint16((this.pos += 2) - 2, true)
  }
  u32(what: string): number {
    this.need(4, what)
    return this.view.getUint32((this.pos += 4) - 4, true)
  }
}

/** One 32-bit portable Roaring bitmap; pushes `high + value` for each member in ascending order. */
function readRoaring32(r: Reader, high: number, out: number[]): void {
  const start = r.pos
  const cookie = r.u32('Roaring cookie')
  let count: number
  let runFlags: Uint8Array | undefined
  if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    count = r.u32('Roaring container count')
    if (count > 65536) throw new DeltaDvError(`Roaring bitmap at byte ${start} claims ${count} containers (max 65536)`)
  } else if ((cookie & 0xffff) === SERIAL_COOKIE) {
    count = (cookie >>> 16) + 1
    const flagBytes = Math.ceil(count / 8)
    r.need(flagBytes, 'run-container flags')
    runFlags = r.bytes.subarray(r.pos, r.pos + flagBytes)
    r.pos += flagBytes
  } else {
    throw new DeltaDvError(`bad Roaring cookie ${cookie} at byte ${start} (expected ${SERIAL_COOKIE_NO_RUNCONTAINER} or low 16 bits ${SERIAL_COOKIE})`)
  }
  const keys: number[] = []
  const cards: number[] = []
  for (let i = 0; i < count; i++) {
    keys.push(r.u16('container key'))
    cards.push(r.u16('container cardinality') + 1) // stored as cardinality - 1
  }
  // Containers follow each other, so the offset header (only there without run flags or with
  // many containers) is redundant for a sequential read; skip it.
  if (!runFlags || count >= NO_OFFSET_THRESHOLD) {
    r.need(4 * count, 'container offsets')
    r.pos += 4 * count
  }
  const first = out.length
  for (let i = 0; i < count; i++) {
    const base = high + keys[i]! * 65536
    const before = out.length
    if (runFlags && (runFlags[i >>> 3]! >>> (i & 7)) & 1) {
      const runs = r.u16('run count')
      for (let k = 0; k < runs; k++) {
        const from = r.u16('run start')
        const extra = r.u16('run length') // stored as length - 1
        if (from + extra > 0xffff) throw new DeltaDvError(`Roaring run ${from}+${extra} overflows its 16-bit container`)
        for (let v = from; v <= from + extra; v++) out.push(base + v)
      }
    } else if (cards[i]! <= ARRAY_CONTAINER_MAX) {
      for (let k = 0; k < cards[i]!; k++) out.push(base + r.u16('array value'))
    } else {
      r.need(8192, 'bitset container')
      // 1024 little-endian 64-bit words == 2048 little-endian 32-bit words, same bit order.
      for (let w = 0; w < 2048; w++) {
        let word = r.view.getUint32(r.pos + w * 4, true)
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word)
          out.push(base + w * 32 + bit)
          word &= word - 1
        }
      }
      r.pos += 8192
    }
    if (out.length - before !== cards[i]) {
      throw new DeltaDvError(`Roaring container ${i} (key ${keys[i]}) holds ${out.length - before} values but its header says ${cards[i]}`)
    }
  }
  for (let k = Math.max(first, 1); k < out.length; k++) {
    if (out[k]! <= out[k - 1]!) throw new DeltaDvError(`Roaring bitmap values are not strictly ascending at ${out[k]} (after ${out[k - 1]})`)
  }
}

/** Parse the "RoaringBitmapArray" serialized form: magic, 64-bit bucket count, then per bucket a 32-bit key and a portable 32-bit Roaring bitmap. Returns the row indexes (key << 32 | low32) ascending. */
export function parseRoaringBitmapArray(bytes: Uint8Array): number[] {
  const r = new Reader(bytes)
  const magic = r.u32('magic number')
  if (magic === NATIVE_MAGIC) throw new DeltaDvError(`deletion vector uses the native Roaring serialization (magic ${NATIVE_MAGIC}), which is not supported`)
  if (magic !== PORTABLE_MAGIC) throw new DeltaDvError(`bad deletion vector magic number ${magic} (expected ${PORTABLE_MAGIC})`)
  const buckets = r.u32('bucket count')
  const bucketsHigh = r.u32('bucket count') // the spec caps the 64-bit count at 2^32 - 1
  if (bucketsHigh !== 0) throw new DeltaDvError(`deletion vector bucket count ${bucketsHigh * TWO_POW_32 + buckets} is out of range`)
  const out: number[] = []
  let lastKey = -1
  for (let b = 0; b < buckets; b++) {
    const key = r.u32('bucket key')
    if (key <= lastKey) throw new DeltaDvError(`deletion vector bucket keys are not ascending: ${key} after ${lastKey}`)
    if (key >= MAX_SAFE_KEY) throw new DeltaDvError(`deletion vector bucket key ${key} gives row indexes beyond 2^53`)
    lastKey = key
    readRoaring32(r, key * TWO_POW_32, out)
  }
  return out
}

function checkRows(rows: number[], dv: DeletionVectorDescriptor, where: string): number[] {
  if (rows.length !== dv.cardinality) {
    throw new DeltaDvError(`deletion vector cardinality mismatch in ${where}: descriptor says ${dv.cardinality}, decoded ${rows.length} rows`)
  }
  const max = rows[rows.length - 1]
  if (dv.maxRowIndex != null && max !== undefined && max > dv.maxRowIndex) {
    throw new DeltaDvError(`deletion vector in ${where} deletes row ${max}, beyond maxRowIndex ${dv.maxRowIndex}`)
  }
  return rows
}

/** Inline DVs: z85-decode pathOrInlineDv, then parseRoaringBitmapArray of the decoded bytes (the inline payload is the bitmap data starting with the magic). */
export function decodeInlineDeletionVector(dv: DeletionVectorDescriptor): number[] {
  if (dv.storageType !== 'i') throw new DeltaDvError(`decodeInlineDeletionVector needs storageType 'i', got ${JSON.stringify(dv.storageType)}`)
  const decoded = z85Decode(dv.pathOrInlineDv)
  // Z85 only encodes whole 4-byte blocks, so writers zero-pad; sizeInBytes is the real length.
  if (dv.sizeInBytes > decoded.length || decoded.length - dv.sizeInBytes > 3) {
    throw new DeltaDvError(`inline deletion vector decodes to ${decoded.length} bytes, inconsistent with sizeInBytes ${dv.sizeInBytes}`)
  }
  return checkRows(parseRoaringBitmapArray(decoded.subarray(0, dv.sizeInBytes)), dv, 'inline deletion vector')
}

/** CRC-32 (IEEE 802.3 / ISO-HDLC, the zlib one) as Delta writes after each DV in a file. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1
  return n >>> 0
})

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** For a DV stored in a file: given the whole file's bytes, read at `offset` (default 1, after the version byte) a 4-byte big-endian size, then `sizeInBytes` bytes of bitmap data, then a 4-byte big-endian CRC-32 of that data (verify it; throw on mismatch), and return the row indexes. */
export function decodeDeletionVectorFile(fileBytes: Uint8Array, dv: DeletionVectorDescriptor): number[] {
  const where = deletionVectorUniqueId(dv)
  if (fileBytes.length < 1) throw new DeltaDvError(`deletion vector file for ${where} is empty`)
  if (fileBytes[0] !== 1) throw new DeltaDvError(`deletion vector file for ${where} has format version ${fileBytes[0]} (only 1 is supported)`)
  // PROTOCOL.md says to read an absent offset as 0, but byte 0 is the version byte, so every
  // writer records 1 for the first DV; 1 is the only default that can work (delta-kernel-rs agrees).
  const offset = dv.offset ?? 1
  if (!Number.isInteger(offset) || offset < 1 || offset + 4 > fileBytes.length) {
    throw new DeltaDvError(`deletion vector offset ${offset} is outside the ${fileBytes.length}-byte file (${where})`)
  }
  const view = new DataView(fileBytes.buffer, fileBytes.byteOffset, fileBytes.byteLength)
  const size = view.getUint32(offset, false)
  if (size !== dv.sizeInBytes) throw new DeltaDvError(`deletion vector size mismatch (${where}): file says ${size} bytes, descriptor says ${dv.sizeInBytes}`)
  const dataStart = offset + 4
  if (dataStart + size + 4 > fileBytes.length) {
    throw new DeltaDvError(`deletion vector file truncated (${where}): need ${dataStart + size + 4} bytes, file has ${fileBytes.length}`)
  }
  const data = fileBytes.subarray(dataStart, dataStart + size)
  const expected = view.getUint32(dataStart + size, false)
  const actual = crc32(data)
  if (actual !== expected) {
    throw new DeltaDvError(
      `deletion vector checksum mismatch (${where}): stored CRC-32 0x${expected.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')}`,
    )
  }
  return checkRows(parseRoaringBitmapArray(data), dv, where)
}
