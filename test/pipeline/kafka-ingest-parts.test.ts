/**
 * The parts the Kafka ingest job is built from, without a broker: the offset ledger (what the
 * tables record, where a partition resumes), partition positions (where each partition starts,
 * caught up, 'latest' starts for the group), the open batch (batching and back-pressure), and the
 * Kafka layer's lag and group id. The job itself is tested through the mock broker in test/kafka.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Snapshot } from '../../src/delta/snapshot'
import { partitionLag, sourceGroupId } from '../../src/kafka'
import type { IngestMessage } from '../../src/pipeline/ingest-message'
import { lastOffsets, offsetAppId, OffsetLedger, offsetGap, offsetTxns, resumeAfter } from '../../src/pipeline/offset-ledger'
import { OpenBatch } from '../../src/pipeline/open-batch'
import { partitionKey, PartitionPositions } from '../../src/pipeline/partition-positions'

/** A snapshot that records only txn versions (all the ledger reads). */
const recording = (source: string, offsets: [string, number, number][]): Snapshot =>
  ({
    txns: new Map(
      offsets.map(([topic, partition, version]) => [offsetAppId(source, topic, partition), { appId: offsetAppId(source, topic, partition), version }]),
    ),
  }) as unknown as Snapshot

const message = (topic: string, partition: number, offset: number): IngestMessage => ({
  topic,
  partition,
  offset: String(offset),
  timestamp: '0',
  key: null,
  value: new Uint8Array(10),
  headers: {},
  decoded: { kind: 'tombstone' },
})

test('the ledger resumes after the lower of the raw and dead-letter tables, and reads the raw table alone while the dead-letter table has nothing', () => {
  const raw = recording('orders', [
    ['t', 0, 41],
    ['t', 1, 9],
  ])
  const dead = recording('orders', [['t', 0, 30]])
  assert.equal(resumeAfter(raw, dead, 'orders', 't', 0), 30)
  assert.equal(resumeAfter(raw, dead, 'orders', 't', 1), 9)
  assert.equal(resumeAfter(raw, dead, 'orders', 't', 2), -1)
  const ledger = new OffsetLedger('orders', raw, dead)
  assert.deepEqual(ledger.partitions(), [
    { topic: 't', partition: 0, offset: 30 },
    { topic: 't', partition: 1, offset: 9 },
  ])
  assert.equal(ledger.recorded('t', 2), undefined)
  // An accepted reset to a log starting at 0 leaves the raw table's txn at -1: recorded, before offset 0.
  assert.equal(new OffsetLedger('orders', recording('orders', [['t', 3, -1]]), undefined).recorded('t', 3), -1)
})

test("a batch records each partition's last offset once, and only where a table does not hold it yet", () => {
  const last = lastOffsets([message('t', 0, 5), message('t', 1, 2), message('t', 0, 7), message('t', 0, 6)])
  assert.deepEqual(last, [
    { topic: 't', partition: 0, offset: 7 },
    { topic: 't', partition: 1, offset: 2 },
  ])
  assert.deepEqual(offsetTxns(last, recording('s', [['t', 0, 7]]), 's'), [{ appId: 'lakehouse/s/t/1', version: 2 }])
  assert.deepEqual(
    offsetTxns(last, undefined, 's').map((t) => t.version),
    [7, 2],
  )
})

test('a gap is retention when the log starts after the next offset needed, reset when it ends before it', () => {
  assert.equal(offsetGap('t', 0, 99, 50, 200), undefined)
  assert.equal(offsetGap('t', 0, 99, 150, 200)?.kind, 'retention')
  assert.equal(offsetGap('t', 0, 99, 0, 10)?.kind, 'reset')
  assert.equal(offsetGap('t', 0, undefined, 150, 200), undefined)
})

test("positions start after what the lake records; a 'latest' partition with nothing recorded starts where an earlier run did, and tells the group until taken", () => {
  const ledger = new OffsetLedger('s', recording('s', [['t', 0, 9]]), undefined)
  const watermarks = [
    { topic: 't', partition: 0, low: 0, high: 20 },
    { topic: 't', partition: 1, low: 0, high: 30 },
    { topic: 't', partition: 2, low: 0, high: 40 },
  ]
  const positions = new PartitionPositions(watermarks, ledger, 'latest', new Map([[partitionKey('t', 1), 25]]))
  positions.startAll([])
  assert.deepEqual(
    positions.starts().map((p) => p.start),
    [10, 25, 40],
  )
  assert.deepEqual(positions.untakenStarts(), [
    { topic: 't', partition: 1, offset: 25 },
    { topic: 't', partition: 2, offset: 40 },
  ])
  positions.taking(partitionKey('t', 1))
  assert.deepEqual(
    positions.untakenStarts().map((p) => p.partition),
    [2],
  )
  // Every join seeks each assigned partition to its position; caught up counts only what this job holds.
  assert.deepEqual(positions.join({ t: [0, 2] }), [
    { topic: 't', partition: 0, offset: 10 },
    { topic: 't', partition: 2, offset: 40 },
  ])
  assert.equal(positions.caughtUp(), false)
  positions.takenUpTo(partitionKey('t', 0), 20)
  assert.equal(positions.caughtUp(), true)
  // A fetch of transaction markers only moves the partition on.
  assert.equal(positions.skippedTo(partitionKey('t', 2), 44), true)
  assert.equal(positions.nextOf(partitionKey('t', 2)), 45)
  assert.equal(positions.skippedTo(partitionKey('t', 2), 10), false)
})

test('an accepted gap restarts the partition at its log start, and a reset lowers its end', () => {
  const positions = new PartitionPositions(
    [{ topic: 't', partition: 0, low: 0, high: 100 }],
    new OffsetLedger('s', recording('s', [['t', 0, 99]]), undefined),
    'earliest',
    new Map(),
  )
  const gap = offsetGap('t', 0, 99, 0, 5)!
  positions.startAll([gap])
  assert.equal(positions.nextOf(partitionKey('t', 0)), 0)
  assert.equal(positions.acceptGap(partitionKey('t', 0), gap), 0)
  positions.takenUpTo(partitionKey('t', 0), 5)
  assert.equal(positions.caughtUp(), true)
})

test('the open batch closes at its size, writes batches in order one at a time, and holds the caller while the write before is running', async () => {
  const written: string[][] = []
  let release!: () => void
  const firstWriteHeld = new Promise<void>((resolve) => {
    release = resolve
  })
  const batch = new OpenBatch(
    { maxMessages: 2, maxBytes: 1_000, maxMs: 60_000 },
    {
      async write(messages) {
        if (written.length === 0) await firstWriteHeld
        written.push(messages.map((m) => m.offset))
      },
      mayWrite: () => true,
      failed: (error) => {
        throw error
      },
    },
  )
  assert.equal(batch.add(message('t', 0, 0)), undefined)
  const first = batch.add(message('t', 0, 1))
  assert.ok(first, 'the second message closes a batch of two')
  await first // nothing was being written before it
  batch.add(message('t', 0, 2))
  let secondBegun = false
  const second = batch.add(message('t', 0, 3))!.then(() => {
    secondBegun = true
  })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(secondBegun, false, 'the caller waits while the first batch is being written')
  release()
  await second
  await batch.written
  assert.deepEqual(written, [
    ['0', '1'],
    ['2', '3'],
  ])
})

test('after a failed write nothing more is written, and the failure is reported once', async () => {
  const failures: unknown[] = []
  const attempted: string[] = []
  let failed = false
  const batch = new OpenBatch(
    { maxMessages: 1, maxBytes: 1_000, maxMs: 60_000 },
    {
      async write(messages) {
        attempted.push(messages[0].offset)
        if (messages[0].offset === '0') throw new Error('disk full')
      },
      mayWrite: () => !failed,
      failed: (error) => {
        failed = true
        failures.push(error)
      },
    },
  )
  await batch.add(message('t', 0, 0))
  await batch.add(message('t', 0, 1))
  await batch.written
  assert.deepEqual(
    failures.map((e) => (e as Error).message),
    ['disk full'],
  )
  assert.deepEqual(attempted, ['0'])
})

test('lag is what the group has still to read, all that is retained when it never committed; the group id is defined once', () => {
  assert.equal(partitionLag(-1, 10, 50), 40)
  assert.equal(partitionLag(45, 10, 50), 5)
  assert.equal(partitionLag(60, 10, 50), 0)
  assert.equal(sourceGroupId({ brokers: ['b:1'] }, 'orders'), 'lakehouse-orders')
  assert.equal(sourceGroupId({ brokers: ['b:1'], consumer: { groupId: 'shared' } }, 'orders'), 'shared')
  assert.equal(sourceGroupId(undefined, 'orders'), 'lakehouse-orders')
})
