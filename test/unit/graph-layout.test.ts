/** The Pipeline Graph's layered layout: layers by longest path, fewer crossings, and a cycle never hangs it. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assignLayers, layeredLayout, orderLayers } from '../../webview/graph/layout'

const SIZES = { nodeWidth: 100, nodeHeight: 40, gapX: 20, gapY: 10, margin: 5 }

test('a node sits one layer right of the furthest node that feeds it', () => {
  // source → raw → flow → refined → view, and the view also reads raw directly.
  const edges = [
    { from: 'source', to: 'raw' },
    { from: 'raw', to: 'flow' },
    { from: 'flow', to: 'refined' },
    { from: 'refined', to: 'view' },
    { from: 'raw', to: 'view' },
    { from: 'view', to: 'view2' },
  ]
  const layers = assignLayers(['view2', 'view', 'refined', 'flow', 'raw', 'source', 'lonely'], edges)
  assert.deepEqual(Object.fromEntries(layers), { source: 0, raw: 1, flow: 2, refined: 3, view: 4, view2: 5, lonely: 0 })
})

test('ordering by barycenters removes a crossing of two parallel chains', () => {
  const edges = [
    { from: 'a', to: 'x' },
    { from: 'b', to: 'y' },
  ]
  assert.deepEqual(
    orderLayers(
      [
        ['a', 'b'],
        ['y', 'x'],
      ],
      edges,
    ),
    [
      ['a', 'b'],
      ['x', 'y'],
    ],
  )
})

test('positions: columns left to right, a short column centred, the size covers every node', () => {
  const layout = layeredLayout(
    ['a', 'b', 'c'],
    [
      { from: 'a', to: 'c' },
      { from: 'b', to: 'c' },
    ],
    SIZES,
  )
  const [a, b, c] = ['a', 'b', 'c'].map((id) => layout.positions.get(id)!)
  assert.equal(a.x, 5)
  assert.equal(c.x, 5 + 100 + 20)
  assert.equal(b.y - a.y, 50)
  assert.equal(c.y, (a.y + b.y) / 2)
  assert.equal(layout.width, 2 * 100 + 20 + 10)
  assert.equal(layout.height, 2 * 40 + 10 + 10)
})

test('a cycle (never in a valid pipeline) still gets a layout; edges to unknown nodes are ignored', () => {
  const layout = layeredLayout(
    ['a', 'b'],
    [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
      { from: 'a', to: 'ghost' },
    ],
    SIZES,
  )
  assert.equal(layout.positions.size, 2)
  assert.notEqual(layout.positions.get('a')!.layer, layout.positions.get('b')!.layer)
  assert.deepEqual(layeredLayout([], [], SIZES).layers, [])
})
