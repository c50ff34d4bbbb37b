/**
 * The Pipeline Graph panel: the pipeline's topics and files, raw tables, flows, refined tables
 * and views, left to right by layer (layout.ts), drawn as SVG with every name as a text node.
 * Each node shows its state (not started, running, up to date, stopped, failed), its table's
 * version and rows, a view's last refresh and expectation counts. A click selects a node and
 * shows all of it beside the graph with the ways on (Query, History, Definition); Enter or a
 * double click takes the first of them. Arrow keys move along the edges (left, right) and within
 * a layer (up, down). The host re-sends the graph as a run goes on.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '../shared/base.css'
import './graph.css'
import { byId, h, replaceChildren, svg } from '../shared/dom'
import { formatCount, formatTime } from '../shared/format'
import { connectToHost } from '../shared/host'
import { graphToPanel, type GraphNode, type GraphToHost, type GraphToPanel } from '../shared/protocol'
import { jsonValue, object, optional, record, text, type Infer } from '../shared/validate'
import { layeredLayout, type Layout } from './layout'

const savedState = object({ restore: optional(record(jsonValue)), selected: optional(text(4200)) })
type SavedState = Infer<typeof savedState>
type Graph = Extract<GraphToPanel, { type: 'graph' }>
type OpenTarget = 'query' | 'history' | 'definition'

const host = connectToHost<GraphToHost, GraphToPanel, SavedState>('graph', graphToPanel, savedState, { replay: ['graph'] })
const app = byId('app')
let state: SavedState = host.savedState ?? {}
let graph: Graph | undefined
let layout: Layout | undefined

const SIZES = { nodeWidth: 210, nodeHeight: 78, gapX: 44, gapY: 18, margin: 16 }
const LABEL_CHARS = 26
const LINE_CHARS = 31

const KIND_NAMES: Record<GraphNode['kind'], string> = {
  topic: 'Kafka topic',
  file: 'capture file',
  table: 'table',
  flow: 'flow',
  view: 'materialized view',
  streamingTable: 'streaming table',
}

const title = h('h1', { id: 'title' }, 'Pipeline graph')
const summary = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite' })
const refresh = h('vscode-button', { secondary: true, title: 'Read the pipeline and the lake again' }, 'Refresh')
const problem = h('div', { class: 'error', role: 'alert', id: 'problem', hidden: true })
const error = h('div', { class: 'error', role: 'alert', id: 'error', hidden: true })
const canvas = h('div', { class: 'canvas' })
const details = h('aside', { class: 'details', 'aria-label': 'The selected node', 'aria-live': 'polite' })
app.append(
  h('header', { class: 'toolbar' }, title, summary, h('span', { class: 'spacer' }), refresh),
  problem,
  error,
  h('div', { class: 'graph-body' }, canvas, details),
)
refresh.addEventListener('click', () => host.post({ type: 'refresh' }))

const cut = (value: string, chars: number) => (value.length > chars ? `${value.slice(0, chars - 1)}…` : value)
const nodeById = (id: string | undefined) => graph?.nodes.find((n) => n.id === id)

/** The ways on from a node, the default (Enter, double click) first. */
function targets(node: GraphNode): OpenTarget[] {
  const found: OpenTarget[] = []
  if (node.table && node.exists) found.push('query', 'history')
  if (node.definedIn) found.push('definition')
  // Sources and flows are mostly about their definition; tables about their rows.
  const aboutDefinition = node.kind === 'flow' || node.kind === 'topic' || node.kind === 'file'
  return aboutDefinition && found.includes('definition') ? ['definition', ...found.filter((t) => t !== 'definition')] : found
}

function stateText(node: GraphNode): string {
  return node.state ?? (node.exists ? 'created' : '')
}

function statsText(node: GraphNode): string {
  if (!node.table) return node.definedIn ? cut(node.definedIn, LINE_CHARS) : ''
  if (!node.exists) return 'not created yet'
  return `v${node.version ?? 0} · ${formatCount(node.rows ?? 0)} rows`
}

function expectationText(node: GraphNode): string {
  if (node.expectations?.length) {
    const sum = (kind: 'warn' | 'drop' | 'fail') => node.expectations!.filter((e) => e.onViolation === kind).reduce((n, e) => n + e.failed, 0)
    const passed = node.expectations.reduce((n, e) => n + e.passed, 0)
    const [warned, failed] = [sum('warn'), sum('fail')]
    return `${formatCount(passed)} passed · ${formatCount(sum('drop'))} dropped${warned ? ` · ${formatCount(warned)} warned` : ''}${failed ? ` · ${formatCount(failed)} failed` : ''}`
  }
  // The time of day only: the date is in the details.
  if (node.lastRefresh !== undefined) return `refreshed ${formatTime(node.lastRefresh).slice(11)}`
  return ''
}

/** What a screen reader says for a node: everything the box shows. */
function nodeLabel(node: GraphNode): string {
  return [node.label, KIND_NAMES[node.kind], stateText(node), statsText(node), expectationText(node), node.error ? `error: ${node.error}` : '']
    .filter(Boolean)
    .join(', ')
}

function edgePath(from: { x: number; y: number }, to: { x: number; y: number }): string {
  const x1 = from.x + SIZES.nodeWidth
  const y1 = from.y + SIZES.nodeHeight / 2
  const x2 = to.x
  const y2 = to.y + SIZES.nodeHeight / 2
  const bend = Math.max(30, (x2 - x1) / 2)
  return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`
}

function drawNode(node: GraphNode, at: { x: number; y: number }): SVGGElement {
  const stateClass = node.state ? `state-${node.state.replace(/ /g, '-')}` : 'state-none'
  const group = svg('g', {
    class: `node kind-${node.kind} ${stateClass}`,
    'data-id': node.id,
    role: 'button',
    tabindex: -1,
    'aria-label': nodeLabel(node),
    transform: `translate(${at.x} ${at.y})`,
  })
  group.append(
    svg('title', null, [node.label, node.error ?? ''].filter(Boolean).join('\n')),
    svg('rect', { class: 'box', width: SIZES.nodeWidth, height: SIZES.nodeHeight, rx: node.kind === 'flow' ? 18 : 4 }),
    svg('rect', { class: 'bar', width: 5, height: SIZES.nodeHeight, rx: 2 }),
    svg('text', { class: 'label', x: 14, y: 19 }, cut(node.label, LABEL_CHARS)),
    svg('text', { class: 'kind', x: 14, y: 36 }, `${KIND_NAMES[node.kind]}${stateText(node) ? ' · ' : ''}`, svg('tspan', { class: 'state' }, stateText(node))),
    svg('text', { class: 'stats', x: 14, y: 53 }, statsText(node)),
    svg('text', { class: 'expectations', x: 14, y: 69 }, cut(node.error ? node.error.split('\n')[0] : expectationText(node), LINE_CHARS)),
  )
  group.addEventListener('click', () => select(node.id, true))
  group.addEventListener('dblclick', () => openDefault(node.id))
  group.addEventListener('keydown', (event) => onKey(event, node.id))
  return group
}

function render(): void {
  if (!graph) return
  layout = layeredLayout(
    graph.nodes.map((n) => n.id),
    graph.edges,
    SIZES,
  )
  const root = svg('svg', {
    class: 'graph',
    role: 'group',
    'aria-label': `The graph of ${graph.pipeline}: ${graph.nodes.length} nodes, ${graph.edges.length} edges; arrow keys move between nodes`,
    width: layout.width,
    height: layout.height,
    viewBox: `0 0 ${layout.width} ${layout.height}`,
  })
  root.append(
    svg(
      'defs',
      null,
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { class: 'arrow', d: 'M 0 0 L 10 5 L 0 10 z' }),
      ),
    ),
  )
  const edges = svg('g', { class: 'edges', 'aria-hidden': 'true' })
  for (const edge of graph.edges) {
    const from = layout.positions.get(edge.from)
    const to = layout.positions.get(edge.to)
    if (!from || !to) continue
    const running = nodeById(edge.from)?.state === 'running' || nodeById(edge.to)?.state === 'running'
    edges.append(
      svg('path', { class: `edge${running ? ' active' : ''}`, d: edgePath(from, to), 'data-from': edge.from, 'data-to': edge.to, 'marker-end': 'url(#arrow)' }),
    )
  }
  const nodes = svg('g', { class: 'nodes' })
  for (const node of graph.nodes) {
    const at = layout.positions.get(node.id)
    if (at) nodes.append(drawNode(node, at))
  }
  root.append(edges, nodes)
  fit(root)
  const hadFocus = canvas.contains(document.activeElement)
  replaceChildren(canvas, root)
  const selected = nodeById(state.selected) ? state.selected! : layout.layers[0]?.[0]
  if (selected) select(selected, hadFocus)
}

/**
 * A graph wider than the panel is drawn smaller, down to 3/4 of its size (text stays readable);
 * beyond that the canvas scrolls. Set as attributes: the page's CSP allows no inline styles.
 */
function fit(root: SVGSVGElement | null = canvas.querySelector('svg.graph')): void {
  if (!root || !layout) return
  const available = canvas.clientWidth - 2
  const scale = available > 0 ? Math.max(0.75, Math.min(1, available / layout.width)) : 1
  root.setAttribute('width', String(Math.round(layout.width * scale)))
  root.setAttribute('height', String(Math.round(layout.height * scale)))
}
new ResizeObserver(() => fit()).observe(canvas)

function nodeElement(id: string): SVGGElement | undefined {
  return [...canvas.querySelectorAll<SVGGElement>('g.node')].find((g) => g.dataset.id === id)
}

/** The selected node: the one Tab reaches (roving tabindex), outlined, and shown in the details. */
function select(id: string, focus: boolean): void {
  for (const g of canvas.querySelectorAll<SVGGElement>('g.node')) {
    const isIt = g.dataset.id === id
    g.setAttribute('tabindex', isIt ? '0' : '-1')
    g.classList.toggle('selected', isIt)
    g.setAttribute('aria-pressed', String(isIt))
  }
  for (const path of canvas.querySelectorAll<SVGPathElement>('path.edge')) path.classList.toggle('near', path.dataset.from === id || path.dataset.to === id)
  if (state.selected !== id) {
    state = { ...state, selected: id }
    host.saveState(state)
  }
  const element = nodeElement(id)
  if (focus && element) {
    element.focus()
    element.scrollIntoView?.({ block: 'nearest', inline: 'nearest' })
  }
  showDetails(id)
}

function openDefault(id: string): void {
  const node = nodeById(id)
  const [first] = node ? targets(node) : []
  if (node && first) host.post({ type: 'open', id: node.id, target: first })
}

const BUTTON_LABELS: Record<OpenTarget, string> = { query: 'Query', history: 'History', definition: 'Definition' }
const BUTTON_TITLES: Record<OpenTarget, string> = {
  query: 'Open the table in a query panel',
  history: "Show the table's commits",
  definition: 'Open where it is defined, at its line',
}

function showDetails(id: string): void {
  const node = nodeById(id)
  if (!node) {
    replaceChildren(details)
    return
  }
  const facts: [string, string][] = [['Kind', KIND_NAMES[node.kind]]]
  if (stateText(node)) facts.push(['State', stateText(node)])
  if (node.table) facts.push(['Table', node.table])
  if (node.exists) facts.push(['Version', String(node.version ?? 0)], ['Rows', formatCount(node.rows ?? 0)])
  if (node.lastCommit !== undefined) facts.push(['Last commit', formatTime(node.lastCommit)])
  if (node.lastRefresh !== undefined) facts.push(['Last refresh', formatTime(node.lastRefresh)])
  if (node.refresh) facts.push(['Refresh', node.refresh])
  if (node.definedIn) facts.push(['Defined in', node.definedIn])
  const buttons = targets(node).map((target) => {
    const button = h('vscode-button', { secondary: target !== targets(node)[0], title: BUTTON_TITLES[target], 'data-target': target }, BUTTON_LABELS[target])
    button.addEventListener('click', () => host.post({ type: 'open', id: node.id, target }))
    return button
  })
  replaceChildren(
    details,
    h('h2', null, node.label),
    h(
      'dl',
      null,
      facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
    ),
    node.error ? h('pre', { class: 'error node-error' }, node.error) : null,
    node.expectations?.length
      ? h(
          'table',
          { class: 'data expectations', 'aria-label': 'Expectations of the last refresh' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'Expectation'),
              h('th', { scope: 'col', class: 'num' }, 'Passed'),
              h('th', { scope: 'col', class: 'num' }, 'Failed'),
            ),
          ),
          h(
            'tbody',
            null,
            node.expectations.map((e) =>
              h(
                'tr',
                null,
                h(
                  'td',
                  null,
                  e.name,
                  h('div', { class: 'muted' }, e.onViolation === 'drop' ? 'drop row' : e.onViolation === 'fail' ? 'fail update' : 'keep (count)'),
                ),
                h('td', { class: 'num' }, formatCount(e.passed)),
                h('td', { class: 'num' }, `${formatCount(e.failed)}${e.onViolation === 'drop' ? ' dropped' : ''}`),
              ),
            ),
          ),
        )
      : null,
    buttons.length ? h('div', { class: 'toolbar actions' }, buttons) : null,
  )
}

/** Arrow keys walk the graph: right and left along edges, up and down within a layer. */
function onKey(event: KeyboardEvent, id: string): void {
  if (!graph || !layout) return
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault()
    if (event.key === 'Enter') openDefault(id)
    else select(id, true)
    return
  }
  const at = layout.positions.get(id)
  if (!at) return
  let target: string | undefined
  const closest = (ids: string[]) => ids.map((n) => ({ n, p: layout!.positions.get(n)! })).sort((a, b) => Math.abs(a.p.y - at.y) - Math.abs(b.p.y - at.y))[0]?.n
  switch (event.key) {
    case 'ArrowRight':
      target = closest(graph.edges.filter((e) => e.from === id).map((e) => e.to)) ?? layout.layers[at.layer + 1]?.[0]
      break
    case 'ArrowLeft':
      target = closest(graph.edges.filter((e) => e.to === id).map((e) => e.from)) ?? layout.layers[at.layer - 1]?.[0]
      break
    case 'ArrowDown':
      target = layout.layers[at.layer][at.order + 1]
      break
    case 'ArrowUp':
      target = layout.layers[at.layer][at.order - 1]
      break
    case 'Home':
      target = layout.layers[0]?.[0]
      break
    case 'End':
      target = layout.layers.at(-1)?.[0]
      break
    default:
      return
  }
  event.preventDefault()
  if (target) select(target, true)
}

function showSummary(): void {
  if (!graph) return
  const counts = new Map<string, number>()
  for (const node of graph.nodes) if (node.state) counts.set(node.state, (counts.get(node.state) ?? 0) + 1)
  const order = ['failed', 'running', 'up to date', 'stopped', 'not started']
  const parts = order.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`)
  summary.textContent = `${graph.nodes.length} nodes${parts.length ? ` · ${parts.join(' · ')}` : ''}`
}

host.listen((message) => {
  switch (message.type) {
    case 'graph':
      error.hidden = true
      graph = message
      title.textContent = `Pipeline graph: ${message.pipeline}`
      problem.hidden = !message.problem
      problem.textContent = message.problem ?? ''
      state = { ...state, restore: message.restore }
      host.saveState(state)
      showSummary()
      render()
      app.setAttribute('aria-busy', 'false')
      return
    case 'error':
      error.hidden = false
      error.textContent = message.message
      app.setAttribute('aria-busy', 'false')
      return
  }
})

host.post({ type: 'ready' })
