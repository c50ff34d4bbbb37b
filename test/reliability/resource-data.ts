/**
 * What the resource scenarios (resource-child.ts, resource-scenarios.ts) share: the child's
 * configuration and output, and the generated data — Kafka values of ~500 B and the rows of the
 * query table — with the values every row and aggregate must have, in closed form.
 */

export type ChildConfig =
  | { mode: 'baseline' }
  | {
      mode: 'ingest'
      lakeDir: string
      brokers: string[]
      topic: string
      table: string
      maxWaitTimeInMs: number
      sessionTimeout: number
      heartbeatInterval: number
      maxMessages?: number
    }
  | { mode: 'make-table'; lakeDir: string; table: string; rows: number; commits: number }
  | { mode: 'query'; lakeDir: string; table: string; pageSize: number }

export interface ChildMemory {
  /** The larger of the two below. */
  peakRssMiB: number
  /** process.memoryUsage().rss sampled every 20 ms, and the kernel's high-water mark (VmHWM). */
  sampledPeakMiB: number
  vmHwmMiB: number | null
  /** RSS once the engine's modules are loaded and DuckDB is open. */
  loadedRssMiB: number
  samples: number
  /**
   * The V8 side of the sampled peak: the JS heap, and memory outside it that V8 knows of (Buffers).
   * The rest of the RSS is native: DuckDB, Node itself, code.
   */
  atSampledPeak: { heapUsedMiB: number; heapTotalMiB: number; externalMiB: number; arrayBuffersMiB: number }
}

export interface ChildOutput {
  mode: ChildConfig['mode']
  memory: ChildMemory
  /** Process start (of the script) → output. */
  ms: number
  result: Record<string, unknown>
}

// ---- the query table ----------------------------------------------------------------------------

const REGIONS = ['eu', 'us', 'apac', 'latam']

/** Rows `start..end-1` of the query table: every value follows from the id (see expectedRow). */
export function tableRowsSql(start: number, end: number): string {
  return `SELECT i::BIGINT AS id, 'user-' || i::VARCHAR || '@example.com' AS name, ((i % 1000) / 4)::DOUBLE AS amount,
      TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS ts, ['${REGIONS.join("', '")}'][(i % 4)::INTEGER + 1] AS region
    FROM range(${start}, ${end}) t(i)`
}

/** A timestamp as the query layer's JSON values write one: ISO 8601, no fraction when it is zero. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

/** The row with this id, as QuerySession pages give it (JSON values). */
export function expectedRow(id: number): Record<string, unknown> {
  return {
    id,
    name: `user-${id}@example.com`,
    amount: (id % 1000) / 4,
    ts: isoSeconds(Date.UTC(2024, 0, 1) + id * 1000),
    region: REGIONS[id % 4],
  }
}

/** The aggregate the query scenario runs (`from`: a table name or a read_parquet call). */
export const aggregateSql = (from: string) => `SELECT count(*) AS n, sum(id) AS sum_id, sum(amount) AS sum_amount,
  count(DISTINCT name) AS names, max(ts) AS max_ts, count(DISTINCT region) AS regions FROM ${from}`

/** Its answer for ids 0..rows-1, in closed form (`rows` a multiple of 1000). */
export function expectedAggregate(rows: number): Record<string, unknown> {
  return {
    n: rows,
    sum_id: (rows * (rows - 1)) / 2,
    sum_amount: (rows / 1000) * ((999 * 1000) / 2 / 4),
    names: rows,
    max_ts: isoSeconds(Date.UTC(2024, 0, 1) + (rows - 1) * 1000),
    regions: REGIONS.length,
  }
}
