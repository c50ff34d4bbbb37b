/**
 * What survives from one query to the next on an engine's database, and the lock that makes that
 * safe. A query's table names (`raw.orders`) are DuckDB views of one snapshot's files; two queries
 * preparing at once would replace each other's views, so preparing, running and releasing a query
 * holds the database's view lock. Under it, work that depends only on immutable inputs is kept:
 * - the parse of a SQL text (DuckDB's `json_serialize_sql` of the same text is the same);
 * - the files a filter leaves of one snapshot (a table's version and commit time fix its files);
 * - the views themselves (or, for references replaced by a subquery, the scan alone), while the
 *   next query wants the same files of the same table.
 */
import type { DuckDb } from '../engine'
import type { RegisteredScan } from '../engine'
import type { TableOccurrence } from './constraints'

const LIMIT = 256

/** A Map that forgets its oldest entry past LIMIT. */
class Recent<V> {
  private readonly entries = new Map<string, V>()
  get(key: string): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }
  set(key: string, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > LIMIT) this.entries.delete(this.entries.keys().next().value!)
  }
}

export interface CachedView {
  /** Identifies the files the view reads: table path, version, commit time and file list. */
  key: string
  scan: RegisteredScan
  /** No DuckDB view: the query's text names the scan's SELECT itself (inline-tables.ts). */
  inline?: boolean
}

export interface QueryState {
  /** Schemas created in this database (never dropped). */
  schemas: Set<string>
  parses: Recent<TableOccurrence[]>
  /** File paths kept by file skipping, by snapshot and constraints. */
  skips: Recent<string[]>
  /** The view behind each `schema.table` name, kept for the next query. */
  views: Map<string, CachedView>
  lock: Promise<void>
}

const states = new WeakMap<DuckDb, QueryState>()

export function queryState(db: DuckDb): QueryState {
  let state = states.get(db)
  if (!state) {
    state = { schemas: new Set(), parses: new Recent(), skips: new Recent(), views: new Map(), lock: Promise.resolve() }
    states.set(db, state)
  }
  return state
}

/** Waits for the database's view lock; the returned function releases it (call it exactly once). */
export async function lockViews(db: DuckDb): Promise<() => void> {
  const state = queryState(db)
  const previous = state.lock
  let unlock!: () => void
  state.lock = new Promise<void>((resolve) => (unlock = resolve))
  await previous
  return unlock
}

/**
 * Forgets everything kept for `db`, as if no query had run (its views stay until replaced). For
 * measuring a first query; only while no query is running on `db`.
 */
export function forgetQueryState(db: DuckDb): void {
  states.delete(db)
}
