/**
 * Checks of materialized views against DuckDB: a view's rows against its query run from scratch,
 * and a table's change feed against the difference of its states (as multisets, EXCEPT ALL).
 */
import assert from 'node:assert/strict'
import type { LakeEngine } from '../../src/engine'
import { runQuery, type LakeCatalog, type MaterializedView } from '../../src/query'

export function viewChecks(lake: LakeEngine, catalog: LakeCatalog) {
  const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows

  /** The view's query as written, DROP ROW expectations applied. */
  const fromScratch = (view: MaterializedView) => {
    const drops = view.expectations.filter((e) => e.onViolation === 'drop').map((e) => `coalesce((${e.condition.sql}), false)`)
    return `SELECT * FROM (${view.query.sql}) ${drops.length ? `WHERE ${drops.join(' AND ')}` : ''}`
  }

  const sameRows = async (left: string, right: string) => ({
    missing: await query(`(${right}) EXCEPT ALL (${left})`),
    extra: await query(`(${left}) EXCEPT ALL (${right})`),
  })

  const version = async (table: string) =>
    lake.snapshot(catalog.pathOf(table)).then(
      (s) => s.version,
      () => -1,
    )

  /** The view's table holds exactly what its query gives now. */
  const equalsQuery = async (view: MaterializedView, table = view.name, message = '') => {
    assert.deepEqual(
      await sameRows(`SELECT * FROM ${table}`, fromScratch(view)),
      { missing: [], extra: [] },
      `${message}${table} equals its query from scratch`,
    )
  }

  /** The feed of versions (after, now] applied to the rows at `after` gives the rows at `now` (as multisets), removing only rows that were there. */
  const feedMatchesStates = async (table: string, after: number, now: number, message = '') => {
    if (now === after) return
    const columns = (await lake.snapshot(catalog.pathOf(table))).schema.fields.map((f) => `"${f.name}"`).join(', ')
    const feed = `table_changes('${table}', ${after + 1}, ${now})`
    const before = after < 0 ? `SELECT ${columns} FROM ${table} WHERE false` : `SELECT ${columns} FROM ${table} VERSION AS OF ${after}`
    const added = `SELECT ${columns} FROM ${feed} WHERE _change_type IN ('insert', 'update_postimage')`
    const removed = `SELECT ${columns} FROM ${feed} WHERE _change_type IN ('delete', 'update_preimage')`
    // Over several versions a row may come and go again: adds first, then removes.
    const diff = await sameRows(`((${before}) UNION ALL (${added})) EXCEPT ALL (${removed})`, `SELECT ${columns} FROM ${table} VERSION AS OF ${now}`)
    assert.deepEqual(diff, { missing: [], extra: [] }, `${message}${table}: the change feed of versions ${after + 1}..${now} is the difference of the states`)
    assert.deepEqual(
      await query(`(${removed}) EXCEPT ALL ((${before}) UNION ALL (${added}))`),
      [],
      `${message}${table}: the feed removes only rows that were there`,
    )
  }

  return { query, fromScratch, sameRows, version, equalsQuery, feedMatchesStates }
}
