/**
 * `lakehouse demo`: the whole seed pipeline on the embedded capture (or on a real Kafka, after
 * producing the capture to it), then a short report. Everything it writes lives in one folder;
 * running it again is safe: the offsets and flow progress in the tables make it a no-op.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import type { Json } from '../query'
import { LakeEngine } from '../engine'
import { runPipeline, type PipelineSpec, type PipelineEvent } from '../pipeline'
import { loadPipeline } from '../pipeline/pipeline-file'
import { LakeCatalog, runQuery } from '../query'
import { CUSTOMERS_TOPIC, demoData, ORDERS_TOPIC, type CapturedMessage } from './demo-data'
import { filePipeline, kafkaPipeline } from './demo-pipeline'

export interface DemoOptions {
  dir: string
  /** host:port of a Kafka broker: produce the capture there (to empty topics) and ingest from it. */
  broker?: string
  onEvent?: (event: PipelineEvent) => void
}

export interface DemoReport {
  dir: string
  pipelineFile: string
  lakeDir: string
  /** Messages produced to the broker (0 when its topics already held data). */
  produced?: number
  tables: { table: string; rows: number; version: number }[]
  /** The refined customers' latest changes, from their change data feed. */
  recentChanges: Record<string, unknown>[]
}

/** A demo whose pipeline had failed jobs: each job with its error, one a line. */
export class DemoRunError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DemoRunError'
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const dir = path.resolve(options.dir)
  mkdirSync(path.join(dir, 'captures'), { recursive: true })
  const data = demoData()
  // The capture files are written once; a user may replace them with their own.
  writeIfMissing(path.join(dir, 'captures', 'customers.jsonl'), lines(data.customers))
  writeIfMissing(path.join(dir, 'captures', 'orders.jsonl'), lines(data.orders))
  const spec: PipelineSpec = options.broker ? kafkaPipeline(options.broker) : filePipeline()
  const pipelineFile = path.join(dir, options.broker ? 'kafka.lakehouse.json' : 'lakehouse.json')
  writeIfMissing(pipelineFile, `${JSON.stringify(spec, null, 2)}\n`)
  const pipeline = loadPipeline(pipelineFile)

  const lake = new LakeEngine()
  const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
  try {
    let produced: number | undefined
    if (options.broker) produced = await produceCapture(options.broker, data.customers, data.orders)
    const run = await runPipeline(lake, catalog, pipeline, { untilCaughtUp: true, onEvent: options.onEvent })
    if (run.failed.length) throw new DemoRunError(run.failed.map((f) => `${f.job}: ${f.error}`).join('\n'))
    const tables = []
    for (const entry of await catalog.tables()) {
      const [{ n }] = (await runQuery(lake, catalog, `SELECT count(*) AS n FROM ${entry.name}`)).rows
      tables.push({ table: entry.name, rows: Number(n), version: (await lake.snapshot(entry.path)).version })
    }
    const recentChanges = changedColumnsOnly(
      (
        await runQuery(
          lake,
          catalog,
          `SELECT * EXCLUDE (_commit_timestamp)
      FROM table_changes('refined.customers', 0) WHERE _change_type LIKE 'update_%'
      ORDER BY _commit_version DESC, customer_id, _change_type DESC LIMIT 6`,
        )
      ).rows,
    )
    return { dir, pipelineFile, lakeDir: pipeline.lakeDir, produced, tables, recentChanges }
  } finally {
    await lake.close()
  }
}

/**
 * Update pairs with the key, the columns that changed in any of them, and the change columns: a
 * pre- and post-image that differ only in a column left out would look identical.
 */
function changedColumnsOnly(rows: Record<string, Json>[]): Record<string, Json>[] {
  const changed = new Set<string>()
  for (let i = 0; i + 1 < rows.length; i += 2) {
    for (const column of Object.keys(rows[i])) {
      if (!column.startsWith('_') && JSON.stringify(rows[i][column]) !== JSON.stringify(rows[i + 1][column])) changed.add(column)
    }
  }
  const keep = ['customer_id', ...[...changed].filter((c) => c !== 'customer_id'), '_change_type', '_commit_version']
  return rows.map((row) => Object.fromEntries(keep.map((c) => [c, row[c] ?? null])))
}

function lines(messages: CapturedMessage[]): string {
  return messages.map((m) => JSON.stringify(m)).join('\n') + '\n'
}

function writeIfMissing(file: string, text: string): void {
  if (!existsSync(file)) writeFileSync(file, text)
}

/** Produces the capture to its topics on the broker, unless they already hold messages (a second run). */
async function produceCapture(broker: string, customers: CapturedMessage[], orders: CapturedMessage[]): Promise<number> {
  // Loaded here: the demo on the embedded capture never loads kafkajs.
  const { seedEmptyTopics } = await import('../kafka')
  const seed = (messages: CapturedMessage[]) =>
    messages.map((m) => ({
      key: m.key,
      value: m.payload,
      partition: m.partition,
      timestamp: m.ts,
      headers: Object.fromEntries(m.headers.flatMap((h, j, all) => (j % 2 === 0 ? [[h, all[j + 1]]] : []))),
    }))
  return seedEmptyTopics(broker, 'lakehouse-demo', [
    { topic: CUSTOMERS_TOPIC, partitions: 1, messages: seed(customers) },
    { topic: ORDERS_TOPIC, partitions: 3, messages: seed(orders) },
  ])
}
