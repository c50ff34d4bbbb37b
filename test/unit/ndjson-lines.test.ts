/**
 * NdjsonLines, the raw batch's staged file: the bytes on disk are the lines joined by newlines,
 * whatever the lines' sizes against its 4 MiB chunks, and its count and longest line are right.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { test } from 'node:test'
import { NdjsonLines } from '../../src/engine/ndjson-lines'

test('lines from text and from JSON bytes with members appended, across chunk boundaries and larger than a chunk', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lakehouse-ndjson-'))
  try {
    const lines = new NdjsonLines()
    const expected: string[] = []
    for (let i = 0; i < 30_000; i++) {
      // Multi-byte text too: bytes, not UTF-16 units, fill the chunks.
      const value = JSON.stringify({ id: i, s: i % 7 === 0 ? 'é😀'.repeat(40) : 'x'.repeat(i % 300) })
      const members = `"_offset":"${i}","_key":${i % 5 === 0 ? '"ключ"' : 'null'}`
      if (i % 2) {
        lines.addWithMembers(Buffer.from(value), members)
        expected.push(`${value.slice(0, -1)},${members}}`)
      } else {
        lines.add(value)
        expected.push(value)
      }
      if (i === 15_000) {
        const large = JSON.stringify({ big: 'y'.repeat(5 * 2 ** 20) })
        lines.add(large)
        expected.push(large)
        lines.addWithMembers(Buffer.from(large), '"a":1')
        expected.push(`${large.slice(0, -1)},"a":1}`)
      }
    }
    lines.addWithMembers(Buffer.from('{}'), '"only":true')
    expected.push('{"only":true}')
    const file = path.join(dir, 'batch.ndjson')
    await lines.writeTo(file)
    const written = await readFile(file, 'utf8')
    assert.equal(written, expected.join('\n') + '\n')
    assert.equal(lines.count, expected.length)
    assert.equal(lines.longestBytes, Math.max(...expected.map((line) => Buffer.byteLength(line))))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
