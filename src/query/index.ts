/** The SQL surface over the lake: table names, time travel, change feeds, history, results. */
export { LakeCatalog, NAME_PART, type TableEntry } from '../engine'
export { prepareQuery, type PreparedQuery, type TableRead } from './prepare'
export { parseTimestamp } from './time-travel'
export { runQuery, type QueryOutput } from './run-query'
export { jsonValue, rowsAsJson, type Json } from '../engine'
export {
  QuerySession,
  QueryCancelledError,
  type QueryResultInfo,
  type ResultColumn,
  type ResultPage,
  type SortOrder,
  type ExportFormat,
  type ExportResult,
} from './query-session'
export { runScript, runParsed, parseScript, destructiveStatements, StatementError, type ScriptResult, type ScriptStatement } from './run-script'
export type { DestructiveStatement } from './statements/destructive'
export type { StatementOutput, WriteSummary } from './statements/output'
export { lakeTableReader } from './lake-reads'
export {
  parseDefinitions,
  DefinitionError,
  loadDefinitions,
  expandGlobs,
  refreshView,
  viewAppId,
  viewShape,
  parseSelect,
  pipelineDefinitions,
  withDefinitionFlows,
  refreshViews,
  runWithDefinitions,
  type Definition,
  type MaterializedView,
  type StreamingTable,
  type AppendFlow,
  type AutoCdcFlow,
  type Expectation,
  type LoadedDefinitions,
  type ViewRefreshReport,
  type RefreshOptions,
  type ViewShape,
  type DefinitionsRunOptions,
  type ExpectationCount,
  pipelineGraph,
  withTableStates,
  graphText,
  graphDot,
  type PipelineGraph,
  type GraphNode,
  type GraphEdge,
  type GraphNodeKind,
} from './definitions'
export { tableHistory, rowChanges, fileChanges, decodedParameters, numericMetrics, type TableCommit } from './table-history'
export { traceRows, NotTraceable, type TracedRow, type TraceOptions } from './trace-rows'
