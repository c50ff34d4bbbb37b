/**
 * One of the racing writers of test/integration/writer-race.test.ts, run as its own OS process:
 *
 *   node --import tsx test/helpers/race-writer.ts <table> <label> <n>
 *
 * It opens its engine (DuckDB loaded), prints `{"ready":true}`, waits for a line on stdin (so
 * both writers start together), then appends n small batches to <table>, each a separate commit,
 * and prints one JSON line per commit: label, batch, version, attempts and the add paths it wrote.
 * Rows are (label, batch, row) for row 0..2, so the parent can check each exactly once.
 */
import { createInterface } from 'node:readline'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'

export const ROWS_PER_BATCH = 3

export interface RaceCommit {
  label: string
  batch: number
  version: number
  attempts: number
  paths: string[]
  checkpointed: boolean
  checkpointError?: string
}

async function main(): Promise<void> {
  const [table, label, count] = process.argv.slice(2)
  const n = Number(count)
  if (!table || !label || !Number.isInteger(n) || n < 1) {
    throw new Error('usage: race-writer.ts <table> <label> <n>')
  }
  const lake = new LakeEngine()
  try {
    // Warm up everything an append needs (the native module, the first query) before the start line.
    const db = await lake.duckdb()
    await db.rows('SELECT 1')
    await lake.snapshot(table)
    process.stdout.write(JSON.stringify({ ready: true }) + '\n')
    await waitForStartLine()
    for (let batch = 0; batch < n; batch++) {
      const result = await appendQuery(
        lake,
        table,
        `SELECT '${label.replaceAll("'", "''")}' AS label, ${batch}::BIGINT AS batch, r::BIGINT AS row FROM range(${ROWS_PER_BATCH}) t(r)`,
      )
      const line: RaceCommit = {
        label,
        batch,
        version: result.version,
        attempts: result.attempts,
        paths: result.files.map((f) => f.path),
        checkpointed: result.checkpointed,
        ...(result.checkpointError ? { checkpointError: result.checkpointError } : {}),
      }
      process.stdout.write(JSON.stringify(line) + '\n')
    }
  } finally {
    await lake.close()
  }
}

function waitForStartLine(): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin })
    lines.once('line', () => {
      lines.close()
      resolve()
    })
    lines.once('close', () => resolve())
    process.stdin.once('error', reject)
  })
}

// Run only as a script, not when the test imports the types and constants.
if (process.argv[1] && /race-writer\.ts$/.test(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`)
      process.exit(1)
    },
  )
}
