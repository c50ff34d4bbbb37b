/**
 * What each panel command takes, checked like any message: the arguments come from other code
 * (tree items, other extensions, `vscode.commands.executeCommand` from a URI), and the same shape
 * is what a panel saves in its state for the serializer to reopen it after a reload, where it
 * comes back from the webview. Only the known properties are read, so a tree item carrying more
 * is fine.
 */
import { FORMATS, type Format } from '../../decode'
import type { PanelKind } from '../../../webview/shared/protocol'
import { boolean, check, count, literal, object, optional, text, type Infer, type Validator } from '../../../webview/shared/validate'

const tableName = text(4096)
const folder = optional(text(4096))

export const queryArgs = object({ sql: optional(text(1_000_000)), run: optional(boolean), lake: folder })
export const historyArgs = object({ table: tableName, lake: folder })
export const changesArgs = object({ table: tableName, from: optional(count), to: optional(count), lake: folder })
export const topicArgs = object({
  /** A capture `file`, or a Kafka `topic` on the cluster of the pipeline file. */
  source: object({
    file: optional(text(4096)),
    topic: optional(text(1024)),
    format: literal(...(FORMATS as Format[])),
    name: optional(text(1024)),
    table: optional(tableName),
  }),
  /** The pipeline file the source comes from: relative capture paths resolve against its folder, its flow gives the preview, its `kafka` the cluster. */
  pipelineFile: optional(text(4096)),
  lake: folder,
  /** Open at this message, selected ("Show source" in the query and Changes panels). */
  at: optional(object({ partition: count, offset: text(32) })),
})

/** The pipeline file whose sources' dead letters to show; `source`: show that source's first. */
export const deadLettersArgs = object({ pipelineFile: text(4096), source: optional(text(1024)) })

/** The pipeline file whose graph to show. */
export const graphArgs = object({ pipelineFile: text(4096) })

export type QueryArgs = Infer<typeof queryArgs>
export type HistoryArgs = Infer<typeof historyArgs>
export type ChangesArgs = Infer<typeof changesArgs>
export type TopicArgs = Infer<typeof topicArgs>
export type GraphArgs = Infer<typeof graphArgs>
export type DeadLettersArgs = Infer<typeof deadLettersArgs>

export interface PanelArgs {
  query: QueryArgs
  history: HistoryArgs
  changes: ChangesArgs
  topic: TopicArgs
  graph: GraphArgs
  'dead-letters': DeadLettersArgs
}

const VALIDATORS: { [K in PanelKind]: Validator<PanelArgs[K]> } = {
  query: queryArgs,
  history: historyArgs,
  changes: changesArgs,
  topic: topicArgs,
  graph: graphArgs,
  'dead-letters': deadLettersArgs,
}
const KEYS: { [K in PanelKind]: string[] } = {
  query: ['sql', 'run', 'lake'],
  history: ['table', 'lake'],
  changes: ['table', 'from', 'to', 'lake'],
  topic: ['source', 'pipelineFile', 'lake', 'at'],
  graph: ['pipelineFile'],
  'dead-letters': ['pipelineFile', 'source'],
}

/** The command's arguments for `kind`, or the reason they are not usable. */
export function panelArgs<K extends PanelKind>(kind: K, value: unknown): { ok: true; value: PanelArgs[K] } | { ok: false; error: string } {
  if (typeof value !== 'object' || value === null) return check(VALIDATORS[kind], value, 'arguments')
  const picked: Record<string, unknown> = {}
  for (const key of KEYS[kind]) if ((value as Record<string, unknown>)[key] !== undefined) picked[key] = (value as Record<string, unknown>)[key]
  if (kind === 'topic' && typeof picked.source === 'object' && picked.source !== null) {
    const { file, topic, format, name, table } = picked.source as Record<string, unknown>
    picked.source = Object.fromEntries(Object.entries({ file, topic, format, name, table }).filter(([, v]) => v !== undefined))
  }
  const checked = check(VALIDATORS[kind], picked, 'arguments')
  if (checked.ok && kind === 'topic') {
    const { source, pipelineFile } = checked.value as TopicArgs
    if ((source.file === undefined) === (source.topic === undefined))
      return { ok: false, error: 'arguments.source: give either a capture file or a Kafka topic' }
    if (source.topic !== undefined && pipelineFile === undefined)
      return { ok: false, error: 'arguments.pipelineFile: a Kafka topic needs the pipeline file that names its cluster' }
  }
  return checked
}
