/**
 * A table's commits as people read them, the one route to a history: the `history` command, the
 * history and changes panels and the Lake view all take it. Delta keeps a commit's parameters and
 * metrics as text, some parameters JSON inside that text (Spark's predicate lists, partition
 * columns): they come out decoded, and metrics as numbers.
 */
import { readHistory, type HistoryEntry } from '../delta'
import type { LakeEngine } from '../engine'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export interface TableCommit extends Omit<HistoryEntry, 'operationParameters' | 'operationMetrics'> {
  operationParameters: Record<string, Json>
  operationMetrics: Record<string, Json>
}

/** The table's commits, newest first (at most `limit`). */
export async function tableHistory(lake: LakeEngine, tablePath: string, options: { limit?: number } = {}): Promise<TableCommit[]> {
  const entries = await readHistory(lake.io, tablePath, options)
  return entries.map((entry) => ({
    ...entry,
    operationParameters: decodedParameters(entry.operationParameters),
    operationMetrics: numericMetrics(entry.operationMetrics),
  }))
}

/** Parameters whose text is JSON (`["id = 3"]`, `{"k":"v"}`) as that JSON; others as they are. */
export function decodedParameters(parameters: Record<string, unknown>): Record<string, Json> {
  return Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, decodedValue(value)]))
}

function decodedValue(value: unknown): Json {
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    try {
      return JSON.parse(value) as Json
    } catch {
      return value
    }
  }
  return jsonSafe(value)
}

/** Metrics are written as strings of digits: as numbers they read better and sum in jq. */
export function numericMetrics(metrics: Record<string, unknown>): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(metrics).map(([key, value]) => [
      key,
      typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : jsonSafe(value),
    ]),
  )
}

function jsonSafe(value: unknown): Json {
  if (value === undefined) return null
  if (typeof value === 'bigint') return value.toString()
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Json
}

const metric = (metrics: Record<string, Json>, ...names: string[]): number | undefined => {
  for (const name of names) if (typeof metrics[name] === 'number') return metrics[name] as number
  return undefined
}

/** `13 inserted, 49 updated, 4 deleted, 76 copied`: the rows a commit wrote or changed, by whichever metrics its operation has. */
export function rowChanges(metrics: Record<string, Json>): string {
  const parts: string[] = []
  const inserted = metric(metrics, 'numTargetRowsInserted') ?? metric(metrics, 'numOutputRows')
  const updated = metric(metrics, 'numTargetRowsUpdated', 'numUpdatedRows')
  const deleted = metric(metrics, 'numTargetRowsDeleted', 'numDeletedRows')
  const copied = metric(metrics, 'numTargetRowsCopied', 'numCopiedRows')
  if (inserted) parts.push(`${inserted} inserted`)
  if (updated) parts.push(`${updated} updated`)
  if (deleted) parts.push(`${deleted} deleted`)
  if (copied) parts.push(`${copied} copied`)
  return parts.join(', ')
}

/** `+1 -1`: data files the commit added and removed. */
export function fileChanges(metrics: Record<string, Json>): string {
  const added = metric(metrics, 'numTargetFilesAdded', 'numAddedFiles', 'numFiles')
  const removed = metric(metrics, 'numTargetFilesRemoved', 'numRemovedFiles')
  return [added ? `+${added}` : '', removed ? `-${removed}` : ''].filter(Boolean).join(' ')
}
