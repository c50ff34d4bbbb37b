/**
 * The pipeline graph: sources (topics, files) → raw tables → flows → refined tables → views, from
 * the pipeline file and its definitions, and each table's state in the lake (version, rows, time
 * of its last commit; for a view, how its last refresh went). `lakehouse graph` prints it as
 * text, Graphviz dot or JSON; the editor's Pipeline Graph panel draws the JSON.
 */
import { liveRowCount } from '../../delta'
import type { LakeEngine } from '../../engine'
import { snapshotOrNothing } from '../../engine'
import type { Pipeline } from '../../pipeline'
import type { LakeCatalog } from '../../engine'
import { describeHistory } from '../describe'
import { positionOf } from '../statements/tokens'
import type { LoadedDefinitions } from './load-definitions'

export type GraphNodeKind = 'topic' | 'file' | 'table' | 'flow' | 'view' | 'streamingTable'

export interface GraphNode {
  id: string
  kind: GraphNodeKind
  label: string
  /** Where it is defined: the pipeline file (with a JSON path) or a .sql file with line and column. */
  definedIn?: { file: string; line?: number; column?: number; path?: string }
  /** Tables only: what the lake has now. */
  table?: { name: string; exists: boolean; version?: number; rows?: number; lastCommit?: number; lastOperation?: string; refresh?: string }
}

export interface GraphEdge {
  from: string
  to: string
}

export interface PipelineGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
}

const tableId = (name: string) => `table:${name}`

export function pipelineGraph(pipeline: Pipeline, loaded: LoadedDefinitions): PipelineGraph {
  const texts = loaded.texts
  const nodes = new Map<string, GraphNode>()
  const edges: GraphEdge[] = []
  const add = (node: GraphNode) => {
    if (!nodes.has(node.id)) nodes.set(node.id, node)
    return node.id
  }
  const table = (name: string, kind: GraphNodeKind = 'table') => add({ id: tableId(name), kind, label: name, table: { name, exists: false } })
  const at = (file: string, offset: number) => {
    const text = texts.get(file)
    return text === undefined ? { file } : { file, ...positionOf(text, offset) }
  }
  pipeline.sources.forEach((source, i) => {
    const from = add({
      id: `source:${source.name}`,
      kind: source.file ? 'file' : 'topic',
      label: source.file ?? source.topic ?? source.topicPattern ?? source.name,
      definedIn: { file: pipeline.file, path: `$.sources[${i}]` },
    })
    edges.push({ from, to: table(source.table) })
  })
  ;(pipeline.flows ?? []).forEach((flow, i) => {
    const id = add({
      id: `flow:${flow.name}`,
      kind: 'flow',
      label: `${flow.name} (${flow.mode}${flow.scd === 2 ? ', SCD 2' : ''})`,
      definedIn: { file: pipeline.file, path: `$.flows[${i}]` },
    })
    edges.push({ from: table(flow.from), to: id }, { from: id, to: table(flow.to) })
  })
  for (const d of loaded.definitions) {
    if (d.kind === 'streamingTable') {
      const id = table(d.name, 'streamingTable')
      nodes.get(id)!.kind = 'streamingTable'
      nodes.get(id)!.definedIn = at(d.file, d.offset)
      if (d.query) {
        const flowId = add({ id: `flow:${d.name}`, kind: 'flow', label: `${d.name} (append)`, definedIn: at(d.file, d.offset) })
        for (const read of d.reads) edges.push({ from: table(read.table), to: flowId })
        edges.push({ from: flowId, to: id })
      }
    } else if (d.kind === 'appendFlow' || d.kind === 'autoCdcFlow') {
      const flowId = add({
        id: `flow:${d.name}`,
        kind: 'flow',
        label: `${d.name} (${d.kind === 'appendFlow' ? 'append' : `AUTO CDC, SCD ${d.scd}`})`,
        definedIn: at(d.file, d.offset),
      })
      for (const read of d.reads) edges.push({ from: table(read.table), to: flowId })
      edges.push({ from: flowId, to: table(d.target, 'streamingTable') })
    } else {
      const id = table(d.name, 'view')
      nodes.get(id)!.kind = 'view'
      nodes.get(id)!.definedIn = at(d.file, d.offset)
      for (const read of d.reads) edges.push({ from: table(read.table), to: id })
    }
  }
  const seen = new Set<string>()
  return { nodes: [...nodes.values()], edges: edges.filter((e) => !seen.has(`${e.from}>${e.to}`) && seen.add(`${e.from}>${e.to}`)) }
}

/** Each table node's state in the lake: version, rows, last commit, and a view's last refresh. */
export async function withTableStates(lake: LakeEngine, catalog: LakeCatalog, graph: PipelineGraph): Promise<PipelineGraph> {
  const nodes = await Promise.all(
    graph.nodes.map(async (node) => {
      if (!node.table) return node
      const snapshot = await snapshotOrNothing(lake, catalog.pathOf(node.table.name)).catch(() => undefined)
      if (!snapshot) return node
      // Rows a deletion vector marks are no longer in the table.
      const rows = snapshot.files.reduce((n, f) => n + (liveRowCount(f.add) ?? 0), 0)
      const state: NonNullable<GraphNode['table']> = { name: node.table.name, exists: true, version: snapshot.version, rows, lastCommit: snapshot.timestamp }
      if (node.kind === 'view') {
        const db = await lake.duckdb()
        const history = await describeHistory(lake, snapshot.table, 1)
        try {
          const [last] = await db.rows(`SELECT operation, to_json(operationParameters)::VARCHAR AS parameters FROM ${history}`)
          state.lastOperation = String(last?.operation ?? '')
          const parameters = last ? (JSON.parse(String(last.parameters)) as Record<string, string> | null) : null
          if (parameters?.refresh) state.refresh = `${parameters.refresh}: ${parameters.reason ?? ''}`
        } finally {
          await db.run(`DROP TABLE IF EXISTS ${history}`)
        }
      }
      return { ...node, table: state }
    }),
  )
  return { ...graph, nodes }
}

/** `lakehouse graph`: one line per edge, grouped by stage, with each table's state. */
export function graphText(graph: PipelineGraph): string {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]))
  const describe = (node: GraphNode) => {
    const t = node.table
    const kind = node.kind === 'view' ? 'materialized view' : node.kind === 'streamingTable' ? 'streaming table' : node.kind
    if (!t) return `${node.label} [${kind}]`
    if (!t.exists) return `${node.label} [${kind}, not created yet]`
    return `${node.label} [${kind}, version ${t.version}, ${t.rows} rows${t.refresh ? `, last refresh ${t.refresh}` : ''}]`
  }
  const lines: string[] = []
  for (const node of graph.nodes) {
    const out = graph.edges.filter((e) => e.from === node.id)
    if (!out.length && graph.edges.some((e) => e.to === node.id)) continue
    if (!out.length) lines.push(describe(node))
    for (const edge of out) lines.push(`${describe(node)} → ${describe(byId.get(edge.to)!)}`)
  }
  return `${lines.join('\n')}\n`
}

export function graphDot(graph: PipelineGraph): string {
  const shape: Record<GraphNodeKind, string> = { topic: 'cds', file: 'note', table: 'cylinder', streamingTable: 'cylinder', view: 'box3d', flow: 'ellipse' }
  const quote = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
  const lines = ['digraph pipeline {', '  rankdir=LR;']
  for (const node of graph.nodes) {
    const state = node.table?.exists ? `\\nv${node.table.version}, ${node.table.rows} rows` : node.table ? '\\n(not created)' : ''
    lines.push(`  ${quote(node.id)} [label=${quote(node.label).slice(0, -1)}${state}", shape=${shape[node.kind]}];`)
  }
  for (const edge of graph.edges) lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)};`)
  lines.push('}')
  return `${lines.join('\n')}\n`
}
