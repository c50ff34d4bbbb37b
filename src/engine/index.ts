/**
 * The engine's public surface: the local-disk implementation of the Delta core's I/O, DuckDB,
 * and `LakeEngine`, which ties them together for the layers above.
 */
export { LocalStorage } from './local-storage'
export { HyparquetActionReader } from './parquet-actions'
export { DuckDb, type JsonRow, type QueryResult } from './duckdb'
export { registerScan, dropScan, type RegisteredScan } from './delta-scan'
export { missingFileError, registerFileRead, type FileEntry, type FileReadPlan } from './file-read'
export { LakeEngine, localEngine } from './lake-engine'
export { optimize, planOptimize, commitOptimize, type OptimizeOptions, type OptimizePlan, type OptimizeResult } from './optimize'
export { vacuum, type VacuumOptions, type VacuumResult } from './vacuum'
export { filesMatching, type ColumnConstraint } from './file-skipping'
export { appendQuery, columnNameProblem, createTable, newTableActions, type AppendOptions, type AppendResult, type CreateTableOptions } from './delta-writer'
export { maximumObjectSize, objectSizeLimit, stagingFile } from './temp-files'
export { NdjsonLines } from './ndjson-lines'
export { commitTable, type CommitRequest, type CommitResult } from './commit-table'
export { setTransactions, type SetTransactionOptions } from './set-transaction'
export { snapshotOrNothing } from './table-snapshot'
export { merge, type MergeOptions } from './merge'
export { writeDifference, type WriteDifferenceOptions, type DifferenceScope } from './write-difference'
export { update, deleteRows, type DmlOptions } from './update-delete'
export type { RewriteResult, RewriteMetrics } from './rewrite'
export { LakeCatalog, NAME_PART, type TableEntry } from './catalog'
