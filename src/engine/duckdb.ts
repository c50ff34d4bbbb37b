/**
 * One embedded DuckDB database per engine, opened lazily (the native module costs ~100 ms to
 * load, which activation and tree views should not pay). Sessions run in UTC so that timestamps
 * render the same everywhere.
 */
import type { DuckDBConnection, DuckDBInstance, Json } from '@duckdb/node-api'

export type JsonRow = Record<string, Json>

export interface QueryResult {
  columns: { name: string; type: string }[]
  rows: JsonRow[]
}

export class DuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<DuckDb> {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    // ICU (built in) must be loaded before TimeZone can be set, hence not a create option.
    // No extension may be downloaded on these machines, and our tables never need one.
    await connection.run(`SET TimeZone = 'UTC'; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false`)
    return new DuckDb(instance, connection)
  }

  async run(sql: string): Promise<void> {
    await this.connection.run(sql)
  }

  /** Rows as JSON-safe objects: BIGINT and DECIMAL as strings, timestamps as ISO-like strings. */
  async rows(sql: string): Promise<JsonRow[]> {
    const reader = await this.connection.runAndReadAll(sql)
    return reader.getRowObjectsJson()
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql)
    const names = reader.columnNames()
    const types = reader.columnTypes()
    return { columns: names.map((name, i) => ({ name, type: types[i].toString() })), rows: reader.getRowObjectsJson() }
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
    this.instance.closeSync()
  }
}
