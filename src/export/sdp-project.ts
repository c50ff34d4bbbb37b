/**
 * The pipeline's SQL definitions as a Spark Declarative Pipelines project (Spark 4.1): the .sql
 * files, unchanged (they are already Spark SQL), under `transformations/` with the folders they
 * had next to the pipeline file, and `spark-pipeline.yml` naming them, so `spark-pipelines run`
 * runs them. The raw and refined tables they read are written by the exported PySpark jobs.
 */
import * as path from 'node:path'
import type { Pipeline } from '../pipeline'
import type { LoadedDefinitions } from '../query'
import type { ExportedFile } from './kafka-source'

export const SDP_SPEC_FILE = 'spark-pipeline.yml'

export function sdpProject(pipeline: Pipeline, loaded: LoadedDefinitions): ExportedFile[] {
  if (loaded.files.length === 0) return []
  const root = path.dirname(pipeline.file)
  const sqlFiles = loaded.files.map((file) => ({
    name: path.posix.join('transformations', path.relative(root, file).split(path.sep).join('/')),
    text: loaded.texts.get(file)!,
  }))
  const name =
    path
      .basename(pipeline.file)
      .replace(/(\.lakehouse)?\.json$/, '')
      .replace(/[^A-Za-z0-9_-]/g, '_') || 'lakehouse'
  const spec = [
    `# Spark Declarative Pipelines project written by lakehouse export-spark from ${path.basename(pipeline.file)}.`,
    '# Run it with: spark-pipelines run --spec spark-pipeline.yml (after the source and flow jobs wrote their tables).',
    `name: ${name}`,
    'libraries:',
    '  - glob:',
    '      include: transformations/**',
    '',
  ].join('\n')
  return [{ name: SDP_SPEC_FILE, text: spec }, ...sqlFiles]
}
