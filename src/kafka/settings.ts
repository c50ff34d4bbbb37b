/**
 * The pipeline file's `kafka` section as the Kafka layer reads it, and the names derived from it.
 * The pipeline file (src/pipeline/pipeline-file.ts) validates the section and re-exports these types.
 */

/** Who a secret belongs to and where its password is read from (never the password itself). */
export interface SecretRef {
  username?: string
  passwordEnv?: string
}

export interface KafkaSettings {
  brokers: string[]
  clientId?: string
  ssl?: boolean
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; passwordEnv?: string }
  schemaRegistry?: { url: string } & SecretRef
  /** A dev cluster: `lakehouse produce` (and the editor's Produce) may write test messages to it. */
  dev?: boolean
  consumer?: { groupId?: string; sessionTimeout?: number; heartbeatInterval?: number; maxWaitTimeInMs?: number; maxBytesPerPartition?: number }
}

/**
 * The consumer group a source's ingest job commits its offsets to: the pipeline's
 * `kafka.consumer.groupId`, else `lakehouse-<source>`. Defined once, so that the lag the views
 * show is always the job's.
 */
export function sourceGroupId(settings: KafkaSettings | undefined, sourceName: string): string {
  return settings?.consumer?.groupId ?? `lakehouse-${sourceName}`
}
