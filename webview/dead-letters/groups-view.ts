/**
 * The left side of the Dead Letters panel: letters grouped by source and reason, with how many
 * are in the chosen state and open, and over time: a bar per hour of their messages' time (the
 * open part marked), and for the chosen group the hours as a table.
 */
import { h, svg } from '../shared/dom'
import { formatCount } from '../shared/format'
import type { LetterGroupInfo, LetterHourInfo, LetterStateFilter } from '../shared/protocol'

export interface GroupRow {
  source: string
  reason: string
  /** Letters in the chosen state (all states for 'all'). */
  letters: number
  open: number
  firstMessage: string | null
  lastMessage: string | null
}

/** One row per source and reason, counting the letters in `state`; groups without any are left out (but for 'open', where a fixed reason shows 0). */
export function groupRows(groups: LetterGroupInfo[], state: LetterStateFilter): GroupRow[] {
  const rows = new Map<string, GroupRow>()
  for (const g of groups) {
    const key = JSON.stringify([g.source, g.reason])
    const row = rows.get(key) ?? { source: g.source, reason: g.reason, letters: 0, open: 0, firstMessage: null, lastMessage: null }
    if (state === 'all' || g.state === state) row.letters += g.letters
    if (g.state === 'open') row.open += g.letters
    if (g.firstMessage && (!row.firstMessage || g.firstMessage < row.firstMessage)) row.firstMessage = g.firstMessage
    if (g.lastMessage && (!row.lastMessage || g.lastMessage > row.lastMessage)) row.lastMessage = g.lastMessage
    rows.set(key, row)
  }
  return [...rows.values()].filter((r) => r.letters > 0).sort((a, b) => a.source.localeCompare(b.source) || a.reason.localeCompare(b.reason))
}

export function hoursOf(hours: LetterHourInfo[], source: string, reason: string): LetterHourInfo[] {
  return hours.filter((h) => h.source === source && h.reason === reason)
}

const BAR = 6
const HEIGHT = 18

/** A bar per hour (oldest left), height by letters, the open part filled; each bar says its hour and counts. */
export function sparkline(hours: LetterHourInfo[]): SVGSVGElement {
  const max = Math.max(1, ...hours.map((h) => h.letters))
  const shown = hours.slice(-40)
  const label = shown.map((h) => `${h.hour}: ${h.letters} (${h.open} open)`).join('; ')
  return svg(
    'svg',
    {
      class: 'sparkline',
      width: shown.length * BAR,
      height: HEIGHT,
      viewBox: `0 0 ${shown.length * BAR} ${HEIGHT}`,
      role: 'img',
      'aria-label': `Letters per hour: ${label}`,
    },
    shown.map((h, i) => {
      const total = Math.max(1, Math.round((h.letters / max) * HEIGHT))
      const open = Math.round((h.open / max) * HEIGHT)
      return svg(
        'g',
        null,
        svg('title', null, `${h.hour}: ${formatCount(h.letters)} letter${h.letters === 1 ? '' : 's'}, ${formatCount(h.open)} open`),
        svg('rect', { class: 'all', x: i * BAR, y: HEIGHT - total, width: BAR - 1, height: total }),
        open > 0 ? svg('rect', { class: 'open', x: i * BAR, y: HEIGHT - open, width: BAR - 1, height: open }) : null,
      )
    }),
  )
}

/** The hours of one group as a table: hour, letters, open. */
export function hoursTable(hours: LetterHourInfo[]): HTMLElement {
  return h(
    'table',
    { class: 'data hours', 'aria-label': "Letters per hour of their messages' time" },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Hour (UTC)'),
        h('th', { scope: 'col', class: 'num' }, 'Letters'),
        h('th', { scope: 'col', class: 'num' }, 'Open'),
      ),
    ),
    h(
      'tbody',
      null,
      hours.map((x) => h('tr', null, h('td', null, x.hour), h('td', { class: 'num' }, formatCount(x.letters)), h('td', { class: 'num' }, formatCount(x.open)))),
    ),
  )
}
