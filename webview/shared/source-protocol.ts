/**
 * "Show source" in the query and Changes panels: the messages a row came from (its lineage, as
 * `lakehouse trace TABLE --where` computes it), and the request to open one of them in the topic
 * panel. Part of the panels' one protocol (protocol.ts adds these to each panel's messages).
 */
import { array, boolean, count, integer, jsonValue, literal, nullable, object, optional, string, text, type Infer } from './validate'

const requestId = integer(0)
const name = text(1024)

/** One raw row the traced row came from: its raw table and version, its message's coordinates, and the refined commit that used it. */
export const sourceOrigin = object({
  rawTable: name,
  rawVersion: count,
  topic: nullable(text(1024)),
  partition: nullable(count),
  offset: nullable(text(32)),
  key: nullable(string),
  timestamp: nullable(text(64)),
  /** insert (append flows, raw rows), or the cdc change it is. */
  change: literal('insert', 'upsert', 'delete'),
  sequence: nullable(text(1024)),
  /** cdc: false when a later change of the row in the same batch replaced it. */
  applied: boolean,
  /** The table and version the raw row went into (the traced table, or a view's source). */
  table: name,
  refinedVersion: count,
})
export type SourceOrigin = Infer<typeof sourceOrigin>

/** A traced row: what it is ("refined.orders order_id=7"), through which view row when it is a view's source, and its origins in order. */
export const sourceRow = object({ label: text(10_000), via: optional(text(10_000)), origins: array(sourceOrigin, 10_000), note: optional(text(10_000)) })
export type SourceRow = Infer<typeof sourceRow>

/** Panel → host: trace this row (its values in the result's column order; `version`: as of that version, a change's). */
export const showSourceRequest = object({
  type: literal('showSource'),
  requestId,
  resultId: optional(name),
  columns: array(name, 10_000),
  values: array(jsonValue, 10_000),
  version: optional(count),
})
/** Host → panel: the answer (`rows` empty with a `note` when the row cannot be traced, and why). */
export const sourceAnswer = object({ type: literal('source'), requestId, table: text(4096), rows: array(sourceRow, 1000), note: optional(text(10_000)) })
export type SourceAnswer = Infer<typeof sourceAnswer>
/** Panel → host: open this message in the topic panel, selected. */
export const openMessageRequest = object({ type: literal('openMessage'), rawTable: name, topic: text(1024), partition: count, offset: text(32) })
export type OpenMessageRequest = Infer<typeof openMessageRequest>
