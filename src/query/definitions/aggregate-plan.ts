/**
 * Which grouped views keep their aggregates up to date from the change rows alone (as IVM
 * systems do: DBSP, Materialize, Enzyme), read from DuckDB's parse tree. A view qualifies when
 * its refresh is incremental with GROUP BY (view-shape.ts), it has no HAVING and no DISTINCT, no
 * expectation drops rows (the stored rows must be the aggregates' state), and every output column
 * is a group column or one of count(*), count(x), sum(x), min(x), max(x) (no DISTINCT, FILTER or
 * ORDER BY inside). The bookkeeping comes from the view's own columns, so nothing hidden is
 * stored: a group's row count from a visible count(*), a sum's non-null count from a count(x),
 * min(x) or max(x) of the same argument or from the sum being null; what the columns cannot tell
 * (a group that may have lost its last row, a sum its last non-null value, an extremum that was
 * removed) is recomputed for those groups only (aggregate-refresh.ts). avg(x) is not maintained:
 * its exact value is DuckDB's own division of a sum it does not show.
 */
import type { MaterializedView } from './ast'
import type { ViewShape } from './view-shape'

type Json = Record<string, unknown>

export type AggregateKind = 'count_star' | 'count' | 'sum' | 'min' | 'max'

export interface MaintainedAggregate {
  /** The view's column. */
  output: string
  kind: AggregateKind
  /** Index into the plan's `arguments` (undefined for count(*)). */
  argument?: number
}

export interface AggregatePlan {
  /** The group columns: the view's column and its select-list expression. */
  groups: { output: string; node: Json }[]
  aggregates: MaintainedAggregate[]
  /** The distinct aggregate arguments (parse-tree expressions over the sources). */
  arguments: Json[]
  /**
   * Why rows removed from a source (deletes, update pre-images) could leave a group that only the
   * sources can settle (a min/max, a sum without a count of its argument, no count(*)); undefined
   * when they never do.
   */
  removalsNeedSources?: string
}

const KINDS = new Set(['count_star', 'count', 'sum', 'min', 'max'])

/**
 * The plan, or why the view's aggregates are recomputed instead. `columns`: the view table's
 * columns, in select-list order (the definition is unchanged, so they are the query's outputs).
 */
export function aggregatePlan(node: Json, shape: ViewShape, view: MaterializedView, columns: string[]): AggregatePlan | string {
  if (!shape.incremental || !shape.key) return 'not a GROUP BY view'
  if (node.having) return 'HAVING (whether a group shows depends on its aggregates)'
  if (((node.modifiers as Json[]) ?? []).some((m) => m.type === 'DISTINCT_MODIFIER')) return 'SELECT DISTINCT'
  if (view.expectations.some((e) => e.onViolation === 'drop')) return 'an expectation drops rows (the stored rows are not every group)'
  const items = node.select_list as Json[]
  if (items.length !== columns.length) return 'the output columns are not one per select item'
  const key = new Set(shape.key)
  const groups: AggregatePlan['groups'] = []
  const aggregates: MaintainedAggregate[] = []
  const argumentList: Json[] = []
  const argumentIds: string[] = []
  for (const [i, item] of items.entries()) {
    const output = columns[i]
    if (item.class === 'COLUMN_REF' && key.has(output)) {
      groups.push({ output, node: item })
      continue
    }
    const name = String(item.function_name ?? '').toLowerCase()
    const children = (item.children as Json[]) ?? []
    if (item.class !== 'FUNCTION' || !KINDS.has(name)) {
      return name === 'avg'
        ? `avg() in ${output} (its exact value is DuckDB's division of a sum the view does not keep)`
        : `${output} is not a group column nor count/sum/min/max of an expression`
    }
    const plain = !item.distinct && !item.filter && !((item.order_bys as { orders?: unknown[] })?.orders ?? []).length && !item.export_state
    if (!plain) return `${output} uses DISTINCT, FILTER or ORDER BY inside the aggregate`
    if (name === 'count_star' || (name === 'count' && children.length === 0)) {
      aggregates.push({ output, kind: 'count_star' })
      continue
    }
    if (children.length !== 1) return `${output}: an aggregate of ${children.length} arguments`
    const id = expressionId(children[0])
    let index = argumentIds.indexOf(id)
    if (index < 0) {
      index = argumentIds.push(id) - 1
      argumentList.push(children[0])
    }
    aggregates.push({ output, kind: name as AggregateKind, argument: index })
  }
  if (groups.length !== shape.key.length) return 'a group column is not a plain column of the output'
  const extremes = aggregates.filter((a) => a.kind === 'min' || a.kind === 'max')
  const uncounted = aggregates.filter(
    (a) => a.kind === 'sum' && !aggregates.some((c) => c.argument === a.argument && (c.kind === 'count' || c.kind === 'min' || c.kind === 'max')),
  )
  const needs = [
    ...extremes.map((a) => `${a.kind}() in ${a.output}`),
    ...uncounted.map((a) => `sum() without a count() of its argument in ${a.output}`),
    ...(aggregates.some((a) => a.kind === 'count_star') ? [] : ['no count(*)']),
  ]
  return { groups, aggregates, arguments: argumentList, ...(needs.length ? { removalsNeedSources: needs.join(', ') } : {}) }
}

/** An expression's identity: its parse tree without positions and aliases. */
function expressionId(node: Json): string {
  return JSON.stringify(node, (name, value) => (name === 'query_location' || name === 'alias' ? undefined : value))
}
