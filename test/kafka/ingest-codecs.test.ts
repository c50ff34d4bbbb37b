/**
 * Topics written by a producer other than kafkajs, through the real ingest job: Debian's kcat
 * (librdkafka) produces to the mock broker in every codec (none, gzip, snappy, lz4, zstd) with
 * keys, headers and null values (kcat -Z), and with the idempotent producer; a Java-style
 * xerial-framed Snappy batch (framed here per snappy-java's format, sent by kafkajs); and batches
 * that cannot be read: a corrupt LZ4 frame under a correct CRC, and a codec left out on purpose.
 * The raw table must hold exactly what was produced (values, keys, headers, offsets); an unreadable
 * batch must stop the job naming topic, partition, offsets and codec, with what came before it
 * written and nothing of it (no dead letters either).
 */
import assert from 'node:assert/strict'
import { sampleTopicMessages } from '../../src/kafka/sample'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import * as kafkajs from 'kafkajs'
import { snappyCompress } from 'hysnappy'
import { xxhash32 } from '../../src/kafka/checksums'
import { codecStats, CompressedBatchError, registerCompressionCodecs, type KafkaCodec } from '../../src/kafka/codecs'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery } from '../../src/query'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const KCAT = '/usr/bin/kcat'
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
const { CompressionCodecs, CompressionTypes, Partitioners } = (kafkajs as unknown as { default?: typeof kafkajs }).default ?? kafkajs

/** Runs kcat as a producer: one message per input line, `key:value`. */
function kcat(brokers: string[], args: string[], lines: string[]): void {
  if (!existsSync(KCAT)) throw new Error(`these tests produce with kcat (librdkafka), and ${KCAT} is missing: apt-get install kcat`)
  execFileSync(KCAT, ['-b', brokers.join(','), '-P', '-K:', '-Z', '-X', 'linger.ms=50', ...args], {
    input: lines.join('\n') + '\n',
    stdio: ['pipe', 'ignore', 'pipe'],
  })
}

/** Message i: a null value every 7th (a tombstone), an empty (null) key every 11th, otherwise JSON that compresses. */
const keyOf = (i: number) => (i % 11 === 5 ? null : `k${i}`)
const valueOf = (i: number) => (i % 7 === 3 ? null : { id: i, text: `item ${i % 5} ${'lorem ipsum '.repeat(4)}`, price: i + 0.5 })
const line = (i: number) => `${keyOf(i) ?? ''}:${valueOf(i) === null ? '' : JSON.stringify(valueOf(i))}`

interface Row {
  _partition: number
  _offset: number
  _key: string | null
  _tombstone: boolean
  id: number | null
  text: string | null
  price: number | null
  src: string | null
  codec: string | null
}

describe('ingest of topics written by kcat (librdkafka), in every codec', () => {
  let env: IngestLake
  const topics = [...CODECS, 'idempotent', 'xerial', 'corrupt', 'unregistered']
  before(async () => {
    env = await startIngestLake({ name: 'ingest-codecs', topics: topics.map((name) => ({ name, partitions: 2 })) })
  })
  after(async () => {
    registerCompressionCodecs()
    await env?.stop()
  })

  const source = (topic: string): SourceSpec => ({ name: `s_${topic}`, topic, format: 'json', table: `raw.s_${topic}`, batch: { maxMessages: 50, maxMs: 200 } })
  const ingest = (topic: string) => ingestKafka(env.lake, env.catalog, env.pipeline, source(topic), { untilCaughtUp: true, client: INGEST_CLIENT_OPTIONS })
  const rows = async (topic: string) =>
    (
      await runQuery(
        env.lake,
        env.catalog,
        `SELECT _partition, _offset, _key, _tombstone, id, text, price, _headers['src'] AS src, _headers['codec'] AS codec FROM raw.s_${topic} ORDER BY _partition, _offset`,
      )
    ).rows as unknown as Row[]
  /** What the table must hold for messages `from`..`to`-1 of partition `partition`, at offsets from `base`. */
  const expected = (partition: number, from: number, to: number, headers: { src: string | null; codec: string | null }, base = 0): Row[] =>
    Array.from({ length: to - from }, (_, j) => {
      const i = from + j
      const value = valueOf(i)
      return {
        _partition: partition,
        _offset: base + j,
        _key: keyOf(i),
        _tombstone: value === null,
        id: value?.id ?? null,
        text: value?.text ?? null,
        price: value?.price ?? null,
        ...headers,
      }
    })
  const plain = (r: Row[]) =>
    r.map((x) => ({
      ...x,
      _partition: Number(x._partition),
      _offset: Number(x._offset),
      id: x.id === null ? null : Number(x.id),
      price: x.price === null ? null : Number(x.price),
    }))

  for (const codec of CODECS) {
    test(`kcat -z ${codec}: values, keys, headers, tombstones and offsets land as produced`, async () => {
      const lines = Array.from({ length: 100 }, (_, i) => line(i))
      kcat(env.broker.brokers, ['-t', codec, '-p', '0', '-z', codec, '-H', 'src=kcat', '-H', `codec=${codec}`], lines.slice(0, 60))
      kcat(env.broker.brokers, ['-t', codec, '-p', '1', '-z', codec, '-H', 'src=kcat', '-H', `codec=${codec}`], lines.slice(60))
      const before = { ...codecStats }
      const report = await ingest(codec)
      const tombstones = lines.filter((_, i) => valueOf(i) === null).length
      assert.deepEqual([report.messages, report.rows, report.tombstones, report.deadLetters], [100, 100 - tombstones, tombstones, 0])
      const headers = { src: 'kcat', codec }
      assert.deepEqual(plain(await rows(codec)), [...expected(0, 0, 60, headers), ...expected(1, 60, 100, headers)])
      if (codec === 'none') {
        assert.equal(codecStats.batches, before.batches, 'no codec was called')
      } else {
        // The batches were compressed (librdkafka sends a batch uncompressed when that is smaller) and checked.
        assert.ok(codecStats.batches > before.batches, `${codec}: compressed batches were read`)
        assert.equal(codecStats.crcVerified - before.crcVerified, codecStats.batches - before.batches, 'every compressed batch had its CRC-32C verified')
        assert.equal(codecStats.failures, before.failures)
      }
    })
  }

  test('the idempotent producer (kcat -X enable.idempotence=true, lz4): every message once, in order', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => line(i))
    kcat(env.broker.brokers, ['-t', 'idempotent', '-p', '0', '-z', 'lz4', '-X', 'enable.idempotence=true', '-H', 'src=idem'], lines.slice(0, 40))
    kcat(env.broker.brokers, ['-t', 'idempotent', '-p', '1', '-z', 'lz4', '-X', 'enable.idempotence=true', '-H', 'src=idem'], lines.slice(40))
    const report = await ingest('idempotent')
    assert.equal(report.messages, 80)
    assert.deepEqual(plain(await rows('idempotent')), [
      ...expected(0, 0, 40, { src: 'idem', codec: null }),
      ...expected(1, 40, 80, { src: 'idem', codec: null }),
    ])
  })

  /** Puts `codec` in kafkajs's registry for producing one send, then restores ours. */
  async function sendWith(codecId: number, codec: KafkaCodec, topic: string, partition: number, from: number, to: number, headers: Record<string, string>) {
    const registry = CompressionCodecs as unknown as Record<number, () => KafkaCodec>
    registry[codecId] = () => codec
    const producer = env.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    try {
      const messages = Array.from({ length: to - from }, (_, j) => {
        const value = valueOf(from + j)
        return { key: keyOf(from + j), value: value === null ? null : JSON.stringify(value), headers, partition }
      })
      await producer.send({ topic, messages, compression: codecId as kafkajs.CompressionTypes })
    } finally {
      await producer.disconnect()
      registerCompressionCodecs()
    }
  }
  const sendPlain = async (topic: string, partition: number, from: number, to: number, headers: Record<string, string>) => {
    const producer = env.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
    await producer.connect()
    try {
      await producer.send({
        topic,
        messages: Array.from({ length: to - from }, (_, j) => ({
          key: keyOf(from + j),
          value: valueOf(from + j) === null ? null : JSON.stringify(valueOf(from + j)),
          headers,
          partition,
        })),
      })
    } finally {
      await producer.disconnect()
    }
  }

  test('a Java-style xerial-framed Snappy batch (snappy-java SnappyOutputStream framing) lands as produced', async () => {
    // The framing per snappy-java: `\x82SNAPPY\0`, version 1, compatible version 1 (big-endian
    // int32s), then blocks of a big-endian int32 length and raw Snappy; here blocks of 64 bytes of input.
    const xerial: KafkaCodec = {
      async compress({ buffer }) {
        const parts = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])]
        for (let at = 0; at < buffer.length; at += 64) {
          const block = snappyCompress(buffer.subarray(at, at + 64))
          const length = Buffer.alloc(4)
          length.writeUInt32BE(block.length)
          parts.push(length, Buffer.from(block))
        }
        return Buffer.concat(parts)
      },
      async decompress() {
        throw new Error('producing only')
      },
    }
    await sendWith(CompressionTypes.Snappy, xerial, 'xerial', 0, 0, 30, { src: 'xerial' })
    const before = { ...codecStats }
    const report = await ingest('xerial')
    assert.equal(report.messages, 30)
    assert.equal(codecStats.batches - before.batches, 1, 'one compressed batch')
    assert.equal(codecStats.failures, before.failures)
    assert.deepEqual(plain(await rows('xerial')), expected(0, 0, 30, { src: 'xerial', codec: null }))
  })

  test('a corrupt LZ4 batch (bad frame header checksum, correct batch CRC) stops the job at its offsets; what precedes it is written, nothing of it', async () => {
    await sendPlain('corrupt', 0, 0, 5, { src: 'good' })
    // An LZ4 frame whose header checksum is off by one bit: a block stored as it is, the CRC of the batch right.
    const broken: KafkaCodec = {
      async compress({ buffer }) {
        const descriptor = Buffer.from([0x60, 0x40])
        const size = Buffer.alloc(4)
        size.writeUInt32LE((buffer.length | 0x80000000) >>> 0)
        const checksum = ((xxhash32(descriptor) >>> 8) & 0xff) ^ 0x01
        return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([checksum]), size, buffer, Buffer.alloc(4)])
      },
      async decompress() {
        throw new Error('producing only')
      },
    }
    await sendWith(CompressionTypes.LZ4, broken, 'corrupt', 0, 5, 8, { src: 'broken' })
    await sendPlain('corrupt', 0, 8, 12, { src: 'after' })
    await sendPlain('corrupt', 1, 20, 24, { src: 'other partition' })

    for (let run = 1; run <= 2; run++) {
      const failure = await ingest('corrupt').then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.ok(failure instanceof CompressedBatchError, `run ${run}: ${String(failure)}`)
      assert.deepEqual(
        [failure.topic, failure.partition, failure.firstOffset, failure.lastOffset, failure.codec, failure.reason],
        ['corrupt', 0, '5', '7', 'lz4', 'LZ4 frame: header checksum mismatch'],
      )
      assert.match(
        failure.message,
        /^topic 'corrupt' partition 0 offset 5–7: a record batch compressed with lz4 cannot be read: LZ4 frame: header checksum mismatch\. Nothing of it was written/,
      )
      const written = plain(await rows('corrupt')).filter((r) => r._partition === 0)
      assert.deepEqual(written, expected(0, 0, 5, { src: 'good', codec: null }), `run ${run}: offsets 0–4 written, nothing from 5 on`)
      const dead = (
        await runQuery(env.lake, env.catalog, `SELECT count(*) AS n FROM raw._dead_letters WHERE source = 's_corrupt'`).catch(() => ({ rows: [{ n: 0 }] }))
      ).rows
      assert.equal(Number(dead[0].n), 0, 'no dead letters: the batch is not the messages’ fault')
    }
    // Sampling the topic (lakehouse sample, the topic panel) shows the readable messages and says
    // which batch it could not read, instead of showing the batch as empty messages.
    const sampled = await sampleTopicMessages({ brokers: env.broker.brokers }, 'corrupt', { limit: 40 })
    assert.deepEqual(
      sampled.messages.map((m) => `${m.partition}:${m.offset}`),
      [...['0', '1', '2', '3', '4', '8', '9', '10', '11'].map((o) => `0:${o}`), ...['0', '1', '2', '3'].map((o) => `1:${o}`)],
    )
    assert.deepEqual(sampled.unreadable, ['partition 0 offset 5–7: a record batch compressed with lz4 cannot be read: LZ4 frame: header checksum mismatch'])
  })

  test('a codec left unreadable on purpose stops the job naming topic, partition, offsets and codec', async () => {
    kcat(
      env.broker.brokers,
      ['-t', 'unregistered', '-p', '1', '-z', 'zstd'],
      Array.from({ length: 20 }, (_, i) => line(i)),
    )
    registerCompressionCodecs({ unreadable: ['zstd'] })
    try {
      const failure = await ingest('unregistered').then(
        () => undefined,
        (error: unknown) => error,
      )
      assert.ok(failure instanceof CompressedBatchError, String(failure))
      assert.equal(
        failure.message.split('.')[0],
        "topic 'unregistered' partition 1 offset 0–19: a record batch compressed with zstd cannot be read: this build was told not to read zstd",
      )
      const table = await runQuery(env.lake, env.catalog, 'SELECT count(*) AS n FROM raw.s_unregistered').then(
        (r) => Number(r.rows[0].n),
        () => 0,
      )
      assert.equal(table, 0, 'nothing written')
    } finally {
      registerCompressionCodecs()
    }
    assert.equal((await ingest('unregistered')).messages, 20, 'read once zstd is back')
  })
})
