/**
 * The lineage of a row, shown under a grid ("Show source"): each traced row, then its raw rows in
 * order, one per line, with the message's topic/partition/offset as a button that opens it in the
 * topic panel. Everything is text (dom.ts); the pane is a labelled region that takes focus when it
 * opens, and Escape closes it and returns focus where it was.
 */
import './source-pane.css'
import { h, replaceChildren } from './dom'
import type { OpenMessageRequest, SourceAnswer, SourceOrigin } from './source-protocol'

export interface SourcePane {
  readonly element: HTMLElement
  loading(what: string): void
  show(answer: SourceAnswer): void
  failed(message: string): void
  close(): void
}

export function createSourcePane(open: (message: OpenMessageRequest) => void): SourcePane {
  const heading = h('h2', { id: 'source-heading' }, 'Source')
  const body = h('div', { class: 'source-body' })
  const closeButton = h('button', { type: 'button', class: 'link source-close', 'aria-label': 'Close the source' }, '×')
  const element = h(
    'section',
    { id: 'source', class: 'source-pane', role: 'region', 'aria-labelledby': 'source-heading', tabindex: -1, hidden: true },
    h('div', { class: 'source-title' }, heading, closeButton),
    body,
  )
  let returnTo: Element | null = null
  const close = () => {
    element.hidden = true
    if (returnTo instanceof HTMLElement) returnTo.focus({ preventScroll: true })
  }
  closeButton.addEventListener('click', close)
  element.addEventListener('keydown', (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return
    event.preventDefault()
    event.stopPropagation()
    close()
  })
  const reveal = () => {
    if (element.hidden) returnTo = document.activeElement
    element.hidden = false
  }
  return {
    element,
    close,
    loading(what) {
      reveal()
      heading.textContent = `Source of ${what}`
      replaceChildren(body, h('p', { class: 'muted', role: 'status' }, 'Tracing…'))
    },
    failed(message) {
      reveal()
      replaceChildren(body, h('p', { class: 'error', role: 'alert' }, message))
    },
    show(answer) {
      reveal()
      heading.textContent = `Source: ${answer.table}`
      replaceChildren(
        body,
        answer.note ? h('p', { class: 'muted source-note' }, answer.note) : null,
        answer.rows.length === 0 && !answer.note ? h('p', { class: 'muted' }, 'No row matched.') : null,
        answer.rows.map((row) =>
          h(
            'section',
            { class: 'source-row' },
            h('h3', null, row.label),
            row.via ? h('p', { class: 'muted' }, `through ${row.via}`) : null,
            row.note ? h('p', { class: 'muted source-note' }, row.note) : null,
            row.origins.length === 0
              ? h('p', { class: 'muted' }, 'No raw row found.')
              : h(
                  'ol',
                  { class: 'source-origins' },
                  row.origins.map((o) => originItem(o, open)),
                ),
          ),
        ),
      )
      element.focus({ preventScroll: true })
      element.scrollIntoView({ block: 'nearest' })
    },
  }
}

function originItem(origin: SourceOrigin, open: (message: OpenMessageRequest) => void): HTMLElement {
  const at = origin.topic === null || origin.partition === null || origin.offset === null ? undefined : `${origin.topic}/${origin.partition}/${origin.offset}`
  let message: HTMLElement
  if (at) {
    message = h('button', { type: 'button', class: 'link source-message', title: `Open ${at} in the topic panel` }, at)
    message.addEventListener('click', () =>
      open({ type: 'openMessage', rawTable: origin.rawTable, topic: origin.topic!, partition: origin.partition!, offset: origin.offset! }),
    )
  } else {
    message = h('span', { class: 'muted' }, 'no Kafka coordinates')
  }
  const change =
    origin.change === 'insert'
      ? ''
      : ` · ${origin.change}${origin.sequence === null ? '' : ` @ ${origin.sequence}`}${origin.applied ? '' : ' (superseded in its batch)'}`
  return h(
    'li',
    { class: `source-origin${origin.applied ? '' : ' superseded'}`, 'data-offset': origin.offset ?? '' },
    message,
    h(
      'span',
      { class: 'source-detail' },
      ` ${origin.rawTable} v${origin.rawVersion} · key ${origin.key ?? 'NULL'} · ${origin.timestamp ?? '-'}${change} → ${origin.table} v${origin.refinedVersion}`,
    ),
  )
}
