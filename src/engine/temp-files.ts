/**
 * Files the engine stages in the system's temp folder (a batch as NDJSON, a checkpoint's actions)
 * are removed when their write ends; a process killed mid-write leaves its file behind. Each
 * kind of file has a prefix, and the first file of that kind a process stages removes the ones
 * older than an hour (a live writer's are seconds old).
 */
import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const STALE_AFTER_MS = 3_600_000
const swept = new Set<string>()

/** A fresh path `<tmp>/<prefix><uuid><extension>`, after sweeping stale files of that prefix once per process. */
export async function stagingFile(prefix: string, extension: string): Promise<string> {
  if (!swept.has(prefix)) {
    swept.add(prefix)
    const cutoff = Date.now() - STALE_AFTER_MS
    for (const name of await fs.readdir(os.tmpdir()).catch(() => [] as string[])) {
      if (!name.startsWith(prefix) || !name.endsWith(extension)) continue
      const file = path.join(os.tmpdir(), name)
      const info = await fs.stat(file).catch(() => undefined)
      if (info && info.mtimeMs < cutoff) await fs.rm(file, { force: true })
    }
  }
  return path.join(os.tmpdir(), `${prefix}${randomUUID()}${extension}`)
}

/**
 * read_json's `maximum_object_size` for a staged NDJSON file of these lines. DuckDB allocates its
 * read buffers at about twice this size whether or not the lines need it, which under the
 * database's memory limit (duckdb.ts) fails outright when it is set generously: so the longest
 * line (at most 3 UTF-8 bytes per UTF-16 unit), and never under DuckDB's default of 16 MiB.
 */
export function maximumObjectSize(lines: readonly string[]): number {
  let longest = 0
  for (const line of lines) if (line.length > longest) longest = line.length
  return objectSizeLimit(longest * 3)
}

/** maximumObjectSize for lines whose longest is `longestLineBytes` bytes of UTF-8. */
export function objectSizeLimit(longestLineBytes: number): number {
  return Math.max(16 * 2 ** 20, longestLineBytes + 1)
}
