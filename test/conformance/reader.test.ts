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
import { compareWithExpected, expectedParquetFiles, requireConformanceDir, writeConformanceTally } from '../helpers/conformance'
import { rowsByFooters } from '../helpers/parquet-row-count'
import { KNOWN_GAPS } from './known-gaps'

const root = requireConformanceDir()
const engine = new LakeEngine()
/** What each kind of case counts for the README's figures (scripts/conformance-summary.mjs). */
type CaseKind = 'dat' | 'datSql' | 'golden' | 'goldenSql' | 'negative' | 'withoutExpectedRows' | 'hive'
const tally = {
  passed: 0,
  failed: 0,
  passedByKind: {} as Partial<Record<CaseKind, number>>,
  knownGaps: [] as string[],
  skipped: [] as string[],
}

after(async () => {
  await engine.close()
  console.log(`reader conformance: ${tally.passed} passed, ${tally.failed} failed, ${tally.knownGaps.length} known gaps, ${tally.skipped.length} skipped`)
  for (const reason of [...tally.knownGaps, ...tally.skipped]) console.log(`  ${reason}`)
  writeConformanceTally('reader', tally)
})

interface ReadCase {
  name: string
  table: string
  version?: number
  expected: string
}

/** A conformance case: a known gap runs as todo (its failure is reported, not counted). */
function conformanceTest(name: string, kind: CaseKind, body: () => Promise<void>) {
  const gap = KNOWN_GAPS[name]
  test(name, gap ? { todo: gap } : {}, async () => {
    try {
      await body()
      if (gap) tally.knownGaps.push(`${name}: passes although listed as a gap (${gap}); remove it from known-gaps.ts`)
      else {
        tally.passed++
        tally.passedByKind[kind] = (tally.passedByKind[kind] ?? 0) + 1
      }
    } catch (error) {
      if (gap) tally.knownGaps.push(`${name}: ${gap}`)
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

interface GoldenRow {
  case: string
  kind: string
  check: string
  note: string
  hasExpected: boolean
}

function goldenRows(dir: string): GoldenRow[] {
  const tsv = readFileSync(path.join(dir, '1-dat-acceptance/golden-delta-kernel-rs/_cases.tsv'), 'utf8').trim().split('\n').slice(1)
  return tsv.map((line) => {
    const [name, kind, check, note, hasExpected] = line.split('\t')
    return { case: name, kind, check, note, hasExpected: hasExpected === 'True' }
  })
}

interface ExpectedError {
  code: DeltaError['code']
  words: RegExp
}

/** Upstream's must-fail cases, each with the error upstream expects, in our words. */
const NEGATIVE: Record<string, ExpectedError> = {
  'deltalog-invalid-protocol-version': { code: 'UNSUPPORTED_PROTOCOL', words: /reader version 99 is not supported/ },
  'deltalog-state-reconstruction-from-checkpoint-missing-metadata': { code: 'CORRUPT_LOG', words: /no metaData action found in checkpoint 10/ },
  'deltalog-state-reconstruction-from-checkpoint-missing-protocol': { code: 'CORRUPT_LOG', words: /no protocol action found in checkpoint 10/ },
  'deltalog-state-reconstruction-without-metadata': { code: 'CORRUPT_LOG', words: /no metaData action found in commits 0 to 0/ },
  'deltalog-state-reconstruction-without-protocol': { code: 'CORRUPT_LOG', words: /no protocol action found in commits 0 to 0/ },
  'no-delta-log-folder': { code: 'TABLE_NOT_FOUND', words: /no _delta_log folder/ }, // DELTA_TABLE_NOT_FOUND
  'versions-not-contiguous': { code: 'CORRUPT_LOG', words: /not contiguous: commit 0+1\.json is missing between versions 0 and 2/ }, // DELTA_VERSIONS_NOT_CONTIGUOUS
}

/** An assert.rejects validator: a DeltaError with this code and words, naming the table. */
function errorLike(table: string, expected: ExpectedError) {
  return (error: unknown) => {
    assert.ok(error instanceof DeltaError, `expected a DeltaError, got ${String(error)}`)
    assert.equal(error.code, expected.code, error.message)
    assert.match(error.message, expected.words)
    assert.ok(error.message.includes(table), `the error should name the table: ${error.message}`)
    return true
  }
}

/** Load the latest snapshot and count its rows through our scan. */
async function readAll(table: string): Promise<number> {
  const snapshot = await engine.snapshot(table)
  const scan = await engine.scan(snapshot)
  const db = await engine.duckdb()
  try {
    return Number((await db.rows(`SELECT count(*) AS n FROM ${scan.sql}`))[0].n)
  } finally {
    await dropScan(db, scan)
  }
}

/** A table with no expected result upstream: every row its live files' footers hold, less deleted rows. */
async function assertReadsAllFooterRows(table: string) {
  const snapshot = await engine.snapshot(table)
  const footers = await rowsByFooters(table, snapshot.files)
  assert.deepEqual(footers.missing, [], 'data files missing')
  assert.ok(footers.rows! > 0, 'the table holds rows')
  assert.equal(await readAll(table), footers.rows)
}

/**
 * Golden cases that upstream checks without an expected-rows folder, each with what its test
 * asserts (Delta's DeltaLogSuite / golden tables), checked against ours: rows where the log leaves
 * some, or the specific error where the copy cannot be read (data files upstream never shipped).
 */
const WITHOUT_EXPECTED_ROWS: Record<string, (table: string) => Promise<void>> = {
  // The remove names the add's path in another spelling (file:/…, file:///…, escaped): canonicalized,
  // they are one file, so the table is empty with its schema.
  'canonicalized-paths-normal-a': assertEmptyAfterCanonicalRemove,
  'canonicalized-paths-normal-b': assertEmptyAfterCanonicalRemove,
  'canonicalized-paths-special-a': assertEmptyAfterCanonicalRemove,
  'canonicalized-paths-special-b': assertEmptyAfterCanonicalRemove,
  // The first file lies outside the table folder ('..//Users/…'): refused, as any path escaping the lake is.
  'data-reader-absolute-paths-escaped-chars': async (table) => {
    await assert.rejects(
      () => engine.snapshot(table),
      errorLike(table, { code: 'CORRUPT_LOG', words: /'\.\.\/\/Users\/.*' named in the log climbs out of the table folder/ }),
    )
  },
  // foo is removed, then added again with a new modification time; bar is added. The files are not shipped.
  'delete-re-add-same-file-different-transactions': async (table) => {
    const snapshot = await engine.snapshot(table)
    assert.equal(snapshot.version, 3)
    const files = snapshot.files.map((f) => ({ path: f.add.path, modificationTime: f.add.modificationTime })).sort((a, b) => a.path.localeCompare(b.path))
    assert.deepEqual(files, [
      { path: 'bar', modificationTime: 1697064972263 },
      { path: 'foo', modificationTime: 1700000000000 },
    ])
    await assert.rejects(() => readAll(table), errorLike(table, { code: 'MISSING_FILE', words: /data file .*\/delta\/(bar|foo) is listed in version [23]/ }))
  },
  // Upstream reads its commitInfo; its metaData has no schema, so the table cannot be read.
  'deltalog-commit-info': async (table) => {
    await assert.rejects(() => engine.snapshot(table), errorLike(table, { code: 'CORRUPT_LOG', words: /metaData\.schemaString is not valid JSON/ }))
  },
  // The log's 'special%20p@%23h' is the file 'special p@#h' (not shipped).
  'log-replay-special-characters-b': async (table) => {
    const snapshot = await engine.snapshot(table)
    assert.deepEqual(
      snapshot.files.map((f) => path.basename(f.path)),
      ['special p@#h'],
    )
    await assert.rejects(() => readAll(table), errorLike(table, { code: 'MISSING_FILE', words: /data file .*\/special p@#h is listed in version 0/ }))
  },
  // kernel-rs's checkpoint_test: the table loads at version 14 from its checkpoint at 10; each
  // commit replaced the one file (its data files are not shipped), so '15' alone is live.
  checkpoint: async (table) => {
    const snapshot = await engine.snapshot(table)
    assert.equal(snapshot.version, 14)
    assert.equal(snapshot.segment.checkpointVersion, 10)
    assert.deepEqual(
      snapshot.files.map((f) => f.add.path),
      ['15'],
    )
    await assert.rejects(() => readAll(table), errorLike(table, { code: 'MISSING_FILE', words: /data file .*\/delta\/15 is listed in version 14/ }))
  },
  // A checkpoint whose metaData has no schema.
  'update-deleted-directory': async (table) => {
    await assert.rejects(() => engine.snapshot(table), errorLike(table, { code: 'CORRUPT_LOG', words: /metaData\.schemaString is not a struct type/ }))
  },
}

async function assertEmptyAfterCanonicalRemove(table: string) {
  const snapshot = await engine.snapshot(table)
  assert.equal(snapshot.version, 1)
  assert.deepEqual(
    snapshot.files.map((f) => f.add.path),
    [],
    'the remove cancels the add',
  )
  const scan = await engine.scan(snapshot)
  const db = await engine.duckdb()
  try {
    assert.deepEqual(
      (await db.describe(`SELECT * FROM ${scan.sql}`)).map((c) => `${c.name} ${c.type}`),
      ['id INTEGER'],
    )
    const result = await compareWithExpected(db, scan.sql, [])
    assert.ok(result.equal, result.detail)
  } finally {
    await dropScan(db, scan)
  }
}

if (!root) {
  test('reader conformance', { skip: 'conformance data not found: set LAKEHOUSE_CONFORMANCE_DIR or place it at ../shared/conformance' }, () => {})
} else {
  describe('DAT reader cases', () => {
    for (const c of datCases(root)) conformanceTest(c.name, 'dat', () => assertReadsAsExpected(c))
  })

  describe('DAT reader cases through SQL', () => {
    for (const c of datCases(root)) conformanceTest(`sql/${c.name}`, 'datSql', () => assertQueriesAsExpected(c))
  })

  describe('delta-kernel-rs golden tables', () => {
    const goldenDir = path.join(root, '1-dat-acceptance/golden-delta-kernel-rs')
    for (const row of goldenRows(root)) {
      const table = path.join(goldenDir, row.case, 'delta')
      const name = `golden/${row.case}`
      const negative = NEGATIVE[row.case]
      const special = WITHOUT_EXPECTED_ROWS[row.case]
      if (row.kind === 'negative') {
        conformanceTest(name, 'negative', async () => {
          assert.ok(negative, `no expected error recorded for the negative case ${row.case} (${row.note || row.check}): add it to NEGATIVE`)
          await assert.rejects(() => readAll(table), errorLike(table, negative))
        })
      } else if (row.hasExpected) {
        const c = { name, table, expected: path.join(goldenDir, row.case, 'expected') }
        conformanceTest(name, 'golden', () => assertReadsAsExpected(c))
        conformanceTest(`sql/${name}`, 'goldenSql', () => assertQueriesAsExpected(c))
      } else if (row.case === 'hive') {
        // Eleven small tables side by side (kernel-rs skips the layout); each read in full.
        for (const sub of readdirSync(table).sort()) {
          conformanceTest(`${name}/${sub}`, 'hive', () => assertReadsAllFooterRows(path.join(table, sub)))
        }
      } else if (!existsSync(path.join(goldenDir, row.case))) {
        test(name, { skip: `not in the conformance copy (${row.note || 'upstream layout differs'})` }, () => {})
        tally.skipped.push(`${name}: not in the conformance copy (${row.note})`)
      } else {
        conformanceTest(name, 'withoutExpectedRows', async () => {
          assert.ok(special, `no check recorded for the golden case ${row.case}, which has no expected rows: add it to WITHOUT_EXPECTED_ROWS`)
          await special(table)
        })
      }
    }
  })
}
