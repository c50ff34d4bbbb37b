/**
 * Reading the CLI's stderr for what a notification should say and point at. The CLI reports a
 * pipeline file with problems as `lakehouse: the pipeline file has problems:` followed by one
 * `  FILE $.json.path: message` line per problem, and any other failure as one `lakehouse: …` line.
 * No vscode import.
 */

export interface CliProblem {
  file: string
  path: string
  message: string
}

const PROBLEM_LINE = /^\s+(.+?) (\$[^\s:]*): (.*)$/

export function pipelineProblemsIn(stderr: string): CliProblem[] {
  const problems: CliProblem[] = []
  for (const line of stderr.split(/\r?\n/)) {
    const match = PROBLEM_LINE.exec(line)
    if (match) problems.push({ file: match[1], path: match[2], message: match[3] })
  }
  return problems
}

/** The CLI's own message (`lakehouse: …` without the prefix), else the last non-empty line. */
export function cliErrorMessage(stderr: string): string | undefined {
  const lines = stderr.split(/\r?\n/).filter((l) => l.trim() !== '')
  const own = [...lines].reverse().find((l) => l.startsWith('lakehouse: '))
  return own?.slice('lakehouse: '.length) ?? lines.at(-1)
}
