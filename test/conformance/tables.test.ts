/**
 * Every table root in ../shared/conformance/2-delta-tables (written by Spark, delta-rs and
 * delta-kernel-rs) loads and scans, and the rows read equal an independent count: the row counts in
 * the live files' Parquet footers (read with hyparquet) less their deletion vectors' cardinalities.
 * Exceptions, each by name: tables that need a feature we do not read must be refused with an error
 * naming the table and the feature; the upstream copies that keep the log but not every data file
 * must be refused naming a data file that is really absent. (Their change feeds are checked by the
 * CDF conformance suite.) The counts are written to .test-artifacts/conformance/tables.json.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, describe, test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { dropScan, LakeEngine } from '../../src/engine'
import { requireConformanceDir, writeConformanceTally } from '../helpers/conformance'
import { rowsByFooters } from '../helpers/parquet-row-count'

/** Tables that must be refused, with the words the refusal must contain. README: "Known gaps". */
const REFUSED: Record<string, { code: DeltaError['code']; mentions: string }> = {
  'delta-rs/simple_table_features': { code: 'UNSUPPORTED_PROTOCOL', mentions: 'reader version 5' },
  'delta-kernel-rs/table-with-geo': { code: 'UNSUPPORTED_READER_FEATURE', mentions: 'geospatial' },
  // Upstream keeps only a malformed version checksum here, no commits: not a table.
  'delta-kernel-rs/crc-malformed': { code: 'TABLE_NOT_FOUND', mentions: 'no commits' },
}

/**
 * Upstream copies that keep the log but not every data file it names (the repositories ship only
 * the log for these tests): reading them must fail naming a data file that is really absent.
 */
const LOG_ONLY = new Set<string>([
  'delta-kernel-rs/app-txn-with-last-updated',
  'delta-kernel-rs/with_checkpoint_no_last_checkpoint',
  'delta-rs/checkpoint_with_partitions',
  'delta-rs/checkpoints',
  'delta-rs/checkpoints_vacuumed',
  'delta-rs/latest_not_checkpointed',
  'delta-rs/spark-variant-stable-feature-checkpoint',
  'delta-rs/table-with-domain-metadata',
  'delta-rs/with_checkpoint_no_last_checkpoint',
])

const root = requireConformanceDir()
const engine = new LakeEngine()
const counts = { tables: 0, loaded: 0, loadedRows: 0, refused: 0, logOnly: 0 }
after(async () => {
  await engine.close()
  console.log(
    `table conformance: ${counts.loaded} tables read with the rows their Parquet footers hold less deleted rows (${counts.loadedRows} rows), ` +
      `${counts.logOnly} log-only copies refused for their missing data files, ${counts.refused} refused for unsupported features`,
  )
  writeConformanceTally('tables', { ...counts, logOnlyNames: [...LOG_ONLY], refusedNames: Object.keys(REFUSED) })
})

if (!root) {
  test('table conformance', { skip: 'conformance data not found' }, () => {})
} else {
  const group = path.join(root, '2-delta-tables')
  const tables = readFileSync(path.join(group, '_features.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t')[0])
  counts.tables = tables.length
  test('every log-only copy named is a table of the conformance data', () => {
    for (const name of [...LOG_ONLY, ...Object.keys(REFUSED)]) assert.ok(tables.includes(name), `${name} is not in 2-delta-tables/_features.tsv`)
  })
  describe('Spark, delta-rs and delta-kernel-rs tables', () => {
    for (const name of tables) {
      const table = path.join(group, name)
      const refusal = REFUSED[name]
      /** Rows read through our scan, and the footers' count for the same snapshot. */
      const read = async () => {
        const snapshot = await engine.snapshot(table)
        const scan = await engine.scan(snapshot)
        const db = await engine.duckdb()
        try {
          const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${scan.sql}`)
          return { read: Number(n), footers: await rowsByFooters(table, snapshot.files) }
        } finally {
          await dropScan(db, scan)
        }
      }
      test(name, async () => {
        if (refusal) {
          await assert.rejects(read, (error: unknown) => {
            assert.ok(error instanceof DeltaError, String(error))
            assert.equal(error.code, refusal.code, error.message)
            assert.ok(error.message.includes(refusal.mentions) && error.message.includes(table), error.message)
            return true
          })
          counts.refused++
        } else if (LOG_ONLY.has(name)) {
          await assert.rejects(
            read,
            (error: unknown) => {
              assert.ok(
                error instanceof DeltaError && error.code === 'MISSING_FILE',
                `a log-only copy must be refused for a missing data file: ${String(error)}`,
              )
              const missing = /data file (.+) is listed/.exec(error.message)?.[1]
              assert.ok(missing && !existsSync(missing), `the error names a file that exists: ${error.message}`)
              return true
            },
            `${name} is listed as a log-only copy but reads: take it off LOG_ONLY`,
          )
          counts.logOnly++
        } else {
          const { read: rows, footers } = await read()
          assert.deepEqual(footers.missing, [], 'data files named in the log are missing')
          assert.equal(rows, footers.rows, 'rows read vs the Parquet footers less deleted rows')
          counts.loaded++
          counts.loadedRows += rows
        }
      })
    }
  })
}
