/**
 * The event stream of `lakehouse run --events`: one JSON object per stdout line. This file is the
 * extension's half of that contract, checked field by field, because the stream crosses a process
 * boundary and a malformed line must be logged and skipped, never crash the extension host or
 * corrupt the Pipelines view. No vscode import: unit-tested on its own.
 */

export const JOB_STATES = ['starting', 'running', 'idle', 'stopped', 'failed'] as const
export type JobState = (typeof JOB_STATES)[number]

/** `source:<name>` or `flow:<name>`, as the CLI names the jobs of a pipeline file. */
export type JobId = `source:${string}` | `flow:${string}`

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

export type PipelineEvent = JobEvent | BatchEvent | WarningEvent

export type ParsedLine = { event: PipelineEvent } | { problem: string }

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0
const isJobId = (v: unknown): v is JobId => typeof v === 'string' && /^(source|flow):.+/.test(v)

export function sourceJobId(name: string): JobId {
  return `source:${name}`
}

export function flowJobId(name: string): JobId {
  return `flow:${name}`
}

/** `source:orders` → { kind: 'source', name: 'orders' } */
export function splitJobId(job: JobId): { kind: 'source' | 'flow'; name: string } {
  const colon = job.indexOf(':')
  return { kind: job.slice(0, colon) as 'source' | 'flow', name: job.slice(colon + 1) }
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
  if (!isJobId(o.job)) return { problem: 'no "job" of the form source:<name> or flow:<name>' }
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
  return { problem: `unknown event type ${JSON.stringify(o.type)}` }
}
