/**
 * Where in a pipeline file's text each of its problems is, for VS Code diagnostics: the offending
 * value (or the unknown key, or the spot a JSON syntax error names) as a range, the message with
 * a line and column instead of a character position, and the replacement a "did you mean" offers.
 * No vscode import: unit-tested on its own.
 */
import type { PipelineProblem } from '../pipeline/pipeline-file'
import { locateJsonPath, offsetFromParseError, syntaxErrorOffset } from './json-locate'

export interface ProblemPlace {
  start: number
  end: number
  message: string
  /** The text that fixes it, for the quick fix (JSON: quoted), when the message suggests one. */
  fix?: string
}

export function problemPlace(text: string, problem: PipelineProblem): ProblemPlace {
  if (problem.message.startsWith('not valid JSON')) {
    const at = offsetFromParseError(text, problem.message) ?? syntaxErrorOffset(text) ?? 0
    return { start: at, end: Math.min(text.length, at + 1), message: problem.message.replace(/ at position \d+/, '').replace(/ \(line \d+ column \d+\)/, '') }
  }
  const range = locateJsonPath(text, problem.path) ?? { start: 0, end: Math.min(1, text.length), depth: 0 }
  let { start, end } = range
  // An unknown property is reported on the object that has it: point at its key.
  const unknown = /^unknown property '([^']+)'/.exec(problem.message)
  if (unknown) {
    const key = JSON.stringify(unknown[1])
    const at = text.indexOf(key, start)
    if (at >= 0 && at < end) {
      start = at
      end = at + key.length
    }
  } else if (range.keyStart !== undefined && range.end - range.start > 200) {
    // A large object or array: the key says where it is without underlining all of it.
    start = range.keyStart
    end = text.indexOf(':', range.keyStart)
  }
  const suggestion = /Did you mean '([^']+)'(?: or '[^']+')?\?$/.exec(problem.message)?.[1]
  return {
    start,
    end: Math.max(end, start),
    message: `${problem.path}: ${problem.message}`,
    ...(suggestion !== undefined ? { fix: JSON.stringify(suggestion) } : {}),
  }
}
