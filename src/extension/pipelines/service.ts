/**
 * The pipelines of the workspace as the views see them: one runner (child processes) and one
 * board (state) per pipeline file. Starting a job collects its credentials from the secret store;
 * a job that fails becomes a notification. Changes are announced at most a few times a second,
 * however fast the children report.
 */
import * as vscode from 'vscode'
import type { Pipeline } from '../../pipeline/pipeline-file'
import type { CliLaunch } from '../cli/process'
import type { Notifier } from '../notify'
import type { Log } from '../log'
import type { Credentials } from '../secrets'
import { PipelineBoard } from './board'
import { flowJobId, sourceJobId, splitJobId, type JobId } from './events'
import { PipelineRunner } from './runner'

/** The jobs of the pipeline file itself; its SQL definitions add theirs (PipelineService.jobs). */
export function jobsOf(pipeline: Pipeline): JobId[] {
  return [...pipeline.sources.map((s) => sourceJobId(s.name)), ...(pipeline.flows ?? []).map((f) => flowJobId(f.name))]
}

/** Kafka credentials are needed only when a Kafka source is among the jobs. */
function needsKafka(pipeline: Pipeline, jobs: JobId[]): boolean {
  return jobs.some((job) => {
    const { kind, name } = splitJobId(job)
    const source = kind === 'source' ? pipeline.sources.find((s) => s.name === name) : undefined
    return !!source && (source.topic !== undefined || source.topicPattern !== undefined)
  })
}

export class MissingCredentialsError extends Error {
  constructor(
    message: string,
    readonly jsonPath: string,
    readonly kind: 'kafka' | 'schemaRegistry',
  ) {
    super(message)
    this.name = 'MissingCredentialsError'
  }
}

interface Entry {
  pipeline: Pipeline
  runner: PipelineRunner
  board: PipelineBoard
}

export class PipelineService implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>()
  /** The flows and views each pipeline's SQL definitions add, by pipeline file (definition-diagnostics.ts keeps it current). */
  private readonly definitionJobs = new Map<string, JobId[]>()
  private readonly changed = new vscode.EventEmitter<void>()
  readonly onDidChange = this.changed.event
  private changeTimer?: NodeJS.Timeout

  constructor(
    private readonly launch: () => CliLaunch,
    private readonly credentials: Credentials,
    private readonly log: Log,
    private readonly notifier: Notifier,
  ) {}

  /** Keep up with the pipeline files: new jobs appear, removed ones go once nothing runs them. */
  update(pipelines: Pipeline[]): void {
    const now = Date.now()
    for (const pipeline of pipelines) {
      const entry = this.entry(pipeline)
      entry.pipeline = pipeline
      entry.board.setJobs(this.jobs(pipeline), now)
    }
    const files = new Set(pipelines.map((p) => p.file))
    for (const [file, entry] of this.entries) if (!files.has(file) && !entry.runner.busy) this.entries.delete(file)
    this.announce()
  }

  /** Every job of the pipeline: its sources and flows, and its definitions' flows and views. */
  jobs(pipeline: Pipeline): JobId[] {
    const own = jobsOf(pipeline)
    return [...own, ...(this.definitionJobs.get(pipeline.file) ?? []).filter((job) => !own.includes(job))]
  }

  /** The definitions' jobs of a pipeline file, after they were (re)read. */
  setDefinitionJobs(file: string, jobs: JobId[]): void {
    const before = this.definitionJobs.get(file) ?? []
    if (before.length === jobs.length && before.every((job, i) => job === jobs[i])) return
    this.definitionJobs.set(file, jobs)
    const entry = this.entries.get(file)
    if (entry) entry.board.setJobs(this.jobs(entry.pipeline), Date.now())
    this.announce()
  }

  board(file: string): PipelineBoard | undefined {
    return this.entries.get(file)?.board
  }

  boards(): PipelineBoard[] {
    return [...this.entries.values()].map((e) => e.board)
  }

  get anyRunning(): boolean {
    return [...this.entries.values()].some((e) => e.runner.busy)
  }

  async start(pipeline: Pipeline, jobs: JobId[] = this.jobs(pipeline)): Promise<void> {
    const entry = this.entry(pipeline)
    entry.pipeline = pipeline
    await entry.runner.start(jobs)
    this.announce()
  }

  async stop(file: string, jobs?: JobId[]): Promise<void> {
    const entry = this.entries.get(file)
    if (!entry) return
    await (jobs ? entry.runner.stop(jobs) : entry.runner.stopAll())
    this.announce()
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.runner.stopAll()))
    this.announce()
  }

  running(file: string): Set<JobId> {
    return this.entries.get(file)?.runner.running() ?? new Set()
  }

  dispose(): void {
    clearTimeout(this.changeTimer)
    // Deactivation: ask every child to stop; VS Code gives us a few seconds, the children finish alone.
    void this.stopAll()
    this.changed.dispose()
  }

  private entry(pipeline: Pipeline): Entry {
    let entry = this.entries.get(pipeline.file)
    if (entry) return entry
    const board = new PipelineBoard()
    const runner = new PipelineRunner({
      launch: this.launch,
      pipelineFile: pipeline.file,
      graceMs: vscode.workspace.getConfiguration('lakehouse').get<number>('pipelines.stopTimeoutSeconds', 30) * 1000,
      environment: async (jobs) => {
        const current = this.entries.get(pipeline.file)?.pipeline ?? pipeline
        const { env, missing } = await this.credentials.childEnvironment(current.kafka, needsKafka(current, jobs))
        if (missing.length) throw new MissingCredentialsError(missing[0].message, missing[0].jsonPath, missing[0].kind)
        return env
      },
      onStarting: (jobs) => {
        board.starting(jobs, Date.now())
        this.announce()
      },
      onEvent: (event) => {
        const before = board.status(event.job)?.state
        board.apply(event)
        if (event.type === 'job' && event.state === 'failed' && before !== 'failed') this.jobFailed(pipeline.file, event.job, event.error)
        if (event.type === 'warning') {
          this.log.warn('pipeline.warning', { file: vscode.workspace.asRelativePath(pipeline.file), job: event.job, message: event.message })
          void vscode.window.showWarningMessage(`${event.job}: ${event.message}`)
        }
        this.announce()
      },
      onExit: (jobs, exit) => {
        const before = new Map(jobs.map((job) => [job, board.status(job)?.state]))
        board.exited(jobs, exit, Date.now())
        for (const job of jobs) {
          const status = board.status(job)
          if (status?.state === 'failed' && before.get(job) !== 'failed') this.jobFailed(pipeline.file, job, status.error)
        }
        this.announce()
      },
      onLog: (level, event, fields) => this.log[level](event, { file: vscode.workspace.asRelativePath(pipeline.file), ...fields }),
    })
    entry = { pipeline, runner, board }
    this.entries.set(pipeline.file, entry)
    return entry
  }

  private jobFailed(file: string, job: JobId, error: string | undefined): void {
    void this.notifier.pipelineFailure(vscode.Uri.file(file), job, error ?? 'failed')
  }

  /** At most every 250 ms: a burst of events is one view refresh. */
  private announce(): void {
    if (this.changeTimer) return
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined
      this.changed.fire()
    }, 250)
  }
}
