/**
 * A pipeline's SQL definitions as the editor needs them: the problems of each `.sql` file at a
 * line and column (for diagnostics), and the jobs they add to the Pipelines view (the flows they
 * map onto, `view:<zone.table>` for each materialized view). Each file is parsed on its own, so a
 * syntax error in one does not hide another's; the checks across files (a missing table, a
 * cycle, a name defined twice) run once every file parses, with the lake's tables, exactly as
 * `lakehouse run` does (loadDefinitions). No vscode import: unit-tested on its own.
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import type { Pipeline } from '../../pipeline/pipeline-file'
import { DefinitionError, expandGlobs, loadDefinitions, parseDefinitions, type Definition } from '../../query'
import { flowJobId, viewJobId, type JobId } from './events'

export interface DefinitionProblem {
  /** The .sql file, absolute. */
  file: string
  /** 1-based, as the CLI prints them. */
  line: number
  column: number
  message: string
}

export interface DefinitionsCheck {
  /** Every .sql file the pipeline's `definitions` name (a fixed file loses its problems). */
  files: string[]
  problems: DefinitionProblem[]
  /** The flows and views the files that parse define, in file order. */
  jobs: JobId[]
}

/** The job a definition runs as: a streaming table with a query or a CREATE FLOW is a flow, a materialized view a view. */
function jobOf(definition: Definition): JobId | undefined {
  if (definition.kind === 'materializedView') return viewJobId(definition.name)
  if (definition.kind === 'streamingTable') return definition.query ? flowJobId(definition.name) : undefined
  return flowJobId(definition.name)
}

export function checkPipelineDefinitions(pipeline: Pipeline, existingTables: string[]): DefinitionsCheck {
  if (!pipeline.definitions?.length) return { files: [], problems: [], jobs: [] }
  const files = expandGlobs(path.dirname(pipeline.file), pipeline.definitions, [pipeline.lakeDir])
  const problems: DefinitionProblem[] = []
  const jobs: JobId[] = []
  for (const file of files) {
    try {
      for (const definition of parseDefinitions(file, readFileSync(file, 'utf8'))) {
        const job = jobOf(definition)
        if (job && !jobs.includes(job)) jobs.push(job)
      }
    } catch (error) {
      problems.push(problemOf(error, file))
    }
  }
  if (problems.length === 0) {
    try {
      loadDefinitions(pipeline, { existingTables })
    } catch (error) {
      problems.push(problemOf(error, files[0] ?? pipeline.file))
    }
  }
  return { files, problems, jobs }
}

function problemOf(error: unknown, file: string): DefinitionProblem {
  if (error instanceof DefinitionError) return { file: error.file, line: error.line, column: error.column, message: error.problem }
  // A file that cannot be read (removed between the glob and the read): at its top.
  return { file, line: 1, column: 1, message: error instanceof Error ? error.message : String(error) }
}

/**
 * The span a problem underlines: the name or word at its line and column (a table name with its
 * zone, a keyword), else one character; offsets into `text`, clamped to it.
 */
export function problemSpan(text: string, line: number, column: number): { start: number; end: number } {
  let offset = 0
  for (let l = 1; l < line && offset < text.length; l++) {
    const next = text.indexOf('\n', offset)
    if (next < 0) break
    offset = next + 1
  }
  const start = Math.min(text.length, offset + Math.max(0, column - 1))
  const word = /^[A-Za-z0-9_$]+(?:\.[A-Za-z0-9_$]+)*|^`[^`\n]*`/.exec(text.slice(start, start + 300))
  return { start, end: Math.min(text.length, start + (word ? word[0].length : 1)) }
}
