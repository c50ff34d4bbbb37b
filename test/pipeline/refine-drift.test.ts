/**
 * Schema drift end to end from a capture file: documents gain fields at every depth mid-stream
 * (top level, struct, struct in struct, struct in list elements, struct in the elements of a list
 * in a struct; one raw version holds old- and new-shaped rows), each stage ingested as its own raw
 * version, then refined in every flow mode (append, append with explode + flatten, cdc SCD 1 and
 * 2, MongoDB with update descriptions): in one batch spanning every version, and one version per
 * batch. Rows and change feeds are compared with what the generator kept.
 */
import assert from 'node:assert/strict'
import { appendFileSync } from 'node:fs'
import * as path from 'node:path'
import { before, test } from 'node:test'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { captureLines } from '../helpers/cdc-streams'
import { DRIFT_RAW, refineAndCheckDrift } from '../helpers/drift-refine'
import { driftStreams } from '../helpers/drift-streams'
import { tempLake } from '../helpers/temp-lake'

const { dir, lakeDir, lake, catalog, query } = tempLake('refine-drift')
const streams = driftStreams()

before(async () => {
  const formats = { json: 'json', debezium: 'debezium', mongo: 'debezium-mongodb' } as const
  for (let stage = 0; stage < streams.stages; stage++) {
    for (const [name, format] of Object.entries(formats) as [keyof typeof formats, SourceSpec['format']][]) {
      const source: SourceSpec = { name, file: `${name}.jsonl`, format, table: DRIFT_RAW[name] }
      appendFileSync(path.join(dir, source.file!), captureLines(streams[name][stage]))
      const report = await ingestFile(lake, catalog, { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source] }, source)
      assert.equal(report.deadLetters, 0, `${name} stage ${stage}: no dead letters`)
    }
  }
  for (const table of Object.values(DRIFT_RAW)) {
    assert.equal((await lake.snapshot(catalog.pathOf(table))).version, streams.stages - 1, `${table}: one raw version per stage`)
  }
})

test('one refine batch spanning every raw version: every flow mode evolves its table and change feed', async () => {
  await refineAndCheckDrift(lake, catalog, query, streams, 'spanning')
})

test('one raw version per refine batch (batch.maxVersions 1): every flow mode evolves its table and change feed', async () => {
  await refineAndCheckDrift(lake, catalog, query, streams, 'stepwise', 1)
})
