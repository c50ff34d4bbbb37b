/**
 * The Pipeline Graph panel's host side: the pipeline's graph as `lakehouse graph` builds it
 * (pipelineGraph over the pipeline file and its SQL definitions, withTableStates from the lake),
 * with each job's state from the events of the processes running it. It follows a run: a job's
 * event re-sends the graph with the states it has (cheap), a commit in the lake reads the tables'
 * states again (one read at a time; a change during one makes one more). The panel names a node
 * by id; the host looks the node up, so nothing the panel sends becomes a path or SQL unchecked.
 */
import * as path from 'node:path'
import type { LakeEngine } from '../../engine'
import { loadPipeline, type Pipeline } from '../../pipeline/pipeline-file'
import {
  pipelineDefinitions,
  pipelineGraph,
  withTableStates,
  type GraphNode as LakeGraphNode,
  type LakeCatalog,
  type LoadedDefinitions,
  type PipelineGraph,
} from '../../query'
import type { GraphToHost, GraphToPanel, JsonValue } from '../../../webview/shared/protocol'
import { graphToHost } from '../../../webview/shared/protocol'
import type { JobStatus } from '../pipelines/board'
import type { JobId } from '../pipelines/events'
import { graphNodes } from './graph-nodes'
import { errorText, routeMessages, type PanelHandler, type PanelLog } from './message-router'
import { tableRef } from './table-ref'
import { ExtensionError } from '../errors'

export type DefinitionPlace = NonNullable<LakeGraphNode['definedIn']>

export interface GraphHandlerDeps {
  lake: LakeEngine
  catalog: LakeCatalog
  pipelineFile: string
  /** The job's state as the Pipelines view has it. */
  jobStatus(job: JobId): JobStatus | undefined
  /** How a file is named on screen (workspace-relative). */
  relativePath(file: string): string
  /** `SELECT * FROM table` in a query panel, run. */
  openQuery(table: string): void
  openHistory(table: string): void
  /** The pipeline file at a JSON path, or a .sql file at a line and column. */
  openDefinition(place: DefinitionPlace): void
  log: PanelLog
}

export interface GraphHandler extends PanelHandler {
  /** A job's state changed: send the graph again with the new states. */
  jobsChanged(): void
  /** A commit landed in the lake, or a file of the pipeline changed: read the graph again. */
  lakeChanged(): Promise<void>
}

const NO_DEFINITIONS: LoadedDefinitions = { definitions: [], views: [], streamingTables: [], flows: [], refreshOrder: [], files: [], texts: new Map() }

export function createGraphHandler(deps: GraphHandlerDeps, init: { restore: Record<string, JsonValue> }, post: (message: GraphToPanel) => void): GraphHandler {
  let graph: PipelineGraph | undefined
  let problem: string | undefined
  let reading: Promise<void> | undefined
  let readAgain = false
  let disposed = false

  const place = (at: DefinitionPlace) => {
    const file = deps.relativePath(at.file)
    return at.line !== undefined ? `${file}:${at.line}:${at.column ?? 1}` : `${file}${at.path ? ` ${at.path}` : ''}`
  }

  function send(): void {
    if (!graph || disposed) return
    post({
      type: 'graph',
      pipeline: deps.relativePath(deps.pipelineFile),
      nodes: graphNodes(graph, deps.jobStatus, place),
      edges: graph.edges.map((e) => ({ from: e.from, to: e.to })),
      ...(problem ? { problem } : {}),
      restore: init.restore,
    })
  }

  async function readGraph(): Promise<void> {
    const pipeline: Pipeline = loadPipeline(deps.pipelineFile)
    let loaded = NO_DEFINITIONS
    problem = undefined
    try {
      loaded = await pipelineDefinitions(deps.catalog, pipeline)
    } catch (error) {
      // The pipeline file's own sources and flows still make a graph; the panel says what is missing.
      problem = `The SQL definitions are left out: ${errorText(error)}`
    }
    graph = await withTableStates(deps.lake, deps.catalog, pipelineGraph(pipeline, loaded))
    send()
  }

  /** One read at a time; asked during one, it reads once more after it. */
  function read(): Promise<void> {
    if (reading) {
      readAgain = true
      return reading
    }
    reading = readGraph().finally(() => {
      reading = undefined
      if (readAgain && !disposed) {
        readAgain = false
        void read().catch((error: unknown) => post({ type: 'error', message: errorText(error) }))
      }
    })
    return reading
  }

  function nodeOf(id: string): LakeGraphNode {
    const node = graph?.nodes.find((n) => n.id === id)
    if (!node) throw new ExtensionError(`no node '${id}' in the graph of ${deps.relativePath(deps.pipelineFile)}`)
    return node
  }

  const receive = routeMessages<GraphToHost>(
    'graph',
    graphToHost,
    {
      ready: read,
      refresh: read,
      open({ id, target }) {
        const node = nodeOf(id)
        if (target === 'definition') {
          if (!node.definedIn) throw new ExtensionError(`${node.label} is not defined in the pipeline: it is a table of the lake`)
          const file = path.resolve(node.definedIn.file)
          deps.openDefinition({ ...node.definedIn, file })
          return
        }
        if (!node.table) throw new ExtensionError(`${node.label} is a ${node.kind}, not a table`)
        if (!node.table.exists) throw new ExtensionError(`${node.table.name} is not created yet: run the pipeline first`)
        // Checked as a table name of this lake before it reaches SQL.
        const table = tableRef(deps.catalog, node.table.name).label
        if (target === 'query') deps.openQuery(table)
        else deps.openHistory(table)
      },
    },
    post,
    deps.log,
  )

  return {
    receive,
    jobsChanged: send,
    lakeChanged: () => read().catch((error: unknown) => post({ type: 'error', message: errorText(error) })),
    dispose: async () => {
      disposed = true
    },
  }
}
