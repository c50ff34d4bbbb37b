/**
 * The Kafka ingest job in a process of its own, for the crash test in ingest.test.ts (which kills
 * it with SIGKILL at random moments). Argument: a JSON object { lakeDir, brokers, topic, source,
 * table, maxMessages, maxMs, groupId?, continuous?, failOnDataLoss? }. Prints one JSON line per
 * committed batch ({"batch":n,"messages":m}) and a last line {"done":report}; data-loss warnings
 * and a failure's message go to stderr (a failure exits 1). Continuous jobs stop on SIGTERM.
 */
import { logLevel } from 'kafkajs'
import * as path from 'node:path'
import { LakeEngine } from '../../src/engine'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { Pipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog } from '../../src/engine'
import { MOCK_CONSUMER_SETTINGS } from './broker'

interface ChildConfig {
  lakeDir: string
  brokers: string[]
  topic: string
  source: string
  table: string
  maxMessages: number
  maxMs: number
  groupId?: string
  continuous?: boolean
  failOnDataLoss?: boolean
}

const config = JSON.parse(process.argv[2]) as ChildConfig
const lake = new LakeEngine()
const catalog = new LakeCatalog(config.lakeDir, lake.io.storage)
const pipeline: Pipeline = {
  file: path.join(config.lakeDir, 'lakehouse.json'),
  lake: '.',
  lakeDir: config.lakeDir,
  kafka: {
    brokers: config.brokers,
    clientId: 'ingest-child',
    consumer: {
      groupId: config.groupId,
      sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
      heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
      maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
    },
  },
  sources: [],
}
const source = {
  name: config.source,
  topic: config.topic,
  format: 'json' as const,
  table: config.table,
  batch: { maxMessages: config.maxMessages, maxMs: config.maxMs },
  failOnDataLoss: config.failOnDataLoss,
}
const stop = new AbortController()
process.once('SIGTERM', () => stop.abort())
const report = await ingestKafka(lake, catalog, pipeline, source, {
  untilCaughtUp: !config.continuous,
  signal: stop.signal,
  onDataLoss: (_gaps, message) => process.stderr.write(`data loss accepted:\n${message}\n`),
  client: { logLevel: logLevel.NOTHING, config: { connectionTimeout: 1_000, retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 } } },
  onBatch: (batch) => process.stdout.write(`${JSON.stringify({ batch: batch.total.batches, messages: batch.messages })}\n`),
}).catch(async (error: Error) => {
  process.stderr.write(`${error.message}\n`)
  await lake.close()
  process.exit(1)
})
process.stdout.write(`${JSON.stringify({ done: report })}\n`)
await lake.close()
