/**
 * The VS Code extension host entry point. This is glue only: every `vscode` import lives under
 * src/extension/, heavy modules (DuckDB, kafkajs) load on first use, never at activation, and
 * long work runs in child processes (see cli/process.ts). Activation time is logged, so a
 * regression shows in the log (and the end-to-end test reads it).
 */
import * as vscode from 'vscode'
import { registerCommands } from './commands'
import { pickPipeline } from './commands/pickers'
import { ExtensionError } from './errors'
import { loadQuery } from './lazy'
import { Log } from './log'
import { registerPanelsLazily } from './panel-loader'
import type { PanelDeps } from './panels'
import { createServices, type Services } from './services'
import { registerSqlLanguage } from './sql/sql-language'
import { registerStatusBar } from './status-bar'
import { registerDeadLetterStatus } from './dead-letters-status'
import { DeadLetterTally } from './pipelines/dead-letter-tally'
import { KafkaTreeProvider } from './views/kafka-tree'
import { LakeTreeProvider } from './views/lake-tree'
import { PipelinesTreeProvider } from './views/pipelines-tree'

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now()
  const log = new Log(vscode.window.createOutputChannel('Lakehouse', { log: true }))
  context.subscriptions.push(log)
  const services = createServices(context, log)

  const lake = new LakeTreeProvider(services)
  const kafka = new KafkaTreeProvider(services)
  // Open dead letters per source: the Pipelines view, the status bar and the Dead Letters panels follow it.
  const letters = new DeadLetterTally(services)
  const pipelines = new PipelinesTreeProvider(services, letters)
  context.subscriptions.push(
    lake,
    kafka,
    pipelines,
    letters,
    vscode.window.createTreeView('lakehouseLake', { treeDataProvider: lake, showCollapseAll: true }),
    vscode.window.createTreeView('lakehouseKafka', { treeDataProvider: kafka, showCollapseAll: true }),
    vscode.window.createTreeView('lakehousePipelines', { treeDataProvider: pipelines }),
  )
  registerCommands(services, {
    refreshAll: () => {
      lake.refresh()
      kafka.refresh()
      pipelines.refresh()
      void letters.refresh()
    },
  })
  registerStatusBar(services)
  registerDeadLetterStatus(services, letters)
  registerSqlLanguage(services)
  registerPanelsLazily(context, panelDeps(services, letters), log)

  const version = (context.extension.packageJSON as { version?: string }).version
  log.info('activated', { version, ms: Math.round((performance.now() - started) * 10) / 10, vscode: vscode.version })
}

/** What the panels need: the engine and a catalog of the lake a panel is about. */
function panelDeps(services: Services, letters: DeadLetterTally): PanelDeps {
  const { log } = services
  return {
    lake: async (lakeDir) => {
      const dir = lakeDir ?? (await defaultLake(services))
      const [engine, { LakeCatalog }] = await Promise.all([services.lake(), loadQuery(log)])
      return { engine, catalog: new LakeCatalog(dir, engine.io.storage) }
    },
    onLakeWrite: () => services.workspace.refreshLakes(),
    log: {
      info: (message) => log.info('panel', { message }),
      error: (message) => log.warn('panel', { message }),
    },
    pipelines: {
      pick: async (placeHolder) => (await pickPipeline(services, placeHolder))?.uri.fsPath,
      jobStatus: (file, job) => services.pipelines.board(file)?.status(job),
      onDidChangeJobs: (listener) => services.pipelines.onDidChange(listener),
      onDidChangeLake: (listener) => {
        const lake = services.workspace.onDidChangeLake(listener)
        const files = services.workspace.onDidChangePipelines(listener)
        return { dispose: () => [lake, files].forEach((d) => d.dispose()) }
      },
    },
    pipelineFiles: async () => (await services.workspace.validPipelines()).map((entry) => entry.pipeline),
    pickPipelineFile: async (placeHolder) => {
      const { pickPipeline } = await import('./commands/pickers')
      const entry = await pickPipeline(services, placeHolder)
      return entry ? { pipelineFile: entry.uri.fsPath } : undefined
    },
    onDeadLettersChanged: () => void letters.refresh(),
    deadLettersChanged: (listener) => letters.onDidChange(listener),
    kafkaPasswords: async (kafka) => ({
      kafka: await services.credentials.kafkaPassword(kafka),
      registry: await services.credentials.registryPassword(kafka),
    }),
  }
}

async function defaultLake(services: Services): Promise<string> {
  const lakes = await services.workspace.lakes()
  if (lakes.length === 1) return lakes[0].dir
  if (lakes.length === 0) throw new ExtensionError('No lake in this workspace: a pipeline file names one ("lake"), or set lakehouse.lakeFolders')
  const picked = await vscode.window.showQuickPick(
    lakes.map((l) => ({ label: l.label, description: l.dir, dir: l.dir })),
    { placeHolder: 'Which lake?' },
  )
  if (!picked) throw new ExtensionError('No lake chosen')
  return picked.dir
}

export function deactivate(): void {}
