/**
 * One embedded DuckDB database per engine, opened lazily (the native module costs ~100 ms to
 * load, which activation and tree views should not pay). Sessions run in UTC so that timestamps
 * render the same everywhere.
 *
 * DuckDB's own default memory limit is 80% of the machine's RAM, in the extension host's process.
 * Ours is 1 GiB (the caller's option, else LAKEHOUSE_DUCKDB_MEMORY_LIMIT, changes it: the
 * extension passes its `lakehouse.duckdb.memoryLimit` setting both ways); past it DuckDB spills to a directory
 * of its own (spill-directory.ts), so a query result of any size costs disk, not the editor's
 * memory (8M rows of 5 columns: 1.2 GiB peak RSS without a limit, 474 MiB with 256 MB).
 */
import { promises as fs } from 'node:fs'
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, Json } from '@duckdb/node-api'
import { DeltaError } from '../delta'
import { loadDuckDbApi } from './duckdb-api'
import { spillDirectory } from './spill-directory'

export const DEFAULT_MEMORY_LIMIT = '1GiB'
const SIZE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i

export interface DuckDbOptions {
  /** A DuckDB size ("512MB", "2GiB"); default: LAKEHOUSE_DUCKDB_MEMORY_LIMIT, else DEFAULT_MEMORY_LIMIT. */
  memoryLimit?: string
}

/**
 * The memory limit asked for (`origin` names where it came from), checked: a malformed one must
 * not reach SQL, nor be silently ignored.
 */
export function checkedMemoryLimit(asked: string | undefined, origin: string): string {
  const size = asked?.trim()
  if (!size) return DEFAULT_MEMORY_LIMIT
  if (!SIZE.test(size)) throw new DeltaError('INVALID_ARGUMENT', `${origin} is '${size}': expected a size such as 512MB or 2GiB`)
  return size
}

/** The memory limit from the environment. */
export function memoryLimit(env: NodeJS.ProcessEnv = process.env): string {
  return checkedMemoryLimit(env.LAKEHOUSE_DUCKDB_MEMORY_LIMIT, 'LAKEHOUSE_DUCKDB_MEMORY_LIMIT')
}

// ICU (built in) must be loaded before TimeZone can be set, hence not a create option.
// No extension may be downloaded on these machines, and our tables never need one.
const SESSION_SETTINGS = `SET TimeZone = 'UTC'; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false`

export type JsonRow = Record<string, Json>

export interface QueryResult {
  columns: { name: string; type: string }[]
  rows: JsonRow[]
}

export class DuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly spill: string,
    /** A second connection to the same database (`withSibling`): closing it leaves the database open. */
    private readonly sibling = false,
  ) {}

  private parser?: DuckDBPreparedStatement
  private parsing: Promise<unknown> = Promise.resolve()

  static async open(options: DuckDbOptions = {}): Promise<DuckDb> {
    const limit = options.memoryLimit?.trim() ? checkedMemoryLimit(options.memoryLimit, 'the memory limit') : memoryLimit()
    const spill = await spillDirectory()
    const { DuckDBInstance } = await loadDuckDbApi()
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: limit, temp_directory: spill })
    const connection = await instance.connect()
    await connection.run(SESSION_SETTINGS)
    return new DuckDb(instance, connection, spill)
  }

  /**
   * Runs `work` on a second connection to the same database, so that two statements run at once
   * (DuckDB runs a scan of a table under ~123k rows on one thread: two such writes side by side use
   * two cores). It sees this connection's committed tables, not its TEMP ones.
   */
  async withSibling<T>(work: (sibling: DuckDb) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect()
    try {
      await connection.run(SESSION_SETTINGS)
      return await work(new DuckDb(this.instance, connection, this.spill, true))
    } finally {
      connection.closeSync()
    }
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql)
  }

  /** Rows as JSON-safe objects: BIGINT and DECIMAL as strings, timestamps as ISO-like strings. */
  async rows(sql: string): Promise<JsonRow[]> {
    const reader = await this.connection.runAndReadAll(sql)
    return reader.getRowObjectsJson()
  }

  /**
   * A query's columns, each an array of plain JS values (numbers for DOUBLE and INTEGER, bigint for
   * BIGINT, strings, arrays for lists): no object per row and no JSON conversion, for long lists.
   */
  async columns(sql: string): Promise<unknown[][]> {
    const reader = await this.connection.runAndReadAll(sql)
    const columns = reader.getColumnsJS()
    // No rows, no chunks: every column is then empty rather than missing.
    return reader.columnNames().map((_, i) => columns[i] ?? [])
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql)
    const names = reader.columnNames()
    const types = reader.columnTypes()
    return { columns: names.map((name, i) => ({ name, type: types[i].toString() })), rows: reader.getRowObjectsJson() }
  }

  /**
   * DuckDB's parse tree of a SQL text, as JSON text (`json_serialize_sql`; `{"error":true,…}` for
   * what it will not serialise). Every query asks this first, so the statement is prepared once:
   * planning it again each time cost a quarter of the parse. Calls take turns, since a prepared
   * statement holds one set of bound values.
   */
  parseTree(sql: string): Promise<string> {
    const parse = async () => {
      this.parser ??= await this.connection.prepare('SELECT json_serialize_sql($1::VARCHAR)::VARCHAR AS parsed')
      this.parser.bindVarchar(1, sql)
      const reader = await this.parser.runAndReadAll()
      return String(reader.getRows()[0][0])
    }
    const result = this.parsing.then(parse, parse)
    this.parsing = result.catch(() => undefined)
    return result
  }

  /** Column names and DuckDB types of a query, without running it to completion. */
  async describe(sql: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.rows(`DESCRIBE ${sql}`)
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
  }

  interrupt(): void {
    this.connection.interrupt()
  }

  close(): void {
    this.connection.closeSync()
    if (this.sibling) return
    this.instance.closeSync()
    void fs.rm(this.spill, { recursive: true, force: true }).catch(() => {})
  }
}
