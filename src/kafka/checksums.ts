/**
 * The two checksums that compressed Kafka batches carry: CRC-32C (Castagnoli), which a v2 record
 * batch keeps over everything from its attributes to its end, and xxHash32, which the LZ4 frame
 * format uses for its header, blocks and content. Plain functions over bytes, no dependencies.
 */

const CRC32C_POLY = 0x82f63b78

/** Slicing-by-8 tables: 8 × 256 entries, table k for a byte k positions before the end. */
const CRC_TABLES = (() => {
  const tables = new Int32Array(8 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1
    tables[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]
    for (let t = 1; t < 8; t++) {
      c = tables[c & 0xff] ^ (c >>> 8)
      tables[t * 256 + n] = c
    }
  }
  return tables
})()

/** CRC-32C of `bytes`, continuing from `crc` (the value returned for the bytes before them). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const t = CRC_TABLES
  let c = ~crc
  let i = 0
  const end8 = bytes.length - (bytes.length & 7)
  for (; i < end8; i += 8) {
    const a = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ c
    c =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]]
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

const P1 = 2654435761
const P2 = 2246822519
const P3 = 3266489917
const P4 = 668265263
const P5 = 374761393

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r))
const readU32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0
const round = (acc: number, lane: number) => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1)

/** xxHash32 of bytes[start, end) with seed 0, as the LZ4 frame format defines its checksums. */
export function xxhash32(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  let i = start
  let h: number
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0
    let v2 = (seed + P2) | 0
    let v3 = seed | 0
    let v4 = (seed - P1) | 0
    for (const limit = end - 16; i <= limit; i += 16) {
      v1 = round(v1, readU32(bytes, i))
      v2 = round(v2, readU32(bytes, i + 4))
      v3 = round(v3, readU32(bytes, i + 8))
      v4 = round(v4, readU32(bytes, i + 12))
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = (seed + P5) | 0
  }
  h = (h + (end - start)) | 0
  for (; i + 4 <= end; i += 4) h = Math.imul(rotl((h + Math.imul(readU32(bytes, i), P3)) | 0, 17), P4)
  for (; i < end; i++) h = Math.imul(rotl((h + Math.imul(bytes[i], P5)) | 0, 11), P1)
  h ^= h >>> 15
  h = Math.imul(h, P2)
  h ^= h >>> 13
  h = Math.imul(h, P3)
  h ^= h >>> 16
  return h >>> 0
}
