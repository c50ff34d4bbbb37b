/**
 * LakeEngine: one object per process that owns the storage, the checkpoint reader and the
 * (lazily opened) DuckDB database, and offers the operations the upper layers use.
 */
import {
  type ChangeFeedRange,
  commitFileName,
  DEFAULT_TABLE_PROPERTIES,
  type Engine,
  loadSnapshot,
  planChangeFeed,
  planScan,
  type Snapshot,
  type SnapshotOptions,
} from '../delta'
import { registerScan, type RegisteredScan } from './delta-scan'
import { registerChangeFeed } from './change-feed-read'
import { DuckDbCheckpointWriter } from './checkpoint-writer'
import { DuckDb, type DuckDbOptions } from './duckdb'
import { LocalStorage } from './local-storage'
import { HyparquetActionReader } from './parquet-actions'

/** Read-only I/O for tables on the local disk: no DuckDB needed. */
export function localEngine(): Engine {
  return { storage: new LocalStorage(), parquet: new HyparquetActionReader() }
}

export class LakeEngine {
  readonly io: Engine
  private database?: Promise<DuckDb>
  private readonly latest = new Map<string, { snapshot: Snapshot; commitTime: number }>()
  /**
   * Properties every table this engine creates gets unless its own say otherwise (Spark's
   * `spark.databricks.delta.properties.defaults.*`): deletion vectors on, as on Databricks.
   */
  newTableProperties: Record<string, string> = { ...DEFAULT_TABLE_PROPERTIES }

  constructor(
    io?: Engine,
    private readonly options: DuckDbOptions = {},
  ) {
    this.io = io ?? { ...localEngine(), checkpointWriter: new DuckDbCheckpointWriter(() => this.duckdb()) }
  }

  duckdb(): Promise<DuckDb> {
    this.database ??= DuckDb.open(this.options)
    return this.database
  }

  /**
   * A table's snapshot. The latest one is kept per table and reused while the log shows no newer
   * commit (two stats instead of a replay: the query layer loads snapshots on every query).
   */
  async snapshot(table: string, options: SnapshotOptions = {}): Promise<Snapshot> {
    if (options.version !== undefined || options.timestamp !== undefined) return loadSnapshot(this.io, table, options)
    const { storage } = this.io
    const log = storage.join(table, '_delta_log')
    const cached = this.latest.get(table)
    if (cached) {
      const [next, current] = await Promise.all([
        storage.stat(storage.join(log, commitFileName(cached.snapshot.version + 1))),
        storage.stat(storage.join(log, commitFileName(cached.snapshot.version))),
      ])
      if (!next && current?.modificationTime === cached.commitTime) return cached.snapshot
    }
    const snapshot = await loadSnapshot(this.io, table)
    const commitTime = (await storage.stat(storage.join(log, commitFileName(snapshot.version))))?.modificationTime
    this.latest.delete(table)
    if (commitTime !== undefined) this.latest.set(table, { snapshot, commitTime })
    if (this.latest.size > 64) this.latest.delete(this.latest.keys().next().value!)
    return snapshot
  }

  /** Register a snapshot's rows in DuckDB; returns the SQL that selects them. */
  async scan(table: string | Snapshot, options: SnapshotOptions = {}): Promise<RegisteredScan> {
    const snapshot = typeof table === 'string' ? await this.snapshot(table, options) : table
    return registerScan(await this.duckdb(), this.io.storage, planScan(snapshot))
  }

  /** Register a change feed (table_changes) in DuckDB; returns the SQL that selects its rows. */
  async changes(table: string, range: ChangeFeedRange): Promise<RegisteredScan> {
    // The latest snapshot as kept between calls: a feed read after each write need not replay the log.
    const plan = await planChangeFeed(this.io, table, range, await this.snapshot(table))
    return registerChangeFeed(await this.duckdb(), this.io.storage, plan)
  }

  async close(): Promise<void> {
    if (this.database) (await this.database).close()
    this.database = undefined
  }
}
