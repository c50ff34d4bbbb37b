/**
 * Problems in the `.sql` files a pipeline's `definitions` name, as VS Code diagnostics at their
 * line and column: a syntax error, an unknown table, a cycle between views, a table defined twice
 * (the same checks, with the same words, as `lakehouse run`). Checked when the pipeline files
 * change, when a `.sql` file is saved, created or deleted, and when the lake changes (a table that
 * appears fixes "unknown table"); a fixed file loses its diagnostics. The same check tells the
 * Pipelines view which flows and views the definitions add.
 */
import * as vscode from 'vscode'
import type { LakeEngine } from '../engine'
import { loadEngine } from './lazy'
import type { Log } from './log'
import type { DefinitionsCheck } from './pipelines/definitions-check'
import type { PipelineService } from './pipelines/service'
import type { LakehouseWorkspace } from './workspace'

/** What the check needs of the extension's services (not Services itself: services.ts makes this). */
export interface DefinitionDiagnosticsDeps {
  log: Log
  workspace: LakehouseWorkspace
  pipelines: PipelineService
  lake(): Promise<LakeEngine>
}

const SOURCE = 'lakehouse'
const CODE = 'pipeline-definitions'

export class DefinitionDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('lakehouse-definitions')
  private readonly subscriptions: vscode.Disposable[]
  /** One check at a time; a request during one runs once more after it. */
  private running?: Promise<void>
  private again = false

  constructor(private readonly services: DefinitionDiagnosticsDeps) {
    const isSql = (uri: vscode.Uri) => uri.fsPath.toLowerCase().endsWith('.sql')
    this.subscriptions = [
      services.workspace.onDidChangePipelines(() => this.request()),
      services.workspace.onDidChangeLake(() => this.request()),
      vscode.workspace.onDidSaveTextDocument((d) => isSql(d.uri) && this.request()),
      vscode.workspace.onDidCreateFiles((e) => e.files.some(isSql) && this.request()),
      vscode.workspace.onDidDeleteFiles((e) => e.files.some(isSql) && this.request()),
      vscode.workspace.onDidRenameFiles((e) => e.files.some((f) => isSql(f.oldUri) || isSql(f.newUri)) && this.request()),
    ]
    this.request()
  }

  /** Check again now (or right after the check under way). */
  request(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.checkAll().finally(() => {
      this.running = undefined
      if (this.again) {
        this.again = false
        void this.request()
      }
    })
    return this.running
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose()
    this.collection.dispose()
  }

  private async checkAll(): Promise<void> {
    const { log, pipelines } = this.services
    try {
      const entries = (await this.services.workspace.validPipelines()).filter((e) => e.pipeline.definitions?.length)
      const checks: DefinitionsCheck[] = []
      if (entries.length) {
        // Loaded only for pipelines that have definitions: the check reads the lake's table list.
        const [{ checkPipelineDefinitions }, { LakeCatalog }, engine] = await Promise.all([
          import('./pipelines/definitions-check'),
          loadEngine(log),
          this.services.lake(),
        ])
        for (const { pipeline } of entries) {
          const existing = (await new LakeCatalog(pipeline.lakeDir, engine.io.storage).tables().catch(() => [])).map((t) => t.name)
          const check = checkPipelineDefinitions(pipeline, existing)
          checks.push(check)
          pipelines.setDefinitionJobs(pipeline.file, check.jobs)
          if (check.problems.length) log.info('definitions.problems', { file: vscode.workspace.asRelativePath(pipeline.file), problems: check.problems.length })
        }
      }
      await this.show(checks)
    } catch (error) {
      log.error('definitions.check', error)
    }
  }

  private async show(checks: DefinitionsCheck[]): Promise<void> {
    const { problemSpan } = await import('./pipelines/definitions-check')
    const byFile = new Map<string, DefinitionsCheck['problems']>()
    for (const check of checks) {
      for (const file of check.files) if (!byFile.has(file)) byFile.set(file, [])
      for (const problem of check.problems) byFile.set(problem.file, [...(byFile.get(problem.file) ?? []), problem])
    }
    // Files no pipeline names any more keep no diagnostics.
    this.collection.forEach((uri) => {
      if (!byFile.get(uri.fsPath)?.length) this.collection.delete(uri)
    })
    for (const [file, problems] of byFile) {
      const uri = vscode.Uri.file(file)
      if (problems.length === 0) {
        this.collection.delete(uri)
        continue
      }
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri).then(undefined, () => new Uint8Array()))
      this.collection.set(
        uri,
        problems.map((problem) => {
          const span = problemSpan(text, problem.line, problem.column)
          const diagnostic = new vscode.Diagnostic(
            new vscode.Range(positionAt(text, span.start), positionAt(text, span.end)),
            problem.message,
            vscode.DiagnosticSeverity.Error,
          )
          diagnostic.source = SOURCE
          diagnostic.code = CODE
          return diagnostic
        }),
      )
    }
  }
}

function positionAt(text: string, offset: number): vscode.Position {
  const before = text.slice(0, offset)
  const line = before.split('\n').length - 1
  return new vscode.Position(line, offset - (before.lastIndexOf('\n') + 1))
}
