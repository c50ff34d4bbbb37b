/** The pipeline layer's surface for the layers above: the pipeline file, the run, and what flows need from them. */
export type { FlowSpec, Pipeline, PipelineSpec, SourceSpec } from './pipeline-file'
export { runPipeline, flowWaves, type PipelineEvent, type RunOptions, type RunReport, type JobState } from './run-pipeline'
export { waitForCommit, type LakeTableReader, type PreparedReads } from './refine'
export {
  discardLetters,
  LetterSelectionError,
  replayLetters,
  selectLetters,
  type LetterFix,
  type LetterSelection,
  type SourceReplay,
} from './dead-letter-replay'
export { letterGroups, letterHours, printable, viewLetter, type LetterGroup, type LetterHour, type LetterView } from './dead-letter-triage'
export { editedLetterValue, EditedValueError, LetterPatchError, parseLetterPatch } from './dead-letter-edit'
export { DEAD_LETTER_STATES_TABLE, LETTER_STATES, letterId, type DeadLetter, type LetterState, type ProducedTo } from './dead-letter-state'
export { LINEAGE_HEADER, produceLetters, type LettersProduced, type ProducedLetter, type ProduceLettersOptions } from './dead-letter-produce'
export { traceMessage, type MessageCoordinates, type MessageFate } from './message-trace'
export {
  traceFlowRows,
  refinedFates,
  refineRanges,
  flowOf,
  rowKeySql,
  NotReplayable,
  type RowLineage,
  type TraceRowsOptions,
  type RefineRange,
  type ReplayedRow,
} from './lineage'
export { didYouMean } from './did-you-mean'
export { readCapture } from './file-source'
export { ingestFile, type IngestReport } from './ingest-file'
export { ingestKafka, type KafkaBatchReport, type KafkaIngestOptions } from './ingest-kafka'
export { OffsetLedger } from './offset-ledger'
export { DEAD_LETTERS_TABLE } from './raw-zone'
export { documentStateTable, flowAppId, isDocumentStateTable, refineFlow, type RefineBatchReport } from './refine'
export { KAFKA_COLUMNS } from './refine/raw-shape'
export { PipelineError } from './errors'
