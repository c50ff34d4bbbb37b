/**
 * Runs a pipeline file's jobs in child processes (`lakehouse run --events`), off the extension
 * host. One start makes one process for the jobs asked for; stopping some of a process's jobs
 * stops it (SIGTERM: open batches are committed first) and starts a new one for the others, which
 * is safe because every job resumes exactly where its tables say it stopped.
 * No vscode import: the host passes in what it needs (credentials, where events go).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { refuseInRestrictedMode, spawnCli, terminate, type CliLaunch } from '../cli/process'
import type { ProcessExit } from './board'
import { parseEventLine, splitJobId, type JobId, type PipelineEvent } from './events'

export interface RunnerHooks {
  /** Read at each start, so a changed setting applies to the next process. */
  launch(): CliLaunch
  pipelineFile: string
  /** The environment a child needs besides ours (credentials); may throw to refuse the start. */
  environment(jobs: JobId[]): Promise<Record<string, string>>
  onStarting(jobs: JobId[]): void
  onEvent(event: PipelineEvent): void
  onExit(jobs: JobId[], exit: ProcessExit): void
  /** Our own log lines: never the environment, which holds secrets. */
  onLog(level: 'info' | 'warn', event: string, fields: Record<string, unknown>): void
  /** Between SIGTERM and SIGKILL. */
  graceMs: number
}

interface RunningProcess {
  child: ChildProcessWithoutNullStreams
  /** Its jobs that have not ended (a capture's job ends while the process runs on for its flows). */
  jobs: JobId[]
  /** Views it reported on: any `run` refreshes the pipeline's views, so they end with it. */
  views: Set<JobId>
  stopping: boolean
  stderrTail: string[]
  exited: Promise<void>
}

/** The CLI arguments that run exactly these jobs (views are not named: every run refreshes them). */
export function runArguments(pipelineFile: string, jobs: JobId[]): string[] {
  const args = ['run', '--pipeline', pipelineFile]
  for (const job of jobs) {
    const { kind, name } = splitJobId(job)
    if (kind !== 'view') args.push(kind === 'source' ? '--source' : '--flow', name)
  }
  args.push('--events')
  return args
}

export class PipelineRunner {
  private readonly processes = new Set<RunningProcess>()
  /** Jobs whose start is on its way (credentials being read), so a double click starts one process. */
  private readonly pending = new Set<JobId>()

  constructor(private readonly hooks: RunnerHooks) {}

  /** Jobs some process of ours runs (or is starting). */
  running(): Set<JobId> {
    const jobs = new Set(this.pending)
    for (const p of this.processes) if (!p.stopping) for (const job of p.jobs) jobs.add(job)
    return jobs
  }

  get busy(): boolean {
    return this.processes.size > 0 || this.pending.size > 0
  }

  async start(jobs: JobId[]): Promise<void> {
    refuseInRestrictedMode(this.hooks.launch(), 'Starting a pipeline')
    const already = this.running()
    // A view is not started alone: it refreshes in the process that runs its pipeline's flows.
    const wanted = [...new Set(jobs)].filter((job) => !already.has(job) && splitJobId(job).kind !== 'view')
    if (wanted.length === 0) return
    for (const job of wanted) this.pending.add(job)
    let env: Record<string, string>
    try {
      env = await this.hooks.environment(wanted)
    } finally {
      for (const job of wanted) this.pending.delete(job)
    }
    const args = runArguments(this.hooks.pipelineFile, wanted)
    this.hooks.onStarting(wanted)
    const child = spawnCli(this.hooks.launch(), args, { cwd: path.dirname(this.hooks.pipelineFile), env })
    // The CLI may watch stdin to notice that we are gone; we never write to it.
    child.stdin.on('error', () => {})
    const running: RunningProcess = { child, jobs: wanted, views: new Set(), stopping: false, stderrTail: [], exited: Promise.resolve() }
    running.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        this.processes.delete(running)
        const detail = running.stderrTail.join('\n')
        this.hooks.onLog(code === 0 || running.stopping ? 'info' : 'warn', 'pipeline.exit', { pid: child.pid, jobs: wanted, code, signal })
        this.hooks.onExit([...wanted, ...running.views], { code, signal, requested: running.stopping, detail })
        resolve()
      }),
    )
    this.processes.add(running)
    this.hooks.onLog('info', 'pipeline.start', { pid: child.pid, args })
    child.on('error', (error) => running.stderrTail.push(`could not start the pipeline process: ${error.message}`))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = parseEventLine(line)
      if ('event' in parsed) {
        const { event } = parsed
        // An ended job may be started again, in a new process, while this one runs on.
        if (event.type === 'job' && (event.state === 'stopped' || event.state === 'failed')) running.jobs = running.jobs.filter((job) => job !== event.job)
        if (splitJobId(event.job).kind === 'view') running.views.add(event.job)
        this.hooks.onEvent(event)
      } else if (line.trim() !== '') this.hooks.onLog('info', 'pipeline.stdout', { pid: child.pid, line, note: parsed.problem })
    })
    createInterface({ input: child.stderr }).on('line', (line) => {
      running.stderrTail.push(line)
      if (running.stderrTail.length > 8) running.stderrTail.shift()
      this.hooks.onLog('warn', 'pipeline.stderr', { pid: child.pid, line })
    })
  }

  /** Stop these jobs; jobs sharing a process with them are started again in a new one. */
  async stop(jobs: JobId[]): Promise<void> {
    const stopping = new Set(jobs)
    const restarts: JobId[] = []
    const exits: Promise<void>[] = []
    for (const p of this.processes) {
      if (p.stopping || !p.jobs.some((job) => stopping.has(job))) continue
      p.stopping = true
      restarts.push(...p.jobs.filter((job) => !stopping.has(job)))
      exits.push(terminate(p.child, this.hooks.graceMs).then(() => p.exited))
    }
    await Promise.all(exits)
    if (restarts.length) await this.start(restarts)
  }

  async stopAll(): Promise<void> {
    await this.stop([...this.running()])
  }
}
