/**
 * Deletion vectors: hand-built encodings that exercise each part of the formats (Z85, the three
 * Roaring container kinds and both cookies, 64-bit keys, the DV file framing and its checks), then
 * every real DV in the shared conformance data, cross-checked against what upstream says is
 * visible (expected snapshot Parquet, delta-kernel-rs expectations and CDF results).
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, it } from 'node:test'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import {
  decodeDeletionVectorFile,
  decodeInlineDeletionVector,
  DeltaDvError,
  deletionVectorRelativePath,
  deletionVectorUniqueId,
  parseRoaringBitmapArray,
  z85Decode,
  type DeletionVectorDescriptor,
} from '../../src/delta/deletion-vectors'
import { requireConformanceDir } from '../helpers/conformance'

// ---------- test-side encoders (independent of the module under test) ----------

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'

/** Spark-style Z85: zero-pad to whole 4-byte blocks. */
function z85Encode(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4)
  padded.set(bytes)
  let out = ''
  for (let i = 0; i < padded.length; i += 4) {
    let v = ((padded[i]! << 24) | (padded[i + 1]! << 16) | (padded[i + 2]! << 8) | padded[i + 3]!) >>> 0
    let block = ''
    for (let k = 0; k < 5; k++) {
      block = Z85[v % 85] + block
      v = Math.floor(v / 85)
    }
    out += block
  }
  return out
}

/** Bitwise CRC-32 (IEEE), deliberately not table-driven like the module's. */
function crc32(data: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of data) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

class Bytes {
  readonly out: number[] = []
  u8(v: number) {
    this.out.push(v & 0xff)
    return this
  }
  u16(v: number) {
    return this.u8(v).u8(v >>> 8)
  }
  u32(v: number) {
    return this.u16(v & 0xffff).u16(v >>> 16)
  }
  u32be(v: number) {
    return this.u8(v >>> 24)
      .u8(v >>> 16)
      .u8(v >>> 8)
      .u8(v)
  }
  bytes(b: ArrayLike<number>) {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!)
    return this
  }
  done() {
    return Uint8Array.from(this.out)
  }
}

type Container = { key: number; kind: 'array' | 'bitmap'; values: number[] } | { key: number; kind: 'run'; runs: [start: number, lengthMinusOne: number][] }

const cardinality = (c: Container) => (c.kind === 'run' ? c.runs.reduce((n, [, l]) => n + l + 1, 0) : c.values.length)
const dataSize = (c: Container) => (c.kind === 'run' ? 2 + 4 * c.runs.length : c.kind === 'bitmap' ? 8192 : 2 * c.values.length)

/** A portable 32-bit Roaring bitmap, written the way RoaringFormatSpec's sample code does. */
function roaring32(containers: Container[], forceRunCookie = false): number[] {
  const b = new Bytes()
  const n = containers.length
  const hasRun = forceRunCookie || containers.some((c) => c.kind === 'run')
  if (hasRun) {
    b.u32(12347 | ((n - 1) << 16))
    const flags = new Array(Math.ceil(n / 8)).fill(0)
    containers.forEach((c, i) => {
      if (c.kind === 'run') flags[i >>> 3] |= 1 << (i & 7)
    })
    b.bytes(flags)
  } else {
    b.u32(12346).u32(n)
  }
  for (const c of containers) b.u16(c.key).u16(cardinality(c) - 1)
  if (!hasRun || n >= 4) {
    let offset = b.out.length + 4 * n
    for (const c of containers) {
      b.u32(offset)
      offset += dataSize(c)
    }
  }
  for (const c of containers) {
    if (c.kind === 'run') {
      b.u16(c.runs.length)
      for (const [start, len] of c.runs) b.u16(start).u16(len)
    } else if (c.kind === 'array') {
      for (const v of c.values) b.u16(v)
    } else {
      const words = new Uint32Array(2048)
      for (const v of c.values) words[v >>> 5]! |= 1 << (v & 31)
      for (const w of words) b.u32(w)
    }
  }
  return b.out
}

const MAGIC = 1681511377

function bitmapArray(buckets: { key: number; bitmap: number[] }[], magic = MAGIC): Uint8Array {
  const b = new Bytes().u32(magic).u32(buckets.length).u32(0)
  for (const bucket of buckets) b.u32(bucket.key).bytes(bucket.bitmap)
  return b.done()
}

/** A DV file: version byte, then per DV: BE size, data, BE CRC-32. Returns the file and offsets. */
function dvFile(dvs: Uint8Array[], version = 1): { file: Uint8Array; offsets: number[] } {
  const b = new Bytes().u8(version)
  const offsets: number[] = []
  for (const data of dvs) {
    offsets.push(b.out.length)
    b.u32be(data.length).bytes(data).u32be(crc32(data))
  }
  return { file: b.done(), offsets }
}

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step)
const throwsDv = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: unknown) => e instanceof DeltaDvError && message.test(e.message))

// ---------- hand-built cases ----------

describe('z85Decode', () => {
  it('decodes the ZeroMQ spec 32 test vector', () => {
    assert.deepEqual([...z85Decode('HelloWorld')], [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])
    assert.equal(z85Encode(Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld')
    assert.deepEqual([...z85Decode('')], [])
  })

  it('round-trips arbitrary 4-byte-aligned data, including the extremes', () => {
    const data = Uint8Array.from([0, 0, 0, 0, 255, 255, 255, 255, ...range(0, 248).map((i) => (i * 97 + 13) & 0xff)])
    assert.equal(z85Encode(Uint8Array.from([255, 255, 255, 255])), '%nSc0')
    assert.deepEqual(z85Decode(z85Encode(data)), data)
  })

  it('rejects bad lengths, characters and overflowing blocks', () => {
    throwsDv(() => z85Decode('Hello1'), /not a multiple of 5/)
    throwsDv(() => z85Decode('Hel"o'), /invalid Z85 character "\\"" at position 3/)
    throwsDv(() => z85Decode('Hel~o'), /invalid Z85 character/)
    throwsDv(() => z85Decode('Helé0'), /invalid Z85 character/)
    throwsDv(() => z85Decode('%nSc1'), /does not fit in 4 bytes/) // 2^32 exactly
    throwsDv(() => z85Decode('##000Hello'), /does not fit/) // '#' padding is only legal in the last block
  })

  it("accepts the Rust z85 crate's '#'-padded last block (used by delta-kernel-rs test data)", () => {
    assert.deepEqual([...z85Decode('Hello##093')], [0x86, 0x4f, 0xd2, 0x6f, 0x03, 0x00])
    assert.deepEqual([...z85Decode('###30')], [0xff])
    // The crate writes an n-byte tail as its right-aligned value, then overwrites 4 - n leading digits with '#'.
    const tail3 = '#' + z85Encode(Uint8Array.from([0, 0x12, 0x34, 0x56])).slice(1)
    assert.deepEqual([...z85Decode(`HelloWorld${tail3}`)], [0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b, 0x12, 0x34, 0x56])
    throwsDv(() => z85Decode('##%%%'), /does not fit in 2 bytes/)
  })
})

describe('descriptor-derived fields', () => {
  it('builds the relative path of a u DV, with and without random prefix (PROTOCOL.md / kernel-rs examples)', () => {
    const dv = (pathOrInlineDv: string): DeletionVectorDescriptor => ({ storageType: 'u', pathOrInlineDv, offset: 4, sizeInBytes: 40, cardinality: 6 })
    assert.equal(deletionVectorRelativePath(dv('ab^-aqEH.-t@S}K{vb[*k^')), 'ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin')
    assert.equal(deletionVectorRelativePath(dv('vBn[lx{q8@P<9BNH/isA')), 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin')
    throwsDv(() => deletionVectorRelativePath(dv('short')), /shorter than the 20-character/)
  })

  it('returns p paths as given, nothing for inline, and rejects unknown storage types', () => {
    const p = 's3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin'
    assert.equal(deletionVectorRelativePath({ storageType: 'p', pathOrInlineDv: p, offset: 4, sizeInBytes: 40, cardinality: 6 }), p)
    assert.equal(deletionVectorRelativePath({ storageType: 'i', pathOrInlineDv: 'abcde', sizeInBytes: 4, cardinality: 1 }), undefined)
    throwsDv(
      () => deletionVectorRelativePath({ storageType: 'x', pathOrInlineDv: 'abc', sizeInBytes: 4, cardinality: 1 }),
      /unsupported deletion vector storageType "x"/,
    )
  })

  it('derives the unique id; a JSON null offset counts as absent', () => {
    assert.equal(
      deletionVectorUniqueId({ storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 4, sizeInBytes: 40, cardinality: 6 }),
      'uab^-aqEH.-t@S}K{vb[*k^@4',
    )
    assert.equal(deletionVectorUniqueId({ storageType: 'i', pathOrInlineDv: 'wi5b=', sizeInBytes: 4, cardinality: 1 }), 'iwi5b=')
    assert.equal(deletionVectorUniqueId(JSON.parse('{"storageType":"i","pathOrInlineDv":"wi5b=","offset":null,"sizeInBytes":4,"cardinality":1}')), 'iwi5b=')
    assert.equal(
      deletionVectorUniqueId({ storageType: 'u', pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA', offset: 0, sizeInBytes: 4, cardinality: 1 }),
      'uvBn[lx{q8@P<9BNH/isA@0',
    )
  })
})

describe('parseRoaringBitmapArray', () => {
  const arrayValues = [1, 5, 4096, 65535]
  const bitmapValues = range(0, 10000, 2) // 5000 values: over the 4096 array limit
  const mixed: Container[] = [
    { key: 0, kind: 'array', values: arrayValues },
    { key: 1, kind: 'bitmap', values: bitmapValues },
    {
      key: 3,
      kind: 'run',
      runs: [
        [10, 4],
        [100, 0],
        [65530, 5],
      ],
    },
  ]
  const mixedExpected = [
    ...arrayValues,
    ...bitmapValues.map((v) => 65536 + v),
    ...[10, 11, 12, 13, 14, 100, 65530, 65531, 65532, 65533, 65534, 65535].map((v) => 3 * 65536 + v),
  ]

  it('reads array, bitset and run containers behind the run cookie (no offset header below 4 containers)', () => {
    assert.deepEqual(parseRoaringBitmapArray(bitmapArray([{ key: 0, bitmap: roaring32(mixed) }])), mixedExpected)
  })

  it('reads the run cookie with an offset header (4+ containers) and a forced run cookie without runs', () => {
    const four: Container[] = [...mixed, { key: 7, kind: 'array', values: [0] }]
    assert.deepEqual(parseRoaringBitmapArray(bitmapArray([{ key: 0, bitmap: roaring32(four) }])), [...mixedExpected, 7 * 65536])
    const noRuns: Container[] = [{ key: 0, kind: 'array', values: [2, 3] }]
    assert.deepEqual(parseRoaringBitmapArray(bitmapArray([{ key: 0, bitmap: roaring32(noRuns, true) }])), [2, 3])
  })

  it('reads the no-run cookie (12346) with its offset header', () => {
    const containers: Container[] = [mixed[0]!, mixed[1]!]
    const bitmap = roaring32(containers)
    assert.equal(bitmap[0]! | (bitmap[1]! << 8), 12346)
    assert.deepEqual(parseRoaringBitmapArray(bitmapArray([{ key: 0, bitmap }])), [...arrayValues, ...bitmapValues.map((v) => 65536 + v)])
  })

  it('combines a 64-bit bucket key with the low 32 bits: (key << 32) | low32', () => {
    const bytes = bitmapArray([
      { key: 0, bitmap: roaring32([{ key: 0, kind: 'array', values: [7] }]) },
      { key: 1, bitmap: roaring32([{ key: 0xffff, kind: 'array', values: [0xffff] }]) },
      {
        key: 2,
        bitmap: roaring32([
          { key: 0, kind: 'run', runs: [[0, 1]] },
          { key: 2, kind: 'array', values: [3] },
        ]),
      },
    ])
    assert.deepEqual(parseRoaringBitmapArray(bytes), [7, 2 ** 32 + 0xffffffff, 2 * 2 ** 32, 2 * 2 ** 32 + 1, 2 * 2 ** 32 + 2 * 65536 + 3])
  })

  it('reads an empty bitmap', () => {
    assert.deepEqual(parseRoaringBitmapArray(bitmapArray([])), [])
  })

  it('rejects bad magic, the unsupported native format, bad cookies and truncation', () => {
    const good = bitmapArray([{ key: 0, bitmap: roaring32([{ key: 0, kind: 'array', values: [1] }]) }])
    throwsDv(() => parseRoaringBitmapArray(bitmapArray([], 0x12345678)), /bad deletion vector magic number 305419896 \(expected 1681511377\)/)
    throwsDv(() => parseRoaringBitmapArray(bitmapArray([], 1681511376)), /native Roaring serialization/)
    throwsDv(() => parseRoaringBitmapArray(good.subarray(0, good.length - 1)), /truncated: need 2 bytes for array value/)
    throwsDv(() => parseRoaringBitmapArray(good.subarray(0, 3)), /truncated/)
    const badCookie = Uint8Array.from(good)
    badCookie[16] = 0x99
    throwsDv(() => parseRoaringBitmapArray(badCookie), /bad Roaring cookie/)
  })

  it('rejects inconsistent content: unsorted keys or values, wrong container cardinality, keys past 2^53', () => {
    const one = roaring32([{ key: 0, kind: 'array', values: [1] }])
    throwsDv(
      () =>
        parseRoaringBitmapArray(
          bitmapArray([
            { key: 2, bitmap: one },
            { key: 1, bitmap: one },
          ]),
        ),
      /bucket keys are not ascending: 1 after 2/,
    )
    throwsDv(() => parseRoaringBitmapArray(bitmapArray([{ key: 0, bitmap: roaring32([{ key: 0, kind: 'array', values: [5, 5] }]) }])), /not strictly ascending/)
    throwsDv(
      () =>
        parseRoaringBitmapArray(
          bitmapArray([
            {
              key: 0,
              bitmap: roaring32([
                { key: 1, kind: 'array', values: [1] },
                { key: 0, kind: 'array', values: [1] },
              ]),
            },
          ]),
        ),
      /not strictly ascending/,
    )
    const bitset = roaring32([{ key: 0, kind: 'bitmap', values: range(0, 5000) }])
    bitset[10] = 5000 & 0xff // header cardinality - 1 = 5000: one more than the bits set
    bitset[11] = 5000 >>> 8
    throwsDv(() => parseRoaringBitmapArray(bitmapArray([{ key: 0, bitmap: bitset }])), /holds 5000 values but its header says 5001/)
    throwsDv(() => parseRoaringBitmapArray(bitmapArray([{ key: 2 ** 21, bitmap: one }])), /beyond 2\^53/)
  })
})

describe('decodeInlineDeletionVector', () => {
  it('decodes the inline example of delta-kernel-rs (rows 3, 4, 7, 11, 18, 29)', () => {
    const dv = { storageType: 'i', pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 44, cardinality: 6 }
    assert.deepEqual(decodeInlineDeletionVector(dv), [3, 4, 7, 11, 18, 29])
  })

  it("rejects PROTOCOL.md's own Example 3, which is not in the documented format", () => {
    // The spec says rows 3, 4, 7, 11, 18, 29, but its bytes start 64 39 d3 d0: the (native)
    // magic written big-endian, not the little-endian portable magic the format section requires.
    const dv = { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 }
    throwsDv(() => decodeInlineDeletionVector(dv), /bad deletion vector magic number/)
  })

  it('drops Z85 zero padding using sizeInBytes, and checks cardinality and maxRowIndex', () => {
    const data = bitmapArray([{ key: 0, bitmap: roaring32([{ key: 0, kind: 'array', values: [2, 9, 300] }]) }]) // 38 bytes
    assert.equal(data.length % 4, 2)
    const dv = { storageType: 'i', pathOrInlineDv: z85Encode(data), sizeInBytes: data.length, cardinality: 3 }
    assert.deepEqual(decodeInlineDeletionVector(dv), [2, 9, 300])
    assert.deepEqual(decodeInlineDeletionVector({ ...dv, maxRowIndex: 300 }), [2, 9, 300])
    throwsDv(() => decodeInlineDeletionVector({ ...dv, cardinality: 4 }), /cardinality mismatch in inline deletion vector: descriptor says 4, decoded 3 rows/)
    throwsDv(() => decodeInlineDeletionVector({ ...dv, maxRowIndex: 299 }), /deletes row 300, beyond maxRowIndex 299/)
    throwsDv(() => decodeInlineDeletionVector({ ...dv, sizeInBytes: 41 }), /inconsistent with sizeInBytes 41/)
    throwsDv(() => decodeInlineDeletionVector({ ...dv, storageType: 'u' }), /needs storageType 'i'/)
  })
})

describe('decodeDeletionVectorFile', () => {
  const first = bitmapArray([{ key: 0, bitmap: roaring32([{ key: 0, kind: 'array', values: [0, 9] }]) }])
  const second = bitmapArray([{ key: 0, bitmap: roaring32([{ key: 0, kind: 'run', runs: [[3, 2]] }]) }])
  const { file, offsets } = dvFile([first, second])
  const dv = (offset: number | undefined, data: Uint8Array, cardinality: number): DeletionVectorDescriptor => ({
    storageType: 'u',
    pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA',
    offset,
    sizeInBytes: data.length,
    cardinality,
  })

  it('reads each DV of a multi-DV file at its offset; an absent offset means 1', () => {
    assert.deepEqual(offsets, [1, 1 + 4 + first.length + 4])
    assert.deepEqual(decodeDeletionVectorFile(file, dv(1, first, 2)), [0, 9])
    assert.deepEqual(decodeDeletionVectorFile(file, dv(undefined, first, 2)), [0, 9])
    assert.deepEqual(decodeDeletionVectorFile(file, dv(offsets[1], second, 3)), [3, 4, 5])
    assert.deepEqual(decodeDeletionVectorFile(file.subarray(0), { ...dv(offsets[1], second, 3), storageType: 'p', pathOrInlineDv: 's3://t/x.bin' }), [3, 4, 5])
  })

  it('verifies the CRC-32 and reports both values', () => {
    const corrupt = Uint8Array.from(file)
    corrupt[1 + 4 + first.length - 1] ^= 0x01 // last data byte of the first DV
    const stored = crc32(first).toString(16).padStart(8, '0')
    throwsDv(() => decodeDeletionVectorFile(corrupt, dv(1, first, 2)), new RegExp(`checksum mismatch .*stored CRC-32 0x${stored}, computed 0x[0-9a-f]{8}`))
    const badCrc = Uint8Array.from(file)
    badCrc[1 + 4 + first.length] ^= 0xff
    throwsDv(() => decodeDeletionVectorFile(badCrc, dv(1, first, 2)), /checksum mismatch/)
  })

  it('rejects wrong version, size, offset, truncation and cardinality', () => {
    throwsDv(() => decodeDeletionVectorFile(dvFile([first], 2).file, dv(1, first, 2)), /format version 2/)
    throwsDv(
      () => decodeDeletionVectorFile(file, { ...dv(1, first, 2), sizeInBytes: first.length + 1 }),
      new RegExp(`size mismatch .*file says ${first.length} bytes, descriptor says ${first.length + 1}`),
    )
    throwsDv(() => decodeDeletionVectorFile(file, dv(file.length, first, 2)), /outside the/)
    throwsDv(() => decodeDeletionVectorFile(file, dv(0, first, 2)), /outside the/)
    throwsDv(() => decodeDeletionVectorFile(file.subarray(0, 1 + 4 + first.length + 2), dv(1, first, 2)), /truncated/)
    throwsDv(() => decodeDeletionVectorFile(file, dv(1, first, 3)), /cardinality mismatch .*descriptor says 3, decoded 2 rows/)
    throwsDv(() => decodeDeletionVectorFile(new Uint8Array(0), dv(1, first, 2)), /is empty/)
  })
})

// ---------- real deletion vectors from the shared conformance data ----------

const root = requireConformanceDir()

interface Action {
  add?: FileAction
  remove?: FileAction
  cdc?: FileAction
  metaData?: { schemaString: string }
}
interface FileAction {
  path: string
  deletionVector?: DeletionVectorDescriptor | null
  stats?: string
}

const readJsonLines = (file: string): Action[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Action)

function decodeDv(tableRoot: string, dv: DeletionVectorDescriptor): number[] {
  if (dv.storageType === 'i') return decodeInlineDeletionVector(dv)
  return decodeDeletionVectorFile(readFileSync(path.join(tableRoot, deletionVectorRelativePath(dv)!)), dv)
}

async function readColumn(file: string, column: string): Promise<unknown[]> {
  const rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), columns: [column] })
  return rows.map((r) => (typeof r[column] === 'bigint' ? Number(r[column]) : r[column]))
}

/** Table state from its JSON commits (the tables used all keep every commit): path -> add. */
function replayJsonLog(tableRoot: string): { files: Map<string, FileAction>; schemaString: string } {
  const logDir = path.join(tableRoot, '_delta_log')
  const files = new Map<string, FileAction>()
  let schemaString = ''
  for (const name of readdirSync(logDir)
    .filter((n) => /^\d{20}\.json$/.test(n))
    .sort()) {
    const actions = readJsonLines(path.join(logDir, name))
    // A DV update is a remove + add of the same path in one commit: apply removes first.
    for (const a of actions) if (a.remove) files.delete(a.remove.path)
    for (const a of actions) if (a.add) files.set(a.add.path, a.add)
    for (const a of actions) if (a.metaData) schemaString = a.metaData.schemaString
  }
  return { files, schemaString }
}

/** The key column's values of every row the snapshot shows, DVs applied. */
async function visibleValues(tableRoot: string, column: string): Promise<unknown[]> {
  const { files, schemaString } = replayJsonLog(tableRoot)
  const field = (JSON.parse(schemaString) as { fields: { name: string; metadata?: Record<string, unknown> }[] }).fields.find((f) => f.name === column)
  const physical = (field?.metadata?.['delta.columnMapping.physicalName'] as string | undefined) ?? column
  const out: unknown[] = []
  for (const add of files.values()) {
    const values = await readColumn(path.join(tableRoot, decodeURIComponent(add.path)), physical)
    const deleted = new Set(add.deletionVector ? decodeDv(tableRoot, add.deletionVector) : [])
    assert.ok(
      [...deleted].every((i) => i < values.length),
      `${add.path}: DV row index past the file's ${values.length} rows`,
    )
    values.forEach((v, i) => {
      if (!deleted.has(i)) out.push(v)
    })
  }
  return out
}

const sortNumbers = (xs: unknown[]) => xs.map(Number).sort((a, b) => a - b)

function* logFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* logFiles(full)
    else if (entry.name.endsWith('.json') && !entry.name.startsWith('.') && full.includes(`${path.sep}_delta_log${path.sep}`)) yield full
  }
}

describe('real deletion vectors (shared conformance data)', { skip: root ? false : 'conformance data not found' }, () => {
  const base = root ?? ''
  const kernel = (table: string) => path.join(base, '2-delta-tables/delta-kernel-rs', table)
  const golden = (table: string) => path.join(base, '1-dat-acceptance/golden-delta-kernel-rs', table)

  it('decodes every DV in every log: count == cardinality, sorted, unique, < numRecords, file found by derived path', () => {
    const seen = new Set<string>()
    const storageTypes = new Set<string>()
    for (const logFile of logFiles(base)) {
      const tableRoot = logFile.slice(0, logFile.indexOf(`${path.sep}_delta_log${path.sep}`))
      for (const action of readJsonLines(logFile)) {
        for (const fa of [action.add, action.remove, action.cdc]) {
          const dv = fa?.deletionVector
          if (!dv) continue
          const id = `${tableRoot}|${deletionVectorUniqueId(dv)}`
          if (seen.has(`${id}|${fa.path}`)) continue
          seen.add(`${id}|${fa.path}`)
          storageTypes.add(dv.storageType)
          if (dv.storageType === 'u') assert.ok(existsSync(path.join(tableRoot, deletionVectorRelativePath(dv)!)), `${id}: DV file missing`)
          const rows = decodeDv(tableRoot, dv)
          assert.equal(rows.length, dv.cardinality, id)
          for (let i = 1; i < rows.length; i++) assert.ok(rows[i]! > rows[i - 1]!, `${id}: not strictly ascending`)
          if (dv.maxRowIndex != null)
            assert.ok(
              rows.every((r) => r <= dv.maxRowIndex!),
              `${id}: beyond maxRowIndex`,
            )
          const numRecords = fa.stats ? (JSON.parse(fa.stats) as { numRecords?: number }).numRecords : undefined
          if (numRecords !== undefined)
            assert.ok(
              rows.every((r) => r < numRecords),
              `${id}: row index >= numRecords ${numRecords}`,
            )
        }
      }
    }
    assert.ok(seen.size >= 60, `only ${seen.size} DVs found`)
    assert.deepEqual([...storageTypes].sort(), ['i', 'u'])
  })

  it('table-with-dv-small: DV deletes rows 0 and 9, leaving values 1..8 (delta-kernel-rs expectation)', async () => {
    const table = kernel('table-with-dv-small')
    const add = readJsonLines(path.join(table, '_delta_log/00000000000000000001.json')).find((a) => a.add)!.add!
    const dv = add.deletionVector!
    assert.equal(deletionVectorRelativePath(dv), 'deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin')
    assert.deepEqual(decodeDv(table, dv), [0, 9])
    assert.deepEqual(await readColumn(path.join(table, add.path), 'value'), range(0, 10))
    assert.deepEqual(sortNumbers(await visibleValues(table, 'value')), range(1, 9))
  })

  it('with-short-dv: first file loses rows 0-2, so ids 3..9 stay visible (delta-kernel-rs expectation)', async () => {
    assert.deepEqual(sortNumbers(await visibleValues(kernel('with-short-dv'), 'id')), range(3, 10))
  })

  it("cdf-table-with-dv: each version's DV matches the deletes/restores of the expected change data feed", async () => {
    const table = kernel('cdf-table-with-dv')
    const dvAt = (v: number) => readJsonLines(path.join(table, `_delta_log/${String(v).padStart(20, '0')}.json`)).find((a) => a.add)!.add!.deletionVector
    // Deleted set per version from expected-cdf (delete adds, insert restores): v1 -{0,9}, v2 +{0,9},
    // v3 -{0,1,4,5}, v4 +{1,4}, v5 +{0,5} -{3}, v6 +{3}. The file holds value == row index.
    const add = readJsonLines(path.join(table, '_delta_log/00000000000000000000.json')).find((a) => a.add)!.add!
    assert.deepEqual(await readColumn(path.join(table, add.path), 'value'), range(0, 10))
    const expected: Record<number, number[] | undefined> = { 1: [0, 9], 2: undefined, 3: [0, 1, 4, 5], 4: [0, 5], 5: [3], 6: undefined }
    for (const [version, rows] of Object.entries(expected)) {
      const dv = dvAt(Number(version))
      assert.deepEqual(dv ? decodeDv(table, dv) : undefined, rows, `version ${version}`)
    }
    assert.equal(dvAt(3)!.storageType, 'i')
    assert.equal(dvAt(5)!.pathOrInlineDv.slice(-5), '##093') // the z85-crate padded tail
  })

  it('cdf-table-with-cdc-and-dvs: two DVs share one file (offsets 1 and 43), and the run-container DV deletes the CDF rows', async () => {
    const table = kernel('cdf-table-with-cdc-and-dvs')
    const log = (v: number) => readJsonLines(path.join(table, `_delta_log/${String(v).padStart(20, '0')}.json`))
    const shared = log(16)
      .filter((a) => a.add)
      .map((a) => a.add!.deletionVector!)
    assert.deepEqual(
      shared.map((d) => d.offset).sort((a, b) => a! - b!),
      [1, 43],
    )
    assert.equal(new Set(shared.map((d) => d.pathOrInlineDv)).size, 1)
    const bytes = readFileSync(path.join(table, deletionVectorRelativePath(shared[0]!)!))
    assert.equal(bytes.length, 1 + 2 * (4 + 34 + 4))
    for (const d of shared) assert.equal(decodeDeletionVectorFile(bytes, d).length, 1)

    // v24: DELETE WHERE id < 10 on an 8-row file; the expected CDF has deletes of ids 2,3,4,5,6,9.
    const add = log(24).find((a) => a.add)!.add!
    const dv = add.deletionVector!
    const file = readFileSync(path.join(table, deletionVectorRelativePath(dv)!))
    const cookie = file.readUInt16LE(dv.offset! + 4 + 16) // size(4) magic(4) count(8) key(4) precede it
    assert.equal(cookie, 12347, 'expected Spark to have written this DV with the run-container cookie')
    const rows = decodeDv(table, dv)
    assert.deepEqual(rows, [0, 1, 2, 3, 4, 6])
    const ids = await readColumn(path.join(table, add.path), 'id')
    assert.deepEqual(sortNumbers(rows.map((r) => ids[r])), [2, 3, 4, 5, 6, 9])
    assert.ok(ids.filter((_, i) => !rows.includes(i)).every((id) => Number(id) >= 10))
  })

  for (const [table, column] of [
    ['dv-partitioned-with-checkpoint', 'col1'],
    ['dv-with-columnmapping', 'col1'],
    ['log-replay-dv-key-cases', 'id'],
  ] as const) {
    it(`${table}: data files minus their DVs equal the expected snapshot (${column})`, async () => {
      const expectedDir = golden(`${table}/expected`)
      const expected: unknown[] = []
      for (const name of readdirSync(expectedDir)
        .filter((n) => n.endsWith('.parquet'))
        .sort())
        expected.push(...(await readColumn(path.join(expectedDir, name), column)))
      const actual = await visibleValues(golden(`${table}/delta`), column)
      assert.ok(expected.length > 0)
      assert.deepEqual(sortNumbers(actual), sortNumbers(expected))
    })
  }
})
