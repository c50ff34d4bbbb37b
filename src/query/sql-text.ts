/**
 * Working on SQL text without a full parser: a masked copy of the text, the same length, in which
 * string literals and comments are blanked out, so patterns match only real code; positions found
 * in the mask then address the original text.
 */

/**
 * The SQL with the insides of string literals and comments replaced by spaces and the insides of
 * quoted identifiers (double quotes or backticks) by `_` (quotes kept, so an identifier still looks
 * like one).
 */
export function maskSql(sql: string): string {
  const out = sql.split('')
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    if (c === "'") {
      let j = i + 1
      while (j < sql.length) {
        if (sql[j] === "'" && sql[j + 1] === "'") j += 2
        else if (sql[j] === "'") break
        else j++
      }
      for (let k = i + 1; k < Math.min(j, sql.length); k++) out[k] = ' '
      i = j + 1
    } else if (c === '"' || c === '`') {
      // Quoted identifiers ("…", and Spark's `…` around a path) become "___": still an identifier to
      // the patterns, never code inside (a path may hold `--` or `/*`).
      let j = i + 1
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1
      for (let k = i + 1; k < Math.min(j, sql.length); k++) out[k] = '_'
      i = j + 1
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      const stop = end === -1 ? sql.length : end
      for (let k = i; k < stop; k++) out[k] = ' '
      i = stop
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      const stop = end === -1 ? sql.length : end + 2
      for (let k = i; k < stop; k++) out[k] = ' '
      i = stop
    } else i++
  }
  return out.join('')
}

export interface TextMatch {
  start: number
  end: number
  /** Capture groups, taken from the original text (so string literals keep their content). */
  groups: (string | undefined)[]
}

/** All matches of `pattern` (global) found in the mask, with groups read from the original. */
export function findInCode(sql: string, pattern: RegExp): TextMatch[] {
  const masked = maskSql(sql)
  const matches: TextMatch[] = []
  for (const m of masked.matchAll(pattern)) {
    const start = m.index!
    const groups: (string | undefined)[] = []
    let cursor = start
    for (let g = 1; g < m.length; g++) {
      if (m[g] === undefined) {
        groups.push(undefined)
        continue
      }
      const at = masked.indexOf(m[g], cursor)
      groups.push(sql.slice(at, at + m[g].length))
      cursor = at + m[g].length
    }
    matches.push({ start, end: start + m[0].length, groups })
  }
  return matches
}

/** Replace non-overlapping matches (in order) by what `replacement` returns. */
export function replaceMatches(sql: string, matches: TextMatch[], replacement: (m: TextMatch) => string): string {
  let out = ''
  let last = 0
  for (const m of [...matches].sort((a, b) => a.start - b.start)) {
    if (m.start < last) continue
    out += sql.slice(last, m.start) + replacement(m)
    last = m.end
  }
  return out + sql.slice(last)
}

/** The text of a SQL string literal `'it''s'` → `it's`. */
export function unquoteLiteral(literal: string): string {
  return literal.slice(1, -1).replaceAll("''", "'")
}

/** A double-quoted identifier → its name; a bare one as it is. */
export function unquoteIdentifier(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier
}

export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Spark's ``delta.`path` `` references in the code, with their paths. */
export function findDeltaPathReferences(sql: string): { path: string; start: number; end: number }[] {
  return findInCode(sql, /(?<![\w$.])delta\s*\.\s*`((?:[^`]|``)+)`/gi).map((m) => ({ path: m.groups[0]!.replaceAll('``', '`'), start: m.start, end: m.end }))
}
