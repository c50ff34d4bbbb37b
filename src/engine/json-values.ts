/**
 * DuckDB values as JSON for the CLI, the webviews and tests: integers stay numbers while they
 * are exact in JavaScript (|n| < 2^53) and become strings beyond; decimals are strings (their
 * digits are the point); timestamps are ISO-8601 (`Z` for Delta `timestamp`, none for
 * `timestamp_ntz`); binary is base64.
 */
import type { DuckDBMaterializedResult, DuckDBType, DuckDBValue, DuckDBValueConverter } from '@duckdb/node-api'
import { loadedDuckDbApi } from './duckdb-api'

/**
 * A value as JSON: the engine's own name for it, so that the layers above never name DuckDB's types
 * (the same shape as DuckDB's `Json`, which the converter below fills).
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const SAFE = BigInt(Number.MAX_SAFE_INTEGER)

function integer(value: DuckDBValue): Json {
  const n = BigInt(value as bigint)
  return n <= SAFE && n >= -SAFE ? Number(n) : n.toString()
}

/**
 * `2024-01-01 10:00:00.01+00` → `2024-01-01T10:00:00.010Z`: fractions in whole milli- or
 * microseconds, as JavaScript's toISOString and most tools print them; `infinity` stays as it is.
 */
function isoTimestamp(text: string, utc: boolean): string {
  const match = /^(-?\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:\+00(?::00)?)?$/.exec(text)
  if (!match) return text
  const fraction = match[3] ? `.${match[3].padEnd(match[3].length <= 3 ? 3 : 6, '0')}` : ''
  return `${match[1]}T${match[2]}${fraction}${utc ? 'Z' : ''}`
}

export const jsonValue: DuckDBValueConverter<Json> = (value: DuckDBValue, type: DuckDBType, converter: DuckDBValueConverter<Json>): Json | null => {
  if (value === null) return null
  const { DuckDBTypeId, JsonDuckDBValueConverter } = loadedDuckDbApi()
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return integer(value)
    case DuckDBTypeId.TIMESTAMP_TZ:
      return isoTimestamp(String(value), true)
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return isoTimestamp(String(value), false)
    case DuckDBTypeId.BLOB:
      return Buffer.from((value as { bytes: Uint8Array }).bytes).toString('base64')
    default:
      return JsonDuckDBValueConverter(value, type, converter)
  }
}

export function rowsAsJson(
  result: DuckDBMaterializedResult | { convertRowObjects<T>(c: DuckDBValueConverter<T>): Record<string, T | null>[] },
): Record<string, Json>[] {
  return result.convertRowObjects(jsonValue) as Record<string, Json>[]
}
