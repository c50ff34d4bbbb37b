/** Pipelines defined in Spark Declarative Pipelines SQL: parsing, checking, materialized views, the run. */
export type { Definition, MaterializedView, StreamingTable, AppendFlow, AutoCdcFlow, Expectation, TableReference } from './ast'
export { parseDefinitions, DefinitionError } from './parse-definitions'
export { loadDefinitions, expandGlobs, type LoadedDefinitions } from './load-definitions'
export { refreshView, viewAppId, type ViewRefreshReport, type RefreshOptions } from './refresh-view'
export { viewShape, parseSelect, type ViewShape } from './view-shape'
export { pipelineDefinitions, withDefinitionFlows, refreshViews, runWithDefinitions, type DefinitionsRunOptions } from './run-definitions'
export type { ExpectationCount } from './expectations'
export { pipelineGraph, withTableStates, graphText, graphDot, type PipelineGraph, type GraphNode, type GraphEdge, type GraphNodeKind } from './graph'
