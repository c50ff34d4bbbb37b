/**
 * What the Pipelines view and the status bar show: per job, its state, last commit, lag and
 * message rate, folded from the `run --events` stream and from the exits of the processes that
 * run the jobs. Pure bookkeeping (no vscode, no processes) so it is unit-tested with plain events.
 */
import type { ExpectationCount, JobId, JobState, PipelineEvent, RefreshMode } from './events'

export type ShownState = JobState | 'not started'

export interface JobStatus {
  job: JobId
  state: ShownState
  /** Why it failed: the CLI's error, or how the process ended. */
  error?: string
  /** When the job entered its state (ms since epoch). */
  since: number
  /** When the process that runs it was started; the rate is averaged from here at most. */
  startedAt?: number
  lastCommit?: { table: string; version?: number; at: number }
  lag?: number
  totals: { rows: number; messages: number; deadLetters: number; batches: number }
  /** Messages (or rows, for flows) per batch inside the rate window. */
  recent: { at: number; count: number }[]
  /** A view's last refresh: which way it went and why, what it wrote, its expectations' counts. */
  lastRefresh?: {
    mode: RefreshMode
    reason: string
    version?: number
    at: number
    inserted: number
    updated: number
    deleted: number
    expectations: ExpectationCount[]
  }
}

export interface BoardSummary {
  /** Jobs starting, running or idle. */
  active: number
  failed: number
  messagesPerSecond: number
  /** Sum of the latest lag of the active jobs that report one. */
  lag?: number
  lastCommitAt?: number
}

export interface ProcessExit {
  code: number | null
  signal: string | null
  /** We asked it to stop (SIGTERM), so an exit is a stop, not a failure. */
  requested: boolean
  /** The last lines it wrote on stderr, to explain a failure. */
  detail?: string
}

const ACTIVE: ReadonlySet<ShownState> = new Set(['starting', 'running', 'idle'])

export function isActive(state: ShownState): boolean {
  return ACTIVE.has(state)
}

export class PipelineBoard {
  private readonly statuses = new Map<JobId, JobStatus>()

  constructor(private readonly rateWindowMs = 30_000) {}

  /**
   * The pipeline file's jobs, after it was (re)loaded: new ones appear as not started; removed ones
   * are dropped unless something still runs them (their process still reports).
   */
  setJobs(jobs: JobId[], now: number): void {
    const wanted = new Set(jobs)
    for (const [job, status] of this.statuses) if (!wanted.has(job) && !isActive(status.state)) this.statuses.delete(job)
    for (const job of jobs) if (!this.statuses.has(job)) this.statuses.set(job, emptyStatus(job, now))
  }

  /** A process was started for these jobs. */
  starting(jobs: JobId[], now: number): void {
    for (const job of jobs) {
      const status = this.ensure(job, now)
      Object.assign(status, { state: 'starting', since: now, startedAt: now, error: undefined, lag: undefined, recent: [] })
    }
  }

  apply(event: PipelineEvent): void {
    const status = this.ensure(event.job, event.at)
    if (event.type === 'job') {
      if (status.state !== event.state) status.since = event.at
      status.state = event.state
      status.error = event.state === 'failed' ? (event.error ?? 'failed') : undefined
      if (!isActive(event.state)) status.lag = undefined
      return
    }
    if (event.type === 'warning') return // logged and shown by the service; the job's state is unchanged
    if (event.type === 'refresh') {
      status.lastRefresh = {
        mode: event.mode,
        reason: event.reason,
        version: event.version,
        at: event.at,
        inserted: event.rowsInserted,
        updated: event.rowsUpdated,
        deleted: event.rowsDeleted,
        expectations: event.expectations,
      }
      if (event.version !== undefined) status.lastCommit = { table: event.table, version: event.version, at: event.at }
      status.totals.rows += event.rowsInserted + event.rowsUpdated + event.rowsDeleted
      status.totals.batches++
      return
    }
    // A batch that wrote rows committed them, whether or not it names the version.
    if (event.version !== undefined || event.rows > 0) status.lastCommit = { table: event.table, version: event.version, at: event.at }
    if (event.lag !== undefined) status.lag = event.lag
    const count = event.messages ?? event.rows
    status.totals.rows += event.rows
    status.totals.messages += event.messages ?? 0
    status.totals.deadLetters += event.deadLetters ?? 0
    status.totals.batches++
    status.recent.push({ at: event.at, count })
    this.trim(status, event.at)
    // A batch proves the job runs, whatever state line was lost.
    if (status.state === 'starting' || status.state === 'not started') {
      status.state = 'running'
      status.since = event.at
    }
  }

  /** The process running these jobs ended; jobs it did not report as ended end now. */
  exited(jobs: JobId[], exit: ProcessExit, now: number): void {
    for (const job of jobs) {
      const status = this.statuses.get(job)
      if (!status || !isActive(status.state)) continue
      const clean = exit.requested || exit.code === 0
      status.state = clean ? 'stopped' : 'failed'
      status.since = now
      status.lag = undefined
      status.error = clean
        ? undefined
        : exit.detail?.trim() || (exit.signal ? `the process was killed (${exit.signal})` : `the process exited with code ${exit.code}`)
    }
  }

  status(job: JobId): JobStatus | undefined {
    return this.statuses.get(job)
  }

  jobs(): JobStatus[] {
    return [...this.statuses.values()]
  }

  /** Messages (rows for flows) per second over the rate window, 0 for a job that is not active. */
  rate(job: JobId, now: number): number {
    const status = this.statuses.get(job)
    if (!status || !isActive(status.state)) return 0
    this.trim(status, now)
    const count = status.recent.reduce((sum, r) => sum + r.count, 0)
    if (count === 0) return 0
    // A job that started 5 s ago is averaged over 5 s, not the whole window.
    const span = Math.min(this.rateWindowMs, now - (status.startedAt ?? status.recent[0].at))
    return count / (Math.max(span, 1000) / 1000)
  }

  summary(now: number): BoardSummary {
    const summary: BoardSummary = { active: 0, failed: 0, messagesPerSecond: 0 }
    for (const status of this.statuses.values()) {
      if (status.state === 'failed') summary.failed++
      if (status.lastCommit && (summary.lastCommitAt === undefined || status.lastCommit.at > summary.lastCommitAt)) summary.lastCommitAt = status.lastCommit.at
      if (!isActive(status.state)) continue
      summary.active++
      // Flows re-read what sources wrote: counting both would double the pipeline's throughput.
      if (status.job.startsWith('source:')) summary.messagesPerSecond += this.rate(status.job, now)
      if (status.lag !== undefined) summary.lag = (summary.lag ?? 0) + status.lag
    }
    return summary
  }

  private ensure(job: JobId, now: number): JobStatus {
    let status = this.statuses.get(job)
    if (!status) this.statuses.set(job, (status = emptyStatus(job, now)))
    return status
  }

  private trim(status: JobStatus, now: number): void {
    const from = now - this.rateWindowMs
    while (status.recent.length && status.recent[0].at < from) status.recent.shift()
  }
}

function emptyStatus(job: JobId, now: number): JobStatus {
  return { job, state: 'not started', since: now, totals: { rows: 0, messages: 0, deadLetters: 0, batches: 0 }, recent: [] }
}
