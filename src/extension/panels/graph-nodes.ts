/**
 * The Pipeline Graph panel's nodes: the graph `lakehouse graph` builds (pipelineGraph with each
 * table's state in the lake) joined with what the jobs are doing as this window saw their events
 * (the Pipelines view's board). A source, a flow and a view are jobs: their node takes the job's
 * state (starting and running are "running", idle "up to date", stopped, failed with the error);
 * a table nobody runs shows only what the lake has, or "not started" when it is not created yet.
 * A view also shows its last refresh (which way, why, when) and its expectations' counts.
 */
import type { GraphNode as LakeGraphNode, PipelineGraph } from '../../query'
import type { GraphNode, NodeState } from '../../../webview/shared/protocol'
import type { JobStatus } from '../pipelines/board'
import type { JobId } from '../pipelines/events'

/** The job that runs a node of the graph: `source:x` and `flow:x` are the ids of both; a view's node is `table:x`. */
export function jobOfNode(node: LakeGraphNode): JobId | undefined {
  if (node.kind === 'topic' || node.kind === 'file') return node.id as JobId
  if (node.kind === 'flow') return node.id as JobId
  if (node.kind === 'view') return `view:${node.table?.name ?? node.label}`
  return undefined
}

function jobState(status: JobStatus): { state: NodeState; error?: string } {
  switch (status.state) {
    case 'starting':
    case 'running':
      return { state: 'running' }
    case 'idle':
      return { state: 'up to date' }
    case 'stopped':
      return { state: 'stopped' }
    case 'failed':
      return { state: 'failed', error: status.error ?? 'failed' }
    case 'not started':
      return { state: 'not started' }
  }
}

export function graphNodes(
  graph: PipelineGraph,
  statusOf: (job: JobId) => JobStatus | undefined,
  place: (definedIn: NonNullable<LakeGraphNode['definedIn']>) => string,
): GraphNode[] {
  return graph.nodes.map((node) => {
    const job = jobOfNode(node)
    const status = job ? statusOf(job) : undefined
    const table = node.table
    const out: GraphNode = { id: node.id, kind: node.kind, label: node.label }
    if (status) Object.assign(out, jobState(status))
    else if (job) out.state = 'not started'
    else if (table && !table.exists) out.state = 'not started'
    if (table) {
      out.table = table.name
      out.exists = table.exists
      if (table.version !== undefined) out.version = table.version
      if (table.rows !== undefined) out.rows = Math.max(0, table.rows)
      if (table.lastCommit !== undefined) out.lastCommit = table.lastCommit
    }
    const refresh = status?.lastRefresh
    if (refresh) {
      out.refresh = `${refresh.mode}: ${refresh.reason}`
      out.lastRefresh = refresh.at
      out.expectations = refresh.expectations.map((e) => ({ name: e.name, onViolation: e.onViolation, passed: e.passed, failed: e.failed }))
    } else if (node.kind === 'view' && table?.refresh) {
      out.refresh = table.refresh
      if (table.lastCommit !== undefined) out.lastRefresh = table.lastCommit
    }
    if (node.definedIn) out.definedIn = place(node.definedIn)
    return out
  })
}
