/**
 * A tokenizer for the SQL texts users type: Spark's forms (backtick identifiers, `--` and
 * `/* *\/` comments, strings in single quotes with `''` escapes) and DuckDB's (double
 * quoted identifiers). Strings follow DuckDB, which runs the embedded expressions: a backslash is
 * an ordinary character. Every token keeps its offsets in the original text, so statements can be
 * split and errors can say line:column, and embedded expressions can be cut out verbatim.
 */
import { DeltaError } from '../../delta'

export type TokenKind = 'word' | 'quoted' | 'backtick' | 'string' | 'number' | 'punct'

export interface Token {
  kind: TokenKind
  /** The text as written. */
  text: string
  /** For words: upper-cased; for quoted identifiers and strings: the unquoted content. */
  value: string
  start: number
  end: number
}

/** 1-based line and column of `offset` in `text`. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

export function describePosition(text: string, offset: number): string {
  const { line, column } = positionOf(text, offset)
  return `${line}:${column}`
}

/** An error in the SQL text at `offset` (line:column is added by the script runner). */
export class SqlSyntaxError extends DeltaError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super('INVALID_ARGUMENT', message)
    this.name = 'SqlSyntaxError'
  }
}

const TWO_CHAR_OPERATORS = new Set(['<=', '>=', '<>', '!=', '==', '||', '::', '<=>', '->', '=>'])

export function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++
      continue
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2)
      if (close === -1) throw new SqlSyntaxError('a /* comment is never closed', i)
      i = close + 2
      continue
    }
    const start = i
    if (c === "'") {
      let value = ''
      i++
      for (;;) {
        if (i >= n) throw new SqlSyntaxError('a string is never closed (a quote is missing)', start)
        if (text[i] === "'" && text[i + 1] === "'") {
          value += "'"
          i += 2
          continue
        }
        if (text[i] === "'") {
          i++
          break
        }
        value += text[i++]
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), value, start, end: i })
      continue
    }
    if (c === '"' || c === '`') {
      let value = ''
      i++
      for (;;) {
        if (i >= n) throw new SqlSyntaxError(`a ${c === '`' ? 'backtick' : 'double-quoted'} identifier is never closed`, start)
        if (text[i] === c && text[i + 1] === c) {
          value += c
          i += 2
          continue
        }
        if (text[i] === c) {
          i++
          break
        }
        value += text[i++]
      }
      tokens.push({ kind: c === '`' ? 'backtick' : 'quoted', text: text.slice(start, i), value, start, end: i })
      continue
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z]*/.exec(text.slice(i))!
      i += m[0].length
      tokens.push({ kind: 'number', text: m[0], value: m[0], start, end: i })
      continue
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const m = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/.exec(text.slice(i))!
      i += m[0].length
      tokens.push({ kind: 'word', text: m[0], value: m[0].toUpperCase(), start, end: i })
      continue
    }
    const three = text.slice(i, i + 3)
    const two = text.slice(i, i + 2)
    const op = TWO_CHAR_OPERATORS.has(three) ? three : TWO_CHAR_OPERATORS.has(two) ? two : c
    i += op.length
    tokens.push({ kind: 'punct', text: op, value: op, start, end: i })
  }
  return tokens
}
