/**
 * Which materialized views can be refreshed incrementally, read from DuckDB's own parse of the
 * query (json_serialize_sql). The method is one for every shape: the view's rows are partitioned
 * by *scope columns*, output columns whose value each source row determines, so that the rows
 * of one scope value depend only on source rows carrying that value. A refresh then takes the
 * scope values the sources' change feeds touch (before and after images), recomputes the query
 * for those values only, and writes the difference. This is exact for any aggregate or window
 * function (nothing is maintained by algebra), so it holds for updates and deletes as for appends.
 *
 * Incremental shapes (everything else is a full recompute, with the reason):
 *   - one table or INNER JOINs of tables (ON / WHERE equalities between columns), with
 *   - GROUP BY plain columns that the SELECT outputs: scope = the group columns (a key: a changed
 *     group is an update of its row); HAVING allowed; or
 *   - window functions whose PARTITION BY shares plain output columns: scope = those; or
 *   - no aggregate or window (filters, projections, DISTINCT): scope = one plain output column,
 *     a source's key when the output has one;
 *   and each scope column must be equal (through the join equalities) to a column of every table
 *   the query reads, so every change maps to scope values.
 * Not incremental: outer joins, subqueries, CTEs, set operations, ORDER BY/LIMIT, an aggregate
 * without GROUP BY (one row), GROUP BY expressions or columns not in the output, GROUPING SETS,
 * and non-deterministic functions (random(), now(), …).
 */
import type { DuckDb } from '../../engine'
import { DeltaError, quoteString } from '../../delta'

export interface ScopeColumn {
  /** The view's column. */
  output: string
  /** Per table reference (its alias): the source column equal to it. */
  sources: Map<string, string>
}

export interface SourceReference {
  /** The alias the query uses for it (its table name when it has none). */
  alias: string
  zone: string
  table: string
}

export type ViewShape =
  | { incremental: true; references: SourceReference[]; scope: ScopeColumn[]; key?: string[]; description: string }
  | { incremental: false; references: SourceReference[]; reason: string }

type Json = Record<string, unknown>

const NON_DETERMINISTIC = new Set([
  'random',
  'rand',
  'now',
  'current_timestamp',
  'get_current_timestamp',
  'current_date',
  'today',
  'uuid',
  'gen_random_uuid',
  'current_time',
  'setseed',
  'nextval',
  'transaction_timestamp',
])

let aggregateNames: Set<string> | undefined

async function aggregates(db: DuckDb): Promise<Set<string>> {
  aggregateNames ??= new Set(
    (await db.rows(`SELECT DISTINCT function_name AS name FROM duckdb_functions() WHERE function_type = 'aggregate'`)).map((r) => String(r.name).toLowerCase()),
  )
  return aggregateNames
}

/** The DuckDB parse tree of one SELECT statement. */
export async function parseSelect(db: DuckDb, sql: string): Promise<Json> {
  const tree = JSON.parse(await db.parseTree(sql)) as { error?: boolean; error_message?: string; statements?: { node: Json }[] }
  if (tree.error) throw new DeltaError('INVALID_ARGUMENT', tree.error_message ?? 'the query does not parse')
  if (tree.statements?.length !== 1) throw new DeltaError('INVALID_ARGUMENT', 'a materialized view is one SELECT')
  return tree.statements[0].node
}

/** A parse tree (of one SELECT) back to SQL text (json_deserialize_sql). */
export async function treeSql(db: DuckDb, node: Json): Promise<string> {
  // Nodes without a place in the text carry 2^64 - 1, which JSON numbers cannot hold exactly.
  walk(node, (n) => {
    if (typeof n.query_location === 'number' && n.query_location > Number.MAX_SAFE_INTEGER) n.query_location = 0
  })
  const document = { error: false, statements: [{ node, named_param_map: [] }] }
  const [{ sql }] = await db.rows(`SELECT json_deserialize_sql(${quoteString(JSON.stringify(document))}::JSON) AS sql`)
  return String(sql)
}

/** `columns`: each table reference's columns (by `zone.table`), to resolve unqualified names. `keys`: known keys of source tables. */
export async function viewShape(db: DuckDb, node: Json, columns: Map<string, string[]>, keys: Map<string, string[]> = new Map()): Promise<ViewShape> {
  const references: SourceReference[] = []
  const equalities: [string, string][] = []
  const refuse = (reason: string): ViewShape => ({ incremental: false, references, reason })
  const fromProblem = collectFrom(node.from_table as Json, references, equalities)
  if (fromProblem) return refuse(fromProblem)
  const clauseProblem = unsupportedClause(node)
  if (clauseProblem) return refuse(clauseProblem)
  const query: QueryColumns = { node, references, columns, ...columnClasses(node, references, equalities, columns) }
  const selected = await outputColumns(query, await aggregates(db))
  if (typeof selected === 'string') return refuse(selected)
  const chosen = scopeOf(query, selected, keys)
  if (typeof chosen === 'string') return refuse(chosen)

  const scope: ScopeColumn[] = []
  for (const s of chosen.scopeOutputs) {
    const sources = new Map<string, string>()
    for (const r of references) {
      const column = columnIn(query.classes, s.source, r, columns)
      if (column === undefined)
        return refuse(`the changes of ${r.zone}.${r.table} (${r.alias}) cannot be mapped to ${s.name}: no join equality ties it to a column of that table`)
      sources.set(r.alias, column)
    }
    scope.push({ output: s.name, sources })
  }
  return { incremental: true, references, scope, key: chosen.key, description: chosen.description }
}

/** The clauses and functions that make any query a full recompute, in words; undefined when there is none. */
function unsupportedClause(node: Json): string | undefined {
  if (node.type !== 'SELECT_NODE') return 'a set operation (UNION, EXCEPT, INTERSECT)'
  if (((node.cte_map as { map: unknown[] }).map ?? []).length) return 'a WITH clause'
  const modifiers = (node.modifiers as Json[]) ?? []
  if (modifiers.some((m) => m.type !== 'DISTINCT_MODIFIER')) return 'ORDER BY or LIMIT'
  if (node.qualify || node.sample) return 'QUALIFY or SAMPLE'
  let subquery = false
  let nondeterministic = ''
  walk(node, (n) => {
    if (n.class === 'SUBQUERY') subquery = true
    if (n.class === 'FUNCTION' && NON_DETERMINISTIC.has(String(n.function_name).toLowerCase())) nondeterministic = String(n.function_name)
  })
  if (subquery) return 'a subquery'
  if (nondeterministic) return `the non-deterministic function ${nondeterministic}()`
  return undefined
}

/** A query's tables and how its columns are named and tied together. */
interface QueryColumns {
  node: Json
  references: SourceReference[]
  columns: Map<string, string[]>
  /** A column reference's identity (`alias.column`, lower case), when it names one column of one table. */
  resolve: (ref: Json) => string | undefined
  /** Identities made equal by the join and WHERE equalities. */
  classes: UnionFind
}

/** Column identity: `alias.column`, lower case; unqualified names resolve to the one reference that has them. */
function columnClasses(
  node: Json,
  references: SourceReference[],
  equalities: [string, string][],
  columns: Map<string, string[]>,
): Pick<QueryColumns, 'resolve' | 'classes'> {
  const resolve = (ref: Json): string | undefined => {
    const parts = (ref.column_names as string[]).map((p) => p.toLowerCase())
    if (parts.length === 2) return references.some((r) => r.alias.toLowerCase() === parts[0]) ? `${parts[0]}.${parts[1]}` : undefined
    if (parts.length !== 1) return undefined
    const owners = references.filter((r) => (columns.get(`${r.zone}.${r.table}`) ?? []).some((c) => c.toLowerCase() === parts[0]))
    return owners.length === 1 ? `${owners[0].alias.toLowerCase()}.${parts[0]}` : undefined
  }
  const where = node.where_clause as Json | null
  if (where) for (const conjunct of conjuncts(where)) pushEquality(conjunct, equalities)
  const classes = new UnionFind()
  for (const [a, b] of equalities) {
    const left = resolve({ column_names: a.split('\u0000') })
    const right = resolve({ column_names: b.split('\u0000') })
    if (left && right) classes.union(left, right)
  }
  return { resolve, classes }
}

interface OutputColumns {
  /** Each output column, with its identity when it is a plain column reference. */
  outputs: { name: string; source?: string }[]
  hasAggregate: boolean
  windows: Json[]
}

/** The output columns: plain column references (by identity), and what the rest is; or why the list cannot be read. */
async function outputColumns(query: QueryColumns, aggregateSet: Set<string>): Promise<OutputColumns | string> {
  const { node, references, columns, resolve } = query
  const outputs: { name: string; source?: string }[] = []
  let hasAggregate = false
  const windows: Json[] = []
  for (const item of node.select_list as Json[]) {
    if (item.class === 'STAR') {
      const relation = String(item.relation_name ?? '').toLowerCase()
      const expanded = relation ? references.filter((r) => r.alias.toLowerCase() === relation) : references
      const plainStar =
        !item.columns &&
        !((item.exclude_list as unknown[]) ?? []).length &&
        !((item.replace_list as unknown[]) ?? []).length &&
        !((item.rename_list as unknown[]) ?? []).length
      if (!plainStar || expanded.length !== 1) return 'a * over several tables, or with EXCLUDE/REPLACE (name the columns)'
      const r = expanded[0]
      for (const column of columns.get(`${r.zone}.${r.table}`) ?? []) outputs.push({ name: column, source: `${r.alias.toLowerCase()}.${column.toLowerCase()}` })
      continue
    }
    const name = String(item.alias || (item.class === 'COLUMN_REF' ? (item.column_names as string[]).at(-1) : ''))
    outputs.push({ name, source: item.class === 'COLUMN_REF' ? resolve(item) : undefined })
    walk(item, (n) => {
      if (n.class === 'WINDOW') windows.push(n)
      else if (n.class === 'FUNCTION' && aggregateSet.has(String(n.function_name).toLowerCase())) hasAggregate = true
    })
  }
  return { outputs, hasAggregate, windows: windows.filter(Boolean) }
}

interface ChosenScope {
  scopeOutputs: { name: string; source: string }[]
  key: string[] | undefined
  description: string
}

/** The scope columns by the query's shape (GROUP BY, windows, or plain rows); or why there are none. */
function scopeOf(query: QueryColumns, selected: OutputColumns, keys: Map<string, string[]>): ChosenScope | string {
  const { node, references, columns, resolve, classes } = query
  const { outputs, hasAggregate, windows } = selected
  const groups = (node.group_expressions as Json[]) ?? []
  const groupSets = (node.group_sets as unknown[][]) ?? []
  const distinct = ((node.modifiers as Json[]) ?? []).some((m) => m.type === 'DISTINCT_MODIFIER')
  const sourceOf = (identity: string | undefined) =>
    outputs.find((o) => o.source !== undefined && identity !== undefined && classes.find(o.source) === classes.find(identity))
  const mapsEverywhere = (o: { source: string }) => references.every((r) => columnIn(classes, o.source, r, columns) !== undefined)
  if (groups.length) {
    if (groupSets.length > 1) return 'GROUPING SETS, ROLLUP or CUBE'
    if (windows.length) return 'window functions over an aggregate'
    const grouped: { name: string; source: string }[] = []
    for (const group of groups) {
      const byPosition = group.class === 'CONSTANT' ? outputs[Number((group.value as { value: unknown }).value) - 1] : undefined
      const identity = byPosition?.source ?? (group.class === 'COLUMN_REF' ? resolve(group) : undefined)
      const output = byPosition ?? outputs.find((o) => o.source === identity)
      if (!identity || !output?.source) return 'a GROUP BY expression that is not a column of the output'
      grouped.push({ name: output.name, source: output.source })
    }
    // The group columns are the view's key; those that every table has (through the joins) scope a refresh.
    const key = grouped.map((s) => s.name)
    const scopeOutputs = grouped.filter(mapsEverywhere)
    if (!scopeOutputs.length) return `no GROUP BY column (${key.join(', ')}) is a column of every table read (through the join equalities)`
    return { scopeOutputs, key, description: `groups by ${key.join(', ')}, refreshed by ${scopeOutputs.map((s) => s.name).join(', ')}` }
  }
  if (node.aggregate_handling === 'FORCE_AGGREGATES') return 'GROUP BY ALL'
  if (hasAggregate && !windows.length) return 'an aggregate without GROUP BY (one row, recomputed)'
  if (windows.length) {
    let shared: string[] | undefined
    for (const w of windows) {
      const partitions = ((w.partitions as Json[]) ?? [])
        .filter((p) => p.class === 'COLUMN_REF')
        .map(resolve)
        .filter((x): x is string => !!x)
      shared = shared === undefined ? partitions : shared.filter((p) => partitions.some((q) => classes.find(q) === classes.find(p)))
    }
    const scopeOutputs = (shared ?? [])
      .flatMap((identity) => {
        const output = sourceOf(identity)
        return output ? [{ name: output.name, source: output.source! }] : []
      })
      .filter(mapsEverywhere)
    if (!scopeOutputs.length) return 'window functions without a PARTITION BY column that the output has'
    return { scopeOutputs, key: undefined, description: `windows partitioned by ${scopeOutputs.map((s) => s.name).join(', ')}` }
  }
  const plain = outputs.filter((o): o is { name: string; source: string } => o.source !== undefined)
  const isKey = (o: { source: string }) =>
    references.some((r) =>
      (keys.get(`${r.zone}.${r.table}`) ?? []).some((k) => classes.find(`${r.alias.toLowerCase()}.${k.toLowerCase()}`) === classes.find(o.source)),
    )
  const best = plain.find((o) => isKey(o) && mapsEverywhere(o)) ?? plain.find(mapsEverywhere)
  if (!best) return 'no output column is a column of every table read (through the join equalities)'
  return { scopeOutputs: [best], key: undefined, description: `${distinct ? 'distinct rows' : 'rows'} by ${best.name}` }
}

/** The column of reference `r` in the class of `identity`, by its name as the table has it. */
function columnIn(classes: UnionFind, identity: string, r: SourceReference, columns: Map<string, string[]>): string | undefined {
  const root = classes.find(identity)
  return (columns.get(`${r.zone}.${r.table}`) ?? []).find((c) => classes.find(`${r.alias.toLowerCase()}.${c.toLowerCase()}`) === root)
}

/** The tables of FROM and the equalities of INNER JOIN conditions; a problem makes the view a full recompute. */
function collectFrom(from: Json | null, references: SourceReference[], equalities: [string, string][]): string | undefined {
  if (!from) return 'no FROM clause'
  if (from.type === 'BASE_TABLE') {
    if (!from.schema_name) return `the table ${String(from.table_name)} is not a lake table (zone.table)`
    if (from.at_clause) return 'time travel in the query'
    references.push({ alias: String(from.alias || from.table_name), zone: String(from.schema_name), table: String(from.table_name) })
    return undefined
  }
  if (from.type === 'JOIN') {
    const joinType = String(from.join_type)
    if (from.ref_type !== 'REGULAR' && from.ref_type !== 'CROSS') return `a ${String(from.ref_type).toLowerCase()} join`
    if (joinType !== 'INNER') return `a ${joinType.toLowerCase()} outer join`
    if (((from.using_columns as string[]) ?? []).length) return 'JOIN … USING (write ON a.x = b.x)'
    const problem = collectFrom(from.left as Json, references, equalities) ?? collectFrom(from.right as Json, references, equalities)
    if (problem) return problem
    if (from.condition) for (const conjunct of conjuncts(from.condition as Json)) pushEquality(conjunct, equalities)
    return undefined
  }
  if (from.type === 'SUBQUERY') return 'a subquery in FROM'
  if (from.type === 'TABLE_FUNCTION') return 'a table function in FROM'
  return `a ${String(from.type).toLowerCase()} in FROM`
}

function conjuncts(node: Json): Json[] {
  if (node.class === 'CONJUNCTION' && node.type === 'CONJUNCTION_AND') return (node.children as Json[]).flatMap(conjuncts)
  return [node]
}

function pushEquality(node: Json, equalities: [string, string][]): void {
  if (node.class !== 'COMPARISON' || node.type !== 'COMPARE_EQUAL') return
  const left = node.left as Json
  const right = node.right as Json
  if (left.class === 'COLUMN_REF' && right.class === 'COLUMN_REF') {
    equalities.push([(left.column_names as string[]).join('\u0000'), (right.column_names as string[]).join('\u0000')])
  }
}

function walk(node: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit)
  else if (node && typeof node === 'object') {
    visit(node as Json)
    for (const value of Object.values(node)) walk(value, visit)
  }
}

class UnionFind {
  private parent = new Map<string, string>()
  find(x: string): string {
    const p = this.parent.get(x)
    if (p === undefined || p === x) return x
    const root = this.find(p)
    this.parent.set(x, root)
    return root
  }
  union(a: string, b: string): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra !== rb) this.parent.set(ra, rb)
  }
}
