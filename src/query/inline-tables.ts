/**
 * A lake table named in a query is read through a view of its files (see prepare.ts), but
 * creating a view makes DuckDB bind it, which reads every file's footer, and the query's own bind
 * reads them again. Where DuckDB's parse says exactly where a reference is, the reference can be
 * replaced by the same SELECT as a subquery (under the name the view would have bound), so the
 * files are bound once. Anything unsure keeps the view: a reference whose text is not the name
 * the parse reported, an AT clause, or a column qualified by the table's full name (`raw.t.x`).
 */
import type { TableOccurrence } from './constraints'
import { SqlStatementError } from './result-table'
import { quoteName, unquoteIdentifier } from './sql-text'

const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][\\w-]*)`

export interface TextReplacement {
  start: number
  end: number
  /** What follows the subquery: ` AS "name"` where the reference had no alias of its own. */
  suffix: string
  /** The parenthesised SELECT that replaces the reference; set once the table's scan is registered. */
  subquery?: string
}

/** Where each use of one table is in `sql`, or undefined when any use cannot be replaced (the table then keeps its view). */
export function inlineReplacements(sql: string, uses: TableOccurrence[]): TextReplacement[] | undefined {
  const bytes = Buffer.from(sql, 'utf8')
  const replacements: TextReplacement[] = []
  for (const use of uses) {
    if (!use.inline || use.inline.location >= bytes.length) return undefined
    const start = bytes.subarray(0, use.inline.location).toString('utf8').length
    // A location inside a character would decode to a replacement character: not a reference.
    if (Buffer.byteLength(sql.slice(0, start), 'utf8') !== use.inline.location) return undefined
    const name = new RegExp(`(${IDENT})\\s*\\.\\s*(${IDENT})`, 'y')
    name.lastIndex = start
    const match = name.exec(sql)
    if (!match || unquoteIdentifier(match[1]) !== use.schema || unquoteIdentifier(match[2]) !== use.table) return undefined
    // Without an alias a view is bound under its table name: the subquery gets the same name.
    replacements.push({ start, end: start + match[0].length, suffix: use.inline.aliased ? '' : ` AS ${quoteName(use.table)}` })
  }
  return replacements
}

/** `sql` with every replacement made (they never overlap: each is one table reference). */
export function applyReplacements(sql: string, replacements: TextReplacement[]): string {
  let result = sql
  for (const r of [...replacements].sort((a, b) => b.start - a.start)) result = `${result.slice(0, r.start)}${r.subquery}${r.suffix}${result.slice(r.end)}`
  return result
}

/**
 * DuckDB shows where an error is (`LINE n: <text>`, shortened with `...` when long, and a caret
 * under it) in the text it ran. Where subqueries replaced references, the same place is shown
 * in the query's own text instead; an error inside a subquery points at the reference it replaced.
 */
export function errorInQueryText(error: unknown, ran: string, original: string, replacements: TextReplacement[]): unknown {
  if (!(error instanceof Error) || replacements.length === 0) return error
  const shown = /\nLINE (\d+): (.*)\n( *)\^/.exec(error.message)
  if (!shown) return error
  const label = `LINE ${shown[1]}: `
  const lineStart = ran
    .split('\n')
    .slice(0, Number(shown[1]) - 1)
    .reduce((at, line) => at + line.length + 1, 0)
  const line = ran.slice(lineStart, ran.indexOf('\n', lineStart) === -1 ? undefined : ran.indexOf('\n', lineStart))
  const cut = shown[2].startsWith('...') && !line.startsWith('...') ? 3 : 0
  const window = shown[2].slice(cut).replace(/\.\.\.$/, '')
  const windowAt = line.indexOf(window)
  if (windowAt === -1) return error
  let position = lineStart + windowAt + (shown[3].length - label.length - cut)
  let shift = 0
  for (const r of [...replacements].sort((a, b) => a.start - b.start)) {
    const ranStart = r.start + shift
    const ranLength = (r.subquery?.length ?? 0) + r.suffix.length
    if (position < ranStart) break
    if (position < ranStart + ranLength) {
      position = ranStart
      break
    }
    shift += ranLength - (r.end - r.start)
  }
  position -= shift
  const before = original.slice(0, position).split('\n')
  const lineNumber = before.length
  const column = before[lineNumber - 1].length
  const originalLine = original.split('\n')[lineNumber - 1]
  const at = `\nLINE ${lineNumber}: ${originalLine}\n${' '.repeat(`LINE ${lineNumber}: `.length + column)}^`
  return new SqlStatementError(
    error.message.replace(shown[0], () => at),
    error,
    error.name,
  )
}
