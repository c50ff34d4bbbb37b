/**
 * NDJSON lines for DuckDB's read_json, collected as UTF-8 bytes in large chunks. A raw batch of
 * 50k messages is about 35 MB of lines: as strings, they would be joined into one more string of
 * that size and then encoded into a buffer of that size again. Here each line is written once,
 * and a line that is a message's own JSON bytes with members added is a copy of those bytes.
 */
import { promises as fs } from 'node:fs'
import { DeltaError } from '../delta'

const CHUNK_BYTES = 4 * 2 ** 20
const NEWLINE = 0x0a
const COMMA = 0x2c
const CLOSE_BRACE = 0x7d

export class NdjsonLines {
  readonly #chunks: Buffer[] = []
  #chunk = Buffer.allocUnsafe(0)
  #used = 0
  /** Lines so far. */
  count = 0
  /** The longest line's bytes (read_json's maximum_object_size). */
  longestBytes = 0

  /** A line from its text (one JSON value, no newline). */
  add(line: string): void {
    const start = this.#reserve(line.length * 3 + 1)
    this.#used += this.#chunk.write(line, this.#used, 'utf8')
    this.#end(start)
  }

  /**
   * The line `{…, <members>}` from a JSON object's UTF-8 bytes `{…}` and the text of more members
   * (`"a":1,"b":2`, without braces): the object's own bytes, then the members.
   */
  addWithMembers(object: Uint8Array, members: string): void {
    const start = this.#reserve(object.length + 2 + members.length * 3)
    const empty = object.length === 2
    // All of it, then its closing brace overwritten: no view object per line.
    this.#chunk.set(object, this.#used)
    this.#used += object.length - 1
    if (!empty) this.#chunk[this.#used++] = COMMA
    this.#used += this.#chunk.write(members, this.#used, 'utf8')
    this.#chunk[this.#used++] = CLOSE_BRACE
    this.#end(start)
  }

  /**
   * Writes the lines to a file (truncating it) in one system call. fs.writeFile would write 512 KiB
   * at a time, each piece waiting for its turn on a main thread that is busy decoding the next
   * batch: tens of turns for one batch, hundreds of milliseconds in all.
   */
  async writeTo(file: string): Promise<void> {
    const handle = await fs.open(file, 'w')
    try {
      const buffers = this.#buffers()
      const total = buffers.reduce((sum, b) => sum + b.length, 0)
      let written = 0
      // writev may write less than asked: go on from where it stopped (a full disk throws ENOSPC).
      while (written < total) {
        const { bytesWritten } = await handle.writev(remaining(buffers, written))
        if (bytesWritten === 0) throw new DeltaError('STORAGE_FAILED', `writing ${file}: no progress after ${written} of ${total} bytes`)
        written += bytesWritten
      }
    } finally {
      await handle.close()
    }
  }

  #buffers(): Buffer[] {
    return this.#used > 0 ? [...this.#chunks, this.#chunk.subarray(0, this.#used)] : [...this.#chunks]
  }

  /** Room for a line of at most `bytes` bytes and its newline; returns where the line starts. */
  #reserve(bytes: number): number {
    if (this.#chunk.length - this.#used < bytes + 1) {
      if (this.#used > 0) this.#chunks.push(this.#chunk.subarray(0, this.#used))
      this.#chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes + 1))
      this.#used = 0
    }
    return this.#used
  }

  #end(start: number): void {
    const bytes = this.#used - start
    if (bytes > this.longestBytes) this.longestBytes = bytes
    this.#chunk[this.#used++] = NEWLINE
    this.count++
  }
}

/** The buffers' bytes from `offset` on. */
function remaining(buffers: Buffer[], offset: number): Buffer[] {
  if (offset === 0) return buffers
  const out: Buffer[] = []
  for (const buffer of buffers) {
    if (offset >= buffer.length) {
      offset -= buffer.length
      continue
    }
    out.push(offset > 0 ? buffer.subarray(offset) : buffer)
    offset = 0
  }
  return out
}
