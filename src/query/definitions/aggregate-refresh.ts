/**
 * Maintaining a grouped view's aggregates from the sources' change rows (aggregate-plan.ts says
 * which views). Each change row carries a weight: +1 for an insert or post-image, −1 for a delete
 * or pre-image. The delta of the join follows the standard rule, one term per changed table
 * reference i: references before i at their new version, i's change rows, references after i at
 * the version the view last reflected (T1' ⋈ … ⋈ ΔTi ⋈ … ⋈ Tn), so changes in several tables in
 * one refresh are counted once. Equal rows with opposite weights cancel (an update that leaves the
 * view's inputs as they were is no change). Per group the delta holds Σw (rows), Σw·[x not null]
 * (non-null values), Σw·x, and the largest/smallest value added and removed. Added to the view's
 * current row it gives the new row; a row whose count reaches 0 goes. Groups the view's columns
 * cannot settle are recomputed from the sources, and only those: a removed value at or beyond
 * the group's min/max that no added value reaches, a group that lost rows without a count(*) to
 * say whether any are left, a sum that lost values without a count/min/max of the same argument
 * to say whether a non-null one is left. The result is the view's rows for the scope values the
 * delta touches (rows there that did not change come back as they are), to be written as a
 * difference (table/write-difference.ts).
 */
import { isDeltaError, quoteIdentifier, type Snapshot } from '../../delta'
import { dropScan, type LakeEngine, type RegisteredScan } from '../../engine'
import type { LakeCatalog } from '../../engine'
import { prepareQuery } from '../prepare'
import type { AggregatePlan } from './aggregate-plan'
import { maintainedChanges, oldRow, registerViewRows } from './maintained-difference'
import { treeSql, type ViewShape } from './view-shape'

type Json = Record<string, unknown>
type IncrementalShape = Extract<ViewShape, { incremental: true }>

export interface MaintainedRows {
  /** The view's rows for the scope values in `keysTable` (lake tables pinned as `zone."t@vN"`: prepare it). */
  sql: string
  /**
   * The per-row changes to the view's table (maintained-difference.ts: for a table that writes
   * deletion vectors), pinned like `sql`; absent when a view column is not one of the query's outputs.
   */
  changes?: string
  /** Scope values (k0, k1, … per scope column) the rows cover: the scope of the difference. */
  keysTable: string
  nulls: boolean[]
  /** Groups the change rows touched, and how many of them were recomputed from the sources. */
  groups: number
  recomputed: number
  dispose(): Promise<void>
}

export interface MaintainInput {
  node: Json
  plan: AggregatePlan
  shape: IncrementalShape
  /** Every source: its version now and the one the view reflects. */
  tables: Map<string, { version: number; recorded?: number }>
  /** The change feed of each source that has new versions. */
  feeds: Map<string, RegisteredScan>
  view: Snapshot
  /** The view's query pinned at the sources' versions, for the scope values listed in `keysTable`. */
  recompute: (keysTable: string, nulls: boolean[]) => Promise<string>
}

const q = quoteIdentifier
let counter = 0

/** The maintained rows, or (when a source version the delta needs cannot be read) why not. */
export async function maintainAggregates(lake: LakeEngine, catalog: LakeCatalog, input: MaintainInput): Promise<MaintainedRows | string> {
  const db = await lake.duckdb()
  const id = ++counter
  const temp: string[] = []
  let viewScan: RegisteredScan | undefined
  const dispose = async () => {
    for (const t of temp) await db.run(t.startsWith('view:') ? `DROP VIEW IF EXISTS ${t.slice(5)}` : `DROP TABLE IF EXISTS ${t}`)
    if (viewScan) await dropScan(db, viewScan)
  }
  try {
    const delta = `__agg_delta_${id}`
    const problem = await deltaTable(lake, catalog, input, id, delta, temp)
    if (problem) {
      await dispose()
      return problem
    }
    const { plan, shape } = input
    const scopeGroup = shape.scope.map((s) => plan.groups.findIndex((g) => g.output === s.output))
    if (scopeGroup.some((i) => i < 0)) {
      await dispose()
      return 'a scope column is not a group column'
    }
    const keysTable = `__agg_scope_${id}`
    temp.push(keysTable)
    await db.run(`CREATE TEMP TABLE ${keysTable} AS SELECT DISTINCT ${scopeGroup.map((g, i) => `__g${g} AS k${i}`).join(', ')} FROM ${delta}`)
    const nulls = await nullColumns(db, keysTable, shape.scope.length)

    // The view's rows in scope (as write-difference reads them: each scope column IN its values), joined to the delta by group.
    viewScan = await registerViewRows(lake, input.view)
    const inScope = shape.scope
      .map((s, i) => {
        const listed = `v.${q(s.output)} IN (SELECT k${i} FROM ${keysTable})`
        return nulls[i] ? `(${listed} OR v.${q(s.output)} IS NULL)` : listed
      })
      .join(' AND ')
    const rows = `__agg_rows_${id}`
    temp.push(rows)
    const columns = combinedColumns(plan)
    await db.run(`CREATE TEMP TABLE ${rows} AS
      WITH v AS (SELECT *, true AS __present FROM ${viewScan.sql} v WHERE ${inScope}),
        d AS (SELECT *, true AS __delta FROM ${delta})
      SELECT ${columns.values.map((c) => `CASE WHEN d.__delta IS NULL THEN v.${q(c.output)} ELSE ${c.sql} END AS ${q(c.output)}`).join(', ')},
        coalesce(d.__delta AND NOT (${columns.gone}) AND (${columns.recompute.join(' OR ')}), false) AS __recompute,
        coalesce(d.__delta AND (${columns.gone}), false) AS __gone,
        d.__delta IS NOT NULL AS __changed, v.__file, v.__row, ${oldRow(input.view, 'v')} AS __old
      FROM v FULL OUTER JOIN d ON ${plan.groups.map((g, k) => `v.${q(g.output)} IS NOT DISTINCT FROM d.__g${k}`).join(' AND ')}`)
    await dropScan(db, viewScan)
    viewScan = undefined

    const again = `__agg_recompute_${id}`
    temp.push(again)
    await db.run(
      `CREATE TEMP TABLE ${again} AS SELECT DISTINCT ${shape.scope.map((s, i) => `${q(s.output)} AS k${i}`).join(', ')} FROM ${rows} WHERE __recompute`,
    )
    const [counts] =
      await db.rows(`SELECT (SELECT count(*) FROM ${rows} WHERE __changed) AS groups, (SELECT count(*) FROM ${rows} WHERE __recompute) AS recomputed,
      (SELECT count(*) FROM ${again}) AS scopes`)
    const listed = (alias: string) =>
      `SELECT 1 FROM ${again} r WHERE ${shape.scope.map((s, i) => `r.k${i} IS NOT DISTINCT FROM ${alias}.${q(s.output)}`).join(' AND ')}`
    const names = plan.groups.map((g) => g.output).concat(plan.aggregates.map((a) => a.output))
    const ordered = input.view.schema.fields.map((f) => q(f.name)).filter((n) => names.some((o) => q(o) === n))
    let sql = `SELECT ${ordered.join(', ')} FROM ${rows} m WHERE NOT m.__recompute AND NOT m.__gone AND NOT EXISTS (${listed('m')})`
    const pinned = Number(counts.scopes) > 0 ? await input.recompute(again, await nullColumns(db, again, shape.scope.length)) : undefined
    if (pinned) sql += `\nUNION ALL\nSELECT ${ordered.join(', ')} FROM (${pinned}) p WHERE EXISTS (${listed('p')})`
    const changes =
      ordered.length === input.view.schema.fields.length
        ? maintainedChanges({
            view: input.view,
            rows,
            groups: plan.groups.map((g) => g.output),
            recomputed: (alias) => `EXISTS (${listed(alias)})`,
            recompute: pinned,
          })
        : undefined
    return { sql, changes, keysTable, nulls, groups: Number(counts.groups), recomputed: Number(counts.recomputed), dispose }
  } catch (error) {
    await dispose()
    throw error
  }
}

/**
 * The delta per group in table `delta`: group columns __g<k>, __cnt (Σw), __cntin (rows added), and
 * per argument m: __nn<m> (Σw over non-null values), __nnin<m> (non-null values added), __s<m>
 * (added minus removed), __maxin/__maxout/__minin/__minout<m>.
 */
async function deltaTable(
  lake: LakeEngine,
  catalog: LakeCatalog,
  input: MaintainInput,
  id: number,
  delta: string,
  temp: string[],
): Promise<string | undefined> {
  const db = await lake.duckdb()
  const { node, plan, shape, tables, feeds } = input
  const changes = new Map<string, string>()
  for (const [name, feed] of feeds) {
    // A view, not a copy: the delta reads only the columns it needs.
    const table = `__agg_changes_${id}_${changes.size}`
    temp.push(`view:${table}`)
    await db.run(
      `CREATE TEMP VIEW ${table} AS SELECT *, CASE WHEN _change_type IN ('insert', 'update_postimage') THEN 1 ELSE -1 END AS __lh_weight FROM ${feed.sql}`,
    )
    changes.set(name, table)
  }
  const terms: string[] = []
  for (const [i, changed] of shape.references.entries()) {
    const changesTable = changes.get(`${changed.zone}.${changed.table}`)
    if (!changesTable) continue
    const tree = structuredClone(node)
    walkFrom(tree.from_table as Json, (n) => {
      const alias = String(n.alias || n.table_name)
      const j = shape.references.findIndex((r) => r.alias === alias)
      const t = tables.get(`${String(n.schema_name)}.${String(n.table_name)}`)!
      n.alias = alias
      if (j === i) {
        n.schema_name = ''
        n.catalog_name = ''
        n.table_name = changesTable
      } else n.table_name = `${String(n.table_name)}@v${j < i ? t.version : t.recorded}`
    })
    tree.select_list = [
      ...plan.groups.map((g, k) => ({ ...structuredClone(g.node), alias: `__g${k}` })),
      ...plan.arguments.map((a, m) => ({ ...structuredClone(a), alias: `__a${m}` })),
      { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '__w', query_location: 0, column_names: [changed.alias, '__lh_weight'] },
    ]
    tree.group_expressions = []
    tree.group_sets = []
    tree.having = null
    tree.aggregate_handling = 'STANDARD_HANDLING'
    tree.modifiers = []
    terms.push(await treeSql(db, tree))
  }
  const groups = plan.groups.map((_, k) => `__g${k}`)
  const projected = groups.concat(plan.arguments.map((_, m) => `__a${m}`))
  const partials = ['sum(__w) AS __cnt', 'coalesce(sum(__w) FILTER (WHERE __w > 0), 0) AS __cntin']
  const changed = ['__cnt <> 0']
  for (const [m] of plan.arguments.entries()) {
    const kinds = new Set(plan.aggregates.filter((a) => a.argument === m).map((a) => a.kind))
    partials.push(
      `sum(CASE WHEN __a${m} IS NOT NULL THEN __w ELSE 0 END) AS __nn${m}`,
      `coalesce(sum(__w) FILTER (WHERE __w > 0 AND __a${m} IS NOT NULL), 0) AS __nnin${m}`,
    )
    changed.push(`__nn${m} <> 0`)
    if (kinds.has('sum')) {
      partials.push(`coalesce(sum(__a${m} * __w), 0) AS __s${m}`)
      changed.push(`__s${m} <> 0`)
    }
    for (const kind of ['min', 'max'] as const) {
      if (!kinds.has(kind)) continue
      partials.push(`${kind}(__a${m}) FILTER (WHERE __w > 0) AS __${kind}in${m}`, `${kind}(__a${m}) FILTER (WHERE __w < 0) AS __${kind}out${m}`)
      changed.push(`__${kind}in${m} IS NOT NULL`, `__${kind}out${m} IS NOT NULL`)
    }
  }
  let prepared: Awaited<ReturnType<typeof prepareQuery>>
  try {
    prepared = await prepareQuery(
      lake,
      catalog,
      // Equal rows with opposite weights cancel first (an update that leaves the view's inputs as they were is no change).
      `WITH consolidated AS (SELECT ${projected.join(', ')}, sum(__w) AS __w FROM (${terms.join('\nUNION ALL\n')}) GROUP BY ${projected.join(', ')} HAVING sum(__w) <> 0)
       SELECT * FROM (SELECT ${groups.join(', ')}, ${partials.join(', ')} FROM consolidated GROUP BY ${groups.join(', ')}) WHERE ${changed.join(' OR ')}`,
    )
  } catch (error) {
    if (isDeltaError(error, 'VERSION_NOT_FOUND') || isDeltaError(error, 'MISSING_FILE')) {
      return `a version the delta needs cannot be read: ${(error as Error).message}`
    }
    throw error
  }
  try {
    temp.push(delta)
    await db.run(`CREATE TEMP TABLE ${delta} AS ${prepared.sql}`)
  } finally {
    await prepared.release()
  }
  return undefined
}

/**
 * Per output column, its new value from the view's row `v` (null columns when the group is new)
 * and the group's delta `d`; the conditions under which the group is recomputed instead; and
 * when it is gone.
 */
function combinedColumns(plan: AggregatePlan): { values: { output: string; sql: string }[]; recompute: string[]; gone: string } {
  const present = 'coalesce(v.__present, false)'
  const v = (output: string) => `v.${q(output)}`
  const values: { output: string; sql: string }[] = plan.groups.map((g, k) => ({
    output: g.output,
    sql: `CASE WHEN ${present} THEN ${v(g.output)} ELSE d.__g${k} END`,
  }))
  const recompute: string[] = []
  const countStar = plan.aggregates.find((a) => a.kind === 'count_star')
  // Rows in the group: from a visible count(*); without one, a group that lost rows may have lost all.
  const gone = countStar ? `coalesce(${v(countStar.output)}, 0) + d.__cnt = 0` : `NOT ${present} AND d.__cnt = 0`
  // Rows added are rows the group has afterwards, so it stays.
  recompute.push(countStar ? `coalesce(${v(countStar.output)}, 0) + d.__cnt < 0` : '(d.__cnt < 0 AND d.__cntin = 0)')
  const extremum = (output: string, kind: 'min' | 'max', m: number) => {
    const [compare, beyond, pick] = kind === 'max' ? ['>=', '<', 'greatest'] : ['<=', '>', 'least']
    // A removed value at the extremum leaves it unknown, unless a value added goes as far (then that one is the extremum).
    const [added, removed] = [`d.__${kind}in${m}`, `d.__${kind}out${m}`]
    recompute.push(
      `(${removed} IS NOT NULL AND (${v(output)} IS NULL OR (${removed} ${compare} ${v(output)} AND (${added} IS NULL OR ${added} ${beyond} ${removed}))))`,
    )
    return `CASE WHEN ${v(output)} IS NULL THEN d.__${kind}in${m} WHEN d.__${kind}in${m} IS NULL THEN ${v(output)} ELSE ${pick}(${v(output)}, d.__${kind}in${m}) END`
  }
  const extremeOf = new Map<string, string>()
  const extremes = new Map<number, string>()
  for (const a of plan.aggregates) {
    if (a.kind !== 'min' && a.kind !== 'max') continue
    extremeOf.set(a.output, extremum(a.output, a.kind, a.argument!))
    extremes.set(a.argument!, extremeOf.get(a.output)!)
  }
  for (const a of plan.aggregates) {
    const m = a.argument!
    if (a.kind === 'count_star') values.push({ output: a.output, sql: `coalesce(${v(a.output)}, 0) + d.__cnt` })
    else if (a.kind === 'count') values.push({ output: a.output, sql: `coalesce(${v(a.output)}, 0) + d.__nn${m}` })
    else if (a.kind === 'min' || a.kind === 'max') values.push({ output: a.output, sql: extremeOf.get(a.output)! })
    else {
      // Whether no non-null value is left: from a count(x), a min/max(x) (null exactly then), or the sum itself.
      const count = plan.aggregates.find((c) => c.kind === 'count' && c.argument === m)
      let none: string
      if (count) none = `coalesce(${v(count.output)}, 0) + d.__nn${m} = 0`
      else if (extremes.has(m)) none = `(${extremes.get(m)}) IS NULL`
      else {
        // A non-null value added is there afterwards; a sum that was null had none; one that lost values without gaining any may have none left.
        none = `(d.__nnin${m} = 0 AND ${v(a.output)} IS NULL)`
        recompute.push(`(d.__nnin${m} = 0 AND d.__nn${m} < 0)`)
      }
      values.push({ output: a.output, sql: `CASE WHEN ${none} THEN NULL ELSE coalesce(${v(a.output)}, 0) + d.__s${m} END` })
    }
  }
  return { values, recompute, gone }
}

async function nullColumns(db: Awaited<ReturnType<LakeEngine['duckdb']>>, table: string, count: number): Promise<boolean[]> {
  const [row] = await db.rows(`SELECT ${Array.from({ length: count }, (_, i) => `bool_or(k${i} IS NULL) AS n${i}`).join(', ')} FROM ${table}`)
  return Array.from({ length: count }, (_, i) => row[`n${i}`] === true)
}

function walkFrom(node: Json, visit: (n: Json) => void): void {
  if (node.type === 'BASE_TABLE') visit(node)
  else if (node.type === 'JOIN') {
    walkFrom(node.left as Json, visit)
    walkFrom(node.right as Json, visit)
  }
}
