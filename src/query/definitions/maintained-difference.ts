/**
 * The difference of a maintained refresh, written without comparing the view again: method
 * `maintain` joins the view's rows in scope to the delta per group, so it already knows each
 * changed group's old row (its file and row index, for the deletion vector) and its new one. The
 * per-row changes it yields are what table/rewrite.ts writes: `update` (an update that changes no
 * value becomes a no-op there), `insert`, `delete`; groups the delta leaves as they were are not
 * listed, so they are neither read again nor written. Groups whose scope values are recomputed from
 * the sources meet the view's old rows of those values by key, as a full comparison would.
 * Only for view tables that mark removed rows in deletion vectors (merge-on-read): a copy-on-write
 * table must copy the unchanged rows of every file it rewrites, which the full comparison does.
 */
import { duckdbType, quoteIdentifier, type Snapshot } from '../../delta'
import { registerPositionedRows, type LakeEngine, type RegisteredScan } from '../../engine'

const q = quoteIdentifier

/** The view's rows with each row's file (`__file`) and index in it (`__row`), as the rewrite identifies them. */
export async function registerViewRows(lake: LakeEngine, view: Snapshot): Promise<RegisteredScan> {
  return registerPositionedRows(await lake.duckdb(), lake.io.storage, view)
}

/** The old row of view row `v` as the rewrite compares it (null for a new group). */
export function oldRow(view: Snapshot, alias: string): string {
  return `CASE WHEN ${alias}.__file IS NOT NULL THEN struct_pack(${view.schema.fields.map((f) => `${q(f.name)} := ${alias}.${q(f.name)}`).join(', ')}) END`
}

export interface MaintainedChangesInput {
  view: Snapshot
  /** The maintained rows table: the view's columns (new values), __file, __row, __old, __changed, __gone, __recompute. */
  rows: string
  /** The group columns: the view's key. */
  groups: string[]
  /** A WHERE over alias `m` / `p`: the row's scope values are recomputed. */
  recomputed: (alias: string) => string
  /** The recomputed rows (the view's query pinned at the sources' versions), when some scope values are recomputed. */
  recompute?: string
}

/** The per-row changes (__file, __row, __action, the view's columns, __old) for table/rewrite.ts. */
export function maintainedChanges(input: MaintainedChangesInput): string {
  const { view, rows, groups } = input
  const cast = (alias: string) => view.schema.fields.map((f) => `CAST(${alias}.${q(f.name)} AS ${duckdbType(f.type)}) AS ${q(f.name)}`)
  // Groups settled from their delta: a new one is inserted (unless its delta leaves it empty), an old one updated or deleted.
  let sql = `SELECT m.__file, m.__row, CASE WHEN m.__file IS NULL THEN 'insert' WHEN m.__gone THEN 'delete' ELSE 'update' END AS __action,
    ${cast('m').join(', ')}, m.__old
    FROM ${rows} m WHERE m.__changed AND NOT (m.__file IS NULL AND m.__gone) AND NOT (${input.recomputed('m')})`
  if (input.recompute) {
    const same = groups.map((g) => `o.${q(g)} IS NOT DISTINCT FROM p.${q(g)}`).join(' AND ')
    const value = view.schema.fields.map(
      (f) => `CASE WHEN p.__present THEN CAST(p.${q(f.name)} AS ${duckdbType(f.type)}) ELSE o.${q(f.name)} END AS ${q(f.name)}`,
    )
    sql += `\nUNION ALL
    SELECT o.__file, o.__row, CASE WHEN o.__file IS NULL THEN 'insert' WHEN p.__present IS NULL THEN 'delete' ELSE 'update' END AS __action,
      ${value.join(', ')}, o.__old
    FROM (SELECT * FROM ${rows} m WHERE m.__file IS NOT NULL AND ${input.recomputed('m')}) o
    FULL OUTER JOIN (SELECT *, true AS __present FROM (${input.recompute}) p WHERE ${input.recomputed('p')}) p ON ${same}`
  }
  return sql
}
