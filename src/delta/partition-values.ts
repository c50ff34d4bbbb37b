/**
 * Partition values are stored in the log as strings (`add.partitionValues`); the protocol fixes
 * how each type is spelled. These helpers check and canonicalise them, and spell them for writing.
 */
import { DeltaError } from './errors'
import type { DataType } from './schema'

/** The Hive placeholder some writers leave in paths; in the log a null is a JSON null. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__'

const TIMESTAMP = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)?$/
const DATE = /^\d{4,}-\d{2}-\d{2}$/

/**
 * A partition value in a canonical text form DuckDB can cast from, or null. `timestamp` values
 * without a zone are UTC; `timestamp_ntz` values keep no zone. An empty string is null, for every
 * type (the protocol says so; Spark cannot tell an empty string partition from a null one either).
 */
export function canonicalPartitionValue(raw: string | null | undefined, type: DataType, column: string, table?: string): string | null {
  if (raw === null || raw === undefined || raw === '') return null
  const fail = () => {
    throw new DeltaError('CORRUPT_LOG', `partition value '${raw}' of column '${column}' is not a valid ${typeof type === 'string' ? type : type.type}`, {
      table,
    })
  }
  if (typeof type !== 'string') return fail()
  switch (type) {
    case 'string':
    case 'binary':
      return raw
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') fail()
      return raw
    case 'date':
      if (!DATE.test(raw)) fail()
      return raw
    case 'timestamp':
    case 'timestamp_ntz': {
      const match = TIMESTAMP.exec(raw)
      if (!match) return fail()
      const [, date, time, fraction = '', zone] = match
      if (type === 'timestamp_ntz') return `${date} ${time}${fraction}`
      return `${date} ${time}${fraction}${zone && zone !== 'Z' ? zone : '+00:00'}`
    }
    default:
      if (Number.isNaN(Number(raw)) && !/^[+-]?(Infinity|NaN)$/.test(raw)) fail()
      return raw
  }
}

/**
 * Spell a value for `add.partitionValues` (the inverse of the above) from DuckDB's text rendering
 * of it. Binary values are their bytes as UTF-8 text, as Spark writes them; DuckDB renders bytes
 * outside printable ASCII as `\xHH`.
 */
export function serializePartitionValue(text: string | null, type: DataType, column = '', table?: string): string | null {
  if (text === null || text === '') return null
  if (type === 'binary') {
    const bytes: number[] = []
    for (let i = 0; i < text.length; i++) {
      const escape = /^\\x([0-9a-fA-F]{2})/.exec(text.slice(i))
      if (escape) {
        bytes.push(parseInt(escape[1], 16))
        i += 3
      } else bytes.push(...new TextEncoder().encode(text[i]))
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes))
    } catch {
      throw new DeltaError('SCHEMA_MISMATCH', `binary partition column '${column}' has a value that is not UTF-8 text, which a partition value cannot hold`, {
        table,
      })
    }
  }
  if (type === 'timestamp') {
    // DuckDB renders TIMESTAMPTZ as `2024-01-01 10:00:00+00`; the protocol's form is ISO with Z.
    const match = TIMESTAMP.exec(text)
    if (match) return `${match[1]}T${match[2]}${((match[3] ?? '.') + '000000').slice(0, 7)}Z`
  }
  return text
}
