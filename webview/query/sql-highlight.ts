/**
 * SQL as coloured runs of text for the query box: keywords, strings, quoted names, numbers,
 * comments. A light lexer (no parser: the host's is the one that decides), total over any text,
 * so the runs always add up to the text as typed, an unclosed string or comment included.
 */

export type TokenKind = 'keyword' | 'string' | 'name' | 'number' | 'comment' | 'plain'

export interface Token {
  kind: TokenKind
  text: string
}

/** Spark SQL's and DuckDB's words that read as structure (functions and types are left plain). */
const KEYWORDS = new Set(
  `
  ADD ALL ALTER AND ANTI ANY AS ASC BETWEEN BY CASCADE CASE CAST CHANGE CLUSTER COLUMN COLUMNS COMMENT CONSTRAINT CREATE
  CROSS CUBE CURRENT DATABASE DEFAULT DELETE DESC DESCRIBE DETAIL DISTINCT DROP ELSE END ESCAPE EXCEPT EXISTS EXPLAIN
  EXTERNAL FALSE FILTER FIRST FOLLOWING FOR FROM FULL FUNCTION GROUP GROUPING HAVING HISTORY IF ILIKE IN INNER INSERT
  INTERSECT INTERVAL INTO IS JOIN LAST LATERAL LEFT LIKE LIMIT LOCATION MATCHED MERGE NATURAL NOT NULL NULLS OF OFFSET
  ON OPTIMIZE OR ORDER OUTER OVER OVERWRITE PARTITION PARTITIONED PIVOT PRECEDING PROPERTIES QUALIFY RANGE RECURSIVE
  REPLACE RESTORE RETAIN RIGHT ROLLUP ROW ROWS SELECT SEMI SET SHOW SOURCE TABLE TABLES TARGET TBLPROPERTIES THEN TIMESTAMP
  TO TRUE TRUNCATE UNBOUNDED UNION UNPIVOT UPDATE USING VACUUM VALUES VERSION VIEW WHEN WHERE WINDOW WITH ZORDER
`
    .trim()
    .split(/\s+/),
)

/** Each rule matches at the start of the rest of the text; the first that matches wins. */
const RULES: [TokenKind | 'word', RegExp][] = [
  ['comment', /^--[^\n]*/],
  ['comment', /^\/\*[\s\S]*?(?:\*\/|$)/],
  ['string', /^'(?:[^']|'')*(?:'|$)/],
  ['name', /^"(?:[^"]|"")*(?:"|$)/],
  ['name', /^`(?:[^`]|``)*(?:`|$)/],
  ['number', /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[a-zA-Z]*/],
  ['word', /^[A-Za-z_][A-Za-z0-9_$]*/],
  ['plain', /^[^A-Za-z0-9_'"`.\-/]+|^[\s\S]/],
]

export function highlightTokens(text: string): Token[] {
  const tokens: Token[] = []
  const push = (kind: TokenKind, part: string) => {
    const last = tokens.at(-1)
    if (last && last.kind === kind) last.text += part
    else tokens.push({ kind, text: part })
  }
  let rest = text
  while (rest.length) {
    for (const [kind, pattern] of RULES) {
      const match = pattern.exec(rest)
      if (!match) continue
      const part = match[0]
      push(kind === 'word' ? (KEYWORDS.has(part.toUpperCase()) ? 'keyword' : 'plain') : kind, part)
      rest = rest.slice(part.length)
      break
    }
  }
  return tokens
}
