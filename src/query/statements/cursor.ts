/**
 * Walking one statement's tokens: keywords, names, literals, and embedded expressions cut out as
 * text up to the next keyword of the statement's own grammar (at parenthesis and CASE depth 0).
 */
import { compactTimestamp, parseTimestamp } from '../time-travel'
import type { SqlPart, TableName } from './ast'
import { SqlSyntaxError, type Token } from './tokens'

export class Cursor {
  private index = 0

  constructor(
    readonly text: string,
    readonly tokens: Token[],
  ) {}

  peek(ahead = 0): Token | undefined {
    return this.tokens[this.index + ahead]
  }

  atEnd(): boolean {
    return this.index >= this.tokens.length
  }

  /** Offset of the current token (or the end of the text). */
  offset(): number {
    return this.peek()?.start ?? this.text.length
  }

  next(): Token {
    const token = this.peek()
    if (!token) throw new SqlSyntaxError('the statement ends too early', this.text.length)
    this.index++
    return token
  }

  /** True when the next tokens are these keywords (words, case-insensitive) or punctuation. */
  isAt(...words: string[]): boolean {
    return words.every((word, i) => {
      const token = this.peek(i)
      return token !== undefined && (token.kind === 'word' || token.kind === 'punct') && token.value === word
    })
  }

  accept(...words: string[]): boolean {
    if (!this.isAt(...words)) return false
    this.index += words.length
    return true
  }

  expect(...words: string[]): void {
    if (!this.accept(...words)) throw this.error(`expected ${words.join(' ')}`)
  }

  error(message: string): SqlSyntaxError {
    const token = this.peek()
    return new SqlSyntaxError(`${message}, found ${token ? `'${token.text}'` : 'the end of the statement'}`, this.offset())
  }

  expectEnd(): void {
    if (!this.atEnd()) throw this.error('expected the end of the statement')
  }

  /** An identifier: a word, a `backtick` or a "double-quoted" name. */
  identifier(what = 'a name'): string {
    const token = this.peek()
    if (!token || !(token.kind === 'word' || token.kind === 'backtick' || token.kind === 'quoted')) throw this.error(`expected ${what}`)
    this.index++
    return token.kind === 'word' ? token.text : token.value
  }

  /** A possibly dotted column name (`a`, `a.b`); the last part for top-level columns. */
  columnName(): string {
    const parts = [this.identifier('a column name')]
    while (this.isAt('.')) {
      this.next()
      parts.push(this.identifier('a column name'))
    }
    return parts.join('.')
  }

  identifierList(): string[] {
    this.expect('(')
    const names = [this.columnName()]
    while (this.accept(',')) names.push(this.columnName())
    this.expect(')')
    return names
  }

  string(what = 'a string'): string {
    const token = this.peek()
    if (token?.kind !== 'string') throw this.error(`expected ${what} in single quotes`)
    this.index++
    return token.value
  }

  wholeNumber(what = 'a whole number'): number {
    const token = this.peek()
    if (token?.kind !== 'number' || !/^\d+$/.test(token.text)) throw this.error(`expected ${what}`)
    this.index++
    return Number(token.text)
  }

  /**
   * A table: `zone.table`, ``delta.`path` ``, each optionally `@v3`, `@yyyyMMddHHmmssSSS` or followed
   * by `VERSION AS OF n` / `TIMESTAMP AS OF '…'` (only where `timeTravel` is allowed).
   */
  tableName(timeTravel = false): TableName {
    const offset = this.offset()
    const first = this.peek()
    let table: TableName
    if (first?.kind === 'word' && first.value === 'DELTA' && this.peek(1)?.text === '.' && this.peek(2)?.kind === 'backtick') {
      this.index += 2
      table = { kind: 'path', name: this.next().value, offset }
    } else {
      const zone = this.identifier('a table name (zone.table)')
      if (!this.accept('.')) throw new SqlSyntaxError(`'${zone}' is not a table name: name tables zone.table (e.g. raw.orders) or delta.\`path\``, offset)
      const name = this.identifier('a table name after the zone')
      if (this.isAt('.')) throw new SqlSyntaxError('table names have two parts, zone.table (there is no catalog level)', this.offset())
      table = { kind: 'name', name: `${zone}.${name}`, offset }
    }
    if (this.isAt('@')) {
      if (!timeTravel) throw new SqlSyntaxError('this statement changes the table: it cannot name an older version (@…)', this.offset())
      this.next()
      const at = this.next()
      const version = /^[vV](\d+)$/.exec(at.text)
      if (version) table.version = Number(version[1])
      else if (/^\d{17}$/.test(at.text)) table.timestamp = compactTimestamp(at.text)
      else throw new SqlSyntaxError(`'@${at.text}' is not a version: write @v3 or @yyyyMMddHHmmssSSS`, at.start)
    } else if (timeTravel && (this.isAt('VERSION', 'AS', 'OF') || this.isAt('TIMESTAMP', 'AS', 'OF'))) {
      const travel = this.timeTravel()
      Object.assign(table, travel)
    }
    return table
  }

  /** `VERSION AS OF n` | `TIMESTAMP AS OF '…'` */
  timeTravel(): { version?: number; timestamp?: number } {
    if (this.accept('VERSION', 'AS', 'OF')) return { version: this.wholeNumber('a version') }
    this.expect('TIMESTAMP', 'AS', 'OF')
    const offset = this.offset()
    const text = this.string('a timestamp')
    try {
      return { timestamp: parseTimestamp(text) }
    } catch (error) {
      throw new SqlSyntaxError((error as Error).message, offset)
    }
  }

  /** An optional alias: `[AS] name`, not one of `reserved`. */
  alias(reserved: string[]): string | undefined {
    if (this.accept('AS')) return this.identifier('an alias')
    const token = this.peek()
    if (!token) return undefined
    if (token.kind === 'backtick' || token.kind === 'quoted') return this.identifier()
    if (token.kind === 'word' && !reserved.includes(token.value)) return this.identifier()
    return undefined
  }

  /**
   * The SQL text from here up to (not including) one of `stops` (keywords or punctuation, checked
   * at parenthesis and CASE depth 0) or the end. Backtick names become DuckDB's double quotes.
   */
  expression(stops: string[] = [], what = 'an expression'): SqlPart {
    const startIndex = this.index
    let depth = 0
    while (!this.atEnd()) {
      const token = this.peek()!
      if (depth === 0 && (token.kind === 'word' || token.kind === 'punct') && stops.includes(token.value)) break
      if (token.text === '(' || (token.kind === 'word' && token.value === 'CASE')) depth++
      else if (token.text === ')' || (token.kind === 'word' && token.value === 'END')) {
        if (depth === 0) break
        depth--
      }
      this.index++
    }
    if (this.index === startIndex) throw this.error(`expected ${what}`)
    return this.sqlOf(startIndex, this.index)
  }

  /** Everything left in the statement, as SQL text. */
  rest(what: string): SqlPart {
    if (this.atEnd()) throw this.error(`expected ${what}`)
    const start = this.index
    this.index = this.tokens.length
    return this.sqlOf(start, this.index)
  }

  /** The SQL of tokens [from, to): the original text, with backtick names requoted for DuckDB. */
  sqlOf(from: number, to: number): SqlPart {
    let sql = ''
    let last = this.tokens[from].start
    for (let i = from; i < to; i++) {
      const token = this.tokens[i]
      sql += this.text.slice(last, token.start)
      const isPath = token.kind === 'backtick' && this.tokens[i - 1]?.text === '.' && this.tokens[i - 2]?.value === 'DELTA'
      sql += token.kind === 'backtick' && !isPath ? `"${token.value.replaceAll('"', '""')}"` : token.text
      last = token.end
    }
    return { sql, text: this.text.slice(this.tokens[from].start, this.tokens[to - 1].end), offset: this.tokens[from].start }
  }
}
