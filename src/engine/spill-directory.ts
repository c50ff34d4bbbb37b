/**
 * Where DuckDB writes what does not fit under its memory limit (large query results, sorts, joins).
 * Left to itself an in-memory DuckDB uses `.tmp` under the process's working directory, which
 * in the extension host is VS Code's own folder. Each database gets a directory of its own in
 * the system's temp folder, named after the process, so that one left by a killed process can be
 * told from a live one's (its process is gone) and removed by the next database opened.
 */
import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const PREFIX = 'lakehouse-duckdb-'
let swept = false

export async function spillDirectory(): Promise<string> {
  if (!swept) {
    swept = true
    for (const name of await fs.readdir(os.tmpdir()).catch(() => [] as string[])) {
      if (!name.startsWith(PREFIX)) continue
      const pid = Number(name.slice(PREFIX.length).split('-')[0])
      if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid))
        await fs.rm(path.join(os.tmpdir(), name), { recursive: true, force: true }).catch(() => {})
    }
  }
  return path.join(os.tmpdir(), `${PREFIX}${process.pid}-${randomUUID()}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // alive, someone else's
  }
}
