/**
 * LakeEngine: one object per process that owns the storage, the checkpoint reader and the
 * (lazily opened) DuckDB database, and offers the operations the upper layers use.
 */
import { planChangeFeed, type ChangeFeedRange } from '../delta/change-feed'
import type { Engine } from '../delta/engine'
import { planScan } from '../delta/scan'
import { loadSnapshot, type Snapshot, type SnapshotOptions } from '../delta/snapshot'
import { registerScan, type RegisteredScan } from './delta-scan'
import { registerChangeFeed } from './change-feed-read'
import { DuckDbCheckpointWriter } from './checkpoint-writer'
import { DuckDb } from './duckdb'
import { LocalStorage } from './local-storage'
import { HyparquetActionReader } from './parquet-actions'

/** Read-only I/O for tables on the local disk: no DuckDB needed. */
export function localEngine(): Engine {
  return { storage: new LocalStorage(), parquet: new HyparquetActionReader() }
}

export class LakeEngine {
  readonly io: Engine
  private database?: Promise<DuckDb>

  constructor(io?: Engine) {
    this.io = io ?? { ...localEngine(), checkpointWriter: new DuckDbCheckpointWriter(() => this.duckdb()) }
  }

  duckdb(): Promise<DuckDb> {
    this.database ??= DuckDb.open()
    return this.database
  }

  snapshot(table: string, options: SnapshotOptions = {}): Promise<Snapshot> {
    return loadSnapshot(this.io, table, options)
  }

  /** Register a snapshot's rows in DuckDB; returns the SQL that selects them. */
  async scan(table: string | Snapshot, options: SnapshotOptions = {}): Promise<RegisteredScan> {
    const snapshot = typeof table === 'string' ? await this.snapshot(table, options) : table
    return registerScan(await this.duckdb(), this.io.storage, planScan(snapshot))
  }

  /** Register a change feed (table_changes) in DuckDB; returns the SQL that selects its rows. */
  async changes(table: string, range: ChangeFeedRange): Promise<RegisteredScan> {
    const plan = await planChangeFeed(this.io, table, range)
    return registerChangeFeed(await this.duckdb(), this.io.storage, plan)
  }

  async close(): Promise<void> {
    if (this.database) (await this.database).close()
    this.database = undefined
  }
}
