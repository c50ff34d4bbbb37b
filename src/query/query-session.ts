/**
 * Query results for the editor. A result is never turned into JavaScript objects as a whole: `run`
 * executes the query into a DuckDB temporary table (`CREATE TEMP TABLE __result_N AS …`) and
 * answers with its shape; the grid then asks for `page`s of rows, sorted on demand; `export`
 * writes the whole result with DuckDB's COPY. Memory in the extension host stays at one page.
 *
 * Measured on 1M rows of 5 columns (BIGINT, BIGINT, VARCHAR, DOUBLE, TIMESTAMP), first page = 100
 * rows, medians of 7 runs on a 2-CPU dev container (DuckDB 1.5, Node 20):
 *   time to the first page           this design (run + page)   streaming (stream + 1st chunk)
 *   SELECT … FROM range(1000000)     260–340 ms                 14–18 ms
 *   SELECT * FROM a lake table       130–165 ms                 23–32 ms
 *   … ORDER BY a VARCHAR column      ≈ 200 ms                   ≈ 110 ms
 * Streaming shows the first rows sooner, but only while the query has no blocking operator, and
 * then every other page, the row count, a sort or an export drains or re-runs the query; here each
 * of those reads the result table: any page 2–4 ms (rowid ranges: 3.3 ms at offset 999 900 where
 * LIMIT/OFFSET takes 4.5–5 ms; 8.8 vs 13.8 ms at 10M rows), a sorted first page (top-N) ≈ 5 ms,
 * a sorted deep page 60–130 ms as ORDER BY … OFFSET, so deeper sorted pages use a sorted copy
 * (100–160 ms once, then 2–3 ms a page). Export of 1M rows: CSV ≈ 450 ms, Parquet ≈ 300 ms.
 *
 * Temporary tables belong to the lake's one DuckDB connection (prepared views are registered
 * there too), so every statement of a session runs on `lake.duckdb().connection`. A session runs
 * one query at a time, in the order they were asked for; `cancel()` interrupts the running one.
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { DeltaError, quoteIdentifier, quoteString } from '../delta'
import { missingFileError, rowsAsJson, type DuckDb, type Json, type LakeCatalog, type LakeEngine } from '../engine'
import { exportSelectList } from './export-timestamps'
import { findRows, type FoundRows } from './result-find'
import { prepareQuery, type PreparedQuery, type TableRead } from './prepare'
import {
  QueryCancelledError,
  type ExportFormat,
  type ExportResult,
  type QueryResultInfo,
  type ResultPage,
  type RunOptions,
  type SortOrder,
} from './query-results'
import { checkOneStatement, createResultTable } from './result-table'
import { parseScript, runParsed, type ScriptResult } from './run-script'
import type { StatementOutput, WriteSummary } from './statements/output'

export {
  QueryCancelledError,
  type ExportFormat,
  type ExportResult,
  type QueryResultInfo,
  type ResultColumn,
  type ResultPage,
  type RunOptions,
  type SortOrder,
} from './query-results'

interface StoredResult {
  info: QueryResultInfo
  table: string
  /** Whether the rows can be addressed by the `rowid` pseudo column (no column is called rowid). */
  byRowid: boolean
  /** The one sorted copy kept per result: the latest order asked for. */
  sorted?: { key: string; table: Promise<string> }
}

interface Ticket {
  cancelled: boolean
}

let resultCounter = 0

const EXPORT_OPTIONS: Record<ExportFormat, string> = {
  csv: 'FORMAT csv, HEADER true',
  parquet: 'FORMAT parquet, COMPRESSION zstd',
  jsonl: 'FORMAT json',
}

export class QuerySession {
  private readonly results = new Map<string, StoredResult>()
  private queue: Promise<unknown> = Promise.resolve()
  private readonly waiting = new Set<Ticket>()
  /** The run whose statement is executing now: what cancel() interrupts. */
  private executing?: { ticket: Ticket; db: DuckDb }
  private statementStarted = false
  /** What the latest run's writing statements committed, also when a later statement failed. */
  lastWrites: WriteSummary[] = []

  constructor(
    private readonly lake: LakeEngine,
    private readonly catalog: LakeCatalog,
  ) {}

  /** Whether a run() is waiting or executing. */
  get busy(): boolean {
    return this.waiting.size > 0
  }

  /** Whether a run's statement is executing in DuckDB now (not waiting its turn or being prepared). */
  get executingStatement(): boolean {
    return this.statementStarted
  }

  /**
   * Run a SQL text into a new result: one query, or statements in order (Spark's writing
   * statements among them, see run-script.ts), the result being the last one's. Rejects with
   * QueryCancelledError after cancel().
   */
  run(sql: string, options: RunOptions = {}): Promise<QueryResultInfo> {
    const ticket: Ticket = { cancelled: false }
    this.waiting.add(ticket)
    const turn = this.queue.then(() => this.execute(sql, ticket, options))
    this.queue = turn.catch(() => undefined)
    return turn.finally(() => this.waiting.delete(ticket))
  }

  /** Cancel every run() not finished yet; true when there was one. */
  cancel(): boolean {
    if (this.waiting.size === 0) return false
    for (const ticket of this.waiting) ticket.cancelled = true
    this.executing?.db.interrupt()
    return true
  }

  /**
   * Rows `offset` … `offset + limit - 1` of a result, in the result's order or in `sort`'s (ties
   * keep the result's order, so pages of a sorted result never overlap or skip rows). The first
   * pages of a sort are a top-N query; paging deeper sorts the result once into a copy.
   */
  async page(id: string, offset: number, limit: number, sort?: SortOrder): Promise<ResultPage> {
    const stored = this.stored(id)
    checkCount(offset, 'offset')
    checkCount(limit, 'limit')
    const db = await this.lake.duckdb()
    let sql: string
    if (sort && stored.sorted?.key !== sortKey(sort) && offset + limit <= TOP_N_ROWS) {
      sql = `SELECT * FROM ${stored.table} ORDER BY ${orderBy(stored, sort)} LIMIT ${limit} OFFSET ${offset}`
    } else {
      const table = sort ? await this.sortedTable(stored, sort) : stored.table
      sql = stored.byRowid
        ? `SELECT * FROM ${table} WHERE rowid >= ${offset} AND rowid < ${offset + limit} ORDER BY rowid`
        : `SELECT * FROM ${table} LIMIT ${limit} OFFSET ${offset}`
    }
    const reader = await db.connection.runAndReadAll(sql)
    return { id, offset, rows: rowsAsJson(reader), rowCount: stored.info.rowCount }
  }

  /**
   * Write the whole result (in `sort`'s order when given) to `file` (relative: to the current
   * folder) with DuckDB's COPY, which replaces the file. Returns the rows written and the file's
   * size. JSON lines hold DuckDB's JSON values: numbers for every integer and decimal (exact in
   * the file, though JavaScript's JSON.parse rounds integers beyond 2^53).
   */
  async export(id: string, file: string, format: ExportFormat, options: { sort?: SortOrder } = {}): Promise<ExportResult> {
    const stored = this.stored(id)
    if (!Object.hasOwn(EXPORT_OPTIONS, format)) throw new DeltaError('INVALID_ARGUMENT', `export format must be csv, parquet or jsonl, not '${format}'`)
    const target = path.resolve(file)
    const db = await this.lake.duckdb()
    const order = options.sort ? ` ORDER BY ${orderBy(stored, options.sort)}` : stored.byRowid ? ' ORDER BY rowid' : ''
    const columns = exportSelectList(stored.info.columns, format)
    const result = await db.connection.run(`COPY (SELECT ${columns} FROM ${stored.table}${order}) TO ${quoteString(target)} (${EXPORT_OPTIONS[format]})`)
    const { size } = await fs.stat(target)
    return { rows: Number(result.rowsChanged), bytes: size }
  }

  /** The rows of a result containing `text` (any column, case-insensitive): their count and first positions in `sort`'s order. */
  async find(id: string, text: string, options: { sort?: SortOrder; limit?: number } = {}): Promise<FoundRows> {
    const stored = this.stored(id)
    const order = options.sort ? orderBy(stored, options.sort) : stored.byRowid ? 'rowid' : undefined
    return findRows(await this.lake.duckdb(), stored.table, stored.info.columns, text, order, options.limit ?? 1000)
  }

  /** Drop a result (and its sorted copy). Unknown ids are ignored. */
  async close(id: string): Promise<void> {
    const stored = this.results.get(id)
    if (!stored) return
    this.results.delete(id)
    const db = await this.lake.duckdb()
    await db.run(`DROP TABLE IF EXISTS ${stored.table}`)
    if (stored.sorted) await db.run(`DROP TABLE IF EXISTS ${await stored.sorted.table.catch(() => '__none')}`)
  }

  /** Drop every result of this session. */
  async closeAll(): Promise<void> {
    for (const id of [...this.results.keys()]) await this.close(id)
  }

  /** The ids of the results this session holds. */
  get ids(): string[] {
    return [...this.results.keys()]
  }

  private stored(id: string): StoredResult {
    const stored = this.results.get(id)
    if (!stored) throw new DeltaError('INVALID_ARGUMENT', `no query result '${id}' (it was closed, or never existed)`)
    return stored
  }

  private async execute(text: string, ticket: Ticket, options: RunOptions): Promise<QueryResultInfo> {
    const started = performance.now()
    if (ticket.cancelled) throw new QueryCancelledError()
    const statements = parseScript(text)
    const db = await this.lake.duckdb()
    const n = ++resultCounter
    const table = `__result_${n}`
    const writes: WriteSummary[] = []
    this.lastWrites = writes
    try {
      // From here to the result table, cancel() interrupts whatever statement is running
      // (preparing can take a while too: snapshots, file skipping), but not the clean-up.
      this.executing = { ticket, db }
      const last = statements[statements.length - 1]
      const lastIsQuery = last.statement.kind === 'query'
      let done: ScriptResult[]
      try {
        done = await runParsed(
          this.lake,
          this.catalog,
          statements,
          { ...options, onResult: (result) => this.recordWrite(writes, result, ticket) },
          lastIsQuery ? statements.length - 1 : statements.length,
        )
      } catch (error) {
        this.executing = undefined
        throw error
      }
      if (!lastIsQuery) {
        this.executing = undefined
        const output = done[done.length - 1]
        await resultTableOf(db, table, output)
        return await this.storeResult(db, n, table, started, output.tables, writes)
      }
      const sql = last.text
      let prepared: PreparedQuery
      try {
        prepared = await prepareQuery(this.lake, this.catalog, sql, { reportsErrors: true })
      } catch (error) {
        this.executing = undefined
        throw error
      }
      const tables = prepared.tables
      try {
        if (ticket.cancelled) throw new QueryCancelledError()
        await checkOneStatement(db.connection, prepared.sql)
        // A cancel() while the statement was checked: its interrupt had nothing to stop.
        if (ticket.cancelled) throw new QueryCancelledError()
        const creating = createResultTable(db.connection, table, prepared.sql)
        this.statementStarted = true
        await creating
      } catch (error) {
        throw prepared.inQueryText(error)
      } finally {
        this.statementStarted = false
        this.executing = undefined
        await prepared.release()
      }
      if (ticket.cancelled) throw new QueryCancelledError()
      return await this.storeResult(db, n, table, started, tables, writes)
    } catch (error) {
      await db.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
      if (ticket.cancelled || /^INTERRUPT Error/.test((error as Error)?.message ?? '')) throw new QueryCancelledError()
      throw missingFileError(error) ?? error
    }
  }

  /** After each statement of a script: what it wrote is kept (even if a later one fails), and a cancel stops the script. */
  private recordWrite(writes: WriteSummary[], result: ScriptResult, ticket: Ticket): void {
    if (result.write) writes.push(result.write)
    if (ticket.cancelled) throw new QueryCancelledError()
  }

  private async storeResult(db: DuckDb, n: number, table: string, started: number, tables: TableRead[], writes: WriteSummary[]): Promise<QueryResultInfo> {
    const shape = await db.connection.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`)
    const types = shape.columnTypes()
    const columns = shape.columnNames().map((name, i) => ({ name, type: types[i].toString() }))
    const [{ n: count }] = await db.rows(`SELECT count(*) AS n FROM ${table}`)
    const info: QueryResultInfo = { id: `r${n}`, columns, rowCount: Number(count), elapsedMs: Math.round(performance.now() - started), tables, writes }
    this.results.set(info.id, { info, table, byRowid: !columns.some((c) => c.name.toLowerCase() === 'rowid') })
    return info
  }

  /** The result sorted into a temporary table (one kept per result: the latest order asked for). */
  private sortedTable(stored: StoredResult, sort: SortOrder): Promise<string> {
    const key = sortKey(sort)
    if (stored.sorted?.key === key) return stored.sorted.table
    const order = orderBy(stored, sort)
    const previous = stored.sorted?.table
    const table = (async () => {
      const db = await this.lake.duckdb()
      if (previous) await db.run(`DROP TABLE IF EXISTS ${await previous.catch(() => '__none')}`)
      const name = `${stored.table}_sorted_${++resultCounter}`
      await db.run(`CREATE TEMP TABLE ${name} AS SELECT * FROM ${stored.table} ORDER BY ${order}`)
      return name
    })()
    stored.sorted = { key, table }
    // A failed sort is not kept: the next request tries again.
    table.catch(() => {
      if (stored.sorted?.table === table) stored.sorted = undefined
    })
    return table
  }
}

/**
 * A statement's answer (a write's counts, SHOW …) as a result table. A statement that answers
 * nothing (CREATE TABLE, ALTER …) shows what it committed.
 */
async function resultTableOf(db: DuckDb, table: string, output: StatementOutput): Promise<void> {
  let { columns, rows } = output
  if (columns.length === 0) {
    columns = [
      { name: 'table', type: 'VARCHAR' },
      { name: 'operation', type: 'VARCHAR' },
      { name: 'version', type: 'BIGINT' },
    ]
    rows = output.write ? [{ table: output.write.table, operation: output.write.operation, version: output.write.version ?? null }] : []
  }
  const literal = (value: Json, type: string) => {
    if (value === null || value === undefined) return `NULL::${type}`
    if (type === 'JSON') return `${quoteString(JSON.stringify(value))}::JSON`
    return `CAST(${quoteString(typeof value === 'string' ? value : JSON.stringify(value))} AS ${type})`
  }
  const definition = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ')
  await db.run(`CREATE TEMP TABLE ${table} (${definition})`)
  for (let start = 0; start < rows.length; start += 500) {
    const values = rows.slice(start, start + 500).map((row) => `(${columns.map((c) => literal(row[c.name], c.type)).join(', ')})`)
    await db.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`)
  }
}

/** Sorted pages up to this deep are top-N queries (≈5 ms on 1M rows); deeper ones use a sorted copy. */
const TOP_N_ROWS = 10_000

const sortKey = (sort: SortOrder) => JSON.stringify([sort.column, sort.direction])

/** The ORDER BY clause of a sort, after checking it; ties keep the result's order. */
function orderBy(stored: StoredResult, sort: SortOrder): string {
  const column = stored.info.columns.find((c) => c.name === sort.column)
  if (!column) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `cannot sort by '${sort.column}': the result has no such column (columns: ${stored.info.columns.map((c) => c.name).join(', ')})`,
    )
  }
  if (sort.direction !== 'asc' && sort.direction !== 'desc')
    throw new DeltaError('INVALID_ARGUMENT', `sort direction must be asc or desc, not '${String(sort.direction)}'`)
  return `${quoteIdentifier(column.name)} ${sort.direction.toUpperCase()} NULLS LAST${stored.byRowid ? ', rowid' : ''}`
}

function checkCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new DeltaError('INVALID_ARGUMENT', `${name} must be a whole number >= 0, got ${value}`)
}
