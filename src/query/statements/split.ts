/**
 * Splitting a SQL text (a `.sql` file, an editor selection) into statements at the semicolons
 * that are not inside strings, quoted names or comments.
 */
import { tokenize, type Token } from './tokens'

export interface StatementText {
  /** The statement as written, without the closing semicolon. */
  text: string
  /** Offset of its first token in the whole text. */
  offset: number
  tokens: Token[]
}

export function splitStatements(text: string): StatementText[] {
  const statements: StatementText[] = []
  let current: Token[] = []
  const flush = () => {
    if (current.length === 0) return
    const start = current[0].start
    const end = current[current.length - 1].end
    statements.push({ text: text.slice(start, end), offset: start, tokens: current.map((t) => ({ ...t, start: t.start - start, end: t.end - start })) })
    current = []
  }
  for (const token of tokenize(text)) {
    if (token.kind === 'punct' && token.text === ';') flush()
    else current.push(token)
  }
  flush()
  return statements
}
