/** The pipeline layer's surface for the layers above: the pipeline file, the run, and what flows need from them. */
export type { FlowSpec, Pipeline, PipelineSpec, SourceSpec } from './pipeline-file'
export { runPipeline, flowWaves, type PipelineEvent, type RunOptions, type RunReport, type JobState } from './run-pipeline'
export { waitForCommit, type LakeTableReader, type PreparedReads } from './refine'
