/**
 * The history panel: a table's commits, newest first, with operation, parameters, metrics and the
 * files each added and removed. From a version: query the table as of it, or see its changes
 * (against its parent, or between two versions picked with the checkboxes).
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js'
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-checkbox/index.js'
import '../shared/base.css'
import './history.css'
import { byId, h, replaceChildren } from '../shared/dom'
import { formatCount, formatTime, valueText } from '../shared/format'
import { connectToHost } from '../shared/host'
import { historyToPanel, type HistoryEntry, type HistoryToHost, type HistoryToPanel } from '../shared/protocol'
import { array, count, jsonValue, object, optional, record, type Infer } from '../shared/validate'

const savedState = object({ restore: optional(record(jsonValue)), selected: optional(array(count)), expanded: optional(array(count)) })
type SavedState = Infer<typeof savedState>

const host = connectToHost<HistoryToHost, HistoryToPanel, SavedState>('history', historyToPanel, savedState, { replay: ['history'] })
const app = byId('app')
let state: SavedState = host.savedState ?? {}
const selected = new Set(state.selected ?? [])
const expanded = new Set(state.expanded ?? [])
let entries: HistoryEntry[] = []

const title = h('h1', { id: 'title' }, 'History')
const summary = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite' })
const refresh = h('vscode-button', { secondary: true, title: 'Read the log again' }, 'Refresh') as HTMLElement & { disabled: boolean }
const compare = h(
  'vscode-button',
  { id: 'compare', title: 'Show the changes between the two versions ticked below' },
  'Changes between selected',
) as HTMLElement & { disabled: boolean }
const error = h('div', { class: 'error', role: 'alert', hidden: true })
const body = h('tbody')
const table = h(
  'table',
  { class: 'data history', 'aria-label': 'Commits, newest first' },
  h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Select')),
      h('th', { scope: 'col', class: 'num' }, 'Version'),
      h('th', { scope: 'col' }, 'Timestamp'),
      h('th', { scope: 'col' }, 'Operation'),
      h('th', { scope: 'col' }, 'Parameters'),
      h('th', { scope: 'col' }, 'Metrics'),
      h('th', { scope: 'col', class: 'num' }, 'Files'),
      h('th', { scope: 'col' }, 'Open'),
    ),
  ),
  body,
)
app.append(h('header', { class: 'toolbar' }, title, summary, h('span', { class: 'spacer' }), compare, refresh), error, h('div', { class: 'scroll' }, table))

const save = () => {
  state = { ...state, selected: [...selected], expanded: [...expanded] }
  host.saveState(state)
}

/**
 * A commit's parameter or metric as written, decoded: Delta keeps them as text, and a parameter
 * that is JSON (a predicate list `["id = 2"]`, partition columns, properties) is shown as its
 * value rather than as escaped JSON inside JSON.
 */
function decoded(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\s*[[{"]/.test(value)) return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

/** One value on a line: a list of predicates joined by AND, other JSON compact. */
function shown(value: unknown): string {
  const v = decoded(value)
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length ? v.join(' AND ') : '[]'
  return valueText(v as never)
}

/** `key: value` pairs, all of them (the cell wraps). */
function pairs(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}: ${shown(v)}`)
    .join(', ')
}

/** The parameters or metrics as JSON with their JSON-text values decoded. */
function decodedJson(values: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, decoded(v)])), null, 2)
}

function filesCell(entry: HistoryEntry): HTMLElement {
  const added = entry.actionCounts.add ?? 0
  const removed = entry.actionCounts.remove ?? 0
  const label = `${added} file${added === 1 ? '' : 's'} added, ${removed} removed`
  return h(
    'td',
    { class: 'num files', 'aria-label': label, title: label },
    h('span', { class: 'added' }, `+${formatCount(added)}`),
    ' ',
    h('span', { class: 'removed' }, `−${formatCount(removed)}`),
  )
}

function actionButton(label: string, title: string, message: HistoryToHost): HTMLElement {
  const button = h('button', { class: 'link', type: 'button', title }, label)
  button.addEventListener('click', () => host.post(message))
  return button
}

function detailsButton(version: number, isOpen: boolean): HTMLElement {
  const button = h(
    'button',
    {
      class: 'link details-toggle',
      type: 'button',
      'aria-expanded': String(isOpen),
      'aria-controls': `details-${version}`,
      title: 'All parameters and metrics, decoded',
    },
    isOpen ? 'Hide details' : 'Details',
  )
  button.addEventListener('click', () => toggleDetails(version, 'button.details-toggle'))
  return button
}

function toggleDetails(version: number, focusSelector: string): void {
  if (expanded.has(version)) expanded.delete(version)
  else expanded.add(version)
  save()
  render()
  body.querySelector<HTMLElement>(`tr[data-version="${version}"] ${focusSelector}`)?.focus()
}

function detailsRow(entry: HistoryEntry): HTMLElement {
  const facts: [string, string][] = [
    ['Operation', entry.operation],
    ['Committed', formatTime(entry.timestamp)],
    ...(entry.readVersion !== undefined ? [['Read version', String(entry.readVersion)] as [string, string]] : []),
    ...(entry.isBlindAppend !== undefined ? [['Blind append', String(entry.isBlindAppend)] as [string, string]] : []),
    ...(entry.engineInfo ? [['Engine', entry.engineInfo] as [string, string]] : []),
    ['Actions', pairs(entry.actionCounts)],
  ]
  return h(
    'tr',
    { class: 'details', id: `details-${entry.version}` },
    h('td'),
    h(
      'td',
      { colspan: 7 },
      h(
        'dl',
        null,
        facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      ),
      h(
        'div',
        { class: 'json-columns' },
        h('section', null, h('h3', null, 'Parameters'), h('pre', null, decodedJson(entry.operationParameters))),
        h('section', null, h('h3', null, 'Metrics'), h('pre', null, decodedJson(entry.operationMetrics))),
      ),
    ),
  )
}

function render(): void {
  const rows: HTMLElement[] = []
  for (const entry of entries) {
    const v = entry.version
    const isOpen = expanded.has(v)
    // The checkbox's inner input takes its name from the slotted text: a hidden label, not aria-label.
    const checkbox = h('vscode-checkbox', { checked: selected.has(v) }, h('span', { class: 'visually-hidden' }, `Select version ${v}`)) as HTMLElement & {
      checked: boolean
    }
    checkbox.addEventListener('change', () => {
      if (checkbox.checked) selected.add(v)
      else selected.delete(v)
      save()
      updateCompare()
    })
    const toggle = h(
      'button',
      { class: 'link version', type: 'button', 'aria-expanded': String(isOpen), 'aria-controls': `details-${v}`, title: 'Show all parameters and metrics' },
      String(v),
    )
    toggle.addEventListener('click', () => toggleDetails(v, 'button.version'))
    rows.push(
      h(
        'tr',
        { 'data-version': v, class: selected.has(v) ? 'selected' : '' },
        h('td', null, checkbox),
        h('td', { class: 'num' }, toggle),
        h('td', null, formatTime(entry.timestamp)),
        h('td', null, h('vscode-badge', { variant: 'default' }, entry.operation)),
        h('td', null, h('div', { class: 'pairs' }, pairs(entry.operationParameters))),
        h('td', null, h('div', { class: 'pairs' }, pairs(entry.operationMetrics))),
        filesCell(entry),
        h(
          'td',
          { class: 'actions' },
          detailsButton(v, isOpen),
          ' · ',
          actionButton('Query', `SELECT * FROM the table VERSION AS OF ${v}`, { type: 'queryVersion', version: v }),
          ' · ',
          actionButton('Changes', v === 0 ? 'The rows version 0 inserted' : `Changes of version ${v} against version ${v - 1}`, {
            type: 'showChanges',
            from: v,
            to: v,
          }),
        ),
      ),
    )
    if (isOpen) rows.push(detailsRow(entry))
  }
  replaceChildren(body, rows)
  updateCompare()
}

function updateCompare(): void {
  const versions = [...selected].filter((v) => entries.some((e) => e.version === v))
  compare.disabled = versions.length !== 2
  for (const row of body.querySelectorAll<HTMLElement>('tr[data-version]')) row.classList.toggle('selected', selected.has(Number(row.dataset.version)))
}

compare.addEventListener('click', () => {
  const versions = [...selected].filter((v) => entries.some((e) => e.version === v)).sort((a, b) => a - b)
  if (versions.length === 2) host.post({ type: 'showChanges', from: versions[0], to: versions[1] })
})
refresh.addEventListener('click', () => host.post({ type: 'refresh' }))

host.listen((message) => {
  switch (message.type) {
    case 'history':
      error.hidden = true
      entries = message.entries
      title.textContent = `History of ${message.table}`
      summary.textContent = entries.length
        ? `${formatCount(entries.length)} commit${entries.length === 1 ? '' : 's'}, latest version ${entries[0].version}`
        : 'no commits'
      state = { ...state, restore: message.restore }
      save()
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
