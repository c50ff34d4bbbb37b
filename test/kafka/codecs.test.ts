/**
 * The codecs of src/kafka/codecs.ts on bytes written by other tools: LZ4 frames from the `lz4`
 * command line tool (linked and independent blocks, with and without block and content checksums),
 * and whole v2 record batches that librdkafka (kcat -z snappy|lz4|zstd, keys, headers and a null
 * value) wrote to the mock broker, captured from a fetch. The batches go through kafkajs's own
 * record batch decoder, as in a fetch; corrupted, they must decode to the failure records that
 * make the ingest job stop with the topic, partition, offsets and codec, never into wrong records.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, describe, test } from 'node:test'
import { crc32c, xxhash32 } from '../../src/kafka/checksums'
import { CODEC_FAILURE_HEADER, codecFailureIn, registerCompressionCodecs } from '../../src/kafka/codecs'
import { decodeBlock, decompressLz4Frames, Lz4FrameError } from '../../src/kafka/lz4-frame'
import { decompressKafkaSnappy, decompressRawSnappy, SnappyError } from '../../src/kafka/snappy'

const require = createRequire(import.meta.url)
// kafkajs's own decoders, as its fetch path uses them (internal modules of the pinned 2.2.4).
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{ records: KafkaRecord[] }>
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown
interface KafkaRecord {
  offset: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer>
}

/** 9,000 lines `row <i % 7> lz4\n` (90,000 bytes: two 64 KiB blocks). */
const LZ4_CONTENT = Buffer.from(Array.from({ length: 9000 }, (_, i) => `row ${i % 7} lz4\n`).join(''))
/** `lz4 -B4 -BD --content-size -BX`: linked blocks, block checksums, content size and checksum. */
const LZ4_LINKED_CHECKED =
  'BCJNGFxAkF8BAAAAAABiLwEAAKByb3cgMCBsejQKCgAVMQoAFTIKABUzCgAVNAoAFTUKABU2CgAPRgD/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////nlBvdyAxIDL+jKJsAAAABPr/D/D////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////PUCBsejQKDQ/cXAAAAABJiEjZ'
/** `lz4 -B4 --no-frame-crc`: independent blocks, no checksums. */
const LZ4_INDEPENDENT =
  'BCJNGGBAgi8BAACgcm93IDAgbHo0CgoAFTEKABUyCgAVMwoAFTQKABU1CgAVNgoAD0YA/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////55Qb3cgMSCOAAAApGx6NApyb3cgMiAKABUzCgAVNAoAFTUKABU2CgAVMAoAFTEKAA9GAP//////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////iVAgbHo0CgAAAAA='

/**
 * v2 record batches produced by `kcat -P -p 0 -z <codec> -K: -Z -H h=v1 -H h2=x` from the lines
 * `k1:{"n":1,"s":"a…"}`, `k2:` and `:{"n":3,"s":"a…"}` (-Z: an empty value or key is sent as null), as fetched.
 */
const KCAT_BATCHES = {
  snappy:
    'AAAAAAAAAAAAAACFAAAAAAJvE9pCAAIAAAACAAABok/gRqsAAAGiT+BGq///////////////////AAAAA5oBVIABAAAABGsxXHsibiI6MSwicyI6ImF6AQBQIn0EAmgEdjEEaDICeCQAAAIEazIBHRMYhgEAAAQBZgVTBDMsklMABQEwIn0EAmgEdjEEaDICeA==',
  lz4: 'AAAAAAAAAAAAAACPAAAAAAI1yiuLAAMAAAACAAABok/gVW8AAAGiT+BVcP//////////////////AAAAAwQiTRhgQIJPAAAA/weAAQAAAARrMVx7Im4iOjEsInMiOiJhAQAM9wYifQQCaAR2MQRoMgJ4JAACAgRrMgETAHGGAQACBAFmUwAfM1MAEwECAARYAFAEaDICeAAAAAA=',
  zstd: 'AAAAAAAAAAAAAAB/AAAAAALWED7rAAQAAAACAAABok/gZHQAAAGiT+BkdP//////////////////AAAAAyi1L/0AWC0CADQDgAEAAAAEazFceyJuIjoxLCJzIjoiYSJ9BAJoBHYxBGgyAngkAAACBGsyAYYBAAAEAWYzBgBbOAAXhL9WuKZNg2lAEw==',
}
const batchOf = (codec: keyof typeof KCAT_BATCHES) => Buffer.from(KCAT_BATCHES[codec], 'base64')
const decodeBatch = async (bytes: Buffer) => (await RecordBatchDecoder(new Decoder(bytes))).records
/** Recomputes a batch's CRC-32C after an edit, as a producer would have written it. */
const withCrc = (bytes: Buffer) => {
  bytes.writeUInt32BE(crc32c(bytes.subarray(21)), 17)
  return bytes
}
const failureOf = (records: KafkaRecord[]) =>
  codecFailureIn(
    'orders',
    3,
    records.map((r) => ({ ...r, timestamp: '0', attributes: 0 }) as never),
  )

describe('checksums', () => {
  test('CRC-32C and xxHash32 match their published check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa)
    assert.equal(crc32c(Buffer.from('56789'), crc32c(Buffer.from('1234'))), 0xe3069283, 'continued')
    assert.equal(xxhash32(Buffer.from('')), 0x02cc5d05)
    assert.equal(xxhash32(Buffer.from('abc')), 0x32d153ff)
    assert.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f)
  })
})

describe('LZ4 frames', () => {
  test('frames written by the lz4 tool decode to their content, checksums and content size checked', () => {
    assert.deepEqual(Buffer.from(decompressLz4Frames(Buffer.from(LZ4_LINKED_CHECKED, 'base64'))), LZ4_CONTENT)
    assert.deepEqual(Buffer.from(decompressLz4Frames(Buffer.from(LZ4_INDEPENDENT, 'base64'))), LZ4_CONTENT)
    const two = Buffer.concat([Buffer.from(LZ4_INDEPENDENT, 'base64'), Buffer.from(LZ4_LINKED_CHECKED, 'base64')])
    assert.deepEqual(Buffer.from(decompressLz4Frames(two)), Buffer.concat([LZ4_CONTENT, LZ4_CONTENT]), 'frames in a row')
  })

  test('a changed byte anywhere in a checked frame is refused, each by the check that covers it', () => {
    const frame = Buffer.from(LZ4_LINKED_CHECKED, 'base64')
    const refuse = (at: number, pattern: RegExp) => {
      const bad = Buffer.from(frame)
      bad[at] ^= 0x01
      assert.throws(
        () => decompressLz4Frames(bad),
        (e: Error) => e instanceof Lz4FrameError && pattern.test(e.message),
        `byte ${at}`,
      )
    }
    refuse(0, /bad magic/)
    refuse(4, /reserved bits|header checksum|version|dictionary/)
    refuse(6, /header checksum/) // the content size
    refuse(20, /block checksum/)
    refuse(frame.length - 1, /content checksum/)
    assert.throws(() => decompressLz4Frames(frame.subarray(0, frame.length - 10)), /truncated|checksum/)
  })

  test('the block decoder refuses matches before the data and output past the block maximum', () => {
    const out = new Uint8Array(64)
    // one literal 'a', then a match at offset 5: only 1 byte has been written
    assert.throws(() => decodeBlock(Uint8Array.from([0x10, 0x61, 0x05, 0x00]), 0, 4, out, 0, 64, 0), /match offset 5/)
    // one literal, a match of 4 + 15 + 200 bytes when the block may hold 64
    assert.throws(() => decodeBlock(Uint8Array.from([0x1f, 0x61, 0x01, 0x00, 200]), 0, 5, out, 0, 64, 0), /block maximum/)
    assert.equal(decodeBlock(Uint8Array.from([0x1f, 0x61, 0x01, 0x00, 20, 0x00]), 0, 6, out, 0, 64, 0), 40, 'a run of 40 bytes')
    assert.equal(Buffer.from(out.subarray(0, 40)).toString(), 'a'.repeat(40))
  })
})

describe('Snappy', () => {
  const raw = batchOf('snappy').subarray(61)
  test('raw Snappy (librdkafka) and xerial framing (Java) give the same records', () => {
    const plain = decompressRawSnappy(raw)
    assert.ok(plain.length > raw.length, 'expands')
    // xerial framing as snappy-java's SnappyOutputStream writes it: magic, version 1, compatible 1,
    // then blocks of a big-endian length and a raw Snappy stream each.
    const block = (bytes: Uint8Array) => {
      const n = Buffer.alloc(4)
      n.writeUInt32BE(bytes.length)
      return Buffer.concat([n, bytes])
    }
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    assert.deepEqual(Buffer.from(decompressKafkaSnappy(Buffer.concat([header, block(raw)]))), Buffer.from(plain))
    assert.deepEqual(Buffer.from(decompressKafkaSnappy(Buffer.concat([header, block(raw), block(raw)]))), Buffer.concat([plain, plain]))
    assert.deepEqual(Buffer.from(decompressKafkaSnappy(header)), Buffer.alloc(0), 'no blocks')
    assert.throws(() => decompressKafkaSnappy(Buffer.concat([header, block(raw)]).subarray(0, 30)), SnappyError)
  })
  test('a length preamble that Snappy cannot reach, or a cut stream, is refused', () => {
    assert.throws(() => decompressRawSnappy(Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 0x00])), /more than Snappy can expand/)
    assert.throws(() => decompressRawSnappy(raw.subarray(0, raw.length - 5)), SnappyError)
  })
})

describe('record batches from kcat through kafkajs’s decoder', () => {
  registerCompressionCodecs()
  after(() => registerCompressionCodecs())

  for (const codec of Object.keys(KCAT_BATCHES) as (keyof typeof KCAT_BATCHES)[]) {
    test(`${codec}: keys, headers and a null value as produced`, async () => {
      const records = await decodeBatch(batchOf(codec))
      assert.deepEqual(
        records.map((r) => [r.offset, r.key?.toString() ?? null, r.value === null ? null : JSON.parse(r.value.toString()).n]),
        [
          ['0', 'k1', 1],
          ['1', 'k2', null],
          ['2', null, 3],
        ],
      )
      for (const r of records) assert.deepEqual(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString()])), { h: 'v1', h2: 'x' })
      assert.equal(failureOf(records), undefined)
    })

    test(`${codec}: a corrupt byte fails the CRC and decodes to failure records naming the batch`, async () => {
      const bad = batchOf(codec)
      bad[bad.length - 3] ^= 0x40
      const records = await decodeBatch(bad)
      assert.equal(records.length, 3, 'as many as the batch declares, so kafkajs reads no further')
      assert.ok(records.every((r) => r.offset === '2' && r.key === null && r.value === null && r.headers[CODEC_FAILURE_HEADER]))
      const error = failureOf(records)!
      assert.equal(error.name, 'CompressedBatchError')
      assert.deepEqual([error.topic, error.partition, error.firstOffset, error.lastOffset, error.codec], ['orders', 3, '0', '2', codec])
      assert.match(
        error.message,
        new RegExp(
          `topic 'orders' partition 3 offset 0–2: a record batch compressed with ${codec} cannot be read: its CRC-32C is 0x[0-9a-f]{8}, its header says`,
        ),
      )
    })
  }

  test('corrupt compressed bytes under a correct CRC: the codec’s own checks name what is wrong', async () => {
    const lz4 = batchOf('lz4')
    lz4[61 + 6] ^= 0x01 // the frame's header checksum byte
    assert.equal(failureOf(await decodeBatch(withCrc(lz4)))?.reason, 'LZ4 frame: header checksum mismatch')
    const snappy = batchOf('snappy')
    snappy.writeUInt8(0x05, 61) // the preamble: 5 bytes, far fewer than the elements write
    assert.match(failureOf(await decodeBatch(withCrc(snappy)))?.reason ?? '', /.+/)
    const zstd = batchOf('zstd')
    zstd[61] ^= 0xff // the frame's magic number
    const zstdFailure = failureOf(await decodeBatch(withCrc(zstd)))
    assert.equal(zstdFailure?.codec, 'zstd')
    assert.ok(zstdFailure?.reason, 'fzstd says why')
  })

  test('a record count that does not match the decompressed records is refused', async () => {
    const zstd = batchOf('zstd')
    zstd.writeInt32BE(2, 57) // the batch declares 2 records; it holds 3
    const failure = failureOf(await decodeBatch(withCrc(zstd)))
    assert.equal(failure?.reason, 'it declares 2 records, its decompressed bytes hold 3')
  })

  test('a codec left out on purpose, and codec ids no Kafka defines, are failures, not uncompressed bytes', async () => {
    registerCompressionCodecs({ unreadable: ['zstd'] })
    try {
      const failure = failureOf(await decodeBatch(batchOf('zstd')))
      assert.equal(failure?.codec, 'zstd')
      assert.equal(failure?.reason, 'this build was told not to read zstd')
      assert.equal(failureOf(await decodeBatch(batchOf('lz4'))), undefined, 'the others still read')
    } finally {
      registerCompressionCodecs()
    }
    const five = batchOf('zstd')
    five.writeInt16BE((five.readInt16BE(21) & ~7) | 5, 21)
    const failure = failureOf(await decodeBatch(withCrc(five)))
    assert.deepEqual([failure?.codec, failure?.reason], ['codec id 5', 'no Kafka version defines codec id 5'])
  })
})
