/**
 * The tabs of a script's run ("Run file"): one per statement, saying what it gave (rows, what its
 * write committed, the error that stopped the script, or that it did not run), and under them the
 * chosen statement's text and where it starts. A WAI-ARIA tab list: one tab stop, arrows move.
 */
import { h, replaceChildren } from '../shared/dom'
import { formatCount } from '../shared/format'
import type { StatementOutcome } from '../shared/protocol'

export interface StatementTabs {
  root: HTMLElement
  show(statements: StatementOutcome[], active: number): void
  clear(): void
}

/** "7:3" as "line 7, column 3". */
export function positionText(position: string): string {
  const [line, column] = position.split(':')
  return column === undefined ? position : `line ${line}, column ${column}`
}

/** What a statement gave, in a few words: its write, its rows, its error, or that it did not run. */
export function outcomeText(outcome: StatementOutcome): string {
  if (outcome.error !== undefined) return outcome.error === 'cancelled' ? 'cancelled' : 'failed'
  const info = outcome.info
  if (!info) return 'not run'
  const write = info.writes?.at(-1)
  if (write) return `${write.operation}${write.version === undefined ? '' : ` → v${write.version}`}`
  return `${formatCount(info.rowCount)} row${info.rowCount === 1 ? '' : 's'}`
}

/** The statement's start, on one line and short enough for a tab. */
function tabLabel(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 40 ? `${line.slice(0, 39)}…` : line
}

export function buildStatementTabs(onSelect: (index: number) => void): StatementTabs {
  const list = h('div', { class: 'statement-tabs', role: 'tablist', 'aria-label': 'Statements run' })
  const text = h('pre', { class: 'statement-text', id: 'statement-text', role: 'tabpanel' })
  const where = h('div', { class: 'statement-where muted' })
  const root = h('section', { id: 'statements', class: 'statements', hidden: true, 'aria-label': 'Statements' }, list, where, text)
  let tabs: HTMLElement[] = []

  const select = (index: number, focus: boolean) => {
    if (!tabs[index] || tabs[index].getAttribute('aria-disabled') === 'true') return
    onSelect(index)
    if (focus) tabs[index].focus()
  }

  list.addEventListener('keydown', (event: KeyboardEvent) => {
    const current = tabs.findIndex((t) => t.getAttribute('aria-selected') === 'true')
    const enabled = tabs.map((t, i) => (t.getAttribute('aria-disabled') === 'true' ? -1 : i)).filter((i) => i >= 0)
    const at = enabled.indexOf(current)
    const next =
      event.key === 'ArrowRight'
        ? enabled[Math.min(enabled.length - 1, at + 1)]
        : event.key === 'ArrowLeft'
          ? enabled[Math.max(0, at - 1)]
          : event.key === 'Home'
            ? enabled[0]
            : event.key === 'End'
              ? enabled.at(-1)
              : undefined
    if (next === undefined) return
    event.preventDefault()
    select(next, true)
  })

  return {
    root,
    show(statements, active) {
      tabs = statements.map((outcome, index) => {
        const state = outcome.error !== undefined ? 'failed' : outcome.info ? 'done' : 'not-run'
        const selected = index === active
        const tab = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: `statement-tab ${state}`,
            id: `statement-tab-${index}`,
            'aria-selected': String(selected),
            'aria-controls': 'statement-text',
            tabindex: selected ? 0 : -1,
            'aria-disabled': state === 'not-run' ? 'true' : undefined,
            title: outcome.text,
          },
          h('span', { class: 'statement-number' }, `${index + 1}`),
          h('span', { class: 'statement-label' }, tabLabel(outcome.text)),
          h('span', { class: 'statement-outcome' }, outcomeText(outcome)),
        )
        tab.addEventListener('click', () => select(index, false))
        return tab
      })
      replaceChildren(list, tabs)
      const outcome = statements[active]
      text.setAttribute('aria-labelledby', `statement-tab-${active}`)
      text.textContent = outcome?.text ?? ''
      where.textContent = outcome ? `Statement ${active + 1} of ${statements.length}, at ${positionText(outcome.position)}` : ''
      root.hidden = false
    },
    clear() {
      tabs = []
      replaceChildren(list)
      text.textContent = ''
      root.hidden = true
    },
  }
}
