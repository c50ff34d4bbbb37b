/**
 * DuckDB's module, loaded once on first use: its native library takes ~140 ms to load, which the
 * CLI's `--help` and the extension's activation should not pay. Everything in the engine that needs
 * DuckDB's values at run time (not only its types) takes them from here.
 */
import { DeltaError } from '../delta'

type DuckDbApi = typeof import('@duckdb/node-api')

let api: DuckDbApi | undefined

export async function loadDuckDbApi(): Promise<DuckDbApi> {
  api ??= await import('@duckdb/node-api')
  return api
}

/** The module once a database was opened: a result to convert means DuckDB is loaded. */
export function loadedDuckDbApi(): DuckDbApi {
  if (!api) throw new DeltaError('INVALID_ARGUMENT', 'DuckDB is not loaded yet: open a database (DuckDb.open) before converting its values')
  return api
}
