/**
 * A view's refreshed rows into its table: created on the first refresh, replaced when its columns
 * changed (the definition did; its history is kept), otherwise only the difference merged in, so
 * the view's change feed holds what changed and a refresh that changes nothing writes nothing.
 */
import { liveRowCount, type Snapshot, type Txn } from '../../delta'
import type { LakeEngine } from '../../engine'
import { appendQuery, replaceTable, setTransactions, writeDifference } from '../../table'
import type { MaterializedView } from './ast'

/** Every view's table feeds refreshes downstream: its change data feed is on. */
const VIEW_TABLE_PROPERTIES = { 'delta.enableChangeDataFeed': 'true' }

export interface ViewWrite {
  view: MaterializedView
  /** The sources' versions and the definition's hash, recorded with the rows. */
  txns: Txn[]
  /** Whether a source or the definition moved since the table's last refresh: else no txn needs recording. */
  moved: boolean
  /** The view's key (its group columns), when it has one: rows are matched on it. */
  key?: string[]
  /** An incremental refresh's scope: only the view's rows with these values are compared. */
  scope?: { columns: string[]; keysTable: string }
  operationParameters: Record<string, string>
  /** The difference as a maintained refresh found it (write-difference.ts `changes`): `sql` is then only described. */
  changes?: string
  /** Where the write's phases are timed (the difference's rows, its write). */
  phases?: { end(name: string): void }
}

export interface ViewWriteResult {
  rows: { version?: number; rowsInserted: number; rowsUpdated: number; rowsDeleted: number }
  /** The columns changed, so the table was replaced rather than merged into. */
  replaced: boolean
}

export async function writeView(lake: LakeEngine, path: string, current: Snapshot | undefined, sql: string, write: ViewWrite): Promise<ViewWriteResult> {
  const { view, txns, operationParameters } = write
  if (!current) {
    const appended = await appendQuery(lake, path, sql, { txns, create: { properties: VIEW_TABLE_PROPERTIES, description: view.comment } })
    return { rows: { version: appended.version, rowsInserted: appended.rows, rowsUpdated: 0, rowsDeleted: 0 }, replaced: false }
  }
  const db = await lake.duckdb()
  const described = await db.describe(`SELECT * FROM (${sql})`)
  const sameColumns = described.length === current.schema.fields.length && described.every((c, i) => c.name === current.schema.fields[i].name)
  if (!sameColumns) {
    const replaced = await replaceTable(lake, current, {
      sourceSql: sql,
      operation: 'CREATE OR REPLACE MATERIALIZED VIEW',
      operationParameters,
      properties: VIEW_TABLE_PROPERTIES,
      description: view.comment,
    })
    await setTransactions(lake, path, { txns, snapshot: await lake.snapshot(path) })
    const rowsBefore = current.files.reduce((n, f) => n + (liveRowCount(f.add) ?? 0), 0)
    return { rows: { version: replaced.version, rowsInserted: replaced.rows, rowsUpdated: 0, rowsDeleted: rowsBefore }, replaced: true }
  }
  // Versions already recorded need no commit: a full refresh that changes nothing writes nothing.
  const written = await writeDifference(lake, path, sql, {
    snapshot: current,
    key: write.key,
    txns: write.moved ? txns : [],
    operationParameters,
    scope: write.scope,
    phases: write.phases,
    changes: write.changes,
  })
  const { rowsInserted, rowsUpdated, rowsDeleted } = written.metrics
  return { rows: { version: written.version, rowsInserted, rowsUpdated, rowsDeleted }, replaced: false }
}
