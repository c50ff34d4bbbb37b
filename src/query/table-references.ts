/**
 * Spark's path syntax, ``delta.`/path/to/table` ``, found in a SQL text outside string
 * literals, quoted identifiers and comments, so it can be replaced by a scan of that table.
 */

export interface TableReference {
  /** The path as written between the backticks. */
  path: string
  start: number
  end: number
}

const REFERENCE = /^delta\s*\.\s*`((?:[^`]|``)+)`/i

export function findDeltaPathReferences(sql: string): TableReference[] {
  const found: TableReference[] = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    if (c === "'" || c === '"') {
      i = skipQuoted(sql, i, c)
      continue
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end + 1
      continue
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? sql.length : end + 2
      continue
    }
    if ((c === 'd' || c === 'D') && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      const match = REFERENCE.exec(sql.slice(i))
      if (match) {
        found.push({ path: match[1].replaceAll('``', '`'), start: i, end: i + match[0].length })
        i += match[0].length
        continue
      }
    }
    i++
  }
  return found
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1
  while (i < sql.length) {
    if (sql[i] === quote && sql[i + 1] === quote) i += 2
    else if (sql[i] === quote) return i + 1
    else i++
  }
  return i
}

/** Replace each reference by the text `replacement(reference)` returns. */
export function replaceReferences(sql: string, references: TableReference[], replacement: (ref: TableReference) => string): string {
  let out = ''
  let last = 0
  for (const ref of references) {
    out += sql.slice(last, ref.start) + replacement(ref)
    last = ref.end
  }
  return out + sql.slice(last)
}
