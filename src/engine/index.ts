/**
 * The engine's public surface: the local-disk implementation of the Delta core's I/O, DuckDB,
 * and `LakeEngine`, which ties them together for the layers above.
 */
export { LocalStorage } from './local-storage'
export { HyparquetActionReader } from './parquet-actions'
export { DuckDb, type JsonRow, type QueryResult } from './duckdb'
export { jsonValue, rowsAsJson, type Json } from './json-values'
export { registerScan, registerPositionedRows, dropScan, type RegisteredScan } from './delta-scan'
export { missingFileError, registerFileRead, type FileEntry, type FileReadPlan } from './file-read'
export { LakeEngine, localEngine } from './lake-engine'
export { boundLiteral, fileBounds, filesMatching, SKIPPABLE_TYPES, type ColumnConstraint } from './file-skipping'
export { maximumObjectSize, objectSizeLimit, stagingFile } from './temp-files'
export { NdjsonLines } from './ndjson-lines'
export { snapshotOrNothing } from './table-snapshot'
export { LakeCatalog, NAME_PART, type TableEntry } from './catalog'
export { DEFAULT_TARGET_FILE_SIZE, writeDataFiles, type WriteFilesOptions } from './data-files'
export { DeletionVectorLoader } from './deletion-vector-loader'
