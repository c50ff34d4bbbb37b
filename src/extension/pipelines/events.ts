/**
 * The event stream of `lakehouse run --events`: one JSON object per stdout line. This file is the
 * extension's half of that contract, checked field by field, because the stream crosses a process
 * boundary and a malformed line must be logged and skipped, never crash the extension host or
 * corrupt the Pipelines view. No vscode import: unit-tested on its own.
 */

export const JOB_STATES = ['starting', 'running', 'idle', 'stopped', 'failed'] as const
export type JobState = (typeof JOB_STATES)[number]

/**
 * `source:<name>` or `flow:<name>`, as the CLI names the jobs of a pipeline file, or
 * `view:<zone.table>` for a materialized view of its SQL definitions (refreshed by any `run`).
 */
export type JobId = `source:${string}` | `flow:${string}` | `view:${string}`
export type JobKind = 'source' | 'flow' | 'view'

export interface JobEvent {
  type: 'job'
  job: JobId
  state: JobState
  error?: string
  at: number
}

export interface BatchEvent {
  type: 'batch'
  job: JobId
  table: string
  /** The commit the batch made; absent when it committed nothing (or, for a capture, reports a whole replay). */
  version?: number
  rows: number
  messages?: number
  deadLetters?: number
  lag?: number
  durationMs: number
  at: number
}

/** Something the user must know that did not stop the job (a data-loss gap it was told to accept). */
export interface WarningEvent {
  type: 'warning'
  job: JobId
  message: string
  at: number
}

/** How an expectation of a view fared in one refresh (DROP ROW: `failed` rows were dropped). */
export interface ExpectationCount {
  name: string
  onViolation: 'warn' | 'drop' | 'fail'
  passed: number
  failed: number
}

export const REFRESH_MODES = ['incremental', 'full', 'unchanged'] as const
export type RefreshMode = (typeof REFRESH_MODES)[number]

/** A materialized view's refresh: which way it went and why, what it wrote, its expectations' counts. */
export interface RefreshEvent {
  type: 'refresh'
  job: JobId
  table: string
  mode: RefreshMode
  reason: string
  /** The commit it made; absent when nothing changed. */
  version?: number
  rowsInserted: number
  rowsUpdated: number
  rowsDeleted: number
  expectations: ExpectationCount[]
  durationMs: number
  at: number
}

export type PipelineEvent = JobEvent | BatchEvent | WarningEvent | RefreshEvent

export type ParsedLine = { event: PipelineEvent } | { problem: string }

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isJobId = (v: unknown): v is JobId => typeof v === 'string' && /^(source|flow|view):.+/.test(v)

export function sourceJobId(name: string): JobId {
  return `source:${name}`
}

export function flowJobId(name: string): JobId {
  return `flow:${name}`
}

export function viewJobId(name: string): JobId {
  return `view:${name}`
}

/** `source:orders` → { kind: 'source', name: 'orders' } */
export function splitJobId(job: JobId): { kind: JobKind; name: string } {
  const colon = job.indexOf(':')
  return { kind: job.slice(0, colon) as JobKind, name: job.slice(colon + 1) }
}

/** A refresh event's expectation counts, or undefined when one is malformed. */
function expectationCounts(value: unknown): ExpectationCount[] | undefined {
  if (!Array.isArray(value)) return undefined
  const counts: ExpectationCount[] = []
  for (const item of value as Record<string, unknown>[]) {
    if (
      typeof item !== 'object' ||
      item === null ||
      typeof item.name !== 'string' ||
      !['warn', 'drop', 'fail'].includes(item.onViolation as string) ||
      !isCount(item.passed) ||
      !isCount(item.failed)
    )
      return undefined
    counts.push({ name: item.name, onViolation: item.onViolation as ExpectationCount['onViolation'], passed: item.passed, failed: item.failed })
  }
  return counts
}

/** One stdout line → an event, or why it is not one (the caller logs it; a blank line is a problem too). */
export function parseEventLine(line: string): ParsedLine {
  const text = line.trim()
  if (!text.startsWith('{')) return { problem: 'not a JSON object' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { problem: 'not valid JSON' }
  }
  const o = value as Record<string, unknown>
  if (!isJobId(o.job)) return { problem: 'no "job" of the form source:<name>, flow:<name> or view:<name>' }
  if (!isCount(o.at)) return { problem: 'no "at" time' }
  if (o.type === 'job') {
    if (!JOB_STATES.includes(o.state as JobState)) return { problem: `unknown job state ${JSON.stringify(o.state)}` }
    const event: JobEvent = { type: 'job', job: o.job, state: o.state as JobState, at: o.at }
    if (typeof o.error === 'string') event.error = o.error
    return { event }
  }
  if (o.type === 'batch') {
    if (typeof o.table !== 'string' || !isCount(o.rows) || !isCount(o.durationMs)) {
      return { problem: 'a batch event needs "table", "rows" and "durationMs"' }
    }
    const event: BatchEvent = { type: 'batch', job: o.job, table: o.table, rows: o.rows, durationMs: o.durationMs, at: o.at }
    for (const key of ['version', 'messages', 'deadLetters', 'lag'] as const) if (isCount(o[key])) event[key] = o[key]
    return { event }
  }
  if (o.type === 'warning') {
    if (typeof o.message !== 'string') return { problem: 'a warning event needs "message"' }
    return { event: { type: 'warning', job: o.job, message: o.message, at: o.at } }
  }
  if (o.type === 'refresh') {
    const expectations = expectationCounts(o.expectations ?? [])
    if (
      typeof o.table !== 'string' ||
      !REFRESH_MODES.includes(o.mode as RefreshMode) ||
      typeof o.reason !== 'string' ||
      !expectations ||
      !isCount(o.rowsInserted) ||
      !isCount(o.rowsUpdated) ||
      !isCount(o.rowsDeleted) ||
      !isCount(o.durationMs)
    ) {
      return { problem: 'a refresh event needs "table", "mode" (incremental, full or unchanged), "reason", row counts, "expectations" and "durationMs"' }
    }
    const event: RefreshEvent = {
      type: 'refresh',
      job: o.job,
      table: o.table,
      mode: o.mode as RefreshMode,
      reason: o.reason,
      rowsInserted: o.rowsInserted,
      rowsUpdated: o.rowsUpdated,
      rowsDeleted: o.rowsDeleted,
      expectations,
      durationMs: o.durationMs,
      at: o.at,
    }
    if (isCount(o.version)) event.version = o.version
    return { event }
  }
  return { problem: `unknown event type ${JSON.stringify(o.type)}` }
}
