/** Lineage between Kafka messages, raw rows and refined rows, read from the lake's own history. */
export { traceFlowRows, refinedFates, flowOf, type RowLineage, type TraceRowsOptions } from './row-lineage'
export { refineRanges, type RefineRange } from './refine-ranges'
export { rowKeySql, NotReplayable, type ReplayedRow } from './replay-flow'
