/**
 * What the workspace holds for us: pipeline files (`lakehouse.json`, `*.lakehouse.json`), loaded
 * and checked, and lake folders (from the pipeline files, from `lakehouse.lakeFolders`, and
 * wherever `<lake>/<zone>/<table>/_delta_log` is found). Watches both and says when they change;
 * commits made by running pipelines arrive in bursts, hence the debounce.
 */
import * as path from 'node:path'
import * as vscode from 'vscode'
import type { Pipeline, PipelineProblem } from '../pipeline/pipeline-file'
import { loadLakeFacts, loadPipelineFile } from './lazy'
import type { Log } from './log'

export const PIPELINE_GLOB = '**/{lakehouse.json,*.lakehouse.json}'
const LOG_GLOB = '**/_delta_log/*.json'
const EXCLUDE = '**/{node_modules,.git}/**'

export interface PipelineEntry {
  uri: vscode.Uri
  /** Workspace-relative path, for labels. */
  label: string
  pipeline?: Pipeline
  /** Why it could not be loaded: problems with their JSON paths. */
  problems?: PipelineProblem[]
}

export interface LakeEntry {
  dir: string
  label: string
}

export class LakehouseWorkspace implements vscode.Disposable {
  private readonly pipelinesChanged = new vscode.EventEmitter<void>()
  private readonly lakeChanged = new vscode.EventEmitter<void>()
  /** Pipeline files were added, changed or removed. */
  readonly onDidChangePipelines = this.pipelinesChanged.event
  /** A commit landed somewhere in a lake (debounced), or the lakes themselves changed. */
  readonly onDidChangeLake = this.lakeChanged.event
  private readonly disposables: vscode.Disposable[] = [this.pipelinesChanged, this.lakeChanged]
  private pipelineList?: Promise<PipelineEntry[]>
  private lakeList?: Promise<LakeEntry[]>
  private lakeTimer?: NodeJS.Timeout

  constructor(private readonly log: Log) {
    const pipelines = vscode.workspace.createFileSystemWatcher(PIPELINE_GLOB)
    const reloadPipelines = () => this.refreshPipelines()
    pipelines.onDidCreate(reloadPipelines)
    pipelines.onDidChange(reloadPipelines)
    pipelines.onDidDelete(reloadPipelines)
    const logs = vscode.workspace.createFileSystemWatcher(LOG_GLOB)
    // A first commit may be a new table in a new lake; later commits only change what a table shows.
    logs.onDidCreate((uri) => this.lakeTouched(/[\\/]0{20}\.json$/.test(uri.fsPath)))
    logs.onDidDelete(() => this.lakeTouched(true))
    this.disposables.push(
      pipelines,
      logs,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('lakehouse.lakeFolders')) this.refreshLakes()
      }),
    )
  }

  pipelines(): Promise<PipelineEntry[]> {
    this.pipelineList ??= this.findPipelines()
    return this.pipelineList
  }

  lakes(): Promise<LakeEntry[]> {
    this.lakeList ??= this.findLakes()
    return this.lakeList
  }

  /** The loaded pipelines only (files with problems left out). */
  async validPipelines(): Promise<(PipelineEntry & { pipeline: Pipeline })[]> {
    return (await this.pipelines()).filter((e): e is PipelineEntry & { pipeline: Pipeline } => e.pipeline !== undefined)
  }

  refresh(): void {
    this.refreshPipelines()
    this.refreshLakes()
  }

  refreshPipelines(): void {
    this.pipelineList = undefined
    // Pipelines name lakes: a new pipeline file can bring a new lake.
    this.lakeList = undefined
    this.pipelinesChanged.fire()
    this.lakeChanged.fire()
  }

  refreshLakes(): void {
    this.lakeList = undefined
    this.lakeChanged.fire()
  }

  dispose(): void {
    clearTimeout(this.lakeTimer)
    for (const d of this.disposables) d.dispose()
  }

  private lakeTouched(newTable: boolean): void {
    if (newTable) this.lakeList = undefined
    clearTimeout(this.lakeTimer)
    this.lakeTimer = setTimeout(() => this.lakeChanged.fire(), 1_500)
  }

  private async findPipelines(): Promise<PipelineEntry[]> {
    const uris = (await vscode.workspace.findFiles(PIPELINE_GLOB, EXCLUDE, 200)).sort((a, b) => a.fsPath.localeCompare(b.fsPath))
    if (uris.length === 0) return []
    const { loadPipeline, PipelineFileError } = await loadPipelineFile(this.log)
    return uris.map((uri): PipelineEntry => {
      const label = vscode.workspace.asRelativePath(uri)
      try {
        return { uri, label, pipeline: loadPipeline(uri.fsPath) }
      } catch (error) {
        if (error instanceof PipelineFileError) {
          this.log.warn('pipeline.problems', { file: label, problems: error.problems })
          return { uri, label, problems: error.problems }
        }
        this.log.error('pipeline.load', error, { file: label })
        return { uri, label, problems: [{ path: '$', message: (error as Error).message }] }
      }
    })
  }

  private async findLakes(): Promise<LakeEntry[]> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)
    const dirs = new Set<string>()
    for (const entry of await this.validPipelines()) dirs.add(entry.pipeline.lakeDir)
    const configured = vscode.workspace.getConfiguration('lakehouse').get<string[]>('lakeFolders', [])
    for (const folder of configured) {
      if (path.isAbsolute(folder)) dirs.add(folder)
      else for (const root of roots) dirs.add(path.resolve(root, folder))
    }
    const logs = await vscode.workspace.findFiles(LOG_GLOB, EXCLUDE, 5_000)
    const { lakeDirsFromLogFiles } = await loadLakeFacts(this.log)
    for (const dir of lakeDirsFromLogFiles(
      logs.map((u) => u.fsPath),
      roots,
    ))
      dirs.add(dir)
    return [...dirs].sort().map((dir) => ({ dir, label: vscode.workspace.asRelativePath(dir) }))
  }
}
