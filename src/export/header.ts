/**
 * The README-style docstring at the top of every exported file: what the file is, how to run
 * it, and how it continues from the lake Local Lakehouse wrote. Text from the pipeline file is
 * never put here (a docstring cannot hold arbitrary text safely); the constants below it can.
 */
import { ExportError } from './errors'

export interface HeaderOptions {
  title: string
  /** Paragraphs; each a list of lines (no triple quotes or backslashes in them: static text only). */
  sections: { heading: string; lines: string[] }[]
}

export function header(options: HeaderOptions): string {
  const body = [options.title, '='.repeat(Math.min(options.title.length, 96)), '']
  for (const section of options.sections) {
    body.push(section.heading, ...section.lines.map((l) => (l ? `  ${l}` : '')), '')
  }
  const text = body.join('\n').trimEnd()
  if (text.includes('"""') || text.includes('\\')) throw new ExportError('a header holds static text only')
  return `"""\n${text}\n"""\n`
}

/** How any exported job continues from the lake (shared by the source and flow jobs). */
export const CONTINUING = [
  'The tables are standard Delta tables at <lake>/<zone>/<table>: the jobs write the same paths',
  '(set LAKEHOUSE_LAKE to move the lake, e.g. to s3://bucket/lake after copying it there).',
  'Stop "lakehouse run" for these sources and flows before starting the Spark jobs: one writer',
  'per table. Spark keeps its own progress in checkpoints (LAKEHOUSE_CHECKPOINTS, default',
  '<lake>/_spark_checkpoints); the values below only decide where a job starts the first time.',
]
