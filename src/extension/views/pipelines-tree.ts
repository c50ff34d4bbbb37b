/**
 * The Pipelines view: each pipeline file → its sources and flows with their state (running,
 * idle, stopped, failed with the error), rate and lag, from the events of the processes that run
 * them, and where each stands in the lake whether or not it runs (offsets recorded, source
 * versions processed, up to date or behind: lake-position.ts). Sources and flows have their own
 * icons and say what they read and write; red is for failures only. A file with problems lists
 * them; each opens the file at its JSON path.
 */
import * as vscode from 'vscode'
import type { Pipeline, PipelineProblem } from '../../pipeline/pipeline-file'
import { jobDescription, plural } from '../format'
import { isActive, type JobStatus, type ShownState } from '../pipelines/board'
import { splitJobId, type JobId, type JobKind } from '../pipelines/events'
import { loadQuery } from '../lazy'
import type { JobPosition } from '../pipelines/lake-position'
import type { DeadLetterTally } from '../pipelines/dead-letter-tally'
import type { Services } from '../services'
import type { PipelineEntry } from '../workspace'

export type PipelineNode =
  | { kind: 'pipeline'; entry: PipelineEntry }
  | { kind: 'job'; pipeline: Pipeline; uri: vscode.Uri; job: JobId; position?: JobPosition }
  | { kind: 'problem'; uri: vscode.Uri; problem: PipelineProblem }

/** Icons of the states that say more than the job's kind; a job not started or stopped shows its kind's icon. */
const STATE_ICONS: Partial<Record<ShownState, [string, string?]>> = {
  starting: ['loading~spin'],
  running: ['sync~spin', 'charts.green'],
  idle: ['pass', 'charts.green'],
  failed: ['error', 'errorForeground'],
}

/** A source reads a topic (or a capture file) into raw; a flow refines one table into another; a view is refreshed from tables. */
function kindIcon(kind: JobKind, fromFile: boolean): string {
  return kind === 'view' ? 'layers' : kind === 'flow' ? 'git-merge' : fromFile ? 'file' : 'radio-tower'
}

export class PipelinesTreeProvider implements vscode.TreeDataProvider<PipelineNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PipelineNode | undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private readonly subscriptions: vscode.Disposable[]
  /** While something runs, ages ("last commit 5 s ago") move on even without events. */
  private readonly ticker: NodeJS.Timeout

  constructor(
    private readonly services: Services,
    private readonly letters?: DeadLetterTally,
  ) {
    this.subscriptions = [
      services.workspace.onDidChangePipelines(() => this.refresh()),
      services.pipelines.onDidChange(() => this.refresh()),
      ...(letters ? [letters.onDidChange(() => this.refresh())] : []),
    ]
    this.ticker = setInterval(() => {
      if (services.pipelines.anyRunning) this.refresh()
    }, 5_000)
  }

  refresh(): void {
    this.changed.fire(undefined)
  }

  dispose(): void {
    clearInterval(this.ticker)
    for (const s of this.subscriptions) s.dispose()
    this.changed.dispose()
  }

  async getChildren(node?: PipelineNode): Promise<PipelineNode[]> {
    if (!node) return (await this.services.workspace.pipelines()).map((entry) => ({ kind: 'pipeline', entry }))
    if (node.kind !== 'pipeline') return []
    const { entry } = node
    if (entry.problems) return entry.problems.map((problem) => ({ kind: 'problem', uri: entry.uri, problem }))
    const pipeline = entry.pipeline!
    const positions = await this.positions(pipeline)
    return this.services.pipelines.jobs(pipeline).map((job) => ({ kind: 'job', pipeline, uri: entry.uri, job, position: positions.get(job) }))
  }

  getTreeItem(node: PipelineNode): vscode.TreeItem {
    switch (node.kind) {
      case 'pipeline':
        return this.pipelineItem(node.entry)
      case 'job':
        return this.jobItem(node)
      case 'problem': {
        const item = new vscode.TreeItem(node.problem.path, vscode.TreeItemCollapsibleState.None)
        item.description = node.problem.message
        item.tooltip = `${node.problem.path}: ${node.problem.message}`
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
        item.command = { title: 'Open at Problem', command: 'lakehouse.openPipelineFile', arguments: [node.uri, node.problem.path] }
        return item
      }
    }
  }

  /** Where each job stands in the lake (empty when the lake cannot be read: the states still show). */
  private async positions(pipeline: Pipeline): Promise<Map<string, JobPosition>> {
    try {
      const [{ pipelinePositions }, { LakeCatalog }, engine] = await Promise.all([
        import('../pipelines/lake-position'),
        loadQuery(this.services.log),
        this.services.lake(),
      ])
      return await pipelinePositions(engine, new LakeCatalog(pipeline.lakeDir, engine.io.storage), pipeline)
    } catch (error) {
      this.services.log.warn('pipelines.position', { file: pipeline.file, error: String(error) })
      return new Map()
    }
  }

  private pipelineItem(entry: PipelineEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(entry.label, vscode.TreeItemCollapsibleState.Expanded)
    item.id = `pipeline:${entry.uri.toString()}`
    item.resourceUri = entry.uri
    if (entry.problems) {
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      item.description = plural(entry.problems.length, 'problem')
      item.contextValue = 'lakehouse.pipeline.invalid'
      return item
    }
    item.iconPath = new vscode.ThemeIcon('symbol-namespace')
    const running = this.services.pipelines.running(entry.uri.fsPath).size
    const active =
      this.services.pipelines
        .board(entry.uri.fsPath)
        ?.jobs()
        .filter((j) => isActive(j.state)).length ?? 0
    item.description = active ? `${active} running` : vscode.workspace.asRelativePath(entry.pipeline!.lakeDir)
    item.contextValue = running ? 'lakehouse.pipeline.running' : 'lakehouse.pipeline'
    return item
  }

  private jobItem(node: Extract<PipelineNode, { kind: 'job' }>): vscode.TreeItem {
    const { kind, name } = splitJobId(node.job)
    const board = this.services.pipelines.board(node.pipeline.file)
    const status: JobStatus | undefined = board?.status(node.job)
    const state = status?.state ?? 'not started'
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None)
    item.id = `job:${node.pipeline.file}:${node.job}`
    const spec = kind === 'source' ? node.pipeline.sources.find((s) => s.name === name) : node.pipeline.flows?.find((f) => f.name === name)
    const [icon, color] = STATE_ICONS[state] ?? [kindIcon(kind, spec !== undefined && 'file' in spec && spec.file !== undefined)]
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined)
    const now = Date.now()
    const route =
      spec && 'table' in spec
        ? `source → ${spec.table}`
        : spec && 'from' in spec
          ? `flow ${spec.from} → ${spec.to}`
          : kind === 'view'
            ? 'materialized view'
            : `${kind} (SQL definitions)`
    const where = node.position?.text ? ` · ${node.position.text}` : ''
    const open = kind === 'source' ? (this.letters?.of(node.pipeline.file).get(name) ?? 0) : 0
    // Right after the state, where a narrow sidebar still shows it.
    const [shownState, ...more] = (status ? jobDescription(status, board!.rate(node.job, now), now) : state).split(' · ')
    const facts = [shownState, ...(open ? [plural(open, 'dead letter')] : []), ...more].join(' · ')
    item.description = `${facts}${where} · ${route}`
    // A view is not started or stopped alone (any run of the pipeline refreshes it): no job menu.
    item.contextValue = kind === 'view' ? 'lakehouse.view' : `lakehouse.job.${isActive(state) ? 'running' : 'stopped'}.${kind}`
    const tooltip = new vscode.MarkdownString()
    tooltip.appendMarkdown(`**${kind} ${name}** — ${state}\n\n`)
    if (spec && 'table' in spec) tooltip.appendMarkdown(`${spec.topic ?? spec.topicPattern ?? spec.file} (${spec.format}) → ${spec.table}\n\n`)
    if (spec && 'from' in spec) tooltip.appendMarkdown(`${spec.from} → ${spec.to} (${spec.mode})\n\n`)
    if (node.position?.text) tooltip.appendMarkdown(`In the lake: ${node.position.text}\n\n`)
    if (open) {
      const args = encodeURIComponent(JSON.stringify({ pipelineFile: node.pipeline.file, source: name }))
      tooltip.appendMarkdown(
        `**${plural(open, 'open dead letter')}** (messages the source could not decode): [Show Dead Letters](command:lakehouse.showDeadLetters?${args})\n\n`,
      )
      tooltip.isTrusted = { enabledCommands: ['lakehouse.showDeadLetters'] }
    }
    if (status?.lastRefresh) {
      const r = status.lastRefresh
      // The reason and expectation names come from the definitions: text, not markdown.
      tooltip.appendText(`Last refresh: ${r.mode} (${r.reason}): +${r.inserted} ~${r.updated} −${r.deleted} rows\n\n`)
      for (const e of r.expectations)
        tooltip.appendText(`Expectation ${e.name}: ${e.passed} passed, ${e.failed} ${e.onViolation === 'drop' ? 'dropped' : 'failed'}\n\n`)
    }
    if (status?.error) tooltip.appendCodeblock(status.error)
    if (status?.totals.batches) {
      tooltip.appendMarkdown(
        `${plural(status.totals.batches, 'batch', 'batches')}: ${plural(status.totals.rows, 'row')}` +
          `${status.totals.deadLetters ? `, ${plural(status.totals.deadLetters, 'dead letter')}` : ''}`,
      )
    }
    item.tooltip = tooltip
    return item
  }
}
