/** Small helpers shared by the benchmarks: timing, statistics, temp dirs, progress on stderr. */
import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { DuckDb } from '../src/engine/duckdb'

/** Progress goes to stderr: stdout carries only the final JSON document. */
export function log(...parts: unknown[]): void {
  process.stderr.write(`[bench ${(performance.now() / 1000).toFixed(1)}s] ${parts.map(String).join(' ')}\n`)
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** Wall time of one call, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await fn()
  return { ms: performance.now() - start, value }
}

/**
 * Time several functions interleaved (a, b, a, b, …) so drift (GC, page cache, CPU frequency)
 * hits them alike; `warmup` untimed rounds first. Returns every sample of each, in ms.
 */
export async function interleaved(fns: Record<string, () => Promise<unknown>>, runs: number, warmup: number): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]))
  for (let round = 0; round < warmup + runs; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      const { ms } = await timed(fn)
      if (round >= warmup) samples[name].push(ms)
    }
  }
  return samples
}

/** A fresh directory under os.tmpdir(); remember it so `removeTempDirs` can delete it. */
const created: string[] = []
export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `lakehouse-bench-${prefix}-`))
  created.push(dir)
  return dir
}

export async function removeTempDirs(): Promise<void> {
  while (created.length) await fs.rm(created.pop()!, { recursive: true, force: true })
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++])
    }),
  )
}

/**
 * Rows `start..end` of the benchmarks' synthetic data: a bigint key, an e-mail-like string, a
 * double, a UTC timestamp and a low-cardinality region, plus `extra` columns (SQL over `i`).
 */
export function syntheticRowsSql(start: number, end: number, extra: string[] = []): string {
  return `SELECT
    i::BIGINT AS id,
    'user-' || lpad(CAST(hash(i) % 100000 AS VARCHAR), 5, '0') || '@example.com' AS name,
    round((hash(i * 31) % 1000000) / 1000.0, 3)::DOUBLE AS amount,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_milliseconds(i * 37) AS ts,
    ['eu', 'us', 'apac', 'latam', 'mea', 'cn', 'jp', 'in'][(i % 8)::INTEGER + 1] AS region${extra
      .map(
        (e) => `,
    ${e}`,
      )
      .join('')}
  FROM range(${start}, ${end}) t(i)`
}

/** `statement` (a DuckDb method that takes SQL), timed: each call's SQL and milliseconds go to `record`. */
export function timedStatement<T>(statement: (this: DuckDb, sql: string) => Promise<T>, record: (sql: string, ms: number) => void) {
  return async function (this: DuckDb, sql: string): Promise<T> {
    const start = performance.now()
    try {
      return await statement.call(this, sql)
    } finally {
      record(sql, performance.now() - start)
    }
  }
}

/** Adds up DuckDb.rows time per statement kind (the first word: COPY, DESCRIBE, SELECT, …). */
export function instrument(db: DuckDb): { totals: Record<string, number>; restore: () => void } {
  const totals: Record<string, number> = {}
  const original = db.rows
  db.rows = timedStatement(original, (sql, ms) => {
    const kind = /^\s*(\w+)/.exec(sql)?.[1].toUpperCase() ?? '?'
    totals[kind] = (totals[kind] ?? 0) + ms
  })
  return {
    totals,
    restore: () => {
      db.rows = original
    },
  }
}
