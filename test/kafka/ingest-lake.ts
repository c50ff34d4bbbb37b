/**
 * What every Kafka ingest test needs: a real mock broker with its topics, a lake in a temp folder,
 * and a pipeline pointing at both with the consumer settings the mock wants.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { logLevel, type Kafka } from 'kafkajs'
import { LakeEngine } from '../../src/engine'
import type { KafkaIngestOptions } from '../../src/pipeline/ingest-kafka'
import type { Pipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog } from '../../src/query'
import { kafkaFor, MOCK_CONSUMER_SETTINGS, startBroker, type MockBroker } from './broker'

/** kafkajs settings for ingest jobs against the mock: quiet, quick to retry, patient enough for an outage. */
export const INGEST_CLIENT_OPTIONS: KafkaIngestOptions['client'] = {
  logLevel: logLevel.NOTHING,
  config: { connectionTimeout: 1_000, retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 } },
}

export interface IngestLake {
  broker: MockBroker
  kafka: Kafka
  lakeDir: string
  lake: LakeEngine
  catalog: LakeCatalog
  pipeline: Pipeline
  stop(): Promise<void>
}

export async function startIngestLake(options: {
  name: string
  topics: { name: string; partitions: number }[]
  brokers?: number
  schemaRegistryUrl?: string
}): Promise<IngestLake> {
  const broker = await startBroker({ brokers: options.brokers, topics: options.topics })
  const kafka = kafkaFor(broker, options.name)
  const lakeDir = mkdtempSync(path.join(os.tmpdir(), `lakehouse-${options.name}-`))
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  const pipeline: Pipeline = {
    file: path.join(lakeDir, 'lakehouse.json'),
    lake: '.',
    lakeDir,
    kafka: {
      brokers: broker.brokers,
      clientId: options.name,
      ...(options.schemaRegistryUrl ? { schemaRegistry: { url: options.schemaRegistryUrl } } : {}),
      consumer: {
        sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout,
        heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval,
        maxWaitTimeInMs: MOCK_CONSUMER_SETTINGS.maxWaitTimeInMs,
      },
    },
    sources: [],
  }
  return {
    broker,
    kafka,
    lakeDir,
    lake,
    catalog,
    pipeline,
    async stop() {
      await lake.close()
      await broker.stop()
      rmSync(lakeDir, { recursive: true, force: true })
    },
  }
}
