/**
 * A bar or line chart of one numeric column against a label column, for small (aggregate)
 * results: plain SVG built with DOM calls, coloured by the theme (currentColor and VS Code's
 * chart colours), every label set as text.
 */
import { svg } from '../shared/dom'

export type ChartKind = 'bar' | 'line'

export interface ChartData {
  labels: string[]
  values: (number | null)[]
  valueName: string
  labelName: string
}

const WIDTH = 720
const HEIGHT = 260
const MARGIN = { top: 16, right: 16, bottom: 56, left: 72 }

/** Numbers as the chart reads them: numbers, and numeric text (decimals and big integers arrive as text). */
export function chartNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value)) return Number(value)
  return null
}

export function renderChart(data: ChartData, kind: ChartKind): SVGSVGElement {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom
  const numbers = data.values.filter((v): v is number => v !== null)
  const max = Math.max(0, ...numbers)
  const min = Math.min(0, ...numbers)
  const span = max - min || 1
  const y = (v: number) => MARGIN.top + plotHeight - ((v - min) / span) * plotHeight
  const n = Math.max(1, data.labels.length)
  const step = plotWidth / n
  const x = (i: number) => MARGIN.left + step * i + step / 2

  const root = svg('svg', {
    class: 'chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': `${kind === 'bar' ? 'Bar' : 'Line'} chart of ${data.valueName} by ${data.labelName}`,
  })
  // Axes and three gridlines with their values.
  for (const fraction of [0, 0.5, 1]) {
    const value = min + span * fraction
    root.append(
      svg('line', { class: 'chart-grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }),
      svg('text', { class: 'chart-tick', x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, formatTick(value)),
    )
  }
  root.append(svg('line', { class: 'chart-axis', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(0), y2: y(0) }))

  if (kind === 'bar') {
    data.values.forEach((value, i) => {
      if (value === null) return
      const top = y(Math.max(0, value))
      const bar = svg('rect', { class: 'chart-bar', x: x(i) - step * 0.35, width: step * 0.7, y: top, height: Math.max(1, Math.abs(y(value) - y(0))) })
      bar.append(svg('title', null, `${data.labels[i]}: ${value}`))
      root.append(bar)
    })
  } else {
    const points = data.values.map((value, i) => (value === null ? null : `${x(i)},${y(value)}`)).filter((p): p is string => p !== null)
    root.append(svg('polyline', { class: 'chart-line', points: points.join(' '), fill: 'none' }))
    data.values.forEach((value, i) => {
      if (value === null) return
      const dot = svg('circle', { class: 'chart-dot', cx: x(i), cy: y(value), r: 3 })
      dot.append(svg('title', null, `${data.labels[i]}: ${value}`))
      root.append(dot)
    })
  }

  // Category labels: every one when they fit, else every k-th.
  const every = Math.ceil(n / Math.max(1, Math.floor(plotWidth / 48)))
  data.labels.forEach((label, i) => {
    if (i % every !== 0) return
    const text = label.length > 14 ? `${label.slice(0, 13)}…` : label
    root.append(svg('text', { class: 'chart-label', x: x(i), y: HEIGHT - MARGIN.bottom + 16, 'text-anchor': 'middle' }, text))
  })
  return root
}

function formatTick(value: number): string {
  const abs = Math.abs(value)
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`
  return Number.isInteger(value) ? String(value) : value.toFixed(2)
}
