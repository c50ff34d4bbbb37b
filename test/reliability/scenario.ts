/**
 * The pipeline the crash and concurrency tests run through the `lakehouse` command: a 4-partition
 * JSON topic on the mock broker (broker.ts) → raw.events (+ raw._dead_letters) → an append flow
 * (refined.events_all) and a cdc flow keyed by id (refined.events_latest, ExtractNewRecordState
 * rows with __op, deletes included). Small batches and frequent checkpoints, so that kills and
 * concurrent writers meet commits and checkpoints often.
 *
 * LAKEHOUSE_SOAK=1 (npm run soak) scales the runs up; LAKEHOUSE_SEED replays a run's randomness.
 */
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import type { Kafka } from 'kafkajs'
import { commit, loadSnapshot } from '../../src/delta'
import type { LakeEngine } from '../../src/engine'
import { DEAD_LETTERS_TABLE } from '../../src/pipeline/raw-zone'
import { runQuery, type LakeCatalog } from '../../src/query'
import { random } from '../helpers/cdc-streams'
import { MOCK_CONSUMER_SETTINGS, produceJson, type JsonMessage, type MockBroker } from '../kafka/broker'

export const SOAK = process.env.LAKEHOUSE_SOAK === '1'
export const PARTITIONS = 4
export const CHECKPOINT_INTERVAL = '2'
export const REFINED_TABLES = ['refined.events_all', 'refined.events_latest']
export const FLOWS = ['all', 'latest']

/** The seed of this run: LAKEHOUSE_SEED, else a fresh one. Printed so that a failure can be replayed. */
export function runSeed(): number {
  return process.env.LAKEHOUSE_SEED ? Number(process.env.LAKEHOUSE_SEED) : Math.floor(Math.random() * 2 ** 31)
}

/** Writes `<dir>/<name>.lakehouse.json` for a lake in `<dir>/<lake>`; returns its path. */
export function writePipeline(dir: string, name: string, options: { lake: string; broker: MockBroker; topic: string; groupId: string }): string {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}.lakehouse.json`)
  writeFileSync(
    file,
    JSON.stringify(
      {
        lake: options.lake,
        kafka: {
          brokers: options.broker.brokers,
          clientId: name,
          consumer: {
            groupId: options.groupId,
            sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
            heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
            maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
          },
        },
        sources: [{ name: 'events', topic: options.topic, format: 'json', table: 'raw.events', batch: { maxMessages: 40, maxMs: 100 } }],
        flows: [
          {
            name: 'all',
            from: 'raw.events',
            to: 'refined.events_all',
            mode: 'append',
            transforms: [{ op: 'select', columns: ['_partition', '_offset', 'id', 'seq', 'v'] }],
            batch: { maxVersions: 2 },
          },
          {
            name: 'latest',
            from: 'raw.events',
            to: 'refined.events_latest',
            mode: 'cdc',
            key: ['id'],
            sequenceBy: 'seq',
            transforms: [{ op: 'select', columns: ['id', 'seq', 'v'] }],
            batch: { maxVersions: 3 },
          },
        ],
      },
      null,
      2,
    ),
  )
  return file
}

/** Produces messages to one topic and remembers how many each partition got. */
export class Producer {
  readonly produced = new Map<number, number>()
  sent = 0
  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly keys = 60,
  ) {}

  /**
   * `n` messages: updates and deletes by id, some invalid JSON, some tombstones. Each id goes to
   * the partition its key chooses, as a keyed producer's would: a key's changes stay in order.
   */
  async produce(n: number): Promise<void> {
    const messages: JsonMessage[] = Array.from({ length: n }, (_, j) => {
      const seq = this.sent + j
      const id = (seq * 7) % this.keys
      const partition = id % PARTITIONS
      if (seq % 37 === 11) return { key: `k${id}`, partition, value: Buffer.from(`{"id": ${id}, "broken`) }
      if (seq % 53 === 29) return { key: `k${id}`, partition, value: null }
      return { key: `k${id}`, partition, value: { id, seq, v: `value ${seq}`, __op: seq % 9 === 4 ? 'd' : seq < this.keys ? 'c' : 'u' } }
    })
    await produceJson(this.kafka, this.topic, messages, { batchSize: 500 })
    for (const m of messages) this.produced.set(m.partition!, (this.produced.get(m.partition!) ?? 0) + 1)
    this.sent += n
  }
}

/**
 * Sets delta.checkpointInterval on every table that lacks it (a metadata-only commit, as SET
 * TBLPROPERTIES would), so that every second commit writes a checkpoint. Run while no job writes.
 */
export async function setCheckpointInterval(lake: LakeEngine, catalog: LakeCatalog): Promise<string[]> {
  const changed: string[] = []
  for (const entry of await catalog.tables()) {
    // A job killed while creating a table leaves a _delta_log without a commit: no table yet.
    if (!readdirSync(path.join(entry.path, '_delta_log')).some((name) => /^\d{20}\.json$/.test(name))) continue
    const snapshot = await loadSnapshot(lake.io, entry.path)
    if (snapshot.metadata.configuration['delta.checkpointInterval'] === CHECKPOINT_INTERVAL) continue
    const configuration = { ...snapshot.metadata.configuration, 'delta.checkpointInterval': CHECKPOINT_INTERVAL }
    await commit(lake.io, {
      snapshot,
      table: entry.path,
      actions: [{ metaData: { ...snapshot.metadata, configuration } }],
      operation: 'SET TBLPROPERTIES',
      operationParameters: { properties: JSON.stringify({ 'delta.checkpointInterval': CHECKPOINT_INTERVAL }) },
    })
    changed.push(entry.name)
  }
  return changed
}

export const query = async (lake: LakeEngine, catalog: LakeCatalog, sql: string) => (await runQuery(lake, catalog, sql)).rows

/** Every produced (partition, offset) is in raw.events or raw._dead_letters, exactly once. Returns [rows, dead letters]. */
export async function assertExactlyOnce(lake: LakeEngine, catalog: LakeCatalog, produced: Map<number, number>): Promise<[number, number]> {
  const q = (sql: string) => query(lake, catalog, sql)
  const both = `SELECT _partition, _offset FROM raw.events UNION ALL SELECT _partition, _offset FROM ${DEAD_LETTERS_TABLE} WHERE source = 'events'`
  assert.deepEqual(await q(`SELECT _partition, _offset, count(*) AS n FROM (${both}) GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 5`), [], 'no offset twice')
  const rows = await q(
    `SELECT _partition AS p, count(*) AS n, count(DISTINCT _offset) AS d, min(_offset) AS lo, max(_offset) AS hi FROM (${both}) GROUP BY 1 ORDER BY 1`,
  )
  assert.deepEqual(
    rows.map((r) => Number(r.p)),
    [...produced.keys()].sort(),
    'every partition present',
  )
  for (const r of rows) {
    const n = produced.get(Number(r.p))!
    // n rows, n distinct offsets, all within [0, n-1] ⇒ each offset exactly once.
    assert.deepEqual([Number(r.n), Number(r.d), Number(r.lo), Number(r.hi)], [n, n, 0, n - 1], `partition ${r.p}: count, distinct, min, max offset`)
  }
  const [{ n: raw }] = await q('SELECT count(*) AS n FROM raw.events')
  const [{ n: dead }] = await q(`SELECT count(*) AS n FROM ${DEAD_LETTERS_TABLE}`)
  return [Number(raw), Number(dead)]
}

/** A table's full contents, in a stable order. */
export const tableContents = (lake: LakeEngine, catalog: LakeCatalog, table: string) => query(lake, catalog, `SELECT * FROM ${table} ORDER BY ALL`)

export { random }
