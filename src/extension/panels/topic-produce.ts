/**
 * The topic panel's Produce: one message from the panel's editor to the topic, on a dev cluster
 * only. The Kafka and registry work is the same as `lakehouse produce`'s (src/kafka/produce.ts,
 * src/decode/registry-encoder.ts); this file turns the panel's message into their input and says
 * why a cluster is refused. Loaded lazily by topic-handler.ts (kafkajs, avsc, protobufjs).
 */
import { createRegistryEncoder, usesSchemaRegistry, type DecoderOptions, type Format } from '../../decode'
import { assertDevCluster, NotADevClusterError, produceMessages, type KafkaSettings } from '../../kafka'
import type { OutgoingMessage } from '../../../webview/shared/protocol'
import { ExtensionError } from '../errors'

export interface ProduceTarget {
  kafka: KafkaSettings
  topic: string
  format: Format
  schemaRegistry?: DecoderOptions['schemaRegistry']
  password?: string
  /** The pipeline file naming the cluster: where "dev": true goes. */
  pipelineFile?: string
}

/** Allowed (with the registry format it will encode for), or refused with the sentence to show. */
export type ProduceAccess = { allowed: true; registry?: string } | { allowed: false; refusal: string }

/** Whether the panel may produce to the target's cluster, and when not, which file to change. */
export function produceAccess(target: ProduceTarget): ProduceAccess {
  try {
    assertDevCluster(target.kafka)
  } catch (error) {
    if (!(error instanceof NotADevClusterError)) throw error
    const where = target.pipelineFile ? `in ${target.pipelineFile}` : 'in the pipeline file'
    return {
      allowed: false,
      refusal: `Producing is refused: ${target.kafka.brokers.join(', ')} is not marked as a dev cluster. Test messages are only written to a cluster whose pipeline file says so: add "dev": true to the "kafka" section ${where} (e.g. "kafka": { "brokers": [...], "dev": true }) and save it.`,
    }
  }
  return { allowed: true, ...(usesSchemaRegistry(target.format) ? { registry: target.format } : {}) }
}

function parsedValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ExtensionError(`the value is not JSON: ${(error as Error).message}`)
  }
}

const SEND_CLIENT = { connectionTimeout: 3_000, requestTimeout: 10_000, retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 2_000 } }

/** Sends `message` to the target's topic (encoded through the registry for registry formats); where it landed. */
export async function produceFromPanel(target: ProduceTarget, message: OutgoingMessage): Promise<{ partition: number; offset: string }> {
  const access = produceAccess(target)
  if (!access.allowed) throw new ExtensionError(access.refusal)
  let value: Buffer | string | null = null
  if (message.value !== null) {
    const parsed = parsedValue(message.value)
    if (usesSchemaRegistry(target.format)) {
      if (!target.schemaRegistry) throw new ExtensionError(`the topic is read as ${target.format}, which needs kafka.schemaRegistry in the pipeline file`)
      value = (await createRegistryEncoder(target.format, target.topic, target.schemaRegistry)).encode(parsed)
    } else value = message.value
  }
  const summary = await produceMessages(
    target.kafka,
    target.topic,
    [
      {
        key: message.key,
        value,
        headers: message.headers,
        ...(message.partition !== undefined ? { partition: message.partition } : {}),
      },
    ],
    { client: { ...(target.password !== undefined ? { password: target.password } : {}), config: SEND_CLIENT } },
  )
  const landed = summary.partitions[0]
  if (!landed) throw new ExtensionError(`the broker acknowledged nothing for ${target.topic}`)
  return { partition: landed.partition, offset: landed.lastOffset }
}
