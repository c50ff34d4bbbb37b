/**
 * Reader conformance: every table in ../shared/conformance with an expected result is read at
 * each expected version and compared with it; upstream's must-fail cases must fail clearly.
 * Known gaps (features we do not read yet) run too, as `todo`: they are listed in the README.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, describe, test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { dropScan, LakeEngine } from '../../src/engine'
import { LakeCatalog, prepareQuery } from '../../src/query'
import { compareWithExpected, expectedParquetFiles, requireConformanceDir } from '../helpers/conformance'
import { KNOWN_GAPS } from './known-gaps'

const root = requireConformanceDir()
const engine = new LakeEngine()
const tally = { passed: 0, failed: 0, skipped: [] as string[] }

after(async () => {
  await engine.close()
  console.log(`reader conformance: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped.length} skipped`)
  for (const reason of tally.skipped) console.log(`  skipped ${reason}`)
})

interface ReadCase {
  name: string
  table: string
  version?: number
  expected: string
}

/** A conformance case: a known gap runs as todo (its failure is reported, not counted). */
function conformanceTest(name: string, body: () => Promise<void>) {
  const gap = KNOWN_GAPS[name]
  test(name, gap ? { todo: gap } : {}, async () => {
    try {
      await body()
      if (gap) tally.skipped.push(`${name}: passes although listed as a gap (${gap}); remove it from known-gaps.ts`)
      else tally.passed++
    } catch (error) {
      if (gap) tally.skipped.push(`${name}: ${gap}`)
      else tally.failed++
      throw error
    }
  })
}

/** The same case through the SQL surface: ``SELECT * FROM delta.`path` [VERSION AS OF v]``. */
async function assertQueriesAsExpected(c: ReadCase) {
  const catalog = new LakeCatalog(path.dirname(c.table), engine.io.storage)
  const sql = `SELECT * FROM delta.\`${c.table.replaceAll('`', '``')}\`${c.version === undefined ? '' : ` VERSION AS OF ${c.version}`}`
  const prepared = await prepareQuery(engine, catalog, sql)
  try {
    const result = await compareWithExpected(await engine.duckdb(), `(${prepared.sql})`, expectedParquetFiles(c.expected))
    assert.ok(result.equal, result.detail)
  } finally {
    await prepared.release()
  }
}

async function assertReadsAsExpected(c: ReadCase) {
  const snapshot = await engine.snapshot(c.table, c.version === undefined ? {} : { version: c.version })
  if (c.version !== undefined) assert.equal(snapshot.version, c.version)
  const scan = await engine.scan(snapshot)
  try {
    const db = await engine.duckdb()
    const result = await compareWithExpected(db, scan.sql, expectedParquetFiles(c.expected))
    assert.ok(result.equal, result.detail)
  } finally {
    await dropScan(await engine.duckdb(), scan)
  }
}

function datCases(dir: string): ReadCase[] {
  const generated = path.join(dir, '1-dat-acceptance/dat-5b772f7/out/reader_tests/generated')
  const cases: ReadCase[] = []
  for (const name of readdirSync(generated).sort()) {
    const expectedDir = path.join(generated, name, 'expected')
    for (const label of readdirSync(expectedDir).sort()) {
      const info = JSON.parse(readFileSync(path.join(expectedDir, label, 'table_version_metadata.json'), 'utf8')) as { version: number }
      const content = ['table_content.parquet', 'table_content'].map((f) => path.join(expectedDir, label, f)).find(existsSync)!
      cases.push({
        name: `dat/${name}@${label}`,
        table: path.join(generated, name, 'delta'),
        version: label === 'latest' ? undefined : info.version,
        expected: content,
      })
    }
  }
  return cases
}

interface GoldenRow { case: string; kind: string; check: string; note: string; hasExpected: boolean }

function goldenRows(dir: string): GoldenRow[] {
  const tsv = readFileSync(path.join(dir, '1-dat-acceptance/golden-delta-kernel-rs/_cases.tsv'), 'utf8').trim().split('\n').slice(1)
  return tsv.map((line) => {
    const [name, kind, check, note, hasExpected] = line.split('\t')
    return { case: name, kind, check, note, hasExpected: hasExpected === 'True' }
  })
}

if (!root) {
  test('reader conformance', { skip: 'conformance data not found: set LAKEHOUSE_CONFORMANCE_DIR or place it at ../shared/conformance' }, () => {})
} else {
  describe('DAT reader cases', () => {
    for (const c of datCases(root)) conformanceTest(c.name, () => assertReadsAsExpected(c))
  })

  describe('DAT reader cases through SQL', () => {
    for (const c of datCases(root)) conformanceTest(`sql/${c.name}`, () => assertQueriesAsExpected(c))
  })

  describe('delta-kernel-rs golden tables', () => {
    const goldenDir = path.join(root, '1-dat-acceptance/golden-delta-kernel-rs')
    for (const row of goldenRows(root)) {
      const table = path.join(goldenDir, row.case, 'delta')
      const name = `golden/${row.case}`
      if (row.kind === 'negative') {
        conformanceTest(name, async () => {
          await assert.rejects(
            async () => {
              const snapshot = await engine.snapshot(table)
              await dropScan(await engine.duckdb(), await engine.scan(snapshot))
            },
            (error: unknown) => {
              assert.ok(error instanceof DeltaError, `expected a DeltaError, got ${String(error)}`)
              assert.ok(error.message.includes(table), `the error should name the table: ${error.message}`)
              return true
            },
          )
        })
      } else if (row.hasExpected) {
        const c = { name, table, expected: path.join(goldenDir, row.case, 'expected') }
        conformanceTest(name, () => assertReadsAsExpected(c))
        conformanceTest(`sql/${name}`, () => assertQueriesAsExpected(c))
      } else if (row.case === 'checkpoint') {
        // kernel-rs's checkpoint_test: the table loads at version 14 from its checkpoint.
        conformanceTest(name, async () => {
          const snapshot = await engine.snapshot(table)
          assert.equal(snapshot.version, 14)
          assert.equal(snapshot.segment.checkpointVersion, 10)
        })
      } else if (existsSync(path.join(table, '_delta_log'))) {
        // No expected rows upstream: the table must at least load and scan, or be refused clearly.
        conformanceTest(name, async () => {
          try {
            const snapshot = await engine.snapshot(table)
            const scan = await engine.scan(snapshot)
            const db = await engine.duckdb()
            await db.rows(`SELECT count(*) FROM ${scan.sql}`)
            await dropScan(db, scan)
          } catch (error) {
            assert.ok(error instanceof DeltaError, `expected rows or a DeltaError, got ${String(error)}`)
          }
        })
      } else {
        test(name, { skip: `no _delta_log in the conformance copy (${row.note || 'upstream layout differs'})` }, () => {})
        tally.skipped.push(`${name}: no _delta_log in the conformance copy`)
      }
    }
  })
}
