/**
 * The Spark SQL corpus (test/sql-corpus): each `<case>.sql` script runs as one text through
 * runScript; `<case>.json` says what must come out: the error that stops it (statement and
 * message), the rows of queries run afterwards (table states, change feeds), and commitInfo
 * fields of chosen commits. Every table the script touched is then checked against the protocol
 * and read back, version by version, by our reader.
 *
 * Each case runs twice: with Spark's own defaults (deletion vectors off, as open-source Delta
 * creates tables: every expectation holds, metrics and protocols included), and with ours
 * (deletion vectors on: merge-on-read). The second run must give the same error and the same
 * rows (table states, change feeds); metrics and protocols are those of merge-on-read there.
 */
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { runScript, StatementError } from '../../src/query'
import { readCommitFile } from '../helpers/delta-log'
import { checkTableAgainstProtocol } from '../helpers/protocol-check'
import { tempLake } from '../helpers/temp-lake'

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../sql-corpus')

interface Expected {
  error?: { statement: number; position?: string; message: string }
  checks?: { sql: string; rows: unknown[][] }[]
  /** The latest protocol of each table named. */
  protocols?: Record<string, unknown>
  /** The latest version of each table named. */
  versions?: Record<string, number>
  commits?: {
    table: string
    version: number
    operation: string
    parameters?: Record<string, unknown>
    metrics?: Record<string, string>
    actions?: Record<string, number>
  }[]
  /**
   * Rows that differ with deletion vectors on, by the check's SQL: change feeds of commits that
   * re-add a file with another DV (a RESTORE's feed is then its net change). SHOW and DESCRIBE
   * checks are not compared then: they list the properties and protocol, which differ by design.
   */
  withDeletionVectors?: Record<string, unknown[][]>
}

const cases = readdirSync(corpus)
  .filter((name) => name.endsWith('.sql'))
  .sort()

test('the corpus has its cases', () => assert.ok(cases.length >= 8, `${cases.length} cases`))

for (const name of cases)
  for (const deletionVectors of [false, true]) {
    test(`sql corpus: ${name}${deletionVectors ? ' (deletion vectors on)' : ''}`, async () => {
      const { lake, catalog, lakeDir } = tempLake(`corpus-${name.replace(/\W/g, '')}`)
      if (!deletionVectors) lake.newTableProperties = {}
      const script = readFileSync(path.join(corpus, name), 'utf8')
      const expected = JSON.parse(readFileSync(path.join(corpus, name.replace(/\.sql$/, '.json')), 'utf8')) as Expected
      mkdirSync(lakeDir, { recursive: true })
      let failure: unknown
      try {
        await runScript(lake, catalog, script)
      } catch (error) {
        failure = error
      }
      if (expected.error) {
        assert.ok(
          failure instanceof StatementError,
          `expected statement ${expected.error.statement} to fail, got ${failure === undefined ? 'success' : String(failure)}`,
        )
        assert.equal(failure.index + 1, expected.error.statement, failure.message)
        if (expected.error.position) assert.equal(failure.position, expected.error.position)
        assert.match(failure.message, new RegExp(expected.error.message))
      } else if (failure) throw failure
      for (const check of expected.checks ?? []) {
        if (deletionVectors && /^\s*(SHOW|DESCRIBE)\b/i.test(check.sql)) continue
        const [output] = await runScript(lake, catalog, check.sql)
        const rows = output.rows.map((row) => output.columns.map((c) => row[c.name]))
        // "@TABLE:zone.t" in an expected value stands for the table's folder in this run's lake.
        const expectedRows = JSON.parse(JSON.stringify((deletionVectors && expected.withDeletionVectors?.[check.sql]) || check.rows), (_key, value: unknown) =>
          typeof value === 'string' && value.startsWith('@TABLE:') ? catalog.pathOf(value.slice('@TABLE:'.length)) : value,
        )
        assert.deepEqual(rows, expectedRows, check.sql)
      }
      if (deletionVectors) {
        for (const table of await catalog.tables()) await checkTableAgainstProtocol(lake, table.path)
        return
      }
      for (const [table, version] of Object.entries(expected.versions ?? {})) {
        assert.equal((await lake.snapshot(catalog.pathOf(table))).version, version, `${table}: latest version`)
      }
      for (const [table, protocol] of Object.entries(expected.protocols ?? {})) {
        assert.deepEqual((await lake.snapshot(catalog.pathOf(table))).protocol, protocol, `${table}: protocol`)
      }
      for (const c of expected.commits ?? []) {
        const commit = readCommitFile(catalog.pathOf(c.table), c.version)
        const info = commit.actions.find((a) => 'commitInfo' in a)!.commitInfo
        const where = `${c.table} version ${c.version}`
        assert.equal(info.operation, c.operation, where)
        for (const [key, value] of Object.entries(c.parameters ?? {}))
          assert.deepEqual(info.operationParameters[key], value, `${where}: operationParameters.${key}`)
        for (const [key, value] of Object.entries(c.metrics ?? {})) assert.equal(info.operationMetrics?.[key], value, `${where}: operationMetrics.${key}`)
        if (c.actions) {
          const counts: Record<string, number> = {}
          for (const action of commit.actions) for (const kind of Object.keys(action)) if (kind !== 'commitInfo') counts[kind] = (counts[kind] ?? 0) + 1
          assert.deepEqual(counts, c.actions, `${where}: actions`)
        }
      }
      for (const table of await catalog.tables()) await checkTableAgainstProtocol(lake, table.path)
    })
  }
