/**
 * Whether a column as DuckDB reads it from the files already is the table's column: the same
 * DuckDB type, nested field for nested field, with the same names in the same order. Such a column
 * is selected as it is; any other is rebuilt (renamed, filled, cast) by the reader's conversion.
 * Rebuilding a struct costs a `struct_pack` and a cast per field on every row, which for wide
 * nested rows (Debezium images) costs more than decoding them.
 */
import { type DataType, deltaTypeFromDuckdb, sameType } from '../delta'

/**
 * DuckDB types that `deltaTypeFromDuckdb` maps to a Delta type whose DuckDB type is a different
 * one (UTINYINT → short → SMALLINT, TIMESTAMP_NS → timestamp_ntz → TIMESTAMP, JSON → string →
 * VARCHAR): a file column of such a type must be cast. Matched as words outside quotes, so a
 * struct field named like one of them only costs the fast path, never a wrong type.
 */
const TYPES_NEEDING_A_CAST = /\b(UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT|UHUGEINT|JSON|UUID|TIMESTAMP_[A-Z]+|VARINT|BIGNUM)\b/i

export function fileColumnIsTableColumn(fileType: string, tableType: DataType): boolean {
  if (TYPES_NEEDING_A_CAST.test(fileType.replace(/"(?:[^"]|"")*"/g, '""'))) return false
  let read: DataType
  try {
    read = deltaTypeFromDuckdb(fileType)
  } catch {
    return false
  }
  // Field names compare exactly: a column-mapped file names nested fields physically, so it
  // matches only where the physical names are the logical ones.
  return sameType(read, tableType)
}
