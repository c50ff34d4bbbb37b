/** The pipeline layer's surface for the layers above: the pipeline file, the run, and what flows need from them. */
export type { FlowSpec, Pipeline, PipelineSpec, SourceSpec } from './pipeline-file'
export { runPipeline, flowWaves, type PipelineEvent, type RunOptions, type RunReport, type JobState } from './run-pipeline'
export { waitForCommit, type LakeTableReader, type PreparedReads } from './refine'
export { discardLetters, LetterSelectionError, replayLetters, selectLetters, type LetterFix, type LetterSelection, type SourceReplay } from './dead-letter-replay'
export { letterGroups, letterHours, printable, viewLetter, type LetterGroup, type LetterHour, type LetterView } from './dead-letter-triage'
export { DEAD_LETTER_STATES_TABLE, letterId, type DeadLetter, type LetterState } from './dead-letter-state'
export { traceMessage, type MessageCoordinates, type MessageFate } from './message-trace'
