/**
 * The shape fast path (decode/shape.ts, raw-batch.ts) changes nothing: the same messages written
 * through it and through full inference and per-message decisions give identical raw and
 * dead-letter tables (values, types, reasons), batch results and offsets.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { createDecoder, type Decoded } from '../../src/decode'
import { LakeEngine } from '../../src/engine'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { compactRow, type IngestMessage } from '../../src/pipeline/ingest-message'
import { writeRawBatch, type RawBatchResult } from '../../src/pipeline/raw-batch'
import { rowsDecidedByShapeSoFar } from '../../src/pipeline/shape-decisions'
import { LakeCatalog, runQuery } from '../../src/query'
import { shapeOf } from '../../src/decode/shape'

const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-raw-shapes-'))
const lake = new LakeEngine()
after(async () => {
  await lake.close()
  rmSync(dir, { recursive: true, force: true })
})

const base = (id: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, name: `n${String(id)}`, at: '2024-01-01T00:00:00.123Z', nested: { x: 1, tags: ['a', 'b'] }, ...extra })

/** Values in arrival order: every edge case the fast path must treat exactly as the slow one. */
const VALUES: (string | Buffer | null)[] = [
  base(1),
  base(2),
  base(3),
  base(4),
  // Integers beyond 2^53 keep their digits (no shape: full inference).
  '{"id":9007199254740993,"name":"big","at":"2024-01-01T00:00:00.123Z","nested":{"x":1,"tags":["a"]}}',
  // A fraction after integers: a type conflict, every time.
  base(5.5),
  base(6.5),
  // Timestamp-like text: normalised forms pass as they are, others are normalised by inference.
  base(7, { at: '2024-01-01T02:00:00+02:00' }),
  base(8, { at: '2024-01-01T00:00:00.000Z' }),
  base(9, { at: '2024-01-01T00:00:00.123456Z' }),
  base(10, { at: '2024-02-30T00:00:00Z' }),
  base(11, { name: '2024-01-01T00:00:00.123Z' }),
  // A new field mid-batch, then the same shape again.
  base(12, { extra: true }),
  base(13, { extra: false }),
  base(14),
  // Nulls first, then values, then nulls again; empty arrays and objects.
  base(15, { late: null }),
  base(16, { late: null, empties: [], obj: {} }),
  base(17, { late: 'now typed' }),
  base(18, { late: null }),
  base(19, { nested: { x: null, tags: [] } }),
  base(20, { nested: { x: 2, tags: ['c', null] } }),
  // Arrays: uniform, mixed numbers, of structs that grow.
  base(21, { list: [1, 2, 3] }),
  base(22, { list: [4] }),
  base(23, { list: [1, 2.5] }),
  base(24, { recs: [{ a: 1 }, { a: 2, b: 'x' }] }),
  base(25, { recs: [{ a: 3 }, { a: 4, b: 'y' }] }),
  // Non-UTF-8, invalid JSON, lone surrogates, not an object, a tombstone.
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
  '{not json',
  '{"id":26,"s":"\\ud800"}',
  '[1,2]',
  null,
  // Keys the coordinates would overwrite, duplicate keys, case clashes, integer-like keys, __proto__.
  base(27, { _topic: 'mine' }),
  base(28, { _topic: 'mine' }),
  '{"id":29,"id":30,"name":"dup","at":"2024-01-01T00:00:00.123Z","nested":{"x":1,"tags":["a"]}}',
  '{"id":31,"ID":32}',
  base(33, { 1: 'one', 0: 'zero' }),
  base(34, { 1: 'one', 0: 'zero' }),
  '{"id":35,"__proto__":{"p":1}}',
  '{"id":36,"__proto__":{"p":2}}',
  // Non-finite and negative zero, escapes and non-ASCII text, an empty object.
  base(37, { f: 1e300 }),
  '{"id":38,"f":1e400}',
  '{"id":-0,"f":-0.0}',
  base(39, { text: 'tab\t nul\u0000 é 😀 "quoted"' }),
  '{}',
  '{}',
  base(40),
  base(41),
  base(42, { extra: true, late: 'x', list: [7, 8] }),
  base(43, { extra: true, late: 'y', list: [9] }),
  base(44),
  // The last shape spelled other ways: a byte-order mark, whitespace, an escape, numbers JavaScript would print otherwise.
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base(45))]),
  JSON.stringify(JSON.parse(base(46)), null, 1),
  base(47).replace('"n47"', '"\\u006e47"'),
  base(48).replace('"id":48', '"id":4.8e1'),
  base(49).replace('"x":1', '"x":1.0'),
  base(50),
]

const source = (name: string): SourceSpec => ({ name, topic: 'events', format: 'json', table: `raw.${name}` })

/** The messages as the Kafka ingest builds them (compactRow), or as full inference alone gives them. */
async function messagesFor(fast: boolean): Promise<IngestMessage[]> {
  const shared = createDecoder('json')
  const out: IngestMessage[] = []
  for (const [i, value] of VALUES.entries()) {
    const bytes = value === null ? null : typeof value === 'string' ? Buffer.from(value) : value
    const input = {
      key: Buffer.from(`k${i}`),
      value: bytes,
      headers: {},
      topic: 'events',
      partition: i % 2,
      offset: String(Math.floor(i / 2)),
      timestamp: String(1_700_000_000_000 + i),
    }
    let decoded: Decoded
    if (fast) decoded = compactRow(await shared.decode(input))
    else {
      // A fresh decoder per message infers every row; without a shape, every row is decided alone.
      decoded = await createDecoder('json').decode(input)
      if (decoded.kind === 'row') decoded = { kind: 'row', row: decoded.row, schema: decoded.schema, rescued: decoded.rescued }
    }
    out.push({ ...input, headers: i % 3 === 0 ? { h: 'x' } : i % 3 === 1 ? {} : { h: null }, decoded })
  }
  return out
}

async function ingest(name: string, fast: boolean, batchSize: number) {
  const catalog = new LakeCatalog(path.join(dir, name), lake.io.storage)
  const messages = await messagesFor(fast)
  const results: RawBatchResult[] = []
  for (let from = 0; from < messages.length; from += batchSize) {
    results.push(await writeRawBatch(lake, catalog, source('events'), messages.slice(from, from + batchSize)))
  }
  const raw = await lake.snapshot(catalog.pathOf('raw.events'))
  const dead = await lake.snapshot(catalog.pathOf('raw._dead_letters'))
  // Rows as [column, value] lists: a column named __proto__ would otherwise set the row object's prototype.
  const entries = (rows: Record<string, unknown>[]) => rows.map((r) => [...Object.entries(r), ['(prototype)', Object.getPrototypeOf(r)]])
  const rows = (await runQuery(lake, catalog, 'SELECT * FROM raw.events ORDER BY _offset, _partition')).rows
  const rowsAsJson = (await runQuery(lake, catalog, 'SELECT to_json(t)::VARCHAR AS j FROM raw.events t ORDER BY _offset, _partition')).rows.map((r) => r.j)
  const deadRows = (await runQuery(lake, catalog, 'SELECT * EXCLUDE (failed_at) FROM raw._dead_letters ORDER BY _offset, _partition')).rows
  return {
    results,
    schema: raw.schema,
    deadSchema: dead.schema,
    txns: [...raw.txns.values()].map((t) => [t.appId, t.version]).sort(),
    rows,
    rowEntries: entries(rows),
    rowsAsJson,
    deadRows,
  }
}

test('the edge cases have shapes where they should', () => {
  assert.equal(shapeOf(JSON.parse(base(1))), shapeOf(JSON.parse(base(2))))
  assert.equal(shapeOf({ l: [1, 2, 3] }), shapeOf({ l: [4] }), 'repeated element shapes are written once')
  assert.notEqual(shapeOf({ l: [1, 2.5] }), shapeOf({ l: [1] }))
  assert.notEqual(shapeOf({ a: 1 }), shapeOf({ a: 1.5 }))
  assert.notEqual(shapeOf({ a: null }), shapeOf({ a: 's' }))
  assert.notEqual(shapeOf({ a: '2024-01-01T00:00:00.123Z' }), shapeOf({ a: 'x' }))
  assert.notEqual(shapeOf({ 'a1:b': 1 }), shapeOf({ a: 1, b: 1 }))
  for (const unchanged of ['2024-01-01T02:00:00+02:00', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.123000Z'])
    assert.equal(shapeOf({ at: unchanged }), undefined, unchanged)
  assert.equal(shapeOf({ at: '2024-02-30T00:00:00Z' }), '{2:ats}', 'an impossible date is a string')
  assert.equal(shapeOf({ f: Infinity }), undefined)
})

for (const batchSize of [7, 100]) {
  test(`fast and slow paths give identical raw and dead-letter tables (batches of ${batchSize})`, async () => {
    const before = rowsDecidedByShapeSoFar()
    const fast = await ingest(`fast-${batchSize}`, true, batchSize)
    const byShape = rowsDecidedByShapeSoFar() - before
    const slow = await ingest(`slow-${batchSize}`, false, batchSize)
    assert.equal(rowsDecidedByShapeSoFar() - before, byShape, 'the slow path never takes a shape decision')
    assert.ok(byShape >= 5, `the fast path decided ${byShape} rows by their shape`)
    assert.deepEqual(fast.results, slow.results)
    assert.deepEqual(fast.schema, slow.schema)
    assert.deepEqual(fast.deadSchema, slow.deadSchema)
    assert.deepEqual(fast.txns, slow.txns)
    assert.deepEqual(fast.rowEntries, slow.rowEntries)
    assert.deepEqual(fast.rowsAsJson, slow.rowsAsJson)
    assert.deepEqual(fast.deadRows, slow.deadRows)
    // The cases above did what they say, in both.
    const reasons = fast.deadRows.map((r) => r.reason)
    for (const reason of ['invalid-utf8', 'invalid-json', 'invalid-unicode', 'not-an-object']) assert.ok(reasons.includes(reason), reason)
    // Values that do not fit their column are rescued, not dead letters: every readable message is a row.
    assert.ok(!reasons.includes('type-conflict'))
    const rescued = fast.rows.filter((r) => r._rescued_data !== null).map((r) => [String(r.id), JSON.parse(String(r._rescued_data))])
    assert.ok(
      rescued.some(([, r]) => r.at === '2024-02-30T00:00:00Z'),
      'an impossible date in a timestamp column is kept',
    )
    assert.ok(
      rescued.some(([id, r]) => id === '31' && r.ID === 32),
      'a name that differs only in case from one before it is kept',
    )
    assert.ok(
      rescued.some(([, r]) => r._topic === 'mine'),
      'a value under a name the job writes is kept',
    )
    // In a batch that also has fractional ids the column is double, which would round it: rescued with every digit.
    assert.ok(
      rescued.some(([, r]) => r.id === '9007199254740993'),
      'the big integer kept its digits',
    )
    assert.equal(fast.rows.filter((r) => r._tombstone === true).length, 1)
  })
}
