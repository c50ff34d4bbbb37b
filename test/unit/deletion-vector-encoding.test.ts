/**
 * Writing deletion vectors: every encoding decodes back through our reader (array, bitset and
 * run containers, the offset header from four containers on, buckets past 2^32, the DV file
 * framing with several DVs), and re-encoding the row indexes of every DV that Spark and
 * delta-kernel-rs wrote in the shared conformance data gives their exact bytes.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, it } from 'node:test'
import { deletionVectorFile, inlineDeletionVector, serializeRoaringBitmapArray, z85Encode, z85EncodeUuid } from '../../src/delta/deletion-vector-encoding'
import {
  decodeDeletionVectorFile,
  decodeInlineDeletionVector,
  deletionVectorRelativePath,
  parseRoaringBitmapArray,
  z85Decode,
  type DeletionVectorDescriptor,
} from '../../src/delta/deletion-vectors'
import { requireConformanceDir } from '../helpers/conformance'

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step)

describe('serializeRoaringBitmapArray', () => {
  const cases: [string, number[]][] = [
    ['empty', []],
    ['one row', [0]],
    ['scattered rows (array container)', [3, 4, 7, 11, 18, 29, 65535]],
    ['a long run (run container)', range(100, 60_000)],
    ['dense scattered rows (bitset container)', range(0, 65536, 3)],
    [
      'five containers of mixed kinds (offset header with runs)',
      [...range(0, 10), ...range(65536, 65536 + 5000, 2), ...range(131072, 131072 + 30000), 196608 + 7, 262144 + 1],
    ],
    ['rows past 2^32 (several buckets)', [1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 3 * 2 ** 32 + 65536]],
  ]
  for (const [name, rows] of cases) {
    it(`round-trips ${name}`, () => {
      assert.deepEqual(parseRoaringBitmapArray(serializeRoaringBitmapArray(rows)), rows)
    })
  }

  it('refuses rows out of order, repeated or negative', () => {
    assert.throws(() => serializeRoaringBitmapArray([2, 1]), /ascending/)
    assert.throws(() => serializeRoaringBitmapArray([1, 1]), /ascending/)
    assert.throws(() => serializeRoaringBitmapArray([-1]), /ascending/)
  })
})

describe('descriptors', () => {
  it('inline: Z85 of the zero-padded bitmap, sizeInBytes unpadded, no offset; our reader decodes it', () => {
    const dv = inlineDeletionVector([3, 4, 7, 11, 18, 29])
    assert.equal(dv.storageType, 'i')
    assert.equal('offset' in dv, false)
    assert.equal(dv.cardinality, 6)
    assert.equal(dv.pathOrInlineDv.length % 5, 0)
    assert.ok(z85Decode(dv.pathOrInlineDv).length - dv.sizeInBytes < 4)
    assert.deepEqual(decodeInlineDeletionVector(dv), [3, 4, 7, 11, 18, 29])
  })

  it("on disk: one file, several DVs at their offsets (the first at 1), named by the UUID's 20 Z85 characters", () => {
    const uuid = 'd2c639aa-8816-431a-aaf6-d3fe2512ff61'
    const bitmaps = [[0, 9], range(0, 5000, 2), [2 ** 33]]
    const { bytes, descriptors } = deletionVectorFile(uuid, bitmaps)
    assert.equal(bytes[0], 1)
    assert.equal(descriptors[0].offset, 1)
    descriptors.forEach((dv, i) => {
      assert.equal(dv.pathOrInlineDv.length, 20)
      assert.equal(deletionVectorRelativePath(dv), `deletion_vector_${uuid}.bin`)
      assert.equal(dv.cardinality, bitmaps[i].length)
      assert.deepEqual(decodeDeletionVectorFile(bytes, dv), bitmaps[i])
    })
    assert.equal(descriptors[2].offset! + 8 + descriptors[2].sizeInBytes, bytes.length, 'the file ends after the last checksum')
  })

  it('encodes Z85 as ZeroMQ spec 32 does (its test vector) and UUIDs as PROTOCOL.md example 1', () => {
    assert.equal(z85Encode(Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld')
    // PROTOCOL.md: "ab^-aqEH.-t@S}K{vb[*k^" is prefix "ab" + the UUID d2c639aa-8816-431a-aaf6-d3fe2512ff61.
    assert.equal(z85EncodeUuid('d2c639aa-8816-431a-aaf6-d3fe2512ff61'), '^-aqEH.-t@S}K{vb[*k^')
  })
})

const root = requireConformanceDir()

function* logFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* logFiles(full)
    else if (entry.name.endsWith('.json') && full.includes(`${path.sep}_delta_log${path.sep}`)) yield full
  }
}

describe('the bytes Spark and delta-kernel-rs write (shared conformance data)', { skip: root ? false : 'conformance data not found' }, () => {
  it('re-encoding the rows of every DV gives the bytes the other writer wrote', () => {
    const seen = new Set<string>()
    let compared = 0
    for (const logFile of logFiles(root!)) {
      const tableRoot = logFile.slice(0, logFile.indexOf(`${path.sep}_delta_log${path.sep}`))
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        let action: { add?: { deletionVector?: DeletionVectorDescriptor }; remove?: { deletionVector?: DeletionVectorDescriptor } }
        try {
          action = JSON.parse(line)
        } catch {
          continue // blank lines, and the deliberately broken logs of the hostile cases
        }
        const dv = (action.add ?? action.remove)?.deletionVector
        if (!dv || seen.has(`${tableRoot}|${JSON.stringify(dv)}`)) continue
        seen.add(`${tableRoot}|${JSON.stringify(dv)}`)
        let bitmap: Uint8Array
        if (dv.storageType === 'i') bitmap = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes)
        else {
          const file = readFileSync(path.join(tableRoot, deletionVectorRelativePath(dv)!))
          const offset = dv.offset ?? 1
          bitmap = file.subarray(offset + 4, offset + 4 + file.readUInt32BE(offset))
        }
        const rows = parseRoaringBitmapArray(bitmap)
        assert.deepEqual(Buffer.from(serializeRoaringBitmapArray(rows)), Buffer.from(bitmap), `${tableRoot}: ${JSON.stringify(dv)}`)
        compared++
      }
    }
    assert.ok(compared >= 60, `only ${compared} DVs compared`)
  })
})
