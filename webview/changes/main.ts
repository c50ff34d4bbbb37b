/**
 * The change (CDF diff) panel: a table's change data feed between two versions, a page at a time
 * from the host (a diff of millions of rows is never held here), as inserts, deletes and updates
 * with the pre- and post-image side by side; counts per change type; a key filter; and the
 * operation and metrics of each commit in the range. The choices are kept in the saved state.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js'
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-option/index.js'
import '@vscode-elements/elements/dist/vscode-single-select/index.js'
import '@vscode-elements/elements/dist/vscode-textfield/index.js'
import '../shared/base.css'
import '../shared/grid.css'
import './changes.css'
import { byId, h, replaceChildren } from '../shared/dom'
import { formatCount, formatTime } from '../shared/format'
import { connectToHost } from '../shared/host'
import { rowKeys } from '../shared/row-keys'
import { changesToPanel, type ChangesToHost, type ChangesToPanel, type CommitSummary } from '../shared/protocol'
import { array, count, jsonValue, object, optional, record, string, type Infer } from '../shared/validate'
import { openContextMenu } from '../shared/context-menu'
import { createSourcePane } from '../shared/source-pane'
import { diffTable } from './diff-table'
import { pairChanges, type Change } from './pairing'

/** Change rows per page (the host may add one so an update's images stay together). */
const PAGE_SIZE = 200

const savedState = object({
  restore: optional(record(jsonValue)),
  table: optional(string),
  from: optional(count),
  to: optional(count),
  keyColumn: optional(string),
  keyValue: optional(string),
  /** Where the pages before the one shown start (for Previous), and where the shown one does. */
  pages: optional(array(count)),
  offset: optional(count),
  openCommit: optional(count),
})
type SavedState = Infer<typeof savedState>
type Init = Extract<ChangesToPanel, { type: 'init' }>
type Changes = Extract<ChangesToPanel, { type: 'changes' }>
type Button = HTMLElement & { disabled: boolean }
type Field = HTMLElement & { value: string }

// The last range's choices and page are kept with the state: a panel shown again (VS Code reloads a
// hidden webview's page) shows them at once, and the host's fresh answer replaces them.
const host = connectToHost<ChangesToHost, ChangesToPanel, SavedState>('changes', changesToPanel, savedState, { replay: ['init', 'changes'] })
const app = byId('app')
let state: SavedState = host.savedState ?? {}
let info: Init | undefined
let shown: Changes | undefined
let latestRequest = 0
let nextRequest = 1
let offset = 0
let pages: number[] = []

const save = (patch: Partial<SavedState>) => {
  state = { ...state, ...patch }
  host.saveState(state)
}

const select = (id: string, label: string): Field => h('vscode-single-select', { id, 'aria-label': label }) as Field
const button = (id: string, label: string, title: string, secondary = true): Button =>
  h('vscode-button', { id, title, secondary, 'aria-label': title }, label) as Button

const title = h('h1', { id: 'title' }, 'Changes')
const tableSelect = select('table', 'Table')
const fromSelect = select('from', 'From version')
const toSelect = select('to', 'To version')
const keySelect = select('key-column', 'Key column')
const keyField = h('vscode-textfield', { id: 'key-value', placeholder: 'key value', 'aria-label': 'Show only the rows whose key is (Enter applies)' }) as Field
const apply = button('apply', 'Filter', 'Show only the rows with this key', false)
const clear = button('clear', 'Clear', 'Show every key')
const counts = h('div', { id: 'counts', class: 'badges', role: 'status', 'aria-live': 'polite', 'aria-label': 'Rows per change type' })
const error = h('div', { id: 'error', class: 'error', role: 'alert', hidden: true })
const diff = h('div', { id: 'diff', class: 'scroll diff-scroll' })
const pageStatus = h('span', { id: 'page-status', class: 'status', role: 'status' })
const previous = button('previous', 'Previous', 'The previous page of changes')
const next = button('next', 'Next', 'The next page of changes')
const commits = h('section', { id: 'commits', class: 'commits', 'aria-label': 'Commits in the range' })

app.append(
  h(
    'header',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Choose the table, versions and key' },
    title,
    h('span', { class: 'spacer' }),
    h('label', { class: 'muted', for: 'table' }, 'Table'),
    tableSelect,
    h('label', { class: 'muted', for: 'from' }, 'From'),
    fromSelect,
    h('label', { class: 'muted', for: 'to' }, 'To'),
    toSelect,
  ),
  h(
    'div',
    { class: 'toolbar', role: 'search', 'aria-label': 'Filter by key' },
    h('label', { class: 'muted', for: 'key-column' }, 'Key'),
    keySelect,
    keyField,
    apply,
    clear,
    h('span', { class: 'spacer' }),
    counts,
  ),
  error,
  diff,
  h('div', { class: 'toolbar pager', 'aria-label': 'Pages' }, previous, next, pageStatus),
  commits,
)
previous.disabled = true
next.disabled = true
const sourcePane = createSourcePane((message) => host.post(message))
diff.after(sourcePane.element)

function options(target: Field, items: [string, string][], value: string | undefined): void {
  replaceChildren(
    target,
    items.map(([v, text]) => h('vscode-option', { value: v }, text)),
  )
  // The select picks up its options once they are connected; the value is set after that.
  queueMicrotask(() => {
    if (value !== undefined) target.value = value
  })
}

function showError(message: string | undefined): void {
  error.hidden = message === undefined
  error.textContent = message ?? ''
}

function range(): { from: number; to: number } {
  const a = state.from ?? 0
  const b = state.to ?? a
  return { from: Math.min(a, b), to: Math.max(a, b) }
}

function load(at: number): void {
  offset = at
  const requestId = nextRequest++
  latestRequest = requestId
  const { from, to } = range()
  const keyed =
    state.keyColumn && state.keyValue ? { keyColumn: state.keyColumn, keyValue: state.keyValue } : state.keyColumn ? { keyColumn: state.keyColumn } : {}
  save({ offset: at, pages })
  app.setAttribute('aria-busy', 'true')
  pageStatus.textContent = 'Loading…'
  host.post({ type: 'load', requestId, from, to, ...keyed, offset: at, limit: PAGE_SIZE })
}

function restart(): void {
  pages = []
  load(0)
}

/** `request`: ask the host for the page (not for a kept `init` replayed on reload: the host's own follows). */
function showInit(message: Init, request = true): void {
  info = message
  const restoring = state.table === message.table
  const known = (v: number | undefined) => v !== undefined && message.versions.some((x) => x.version === v)
  const from = restoring && known(state.from) ? state.from! : message.from
  const to = restoring && known(state.to) ? state.to! : message.to
  const keyColumn = restoring && message.columns.some((c) => c.name === state.keyColumn) ? state.keyColumn : message.keyColumn
  const keyValue = restoring ? state.keyValue : undefined
  pages = restoring ? (state.pages ?? []) : []
  save({ table: message.table, from, to, keyColumn, keyValue, restore: message.restore, pages, ...(restoring ? {} : { openCommit: undefined }) })
  title.textContent = `Changes of ${message.table}`
  const versionItems = message.versions.map((v): [string, string] => [String(v.version), `v${v.version} · ${v.operation}`])
  options(
    tableSelect,
    (message.tables ?? [message.table]).map((t) => [t, t]),
    message.table,
  )
  options(fromSelect, versionItems, String(from))
  options(toSelect, versionItems, String(to))
  options(
    keySelect,
    message.columns.map((c) => [c.name, c.name]),
    keyColumn,
  )
  keyField.value = keyValue ?? ''
  if (request) load(restoring ? (state.offset ?? 0) : 0)
  else offset = restoring ? (state.offset ?? 0) : 0
}

function countBadges(message: Changes): HTMLElement[] {
  const c = message.counts
  const badge = (kind: string, sign: string, n: number, label: string) =>
    h(
      'span',
      { class: `count ${kind}`, 'data-kind': kind, 'aria-label': `${formatCount(n)} ${label}` },
      h('span', { class: 'sign', 'aria-hidden': 'true' }, sign),
      h('vscode-badge', { variant: 'counter' }, formatCount(n)),
      ` ${label}`,
    )
  return [
    badge('insert', '+', c.insert, c.insert === 1 ? 'insert' : 'inserts'),
    badge('delete', '−', c.delete, c.delete === 1 ? 'delete' : 'deletes'),
    badge('update', '~', c.update_postimage, c.update_postimage === 1 ? 'update' : 'updates'),
  ]
}

function showChanges(message: Changes): void {
  shown = message
  showError(undefined)
  const keyIndex = message.columns.findIndex((c) => c.name === state.keyColumn)
  const changes = pairChanges(message.rows, keyIndex)
  shownChanges = changes
  replaceChildren(counts, countBadges(message))
  if (changes.length === 0) {
    replaceChildren(
      diff,
      h(
        'p',
        { class: 'muted empty-diff' },
        state.keyValue ? `No changes of ${state.keyColumn} = ${state.keyValue} in this range.` : 'No changes in this range.',
      ),
    )
  } else {
    const table = diffTable(message.columns, changes, keyIndex, openCommit)
    replaceChildren(diff, table)
    const first = table.querySelector<HTMLElement>('tbody tr')
    if (first) first.tabIndex = 0
  }
  const total = message.total ?? message.rows.length
  const start = message.offset ?? 0
  pageStatus.textContent = message.rows.length
    ? `Rows ${formatCount(start + 1)}–${formatCount(start + message.rows.length)} of ${formatCount(total)} (${formatCount(changes.length)} change${changes.length === 1 ? '' : 's'} on this page)`
    : `${formatCount(total)} rows`
  previous.disabled = pages.length === 0
  next.disabled = !message.truncated
  renderCommits(message.commits)
  app.setAttribute('aria-busy', 'false')
}

function renderCommits(list: CommitSummary[]): void {
  replaceChildren(
    commits,
    h('h2', null, 'Commits'),
    list.map((commit) => {
      const open = state.openCommit === commit.version
      const toggle = h(
        'button',
        { class: 'link commit-toggle', type: 'button', 'aria-expanded': String(open), 'aria-controls': `commit-details-${commit.version}` },
        `v${commit.version} · ${commit.operation} · ${formatTime(commit.timestamp)}`,
      )
      toggle.addEventListener('click', () => (state.openCommit === commit.version ? closeCommit() : openCommit(commit.version)))
      return h(
        'section',
        { class: `commit${open ? ' open' : ''}`, id: `commit-${commit.version}`, 'data-version': commit.version },
        h('h3', null, toggle),
        h(
          'div',
          { class: 'json-columns', id: `commit-details-${commit.version}`, hidden: !open },
          h('section', null, h('h4', null, 'Parameters'), h('pre', { class: 'parameters' }, JSON.stringify(commit.operationParameters, null, 2))),
          h('section', null, h('h4', null, 'Metrics'), h('pre', { class: 'metrics' }, JSON.stringify(commit.operationMetrics, null, 2))),
        ),
      )
    }),
  )
}

/** Jump to a commit's operation and metrics (from a change's version, or its own heading). */
function openCommit(version: number): void {
  save({ openCommit: version })
  if (shown) renderCommits(shown.commits)
  const section = document.getElementById(`commit-${version}`)
  section?.scrollIntoView({ block: 'nearest' })
  section?.querySelector<HTMLElement>('button.commit-toggle')?.focus()
}

function closeCommit(): void {
  const version = state.openCommit
  save({ openCommit: undefined })
  if (shown) renderCommits(shown.commits)
  document.querySelector<HTMLElement>(`#commit-${version} button.commit-toggle`)?.focus()
}

// ---- keyboard: the diff's rows are one tab stop; arrows move, Enter opens the commit

rowKeys(diff, {
  rows: () => [...diff.querySelectorAll<HTMLElement>('tbody tr')],
  activate: (row) => openCommit(Number(row.dataset.version)),
})

// ---- "Show source": a change's row traced to its messages (as of the change's version; a delete's, the version before)

let shownChanges: Change[] = []
let sourceRequest: number | undefined

function showSource(rowElement: HTMLElement): void {
  const change = shownChanges[Number(rowElement.dataset.index)]
  const values = change?.after ?? change?.before
  if (!change || !values || !shown) return
  sourceRequest = nextRequest++
  sourcePane.loading(`this ${change.kind} (v${change.version})`)
  const version = change.kind === 'delete' ? change.version - 1 : change.version
  host.post({ type: 'showSource', requestId: sourceRequest, columns: shown.columns.map((c) => c.name), values, version })
}

function rowMenu(rowElement: HTMLElement, at: { x: number; y: number }): void {
  openContextMenu(
    [
      { label: 'Show source', shortcut: 'Alt+Enter', run: () => showSource(rowElement) },
      { label: 'Show the commit', shortcut: 'Enter', run: () => openCommit(Number(rowElement.dataset.version)) },
    ],
    at,
    'Change: actions',
  )
}

// Before the rows' own keys (Enter opens the commit): Alt+Enter shows the source, Shift+F10 or the Menu key the menu.
diff.addEventListener(
  'keydown',
  (event: KeyboardEvent) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>('tbody tr')
    if (!row) return
    const menu = event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)
    if (!(event.key === 'Enter' && event.altKey) && !menu) return
    event.preventDefault()
    event.stopPropagation()
    if (menu) {
      const box = row.getBoundingClientRect()
      rowMenu(row, { x: box.left + 24, y: box.bottom })
    } else showSource(row)
  },
  true,
)
diff.addEventListener('contextmenu', (event: MouseEvent) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>('tbody tr')
  if (!row) return
  event.preventDefault()
  rowMenu(row, { x: event.clientX, y: event.clientY })
})

// ---- wiring

tableSelect.addEventListener('change', () => {
  if (!info || tableSelect.value === info.table || !tableSelect.value) return
  app.setAttribute('aria-busy', 'true')
  host.post({ type: 'table', table: tableSelect.value })
})
for (const [control, key] of [
  [fromSelect, 'from'],
  [toSelect, 'to'],
] as const) {
  control.addEventListener('change', () => {
    const version = Number(control.value)
    if (!Number.isSafeInteger(version) || version === state[key]) return
    save({ [key]: version })
    restart()
  })
}
keySelect.addEventListener('change', () => {
  if (keySelect.value === state.keyColumn) return
  save({ keyColumn: keySelect.value })
  if (state.keyValue) restart()
})
const applyKey = () => {
  const value = keyField.value.trim()
  save({ keyValue: value || undefined })
  restart()
}
apply.addEventListener('click', applyKey)
keyField.addEventListener('keydown', (event: KeyboardEvent) => {
  if (event.key !== 'Enter') return
  event.preventDefault()
  applyKey()
})
clear.addEventListener('click', () => {
  keyField.value = ''
  save({ keyValue: undefined })
  restart()
})
previous.addEventListener('click', () => {
  const start = pages.pop()
  if (start !== undefined) load(start)
})
next.addEventListener('click', () => {
  if (!shown?.truncated || shown.next === undefined) return
  pages.push(offset)
  load(shown.next)
})

/** A kept page fits the panel's choices when it is of the range and page they name. */
function keptPageFits(message: Changes): boolean {
  const { from, to } = range()
  return info !== undefined && message.from === from && message.to === to && (message.offset ?? 0) === (state.offset ?? 0)
}

host.listen((message, replayed) => {
  switch (message.type) {
    case 'init':
      showError(undefined)
      return showInit(message, !replayed)
    case 'changes':
      if (replayed) return keptPageFits(message) ? showChanges(message) : undefined
      // An answer to a request since replaced (another page, range or key) is dropped.
      if (message.requestId !== latestRequest) return
      return showChanges(message)
    case 'source':
      if (message.requestId === sourceRequest) sourcePane.show(message)
      return
    case 'error':
      if (message.requestId !== undefined && message.requestId === sourceRequest) return sourcePane.failed(message.message)
      if (message.requestId !== undefined && message.requestId !== latestRequest) return
      showError(message.message)
      pageStatus.textContent = ''
      app.setAttribute('aria-busy', 'false')
      return
  }
})

host.post({ type: 'ready' })
