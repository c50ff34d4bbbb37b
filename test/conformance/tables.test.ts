/**
 * Every table root in ../shared/conformance/2-delta-tables (written by Spark, delta-rs and
 * delta-kernel-rs) loads and scans, except those that need a feature we do not read: those must be
 * refused with an error naming the table and the feature. (Their change feeds are checked by the
 * CDF conformance suite.)
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, describe, test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { dropScan, LakeEngine } from '../../src/engine'
import { requireConformanceDir } from '../helpers/conformance'

/** Tables that must be refused, with the words the refusal must contain. README: "Known gaps". */
const REFUSED: Record<string, { code: DeltaError['code']; mentions: string }> = {
  'delta-rs/simple_table_features': { code: 'UNSUPPORTED_PROTOCOL', mentions: 'reader version 5' },
  'delta-kernel-rs/unshredded-variant': { code: 'UNSUPPORTED_READER_FEATURE', mentions: 'variantType-preview' },
  'delta-rs/spark-variant-checkpoint': { code: 'UNSUPPORTED_READER_FEATURE', mentions: 'variantType-preview' },
  'delta-rs/spark-variant-stable-feature-checkpoint': { code: 'UNSUPPORTED_READER_FEATURE', mentions: 'variantType' },
  'delta-rs/spark-shredded-variant-preview-delta': { code: 'UNSUPPORTED_READER_FEATURE', mentions: 'variantShredding-preview' },
  'delta-kernel-rs/table-with-geo': { code: 'UNSUPPORTED_READER_FEATURE', mentions: 'geospatial' },
  // Upstream keeps only a malformed version checksum here, no commits: not a table.
  'delta-kernel-rs/crc-malformed': { code: 'TABLE_NOT_FOUND', mentions: 'no commits' },
}

const root = requireConformanceDir()
const engine = new LakeEngine()
const counts = { loaded: 0, refused: 0, logOnly: 0 }
after(async () => {
  await engine.close()
  console.log(`table conformance: ${counts.loaded} tables loaded and scanned, ${counts.logOnly} log-only copies refused for their missing data files, ${counts.refused} refused for unsupported features`)
})

if (!root) {
  test('table conformance', { skip: 'conformance data not found' }, () => {})
} else {
  const group = path.join(root, '2-delta-tables')
  const tables = readFileSync(path.join(group, '_features.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')[0])
  describe('Spark, delta-rs and delta-kernel-rs tables', () => {
    for (const name of tables) {
      const table = path.join(group, name)
      const refusal = REFUSED[name]
      test(name, async () => {
        const read = async () => {
          const snapshot = await engine.snapshot(table)
          const scan = await engine.scan(snapshot)
          const db = await engine.duckdb()
          try {
            const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${scan.sql}`)
            const live = snapshot.files.reduce((sum, f) => sum + (JSON.parse(f.add.stats ?? '{}').numRecords ?? NaN), 0)
            const deleted = snapshot.files.reduce((sum, f) => sum + (f.add.deletionVector?.cardinality ?? 0), 0)
            // Where every file has stats, the rows read must equal numRecords less deleted rows.
            if (!Number.isNaN(live)) assert.equal(Number(n), live - deleted, 'rows read vs file stats')
          } finally {
            await dropScan(db, scan)
          }
        }
        if (refusal) {
          await assert.rejects(read, (error: unknown) => {
            assert.ok(error instanceof DeltaError, String(error))
            assert.equal(error.code, refusal.code, error.message)
            assert.ok(error.message.includes(refusal.mentions) && error.message.includes(table), error.message)
            return true
          })
          counts.refused++
        } else {
          try {
            await read()
            counts.loaded++
          } catch (error) {
            // Some upstream copies keep the log but not every data file: the refusal must name a
            // file that is really absent.
            assert.ok(error instanceof DeltaError && error.code === 'MISSING_FILE', String(error))
            const missing = /data file (.+) is listed/.exec(error.message)?.[1]
            assert.ok(missing && !existsSync(missing), `the error names a file that exists: ${error.message}`)
            counts.logOnly++
          }
        }
      })
    }
  })
}
