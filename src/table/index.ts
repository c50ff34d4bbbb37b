/**
 * Table operations over the engine's I/O: appends and CREATE, MERGE, UPDATE and DELETE, overwrite
 * and rewrite, the difference a view refresh writes, OPTIMIZE, VACUUM, replacing a table, SET
 * TRANSACTION, and commitTable, the one path every write commits through.
 */
export { optimize, planOptimize, commitOptimize, sizeInBytes, type OptimizeOptions, type OptimizePlan, type OptimizeResult } from './optimize'
export { vacuum, type VacuumOptions, type VacuumResult } from './vacuum'
export { appendQuery, columnNameProblem, createTable, newTableActions, type AppendOptions, type AppendResult, type CreateTableOptions } from './delta-writer'
export { commitTable, type CommitRequest, type CommitResult } from './commit-table'
export { setTransactions, type SetTransactionOptions } from './set-transaction'
export { merge, type MergeOptions, type MatchedClause, type NotMatchedClause, type BySourceClause } from './merge'
export { writeDifference, type WriteDifferenceOptions, type DifferenceScope } from './write-difference'
export { writesDeletionVectors } from './deletion-vector-writer'
export { update, deleteRows, type DmlOptions } from './update-delete'
export type { RewriteResult, RewriteMetrics } from './rewrite'
export { atLeast, replaceTable, type ReplaceTableOptions } from './replace-table'
export { overwrite, type OverwriteOptions } from './overwrite'
