/** Refine: change-feed driven flows from raw to refined tables. */
export { refineBatch, flowAppId, FlowError, DEFAULT_MAX_VERSIONS, type RefineBatchReport, type RefineBatchOptions } from './refine-batch'
export { refineFlow, type RefineOptions, type RefineReport } from './refine-flow'
export { documentStateTable, isDocumentStateTable } from './document-state'
export { START_AT, END_AT } from './apply-changes'
export { waitForCommit } from './table-watch'
export type { LakeTableReader, PreparedReads } from './lake-tables'
