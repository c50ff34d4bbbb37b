/**
 * One message of a topic by its coordinates, for a topic panel opened at it ("Show source"): read
 * from the capture file (past the sample's first messages), or fetched from the broker at its
 * offset. Undefined when the capture or the topic no longer holds it (retention).
 */
import type { CapturedMessage } from '../../pipeline/file-source'
import { readCapture } from '../../pipeline/file-source'
import type { KafkaSettings } from '../../pipeline/pipeline-file'

export interface MessageAt {
  partition: number
  offset: string
}

export async function captureMessageAt(file: string, at: MessageAt): Promise<CapturedMessage | undefined> {
  for await (const message of readCapture(file)) {
    if (message.partition === at.partition && String(message.offset) === at.offset) return message
  }
  return undefined
}

export async function brokerMessageAt(source: { kafka: KafkaSettings; topic: string; password?: string }, at: MessageAt): Promise<CapturedMessage | undefined> {
  const { sampleTopicMessages } = await import('../../kafka')
  const sample = await sampleTopicMessages(source.kafka, source.topic, { limit: 1, from: at, password: source.password, timeoutMs: 15_000 })
  return sample.messages.find((m) => m.partition === at.partition && m.offset === at.offset)
}
