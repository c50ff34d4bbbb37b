/**
 * Where the shared conformance data lives, and how to compare what we read with an expected
 * Parquet result inside DuckDB (order-insensitive, exact values, types compared by name).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { quoteIdentifier, quoteString } from '../../src/delta/schema'
import type { DuckDb } from '../../src/engine/duckdb'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export function conformanceDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = path.resolve(repoRoot, env.LAKEHOUSE_CONFORMANCE_DIR ?? '../shared/conformance')
  return existsSync(dir) ? dir : undefined
}

/** One table of the conformance data (`relative` to its folder): the data must be there. */
export function conformanceTable(relative: string): string {
  const dir = conformanceDir()
  if (!dir) throw new Error(`the conformance data is not at ../shared/conformance (or LAKEHOUSE_CONFORMANCE_DIR): ${relative} is needed`)
  return path.join(dir, relative)
}

/**
 * Whether this is a CI run: any value of CI but empty, `0` or `false` (CI systems set `true`, `1` or
 * their own name), so that no spelling turns the suites' failures into skips.
 */
export function runningUnderCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase()
  return value !== '' && value !== '0' && value !== 'false'
}

/** Fails under CI when the data is missing; elsewhere the suite says so and skips (counted in the run's summary). */
export function requireConformanceDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = conformanceDir(env)
  if (!dir && runningUnderCi(env)) throw new Error(`conformance data not found (LAKEHOUSE_CONFORMANCE_DIR or ../shared/conformance); CI must have it`)
  return dir
}

/** Parquet files of an expected result: a single file or a Spark output directory of part files. */
export function expectedParquetFiles(location: string): string[] {
  if (statSync(location).isFile()) return [location]
  return readdirSync(location)
    .filter((name) => name.endsWith('.parquet') && !name.startsWith('.') && !name.startsWith('_'))
    .map((name) => path.join(location, name))
    .sort()
}

export interface Comparison {
  equal: boolean
  detail: string
}

/**
 * Compare our rows (`actualSql`, a parenthesised SELECT) with the expected files. Column names must
 * match exactly; expected columns are cast to our types only where the two types are equivalent
 * spellings of one Delta type (see `equivalentTypes`), otherwise it is a type mismatch.
 */
export async function compareWithExpected(db: DuckDb, actualSql: string, expectedFiles: string[]): Promise<Comparison> {
  const expectedSql = expectedFiles.length ? `(SELECT * FROM read_parquet([${expectedFiles.map(quoteString).join(', ')}], union_by_name = true))` : undefined
  const actualColumns = await db.describe(`SELECT * FROM ${actualSql}`)
  if (!expectedSql) {
    const count = Number((await db.rows(`SELECT count(*) AS n FROM ${actualSql}`))[0].n)
    return { equal: count === 0, detail: `expected no rows, got ${count}` }
  }
  const expectedColumns = await db.describe(`SELECT * FROM ${expectedSql}`)
  const expectedByName = new Map(expectedColumns.map((c) => [c.name, c.type]))
  const names = (cols: { name: string }[]) =>
    cols
      .map((c) => c.name)
      .sort()
      .join(', ')
  if (names(actualColumns) !== names(expectedColumns)) {
    return { equal: false, detail: `columns differ: got [${names(actualColumns)}], expected [${names(expectedColumns)}]` }
  }
  for (const column of actualColumns) {
    const expectedType = expectedByName.get(column.name)!
    if (!equivalentTypes(column.type, expectedType)) {
      return { equal: false, detail: `column ${column.name}: got type ${column.type}, expected ${expectedType}` }
    }
  }
  const list = actualColumns.map((c) => quoteIdentifier(c.name))
  const castExpected = actualColumns.map((c) => `CAST(${quoteIdentifier(c.name)} AS ${c.type}) AS ${quoteIdentifier(c.name)}`)
  const actual = `(SELECT ${list.join(', ')} FROM ${actualSql})`
  const expected = `(SELECT ${castExpected.join(', ')} FROM ${expectedSql})`
  const [counts] = await db.rows(
    `SELECT (SELECT count(*) FROM ${actual}) AS actual_rows, (SELECT count(*) FROM ${expected}) AS expected_rows,
            (SELECT count(*) FROM (SELECT * FROM ${actual} EXCEPT ALL SELECT * FROM ${expected})) AS unexpected,
            (SELECT count(*) FROM (SELECT * FROM ${expected} EXCEPT ALL SELECT * FROM ${actual})) AS missing`,
  )
  const equal = Number(counts.unexpected) === 0 && Number(counts.missing) === 0
  let detail = `rows: got ${counts.actual_rows}, expected ${counts.expected_rows}; ${counts.unexpected} unexpected, ${counts.missing} missing`
  if (!equal) {
    const sample = await db.rows(`SELECT * FROM ${actual} EXCEPT ALL SELECT * FROM ${expected} LIMIT 3`)
    const want = await db.rows(`SELECT * FROM ${expected} EXCEPT ALL SELECT * FROM ${actual} LIMIT 3`)
    detail += `\n  unexpected e.g. ${JSON.stringify(sample)}\n  missing e.g. ${JSON.stringify(want)}`
  }
  return { equal, detail }
}

/**
 * Two DuckDB types hold the same Delta type. Spark writes `timestamp` as INT96 or as
 * UTC-adjusted INT64, which DuckDB reads as TIMESTAMP or TIMESTAMPTZ; both are Delta `timestamp`.
 */
export function equivalentTypes(actual: string, expected: string): boolean {
  const normalise = (t: string) =>
    t
      .replace(/TIMESTAMP WITH TIME ZONE/g, 'TIMESTAMPTZ')
      .replace(/TIMESTAMP_(NS|MS|S)\b/g, 'TIMESTAMP')
      .replace(/\s+/g, ' ')
  const a = normalise(actual)
  const e = normalise(expected)
  if (a === e) return true
  return a.replace(/TIMESTAMPTZ/g, 'TIMESTAMP') === e
}

/**
 * Where a conformance suite leaves its counts for scripts/conformance-summary.mjs, which turns
 * them into the README's conformance figures.
 */
export const conformanceArtifactsDir = path.join(repoRoot, '.test-artifacts', 'conformance')

export function writeConformanceTally(suite: string, tally: object): void {
  mkdirSync(conformanceArtifactsDir, { recursive: true })
  writeFileSync(path.join(conformanceArtifactsDir, `${suite}.json`), `${JSON.stringify({ suite, writtenAt: new Date().toISOString(), ...tally }, null, 2)}\n`)
}
