/**
 * Tab titles for panels: a query tab is named by the table it reads when the query is a plain
 * look at one table (`SELECT * FROM raw.orders LIMIT 1000`, also `VERSION AS OF 3`), else by the
 * start of its text; and the key under which such a tab is reused, so that "Query Table" on a
 * table already open reveals its tab instead of adding another.
 */

const TABLE = String.raw`("[^"]+"|[A-Za-z0-9_-]+)\.("[^"]+"|[A-Za-z0-9_-]+)`
/** `SELECT * FROM zone.table [VERSION AS OF n | TIMESTAMP AS OF '…'] [LIMIT n]`, as the Lake view writes it. */
const TABLE_LOOK = new RegExp(String.raw`^\s*select\s+\*\s+from\s+${TABLE}(\s+(version|timestamp)\s+as\s+of\s+('[^']*'|\d+))?(\s+limit\s+\d+)?\s*;?\s*$`, 'i')
const TITLE_CHARS = 40

const unquote = (part: string) => (part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part)

/** The table a query only looks at, with its version when it names one; undefined for any other query. */
export function tableOfQuery(sql: string): { table: string; asOf?: string } | undefined {
  const match = TABLE_LOOK.exec(sql)
  if (!match) return undefined
  const table = `${unquote(match[1])}.${unquote(match[2])}`
  return match[3] ? { table, asOf: match[5] } : { table }
}

/** `raw.orders`, `raw.orders @ v3`, or `Query: SELECT customer, count(*) …`. */
export function queryTitle(sql: string | undefined): string {
  const text = (sql ?? '').replace(/\s+/g, ' ').trim()
  if (!text) return 'Query'
  const look = tableOfQuery(text)
  if (look) return look.asOf === undefined ? look.table : `${look.table} @ ${/^\d+$/.test(look.asOf) ? `v${look.asOf}` : look.asOf.replaceAll("'", '')}`
  return `Query: ${text.length > TITLE_CHARS ? `${text.slice(0, TITLE_CHARS - 1)}…` : text}`
}

/** The key of the tab a query reuses: its table (and version), in its lake; undefined: a new tab. */
export function queryTabKey(sql: string | undefined, lake: string | undefined): string | undefined {
  const look = sql === undefined ? undefined : tableOfQuery(sql)
  return look ? JSON.stringify([lake ?? '', look.table, look.asOf ?? null]) : undefined
}
