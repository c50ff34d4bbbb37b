/**
 * What the Spark export cannot write: a value or type PySpark has no form for, or a job part that
 * is not one. Thrown while the jobs are generated, before any file is written.
 */
export class ExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportError'
  }
}
