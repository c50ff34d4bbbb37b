/**
 * "Show source" bound to the workspace: the pipeline files the extension knows decide which
 * pipeline writes a table, and a message opens in the topic panel of the source that read it.
 */
import * as vscode from 'vscode'
import type { LakeEngine } from '../../engine'
import type { LakeCatalog } from '../../query'
import type { PanelDeps } from './panel-env'
import { rowSource, sourceOfRawTable, type SourceLookup } from './row-source'
import { ExtensionError } from '../errors'

export function sourceLookup(deps: PanelDeps, lake: LakeEngine, catalog: LakeCatalog): SourceLookup | undefined {
  const files = deps.pipelineFiles
  if (!files) return undefined
  const pipelines = () => files()
  return {
    trace: (row) => rowSource({ lake, catalog, pipelines }, row),
    openMessage: (message) => {
      void (async () => {
        const found = await sourceOfRawTable({ pipelines, catalog }, message.rawTable)
        if (!found) throw new ExtensionError(`no pipeline file of the workspace writes ${message.rawTable}`)
        const { pipeline, source } = found
        const topicSource =
          source.file !== undefined
            ? { file: source.file, format: source.format, name: source.name, table: source.table }
            : { topic: message.topic, format: source.format, name: source.name, table: source.table }
        await vscode.commands.executeCommand('lakehouse.showTopic', {
          source: topicSource,
          pipelineFile: pipeline.file,
          lake: catalog.lakeDir,
          at: { partition: message.partition, offset: message.offset },
        })
      })().catch((error: unknown) => {
        const text = error instanceof Error ? error.message : String(error)
        deps.log.error(`show source: ${text}`)
        void vscode.window.showErrorMessage(`Cannot open ${message.topic}/${message.partition}/${message.offset}: ${text}`)
      })
    },
  }
}
