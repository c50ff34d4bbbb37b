/**
 * Expectations (`CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE]`) over
 * the rows a refresh computed: each is counted (rows that pass, rows that fail: the condition
 * false or null), rows failing a DROP ROW expectation are left out, and any row failing a FAIL
 * UPDATE expectation stops the refresh before it writes. Lakeflow keeps these counts in its event
 * log; here they are in the refresh's report, its event and its commit.
 */
import { DeltaError } from '../../delta'
import type { DuckDb } from '../../engine'
import type { Expectation } from './ast'

export interface ExpectationCount {
  name: string
  onViolation: Expectation['onViolation']
  passed: number
  failed: number
}

export interface CheckedRows {
  /** The rows to write (DROP ROW failures left out). */
  sql: string
  counts: ExpectationCount[]
  dispose(): Promise<void>
}

let checkedCounter = 0

export async function applyExpectations(db: DuckDb, target: { name: string; expectations: Expectation[] }, rowsSql: string): Promise<CheckedRows> {
  if (target.expectations.length === 0) return { sql: rowsSql, counts: [], dispose: async () => undefined }
  const table = `__expectations_${++checkedCounter}`
  const holds = (e: Expectation) => `coalesce((${e.condition.sql}), false)`
  await db.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM (${rowsSql})`)
  try {
    const [row] = await db.rows(
      `SELECT ${target.expectations.map((e, i) => `count(*) FILTER (WHERE ${holds(e)}) AS p${i}, count(*) FILTER (WHERE NOT ${holds(e)}) AS f${i}`).join(', ')} FROM ${table}`,
    )
    const counts = target.expectations.map((e, i) => ({ name: e.name, onViolation: e.onViolation, passed: Number(row[`p${i}`]), failed: Number(row[`f${i}`]) }))
    const failing = counts.find((c) => c.onViolation === 'fail' && c.failed > 0)
    if (failing) {
      const expectation = target.expectations.find((e) => e.name === failing.name)!
      const [example] = await db.rows(`SELECT to_json(t)::VARCHAR AS row FROM ${table} t WHERE NOT ${holds(expectation)} LIMIT 1`)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${target.name}: expectation '${failing.name}' (${expectation.condition.text}) failed for ${failing.failed} row(s), e.g. ${String(example?.row)}; ON VIOLATION FAIL UPDATE: nothing was written`,
        { table: target.name },
      )
    }
    const drops = target.expectations.filter((e) => e.onViolation === 'drop')
    return {
      sql: drops.length ? `SELECT * FROM ${table} WHERE ${drops.map(holds).join(' AND ')}` : `SELECT * FROM ${table}`,
      counts,
      dispose: () => db.run(`DROP TABLE IF EXISTS ${table}`).then(() => undefined),
    }
  } catch (error) {
    await db.run(`DROP TABLE IF EXISTS ${table}`)
    throw error
  }
}
