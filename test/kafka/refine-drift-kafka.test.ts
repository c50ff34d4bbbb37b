/**
 * Schema drift end to end through the broker: the drift streams (fields added mid-stream at every
 * depth, test/helpers/drift-streams.ts) produced to the mock cluster stage by stage, each stage
 * ingested as its own raw version, then refined in every flow mode in one batch spanning every
 * version and in one version per batch; rows and change feeds as the generator kept them.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { SourceSpec } from '../../src/pipeline/pipeline-file'
import { runQuery } from '../../src/query'
import { DRIFT_RAW, refineAndCheckDrift } from '../helpers/drift-refine'
import { driftStreams } from '../helpers/drift-streams'
import { produceJson } from './broker'
import { INGEST_CLIENT_OPTIONS, startIngestLake, type IngestLake } from './ingest-lake'

const streams = driftStreams()
const formats = { json: 'json', debezium: 'debezium', mongo: 'debezium-mongodb' } as const
let env: IngestLake
const query = async (sql: string) => (await runQuery(env.lake, env.catalog, sql)).rows

before(async () => {
  env = await startIngestLake({ name: 'refine-drift', topics: Object.keys(formats).map((f) => ({ name: `drift.${f}`, partitions: 1 })) })
  for (let stage = 0; stage < streams.stages; stage++) {
    for (const [name, format] of Object.entries(formats) as [keyof typeof formats, SourceSpec['format']][]) {
      const topic = `drift.${name}`
      await produceJson(
        env.kafka,
        topic,
        streams[name][stage].map((m) => ({ key: m.key, value: m.payload === null ? null : Buffer.from(m.payload) })),
      )
      const source: SourceSpec = { name, topic, format, table: DRIFT_RAW[name] }
      const report = await ingestKafka(env.lake, env.catalog, { ...env.pipeline, sources: [source] }, source, {
        untilCaughtUp: true,
        client: INGEST_CLIENT_OPTIONS,
      })
      assert.equal(report.deadLetters, 0, `${name} stage ${stage}: no dead letters`)
    }
  }
  for (const table of Object.values(DRIFT_RAW)) {
    assert.equal((await env.lake.snapshot(env.catalog.pathOf(table))).version, streams.stages - 1, `${table}: one raw version per stage`)
  }
})
after(() => env.stop())

test('through the broker, one refine batch spanning every raw version: every flow mode evolves its table and change feed', async () => {
  await refineAndCheckDrift(env.lake, env.catalog, query, streams, 'spanning')
})

test('through the broker, one raw version per refine batch: every flow mode evolves its table and change feed', async () => {
  await refineAndCheckDrift(env.lake, env.catalog, query, streams, 'stepwise', 1)
})
