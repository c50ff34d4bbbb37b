/**
 * A layered left-to-right layout for a pipeline graph (a DAG of a few dozen nodes): each node's
 * layer is its longest path from a node nothing feeds (sources left, views right), and the
 * nodes of a layer are ordered to cross fewer edges (a few sweeps of the barycenter heuristic,
 * as Sugiyama-style layouts do). Plain functions over ids, no DOM: unit-testable and small
 * enough that a layout library would not earn its place.
 */

export interface LayoutEdge {
  from: string
  to: string
}

export interface Placed {
  layer: number
  /** Position in its layer, from the top. */
  order: number
  x: number
  y: number
}

export interface Layout {
  positions: Map<string, Placed>
  /** Node ids per layer, top to bottom. */
  layers: string[][]
  width: number
  height: number
}

export interface LayoutSizes {
  nodeWidth: number
  nodeHeight: number
  gapX: number
  gapY: number
  margin: number
}

/** Longest path from a node without inputs; a node in a cycle (never in a valid pipeline) goes after what it has seen. */
export function assignLayers(ids: string[], edges: LayoutEdge[]): Map<string, number> {
  const known = new Set(ids)
  const inputs = new Map(ids.map((id) => [id, 0]))
  const next = new Map<string, string[]>(ids.map((id) => [id, []]))
  for (const e of edges) {
    if (!known.has(e.from) || !known.has(e.to) || e.from === e.to) continue
    next.get(e.from)!.push(e.to)
    inputs.set(e.to, inputs.get(e.to)! + 1)
  }
  const layer = new Map(ids.map((id) => [id, 0]))
  const queue = ids.filter((id) => inputs.get(id) === 0)
  const done = new Set<string>()
  while (done.size < ids.length) {
    if (queue.length === 0) {
      // A cycle: take the first node left as if its remaining inputs were met.
      const stuck = ids.find((id) => !done.has(id))!
      queue.push(stuck)
      inputs.set(stuck, 0)
    }
    const id = queue.shift()!
    if (done.has(id)) continue
    done.add(id)
    for (const to of next.get(id)!) {
      if (done.has(to)) continue
      layer.set(to, Math.max(layer.get(to)!, layer.get(id)! + 1))
      inputs.set(to, inputs.get(to)! - 1)
      if (inputs.get(to) === 0) queue.push(to)
    }
  }
  return layer
}

/** Orders each layer by the mean position of its neighbours in the layer before (then after), a few times. */
export function orderLayers(layers: string[][], edges: LayoutEdge[], sweeps = 4): string[][] {
  const ordered = layers.map((l) => [...l])
  const up = new Map<string, string[]>()
  const down = new Map<string, string[]>()
  for (const e of edges) {
    up.set(e.to, [...(up.get(e.to) ?? []), e.from])
    down.set(e.from, [...(down.get(e.from) ?? []), e.to])
  }
  const sortBy = (layer: string[], neighbours: Map<string, string[]>, reference: string[]) => {
    const at = new Map(reference.map((id, i) => [id, i]))
    const keyed = layer.map((id, i) => {
      const places = (neighbours.get(id) ?? []).map((n) => at.get(n)).filter((p): p is number => p !== undefined)
      return { id, key: places.length ? places.reduce((a, b) => a + b, 0) / places.length : i, i }
    })
    keyed.sort((a, b) => a.key - b.key || a.i - b.i)
    return keyed.map((k) => k.id)
  }
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (let i = 1; i < ordered.length; i++) ordered[i] = sortBy(ordered[i], up, ordered[i - 1])
    for (let i = ordered.length - 2; i >= 0; i--) ordered[i] = sortBy(ordered[i], down, ordered[i + 1])
  }
  return ordered
}

export function layeredLayout(ids: string[], edges: LayoutEdge[], sizes: LayoutSizes): Layout {
  const layerOf = assignLayers(ids, edges)
  const count = Math.max(0, ...layerOf.values()) + (ids.length ? 1 : 0)
  const layers: string[][] = Array.from({ length: count }, () => [])
  for (const id of ids) layers[layerOf.get(id)!].push(id)
  const ordered = orderLayers(layers, edges)
  const tallest = Math.max(0, ...ordered.map((l) => l.length))
  const columnHeight = (n: number) => n * sizes.nodeHeight + Math.max(0, n - 1) * sizes.gapY
  const height = columnHeight(tallest) + 2 * sizes.margin
  const positions = new Map<string, Placed>()
  ordered.forEach((layer, l) => {
    // Each column centred vertically: a short column sits in the middle of a tall one.
    const top = sizes.margin + (columnHeight(tallest) - columnHeight(layer.length)) / 2
    layer.forEach((id, order) =>
      positions.set(id, {
        layer: l,
        order,
        x: sizes.margin + l * (sizes.nodeWidth + sizes.gapX),
        y: top + order * (sizes.nodeHeight + sizes.gapY),
      }),
    )
  })
  const width = count * sizes.nodeWidth + Math.max(0, count - 1) * sizes.gapX + 2 * sizes.margin
  return { positions, layers: ordered, width, height }
}
