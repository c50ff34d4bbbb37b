/**
 * The Delta core's public surface. Protocol logic only: every byte goes through `Engine`.
 */
export * from './actions'
export { checkpointActions, writeCheckpoint, type CheckpointResult } from './checkpoint'
export { commit, ENGINE_INFO, type CommitRequest, type CommitResult } from './commit'
export { checkConflicts, emptyReadSet, type ReadSet } from './conflicts'
export type { Engine, FileInfo, ParquetActionReader, ParquetActionWriter, Storage, StorageWatch } from './engine'
export { DeltaError, isDeltaError, type DeltaErrorCode } from './errors'
export { deletionVectorFile, inlineDeletionVector, serializeRoaringBitmapArray } from './deletion-vector-encoding'
export {
  checkConstraints,
  checkReadable,
  checkWritable,
  DEFAULT_TABLE_PROPERTIES,
  generatedColumns,
  isChangeDataFeedEnabled,
  isDeletionVectorsEnabled,
  protocolForNewTable,
  protocolWithDeletionVectors,
  readerFeatures,
  SUPPORTED_READER_FEATURES,
  SUPPORTED_WRITER_FEATURES,
  usesTimestampNtz,
  writerFeatures,
} from './features'
export { readHistory, type HistoryEntry } from './history'
export { txnHistory, type TxnCommit } from './txn-history'
export { cleanUpExpiredLogs } from './log-cleanup'
export { commitFileName } from './log-files'
export { fileKey } from './log-replay'
export { logicalPartitionValues, planScan, type ScanFile, type ScanPlan } from './scan'
export * from './schema'
export { loadSnapshot, versionAtTimestamp, type ActiveFile, type Snapshot, type SnapshotOptions } from './snapshot'
export { buildFileStats, leafKey, liveRowCount, parseStats, statsNumRecords, type LeafStatistics, type ParsedStats } from './stats'
export { enableNameMapping, physicalType, protocolWithColumnMapping, withSchema } from './column-mapping'
export { planChangeFeed, type ChangeFeedPlan, type ChangeFeedRange, type ChangeFile } from './change-feed'
export { percentEncodePath, resolveLogPath } from './paths'
export { canonicalPartitionValue, serializePartitionValue } from './partition-values'
export { decodeDeletionVectorFile, decodeInlineDeletionVector, deletionVectorRelativePath } from './deletion-vectors'
export { DEFAULT_DELETED_FILE_RETENTION_MS, tableDuration } from './retention'
