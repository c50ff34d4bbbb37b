/**
 * What the panels' glue needs from the rest of the extension, and how panels open one another
 * (the history panel opens a query or a change panel).
 */
import type * as vscode from 'vscode'
import type { LakeEngine } from '../../engine'
import type { KafkaSettings, Pipeline } from '../../pipeline/pipeline-file'
import type { LakeCatalog } from '../../query'
import type { JobStatus } from '../pipelines/board'
import type { JobId } from '../pipelines/events'
import type { PanelLog } from './message-router'
import type { ChangesArgs, HistoryArgs, QueryArgs } from './panel-args'

export interface PanelDeps {
  /**
   * The engine and catalog of the lake in `lakeDir` (absolute), or of the workspace's lake when
   * it is undefined. Called when a panel opens; may reject (no lake open), which the panel shows.
   */
  lake(lakeDir?: string): Promise<{ engine: LakeEngine; catalog: LakeCatalog }>
  log: PanelLog
  /** SQL in a panel changed these tables (absolute paths): refresh the Lake view. */
  onLakeWrite?(tablePaths: string[]): void
  /** The SASL and schema registry passwords of a cluster (SecretStorage), for the topic panel on a broker. */
  kafkaPasswords?(kafka: KafkaSettings): Promise<{ kafka?: string; registry?: string }>
  pipelines?: PanelPipelines
  /** The palette's way into the Dead Letters panel: pick one of the workspace's valid pipeline files. */
  pickPipelineFile?(placeHolder: string): Promise<{ pipelineFile: string } | undefined>
  /** A panel replayed or discarded dead letters: the Pipelines view and the status bar count again. */
  onDeadLettersChanged?(): void
  /** Letters changed (a run wrote some, a panel replayed some): open Dead Letters panels load again. */
  deadLettersChanged?(listener: () => void): { dispose(): void }
  /** The workspace's valid pipeline files ("Show source" finds which one writes a table). */
  pipelineFiles?(): Promise<Pipeline[]>
}

/** What the Pipeline Graph panel follows: each job's state (the Pipelines view's board) and the lake. */
export interface PanelPipelines {
  /** The palette's way in: one of the workspace's valid pipeline files, or undefined when none is chosen. */
  pick(placeHolder: string): Promise<string | undefined>
  jobStatus(pipelineFile: string, job: JobId): JobStatus | undefined
  onDidChangeJobs(listener: () => void): { dispose(): void }
  /** A commit landed in a lake, or a pipeline file changed. */
  onDidChangeLake(listener: () => void): { dispose(): void }
}

export interface PanelEnv {
  context: vscode.ExtensionContext
  deps: PanelDeps
  openQuery(args: QueryArgs): Promise<void>
  openChanges(args: ChangesArgs): Promise<void>
  openHistory(args: HistoryArgs): Promise<void>
}
