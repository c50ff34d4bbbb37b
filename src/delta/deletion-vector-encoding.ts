/**
 * Encoding of Delta Lake deletion vectors, the inverse of deletion-vectors.ts: sorted row indexes
 * into the "RoaringBitmapArray" bytes (portable 64-bit Roaring with Delta's magic number), Z85,
 * inline descriptors, and the framing of a DV file (version byte, then per DV a big-endian size,
 * the bitmap and its CRC-32), as PROTOCOL.md ("Deletion Vectors", "Deletion Vector Format") and
 * RoaringFormatSpec define them. Pure: row indexes in, bytes and descriptors out.
 */
import { crc32, DeltaDvError, Z85_ALPHABET, type DeletionVectorDescriptor } from './deletion-vectors'

const PORTABLE_MAGIC = 1681511377
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346
const SERIAL_COOKIE = 12347
const NO_OFFSET_THRESHOLD = 4
const ARRAY_CONTAINER_MAX = 4096
const BITSET_BYTES = 8192
const TWO_POW_32 = 2 ** 32

/** Z85 (ZeroMQ spec 32) of bytes zero-padded to whole 4-byte blocks, as Spark writes inline DVs. */
export function z85Encode(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4)
  padded.set(bytes)
  const view = new DataView(padded.buffer)
  let out = ''
  for (let block = 0; block < padded.length; block += 4) {
    let value = view.getUint32(block, false)
    const digits = new Array<string>(5)
    for (let i = 4; i >= 0; i--) {
      digits[i] = Z85_ALPHABET[value % 85]!
      value = Math.floor(value / 85)
    }
    out += digits.join('')
  }
  return out
}

/** The 20 Z85 characters of a UUID (8-4-4-4-12 hex), as a 'u' descriptor names its file. */
export function z85EncodeUuid(uuid: string): string {
  const hex = uuid.replaceAll('-', '')
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new DeltaDvError(`not a UUID: ${JSON.stringify(uuid)}`)
  return z85Encode(Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)))
}

/** One container: the values `lows[start..end)` under one 16-bit key, in the form Roaring's runOptimize would pick. */
interface Container {
  key: number
  start: number
  end: number
  runs: number
  kind: 'array' | 'bitset' | 'run'
}

/** Runs when they are smallest, else array or bitset by cardinality (counted in place: no copies of the values). */
function container(lows: readonly number[], key: number, start: number, end: number): Container {
  let runs = 0
  for (let i = start; i < end; i++) if (i === start || lows[i]! !== lows[i - 1]! + 1) runs++
  const cardinality = end - start
  const plainSize = cardinality <= ARRAY_CONTAINER_MAX ? 2 * cardinality : BITSET_BYTES
  const kind = 2 + 4 * runs < plainSize ? 'run' : cardinality <= ARRAY_CONTAINER_MAX ? 'array' : 'bitset'
  return { key, start, end, runs, kind }
}

function containerBytes(c: Container): number {
  if (c.kind === 'run') return 2 + 4 * c.runs
  return c.kind === 'array' ? 2 * (c.end - c.start) : BITSET_BYTES
}

/** One portable 32-bit Roaring bitmap of `lows` (ascending values below 2^32). */
function serializeRoaring32(lows: readonly number[]): Uint8Array {
  const containers: Container[] = []
  for (let start = 0; start < lows.length; ) {
    const key = Math.floor(lows[start]! / 65536)
    let end = start
    while (end < lows.length && Math.floor(lows[end]! / 65536) === key) end++
    containers.push(container(lows, key, start, end))
    start = end
  }
  const count = containers.length
  const withRuns = containers.some((c) => c.kind === 'run')
  const offsets = !withRuns || count >= NO_OFFSET_THRESHOLD
  const header = (withRuns ? 4 + Math.ceil(count / 8) : 8) + 4 * count + (offsets ? 4 * count : 0)
  const size = header + containers.reduce((sum, c) => sum + containerBytes(c), 0)
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  let pos = 0
  if (withRuns) {
    view.setUint32(pos, SERIAL_COOKIE | (((count - 1) << 16) >>> 0), true)
    pos += 4
    containers.forEach((c, i) => {
      if (c.kind === 'run') bytes[pos + (i >>> 3)]! |= 1 << (i & 7)
    })
    pos += Math.ceil(count / 8)
  } else {
    view.setUint32(pos, SERIAL_COOKIE_NO_RUNCONTAINER, true)
    view.setUint32(pos + 4, count, true)
    pos += 8
  }
  for (const c of containers) {
    view.setUint16(pos, c.key, true)
    view.setUint16(pos + 2, c.end - c.start - 1, true)
    pos += 4
  }
  let dataAt = header
  if (offsets) {
    for (const c of containers) {
      view.setUint32(pos, dataAt, true)
      pos += 4
      dataAt += containerBytes(c)
    }
  }
  for (const c of containers) {
    const base = c.key * 65536
    if (c.kind === 'run') {
      view.setUint16(pos, c.runs, true)
      pos += 2
      // Each run as its first value and how many follow it.
      for (let i = c.start; i < c.end; ) {
        const from = lows[i]!
        let last = i
        while (last + 1 < c.end && lows[last + 1]! === lows[last]! + 1) last++
        view.setUint16(pos, from - base, true)
        view.setUint16(pos + 2, last - i, true)
        pos += 4
        i = last + 1
      }
    } else if (c.kind === 'array') {
      for (let i = c.start; i < c.end; i++) {
        view.setUint16(pos, lows[i]! - base, true)
        pos += 2
      }
    } else {
      for (let i = c.start; i < c.end; i++) {
        const v = lows[i]! - base
        bytes[pos + (v >>> 3)]! |= 1 << (v & 7)
      }
      pos += BITSET_BYTES
    }
  }
  return bytes
}

/** The RoaringBitmapArray bytes of strictly ascending row indexes (magic, 64-bit bucket count, then per bucket its key and 32-bit bitmap). */
export function serializeRoaringBitmapArray(rows: readonly number[]): Uint8Array {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (!Number.isSafeInteger(row) || row < 0 || (i > 0 && row <= rows[i - 1]!)) {
      throw new DeltaDvError(`deletion vector rows must be distinct whole numbers >= 0 in ascending order (at ${row})`)
    }
  }
  const buckets: { key: number; bitmap: Uint8Array }[] = []
  // Files of fewer than 2^32 rows (all in practice) have one bucket, whose values are the rows themselves.
  if (rows.length > 0 && rows[rows.length - 1]! < TWO_POW_32) buckets.push({ key: 0, bitmap: serializeRoaring32(rows) })
  else {
    for (let start = 0; start < rows.length; ) {
      const key = Math.floor(rows[start]! / TWO_POW_32)
      let end = start
      const lows: number[] = []
      while (end < rows.length && Math.floor(rows[end]! / TWO_POW_32) === key) lows.push(rows[end++]! - key * TWO_POW_32)
      buckets.push({ key, bitmap: serializeRoaring32(lows) })
      start = end
    }
  }
  const bytes = new Uint8Array(12 + buckets.reduce((sum, b) => sum + 4 + b.bitmap.length, 0))
  const view = new DataView(bytes.buffer)
  view.setUint32(0, PORTABLE_MAGIC, true)
  view.setUint32(4, buckets.length, true) // the high half of the 64-bit count stays 0
  let pos = 12
  for (const bucket of buckets) {
    view.setUint32(pos, bucket.key, true)
    bytes.set(bucket.bitmap, pos + 4)
    pos += 4 + bucket.bitmap.length
  }
  return bytes
}

/** An inline descriptor ('i'): the bitmap Z85-encoded in the log itself; sizeInBytes is the unpadded length. */
export function inlineDeletionVector(rows: readonly number[], bitmap = serializeRoaringBitmapArray(rows)): DeletionVectorDescriptor {
  return { storageType: 'i', pathOrInlineDv: z85Encode(bitmap), sizeInBytes: bitmap.length, cardinality: rows.length }
}

/**
 * One DV file holding several bitmaps, and a descriptor for each ('u', named by the file's UUID,
 * with the offset of its size field: 1 for the first, right after the version byte).
 */
export function deletionVectorFile(
  uuid: string,
  bitmaps: readonly (readonly number[])[],
  serialized = bitmaps.map((rows) => serializeRoaringBitmapArray(rows)),
): { bytes: Uint8Array; descriptors: DeletionVectorDescriptor[] } {
  const bytes = new Uint8Array(1 + serialized.reduce((sum, b) => sum + 8 + b.length, 0))
  const view = new DataView(bytes.buffer)
  bytes[0] = 1
  const path = z85EncodeUuid(uuid)
  const descriptors: DeletionVectorDescriptor[] = []
  let pos = 1
  serialized.forEach((bitmap, i) => {
    descriptors.push({ storageType: 'u', pathOrInlineDv: path, offset: pos, sizeInBytes: bitmap.length, cardinality: bitmaps[i]!.length })
    view.setUint32(pos, bitmap.length, false)
    bytes.set(bitmap, pos + 4)
    view.setUint32(pos + 4 + bitmap.length, crc32(bitmap), false)
    pos += 8 + bitmap.length
  })
  return { bytes, descriptors }
}
