/**
 * Typed errors of the Delta core. Every error names the table (its root path) and, where it
 * applies, the file or version it concerns, so a user can find the problem without a debugger.
 */

export type DeltaErrorCode =
  | 'TABLE_NOT_FOUND'
  | 'TABLE_EXISTS'
  | 'VERSION_NOT_FOUND'
  | 'TIMESTAMP_OUT_OF_RANGE'
  | 'CORRUPT_LOG'
  | 'MISSING_FILE'
  | 'UNSUPPORTED_READER_FEATURE'
  | 'UNSUPPORTED_WRITER_FEATURE'
  | 'UNSUPPORTED_PROTOCOL'
  | 'COMMIT_CONFLICT'
  | 'SCHEMA_MISMATCH'
  | 'INVALID_ARGUMENT'
  /** The storage did not do what was asked (a write that made no progress). */
  | 'STORAGE_FAILED'

export class DeltaError extends Error {
  readonly code: DeltaErrorCode
  readonly table?: string
  /** True when retrying the same operation later may succeed (a lost commit race). */
  readonly retriable: boolean

  constructor(code: DeltaErrorCode, message: string, options: { table?: string; retriable?: boolean; cause?: unknown } = {}) {
    super(options.table ? `${message} (table: ${options.table})` : message, { cause: options.cause })
    this.name = 'DeltaError'
    this.code = code
    this.table = options.table
    this.retriable = options.retriable ?? false
  }
}

export function isDeltaError(error: unknown, code?: DeltaErrorCode): error is DeltaError {
  return error instanceof DeltaError && (code === undefined || error.code === code)
}
