/**
 * A pipeline job that cannot run as it is set up (a source that is not what the job needs, a
 * pipeline file without the section the job reads). The pipeline file's own checks throw
 * PipelineFileError (pipeline-file.ts), with each problem's JSON path; data loss throws
 * DataLossError (offset-ledger.ts); a table's rules, the engine's DeltaError.
 */
export class PipelineError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PipelineError'
  }
}
