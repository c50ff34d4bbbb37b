/**
 * Open dead letters per pipeline file and source, for the Pipelines view (a source's description)
 * and the status bar (the total). Counted from the lake (raw._dead_letters and their states) when
 * the pipelines change, when a run's jobs report new dead letters or stop, after a panel replays
 * or discards, and on Refresh. A lake without a dead-letter table costs one Delta snapshot and
 * never loads DuckDB or the pipeline layer.
 */
import * as vscode from 'vscode'
import type { Pipeline } from '../../pipeline'
import { loadQuery } from '../lazy'
import type { Services } from '../services'

/** Open letters by source name. */
export type SourceLetters = ReadonlyMap<string, number>

const NONE: SourceLetters = new Map()

export class DeadLetterTally implements vscode.Disposable {
  private counts = new Map<string, SourceLetters>()
  private readonly changed = new vscode.EventEmitter<void>()
  /** Fired after a count that differs from the one before. */
  readonly onDidChange = this.changed.event
  private counting: Promise<void> | undefined
  private again = false
  private readonly subscriptions: vscode.Disposable[]
  /** What the runs' boards said last: new dead letters, or a job that stopped, mean counting again. */
  private runSignature = ''

  constructor(private readonly services: Services) {
    this.subscriptions = [
      services.workspace.onDidChangePipelines(() => this.refresh()),
      services.pipelines.onDidChange(() => {
        const signature = JSON.stringify(services.pipelines.boards().map((b) => b.jobs().map((j) => [j.state, j.totals.deadLetters])))
        if (signature === this.runSignature) return
        this.runSignature = signature
        this.refresh()
      }),
    ]
    this.refresh()
  }

  /** Open letters of each source of `pipelineFile` (empty until counted). */
  of(pipelineFile: string): SourceLetters {
    return this.counts.get(pipelineFile) ?? NONE
  }

  get total(): number {
    let total = 0
    for (const sources of this.counts.values()) for (const n of sources.values()) total += n
    return total
  }

  /** Count again (one count at a time; a request during a count runs one more after it). */
  refresh(): Promise<void> {
    if (this.counting) {
      this.again = true
      return this.counting
    }
    this.counting = this.count().finally(() => {
      this.counting = undefined
      if (this.again) {
        this.again = false
        void this.refresh()
      }
    })
    return this.counting
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose()
    this.changed.dispose()
  }

  private async count(): Promise<void> {
    const next = new Map<string, SourceLetters>()
    try {
      const pipelines = (await this.services.workspace.validPipelines()).map((e) => e.pipeline)
      // Pipelines sharing a lake share its letters: each counts the letters of its own sources.
      const byLake = new Map<string, Promise<Map<string, number>>>()
      for (const pipeline of pipelines) {
        if (!byLake.has(pipeline.lakeDir)) byLake.set(pipeline.lakeDir, this.openLetters(pipeline))
        const ofLake = await byLake.get(pipeline.lakeDir)!
        next.set(pipeline.file, new Map(pipeline.sources.map((s) => [s.name, ofLake.get(s.name) ?? 0] as const).filter(([, n]) => n > 0)))
      }
    } catch (error) {
      this.services.log.warn('deadLetters.count', { error: String(error) })
      return
    }
    const before = JSON.stringify([...this.counts].map(([f, s]) => [f, [...s]]))
    this.counts = next
    if (JSON.stringify([...next].map(([f, s]) => [f, [...s]])) !== before) this.changed.fire()
  }

  /** Open letters by source in the pipeline's lake. */
  private async openLetters(pipeline: Pipeline): Promise<Map<string, number>> {
    const [engine, { LakeCatalog }] = await Promise.all([this.services.lake(), loadQuery(this.services.log)])
    const catalog = new LakeCatalog(pipeline.lakeDir, engine.io.storage)
    try {
      await engine.snapshot(catalog.pathOf('raw._dead_letters'))
    } catch {
      return new Map() // No dead-letter table: nothing ever failed to decode.
    }
    const { letterGroups } = await import('../../pipeline')
    const open = new Map<string, number>()
    for (const group of await letterGroups(engine, catalog)) {
      if (group.state === 'open') open.set(group.source, (open.get(group.source) ?? 0) + group.letters)
    }
    return open
  }
}
