/**
 * What the `.sql` editor features need from a file's text, without `vscode`: its statements (the
 * query layer's splitter, so the editor and the script runner agree on where one ends), the
 * statement at the cursor, the `zone.table` names it mentions, and what the word being typed
 * completes (a zone, a table of a zone, a column). A text that does not tokenize yet (an open
 * string while the user types) still gets an answer from the part that does.
 */
import { splitStatements, type StatementText } from '../../query/statements/split'
import { tokenize, type Token } from '../../query/statements/tokens'

export interface Statement {
  text: string
  /** Offsets in the whole text: from its first token to the end of its last. */
  start: number
  end: number
}

/** The statements of a text, in order (none when it does not tokenize). */
export function statementsOf(text: string): Statement[] {
  let split: StatementText[]
  try {
    split = splitStatements(text)
  } catch {
    return []
  }
  return split.map((s) => ({ text: s.text, start: s.offset, end: s.offset + s.text.length }))
}

/** The statement the cursor is in, or the one just before it (a cursor after its semicolon). */
export function statementAt(text: string, offset: number): Statement | undefined {
  const statements = statementsOf(text)
  return statements.find((s) => offset >= s.start && offset <= s.end + 1) ?? statements.filter((s) => s.end <= offset).at(-1) ?? statements[0]
}

export interface TableReference {
  zone: string
  table: string
  /** Offsets of `zone.table` in the text. */
  start: number
  end: number
}

/** Tokens of the text, or of its longest prefix that tokenizes (an unfinished string or comment at the end). */
function tokensOf(text: string): Token[] {
  try {
    return tokenize(text)
  } catch (error) {
    const at = (error as { offset?: number }).offset
    if (typeof at !== 'number' || at <= 0) return []
    return tokensOf(text.slice(0, at))
  }
}

const nameOf = (token: Token | undefined) =>
  token && (token.kind === 'word' || token.kind === 'quoted' || token.kind === 'backtick') ? (token.kind === 'word' ? token.text : token.value) : undefined

/** Every `zone.table` (two names joined by a dot, not followed by another dot) whose zone is one of `zones`. */
export function tableReferences(text: string, zones: ReadonlySet<string>): TableReference[] {
  const tokens = tokensOf(text)
  const found: TableReference[] = []
  for (let i = 0; i + 2 < tokens.length; i++) {
    const zone = nameOf(tokens[i])
    const table = nameOf(tokens[i + 2])
    if (
      zone === undefined ||
      table === undefined ||
      tokens[i + 1].text !== '.' ||
      tokens[i + 1].start !== tokens[i].end ||
      tokens[i + 2].start !== tokens[i + 1].end
    )
      continue
    if (tokens[i - 1]?.text === '.' || tokens[i + 3]?.text === '.') continue
    if (!zones.has(zone)) continue
    found.push({ zone, table, start: tokens[i].start, end: tokens[i + 2].end })
    i += 2
  }
  return found
}

export type CompletionContext =
  /** After `name.`: a zone's tables, or the columns of a table or alias. */
  | { kind: 'member'; qualifier: string; prefix: string }
  /** Anywhere else: zones, and the columns of the statement's tables. */
  | { kind: 'any'; prefix: string }

/** What the word before `offset` is: the start of a name, maybe after `something.`. */
export function completionContext(text: string, offset: number): CompletionContext {
  const before = text.slice(0, offset)
  const match = /((?:"[^"]*"|`[^`]*`|[A-Za-z_][\w$]*)\s*\.\s*)?([A-Za-z_][\w$]*)?$/.exec(before)
  const prefix = match?.[2] ?? ''
  if (!match?.[1]) return { kind: 'any', prefix }
  const qualifier = match[1].replace(/\s*\.\s*$/, '').replace(/^["`](.*)["`]$/, '$1')
  return { kind: 'member', qualifier, prefix }
}

/**
 * Aliases of the statement's tables: `FROM raw.orders o`, `JOIN raw.customers AS c`. A table is
 * also its own alias by its bare name (`orders.id`).
 */
export function tableAliases(statement: string, references: TableReference[], offsetOfStatement = 0): Map<string, TableReference> {
  const aliases = new Map<string, TableReference>()
  const tokens = tokensOf(statement)
  for (const reference of references) {
    aliases.set(reference.table.toLowerCase(), reference)
    const after = tokens.findIndex((t) => t.start + offsetOfStatement >= reference.end)
    if (after < 0) continue
    let next = tokens[after]
    if (next?.kind === 'word' && next.value === 'AS') next = tokens[after + 1]
    const alias = nameOf(next)
    if (alias !== undefined && !(next!.kind === 'word' && RESERVED_AFTER_TABLE.has(next!.value))) aliases.set(alias.toLowerCase(), reference)
  }
  return aliases
}

/** Words that may follow a table name and are not its alias. */
const RESERVED_AFTER_TABLE = new Set([
  'WHERE',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'OUTER',
  'ON',
  'USING',
  'GROUP',
  'ORDER',
  'LIMIT',
  'HAVING',
  'UNION',
  'EXCEPT',
  'INTERSECT',
  'VERSION',
  'TIMESTAMP',
  'WINDOW',
  'QUALIFY',
  'SET',
  'VALUES',
  'SELECT',
  'WHEN',
  'NATURAL',
  'TABLESAMPLE',
  'OFFSET',
  'FOR',
])
