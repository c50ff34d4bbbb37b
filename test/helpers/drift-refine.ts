/**
 * Refining the drift streams (test/helpers/drift-streams.ts) in every flow mode, in one batch
 * spanning every raw version or one raw version per batch, and checking the refined tables' rows
 * and change feeds against what the generator kept.
 */
import assert from 'node:assert/strict'
import type { LakeEngine } from '../../src/engine'
import type { FlowSpec } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import type { LakeCatalog } from '../../src/query'
import { canonical, expectedDrift, type DriftFlow, type DriftStreams } from './drift-streams'

/** The raw tables the streams' formats are ingested into. */
export const DRIFT_RAW = { json: 'raw.drift_json', debezium: 'raw.drift_debezium', mongo: 'raw.drift_mongo' }

const KAFKA = '_topic, _partition, _offset, _timestamp, _key, _headers'

function driftFlows(prefix: string, maxVersions: number | undefined): Record<DriftFlow, FlowSpec> {
  const batch = maxVersions === undefined ? {} : { batch: { maxVersions } }
  const flow = (name: DriftFlow, spec: Omit<FlowSpec, 'name' | 'to'>): FlowSpec => ({
    name: `${prefix}_${name}`,
    to: `refined.${prefix}_${name}`,
    ...batch,
    ...spec,
  })
  return {
    append: flow('append', { from: DRIFT_RAW.json, mode: 'append' }),
    items: flow('items', { from: DRIFT_RAW.json, mode: 'append', transforms: [{ op: 'explode', column: 'items', as: 'item' }, { op: 'flatten' }] }),
    current: flow('current', { from: DRIFT_RAW.debezium, mode: 'cdc', key: ['id'] }),
    history: flow('history', { from: DRIFT_RAW.debezium, mode: 'cdc', key: ['id'], scd: 2 }),
    mongo: flow('mongo', { from: DRIFT_RAW.mongo, mode: 'cdc', key: ['_id'] }),
  }
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>

/** Refines every flow mode over the raw tables and asserts each table's rows and change feed exactly. */
export async function refineAndCheckDrift(
  lake: LakeEngine,
  catalog: LakeCatalog,
  query: Query,
  streams: DriftStreams,
  prefix: string,
  maxVersions?: number,
): Promise<void> {
  const batches = maxVersions === undefined ? [Array.from({ length: streams.stages }, (_, i) => i)] : Array.from({ length: streams.stages }, (_, i) => [i])
  for (const [name, flow] of Object.entries(driftFlows(prefix, maxVersions)) as [DriftFlow, FlowSpec][]) {
    const report = await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
    assert.equal(report.batches, batches.length, `${flow.name}: batches`)
    const expected = expectedDrift(streams, name, batches)
    // History's times as epoch milliseconds, the generator's own unit.
    const columns =
      flow.mode === 'append' ? `* EXCLUDE (${KAFKA})` : flow.scd === 2 ? '* REPLACE (epoch_ms(__start_at) AS __start_at, epoch_ms(__end_at) AS __end_at)' : '*'
    const rows = (await query(`SELECT ${columns} FROM ${flow.to}`)).map(canonical).sort()
    assert.deepEqual(rows, expected.rows, `${flow.name}: rows`)
    const feed = (await query(`SELECT ${columns} FROM (SELECT * EXCLUDE (_commit_timestamp) FROM table_changes('${flow.to}', 0))`)).map(canonical).sort()
    assert.deepEqual(feed, expected.feed, `${flow.name}: change feed`)
  }
}
