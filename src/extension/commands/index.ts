/**
 * Every command of the extension (but the panels'), registered in one place. A command never
 * throws into VS Code: a failure becomes a notification, with the details in the log.
 */
import * as vscode from 'vscode'
import type { Services } from '../services'
import { addTopicAsSource, inferTopicSchema, previewSource, previewTopic } from './kafka-commands'
import { optimizeTable, queryTable, queryVersion, showChanges, showHistory, vacuumTable } from './lake-commands'
import {
  goToJobDefinition,
  newPipeline,
  openJobTable,
  openPipelineFile,
  startAll,
  startJob,
  startPipeline,
  stopAll,
  stopJob,
  stopPipeline,
} from './pipeline-commands'
import { runQueryCommand } from './query-commands'
import { createTopicCommand, deleteTopicCommand } from './topic-admin-commands'
import { setKafkaPassword, setSchemaRegistryCredentials } from './secret-commands'

export interface Refreshers {
  refreshAll(): void
}

/** Handlers take the tree node they were invoked on, or nothing from the palette. */
type Handler = (services: Services, ...args: never[]) => unknown

/** What each command does, and how its failure is named in the notification. */
const COMMANDS: Record<string, [string, Handler]> = {
  'lakehouse.queryTable': ['Query', queryTable],
  'lakehouse.queryVersion': ['Query a version', queryVersion],
  'lakehouse.tableHistory': ['Show history', showHistory],
  'lakehouse.tableChanges': ['Show changes', showChanges],
  'lakehouse.optimizeTable': ['Optimize', optimizeTable],
  'lakehouse.vacuumTable': ['Vacuum', vacuumTable],
  'lakehouse.previewTopic': ['Preview topic', previewTopic],
  'lakehouse.inferTopicSchema': ['Infer schema', inferTopicSchema],
  'lakehouse.addTopicAsSource': ['Add source', addTopicAsSource],
  'lakehouse.previewSource': ['Preview source', previewSource],
  'lakehouse.createTopic': ['Create topic', createTopicCommand],
  'lakehouse.deleteTopic': ['Delete topic', deleteTopicCommand],
  'lakehouse.startJob': ['Start job', startJob],
  'lakehouse.stopJob': ['Stop job', stopJob],
  'lakehouse.startPipeline': ['Start pipeline', startPipeline],
  'lakehouse.stopPipeline': ['Stop pipeline', stopPipeline],
  'lakehouse.startAll': ['Start all pipelines', startAll],
  'lakehouse.stopAll': ['Stop all pipelines', stopAll],
  'lakehouse.openPipelineFile': ['Open pipeline file', openPipelineFile],
  'lakehouse.goToJobDefinition': ['Go to definition', goToJobDefinition],
  'lakehouse.openJobTable': ['Open table', openJobTable],
  'lakehouse.newPipeline': ['New pipeline', newPipeline],
  'lakehouse.runQuery': ['Run query', runQueryCommand],
  'lakehouse.setKafkaPassword': ['Set Kafka password', setKafkaPassword],
  'lakehouse.setSchemaRegistryCredentials': ['Set schema registry credentials', setSchemaRegistryCredentials],
}

export function registerCommands(services: Services, refreshers: Refreshers): void {
  const { context, log } = services
  for (const [id, [what, handler]] of Object.entries(COMMANDS)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        log.debug('command', { id })
        try {
          await handler(services, ...(args as never[]))
        } catch (error) {
          await services.notifier.error(what, error)
        }
      }),
    )
  }
  context.subscriptions.push(
    vscode.commands.registerCommand('lakehouse.showLog', () => log.show()),
    vscode.commands.registerCommand('lakehouse.refresh', () => {
      services.workspace.refresh()
      refreshers.refreshAll()
    }),
    vscode.commands.registerCommand('lakehouse.focusPipelines', () => vscode.commands.executeCommand('lakehousePipelines.focus')),
    vscode.commands.registerCommand('lakehouse.showVersion', () => {
      const version = (context.extension.packageJSON as { version?: string }).version ?? 'unknown'
      log.info('version', { version })
      void vscode.window.showInformationMessage(`Local Lakehouse ${version}`)
    }),
  )
}
