/**
 * The topic panel's host side for a captured topic (a kcat -J or NDJSON file, the file source of
 * the pipeline) or a topic on a broker: a sample of its messages decoded with the source's format,
 * the schema inferred from them (and where it comes from: a Connect `schema`, the Schema
 * Registry), per-partition offsets and the pipeline group's lag, and for a selected message its
 * raw bytes, decoded value, the raw row ingest writes and what the flow writes for it: the jobs' own
 * code run on that one message in a scratch lake (pipeline/flow-preview.ts).
 */
import { createDecoder, type DecoderOptions, type Format } from '../../decode'
import type { LakeEngine } from '../../engine'
import { readCapture } from '../../pipeline/file-source'
import type { FlowPreview } from '../../pipeline/flow-preview'
import type { FlowSpec, KafkaSettings, SourceSpec } from '../../pipeline/pipeline-file'
import type { LakeCatalog } from '../../engine'
import type { JsonValue, OutgoingMessage, TopicToHost, TopicToPanel } from '../../../webview/shared/protocol'
import { topicToHost } from '../../../webview/shared/protocol'
import { errorText, routeMessages, type PanelHandler, type PanelLog } from './message-router'
import type { BrokerPartition } from './topic-broker'
import { ExtensionError } from '../errors'
import {
  asJson,
  hex,
  HEX_BYTES,
  hintedSchemaNodes,
  partitionsOf,
  previewTable,
  sampleSchema,
  summary,
  utf8Text,
  type SampledMessage,
} from './topic-sample-view'
import { schemaSourceOf } from './topic-schema-source'

interface SourceCommon {
  format: Format
  /** The pipeline's name for the source, shown in the title. */
  name?: string
  schemaRegistry?: DecoderOptions['schemaRegistry']
}

export interface FileTopicSource extends SourceCommon {
  /** The capture file (absolute). */
  file: string
}

export interface KafkaTopicSource extends SourceCommon {
  kafka: KafkaSettings
  topic: string
  /** The pipeline source's consumer group: its committed offsets give the lag. */
  groupId?: string
  /** The SASL password, when the cluster wants one. */
  password?: string
  /** The pipeline file that names the cluster: Produce's refusal says to mark the cluster dev there. */
  pipelineFile?: string
}

export type TopicSource = FileTopicSource | KafkaTopicSource

const isKafka = (source: TopicSource): source is KafkaTopicSource => 'topic' in source

/**
 * The pipeline file's source for this topic and the flow reading its raw table: the preview runs
 * them. `problem` when the file cannot run them (broken JSON, an invalid flow), said instead.
 */
export type TopicFlow = { source: SourceSpec; flow: FlowSpec } | { problem: string }

export interface TopicPanelInit {
  source: TopicSource
  flow?: TopicFlow
  /** Open at this message, selected (from "Show source"), even when it is not among the latest sampled. */
  at?: { partition: number; offset: string }
  /** What reopens the panel after a reload (see the protocol's `restore`). */
  restore?: Record<string, JsonValue>
}

export interface TopicHandlerDeps {
  lake: LakeEngine
  /** The lake the flow writes: the preview's scratch tables copy its tables' shapes. */
  catalog: LakeCatalog
  log: PanelLog
}

export interface TopicHandler extends PanelHandler {
  /** The flow changed (the user edited the pipeline file): the selected message's preview is redone. */
  setFlow(flow: TopicFlow | undefined): Promise<void>
  /** The pipeline file's cluster settings changed (saved): Produce is allowed or refused anew. */
  setCluster(kafka: KafkaSettings): Promise<void>
}

/** Messages read from the capture at most. */
export const TOPIC_SAMPLE_LIMIT = 1000

export function createTopicHandler(deps: TopicHandlerDeps, init: TopicPanelInit, post: (message: TopicToPanel) => void): TopicHandler {
  let { source } = init
  let flow = init.flow
  let sample: SampledMessage[] = []
  let selected: { requestId: number; index: number } | undefined
  /** The message to open at: selected once, with the first sample. */
  let openAt = init.at

  async function sendTopic(): Promise<void> {
    const decoder = createDecoder(source.format, { schemaRegistry: source.schemaRegistry })
    const sampled: SampledMessage[] = []
    let truncated = false
    let offsets: BrokerPartition[] = []
    if (isKafka(source)) {
      const { sampleBrokerTopic } = await import('./topic-broker')
      const fromBroker = await sampleBrokerTopic(
        { kafka: source.kafka, topic: source.topic, groupId: source.groupId, password: source.password },
        TOPIC_SAMPLE_LIMIT,
      )
      for (const message of fromBroker.messages) sampled.push({ message, decoded: await decoder.decode(message) })
      truncated = fromBroker.truncated
      offsets = fromBroker.partitions
    } else {
      for await (const message of readCapture(source.file)) {
        if (sampled.length === TOPIC_SAMPLE_LIMIT) {
          truncated = true
          break
        }
        sampled.push({ message, decoded: await decoder.decode(message) })
      }
    }
    const at = openAt
    openAt = undefined
    if (at && !sampled.some((m) => m.message.partition === at.partition && String(m.message.offset) === at.offset)) {
      const { brokerMessageAt, captureMessageAt } = await import('./topic-message-at')
      const message = isKafka(source) ? await brokerMessageAt(source, at) : await captureMessageAt(source.file, at)
      if (message) sampled.push({ message, decoded: await decoder.decode(message) })
    }
    sample = sampled
    const partitions = partitionsOf(sampled, offsets)
    const lagged = partitions.filter((p) => p.lag !== undefined)
    post({
      type: 'topic',
      source: source.name ?? (isKafka(source) ? source.topic : source.file),
      format: source.format,
      partitions,
      schema: hintedSchemaNodes(sampleSchema(sampled), flow && 'source' in flow ? flow.source.schemaHints : undefined),
      schemaSource: await schemaSourceOf(sampled, source),
      ...(lagged.length ? { lag: lagged.reduce((n, p) => n + p.lag!, 0) } : {}),
      origin: isKafka(source) ? 'kafka' : 'file',
      messages: sampled.map(summary),
      truncated,
      restore: init.restore ?? {},
      ...(at ? { select: at } : {}),
    })
    await sendProduceAccess()
  }

  /** Produce is offered for topics on a broker; the host checks the cluster again at each send. */
  async function sendProduceAccess(): Promise<void> {
    if (!isKafka(source)) return
    const { produceAccess } = await import('./topic-produce')
    post({ type: 'produceAccess', ...produceAccess(source) })
  }

  async function produce(requestId: number, message: OutgoingMessage): Promise<void> {
    if (!isKafka(source)) throw new ExtensionError('this topic comes from a capture file: there is no broker to produce to')
    const { produceFromPanel } = await import('./topic-produce')
    const landed = await produceFromPanel(source, message)
    deps.log.info(`topic panel: produced to ${source.topic} partition ${landed.partition} offset ${landed.offset}`)
    post({ type: 'produced', requestId, ...landed })
    await sendTopic()
  }

  async function sendMessage(requestId: number, index: number): Promise<void> {
    const entry = sample[index]
    if (!entry) throw new ExtensionError(`there is no message #${index} in the sample (it holds ${sample.length})`)
    selected = { requestId, index }
    const value = entry.message.value
    const decoded = entry.decoded
    post({
      type: 'message',
      requestId,
      index,
      text: value === null ? null : utf8Text(value),
      hex: value === null ? '' : hex(value.subarray(0, HEX_BYTES)),
      decoded:
        decoded.kind === 'row'
          ? { type: 'row', value: asJson(decoded.row) }
          : decoded.kind === 'tombstone'
            ? { type: 'tombstone' }
            : { type: 'error', reason: decoded.reason, ...(decoded.detail === undefined ? {} : { detail: decoded.detail }) },
      ...(flow ? { flattened: await flattened(deps, entry, flow) } : {}),
    })
  }

  const receive = routeMessages<TopicToHost>(
    'topic',
    topicToHost,
    {
      ready: sendTopic,
      reload: sendTopic,
      select: ({ requestId, index }) => sendMessage(requestId, index),
      produce: ({ requestId, message }) => produce(requestId, message),
    },
    post,
    deps.log,
  )

  return {
    receive,
    async setFlow(next) {
      flow = next
      if (selected) await sendMessage(selected.requestId, selected.index).catch((error) => deps.log.error(`topic panel: ${errorText(error)}`))
    },
    async setCluster(kafka) {
      if (!isKafka(source)) return
      source = { ...source, kafka }
      await sendProduceAccess()
    },
    dispose: async () => {
      sample = []
    },
  }
}

async function flattened(deps: TopicHandlerDeps, entry: SampledMessage, flow: TopicFlow) {
  if ('problem' in flow) return { type: 'error' as const, message: flow.problem }
  try {
    const { previewFlowWrite } = await import('../../pipeline/flow-preview')
    const preview: FlowPreview = await previewFlowWrite(deps.lake, deps.catalog, flow.source, flow.flow, { ...entry.message, decoded: entry.decoded })
    if (preview.deadLetter) {
      const { reason, detail } = preview.deadLetter
      return { type: 'dead-letter' as const, reason, ...(detail === undefined ? {} : { detail }) }
    }
    const [target, ...children] = preview.tables
    return {
      type: 'rows' as const,
      flow: flow.flow.name,
      ...previewTable(target),
      ...(preview.note ? { note: preview.note } : {}),
      ...(preview.raw ? { raw: previewTable(preview.raw) } : {}),
      children: children.map(previewTable),
    }
  } catch (error) {
    return { type: 'error' as const, message: errorText(error) }
  }
}
