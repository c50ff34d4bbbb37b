/**
 * The extension's shared pieces, made once at activation and handed to views and commands: the
 * log, the workspace model, credentials, notifications, pipelines, and the engine (created on
 * first use only, since it pulls in the Delta core and, for writes, DuckDB).
 */
import * as vscode from 'vscode'
import type { LakeEngine } from '../engine'
import { defaultNode, type CliLaunch } from './cli/process'
import { loadEngine } from './lazy'
import type { Log } from './log'
import { Notifier } from './notify'
import { DefinitionDiagnostics } from './definition-diagnostics'
import { PipelineDiagnostics } from './pipeline-diagnostics'
import { PipelineService } from './pipelines/service'
import { Credentials } from './secrets'
import { LakehouseWorkspace } from './workspace'

export interface Services {
  context: vscode.ExtensionContext
  log: Log
  workspace: LakehouseWorkspace
  credentials: Credentials
  notifier: Notifier
  pipelines: PipelineService
  /** The engine for reading tables in the extension host (snapshots, history); one per session. */
  lake(): Promise<LakeEngine>
  /**
   * Opens the engine's DuckDB in the background, once: loading its native addon and creating the
   * database is most of the first panel's wait. Called when the Lake view lists tables (someone is
   * about to query them); a failure is logged and left for the first query to report.
   */
  openDuckDbAhead(): void
  /** How to run the bundled CLI: for pipelines, OPTIMIZE and VACUUM. */
  launch(): CliLaunch
}

export function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration('lakehouse').get<T>(key, fallback)
}

export function createServices(context: vscode.ExtensionContext, log: Log): Services {
  const workspace = new LakehouseWorkspace(log)
  const credentials = new Credentials(context.secrets, log)
  const notifier = new Notifier(log)
  // DuckDB's memory limit, for the host's engine and for every child (which reads the environment).
  const memoryLimit = () => setting<string>('duckdb.memoryLimit', '').trim()
  const launch = (): CliLaunch => ({
    node: defaultNode(setting<string>('nodePath', '')),
    cli: context.asAbsolutePath('dist/cli.mjs'),
    env: memoryLimit() ? { LAKEHOUSE_DUCKDB_MEMORY_LIMIT: memoryLimit() } : {},
    // Read at each launch: trust granted later lets pipelines start without a reload.
    trusted: vscode.workspace.isTrusted,
  })
  const pipelines = new PipelineService(launch, credentials, log, notifier)
  let engine: Promise<LakeEngine> | undefined
  const lake = () => {
    engine ??= loadEngine(log).then(({ LakeEngine }) => new LakeEngine(undefined, { memoryLimit: memoryLimit() }))
    engine.catch(() => (engine = undefined))
    return engine
  }
  context.subscriptions.push(workspace, credentials, pipelines, {
    dispose: () => void engine?.then((e) => e.close()).catch(() => {}),
  })
  let openedAhead = false
  const openDuckDbAhead = () => {
    if (openedAhead) return
    openedAhead = true
    // After the caller's work, so the view draws first.
    setTimeout(() => {
      const started = performance.now()
      lake()
        .then((engine) => engine.duckdb())
        .then(
          () => log.info('duckdb.opened', { ahead: true, ms: Math.round(performance.now() - started) }),
          (error: unknown) => log.warn('duckdb.open.failed', { ahead: true, error: (error as Error).message }),
        )
    }, 0)
  }
  // Pipeline files drive the Pipelines view, and their problems are worth a notification.
  const problems = new PipelineDiagnostics()
  context.subscriptions.push(problems)
  const syncPipelines = async () => {
    try {
      const entries = await workspace.pipelines()
      pipelines.update(entries.flatMap((e) => (e.pipeline ? [e.pipeline] : [])))
      // Problems of a file are diagnostics at their line and column, gone once it is fixed.
      await problems.sync(entries)
    } catch (error) {
      log.error('pipelines.sync', error)
    }
  }
  context.subscriptions.push(workspace.onDidChangePipelines(syncPipelines))
  void syncPipelines()
  const services = { context, log, workspace, credentials, notifier, pipelines, lake, openDuckDbAhead, launch }
  // Problems of the definitions' .sql files are diagnostics too; the check also lists their flows and views.
  context.subscriptions.push(new DefinitionDiagnostics(services))
  return services
}
