/**
 * What a query session answers with (query-session.ts): a result's shape, its pages, the orders
 * and export formats it takes, and the error of a cancelled run. Its own file so that the helpers
 * of the session (result-find.ts) can name these without importing the session.
 */
import type { rowsAsJson } from '../engine'
import type { TableRead } from './prepare'
import type { WriteSummary } from './statements/output'

/** One JSON-safe row of a result page. */
export type JsonRow = ReturnType<typeof rowsAsJson>[number]

export interface ResultColumn {
  name: string
  /** DuckDB's type, e.g. `BIGINT`, `DECIMAL(10,2)`, `TIMESTAMP WITH TIME ZONE`. */
  type: string
}

export interface QueryResultInfo {
  /** Names the result in page/export/close. */
  id: string
  columns: ResultColumn[]
  rowCount: number
  /** From the call to run() to the result table being ready (including preparation). */
  elapsedMs: number
  /** Each lake table the query read: version and files read / total (the rest were skipped). */
  tables: TableRead[]
  /** What the text's writing statements did (INSERT, MERGE, CREATE TABLE, …), in order. */
  writes: WriteSummary[]
}

export interface RunOptions {
  /** VACUUM may use a retention shorter than the table's (the user confirmed it). */
  allowShortRetention?: boolean
}

export interface SortOrder {
  column: string
  direction: 'asc' | 'desc'
}

export interface ResultPage {
  id: string
  offset: number
  /** JSON-safe rows (see json-values.ts): big integers and decimals as strings, ISO timestamps. */
  rows: JsonRow[]
  rowCount: number
}

/** `jsonl` is JSON lines: one object per line (not the array of objects the CLI's `json` prints). */
export type ExportFormat = 'csv' | 'parquet' | 'jsonl'

export interface ExportResult {
  rows: number
  bytes: number
}

/** The error a cancelled run() rejects with. */
export class QueryCancelledError extends Error {
  constructor() {
    super('query cancelled')
    this.name = 'QueryCancelledError'
  }
}
