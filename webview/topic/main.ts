/**
 * The topic panel: a topic's partitions (offsets, and the pipeline group's lag when it comes from
 * a broker), its schema as a tree, and a sample of its messages with filters. A selected message
 * shows its raw text (or bytes), the decoded value (a Debezium envelope unwrapped, MongoDB
 * Extended JSON converted) and the row the pipeline's flow would make of it; the host sends that
 * again when the pipeline file's transforms change. Filters, selection and open schema nodes are
 * kept in the saved state.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js'
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-collapsible/index.js'
import '@vscode-elements/elements/dist/vscode-option/index.js'
import '@vscode-elements/elements/dist/vscode-single-select/index.js'
import '@vscode-elements/elements/dist/vscode-textfield/index.js'
import '../shared/base.css'
import './topic.css'
import { byId, h, replaceChildren } from '../shared/dom'
import { cellText, formatBytes, formatCount, formatTime, isNumericType } from '../shared/format'
import { connectToHost } from '../shared/host'
import { rowKeys } from '../shared/row-keys'
import { topicToPanel, type JsonValue, type MessageSummary, type SchemaSource, type TopicToHost, type TopicToPanel } from '../shared/protocol'
import { array, boolean, count, jsonValue, object, optional, record, string, type Infer } from '../shared/validate'
import { filterProblems, matches, type MessageFilters } from './filters'
import { createProduceEditor, EMPTY_DRAFT, type Draft } from './produce-editor'
import { compactJson } from './value-check'
import { schemaTree } from './schema-tree'

const FILTER_KEYS = ['key', 'partition', 'offsetFrom', 'offsetTo', 'timeFrom', 'timeTo', 'text'] as const

const savedState = object({
  restore: optional(record(jsonValue)),
  filters: optional(
    object(Object.fromEntries(FILTER_KEYS.map((k) => [k, optional(string)])) as Record<(typeof FILTER_KEYS)[number], ReturnType<typeof optional<string>>>),
  ),
  selected: optional(count),
  expanded: optional(array(string)),
  /** The Produce editor's message while it is open. */
  draft: optional(object({ key: string, headers: string, partition: string, value: string, tombstone: boolean })),
})
type SavedState = Infer<typeof savedState>
type Topic = Extract<TopicToPanel, { type: 'topic' }>
type Message = Extract<TopicToPanel, { type: 'message' }>
type Field = HTMLElement & { value: string }

const host = connectToHost<TopicToHost, TopicToPanel, SavedState>('topic', topicToPanel, savedState, { replay: ['topic'] })
const app = byId('app')
let state: SavedState = host.savedState ?? {}
let filters: MessageFilters = { ...(state.filters ?? {}) }
const expanded = new Set(state.expanded ?? [])
let topic: Topic | undefined
let latestSelect = 0
let latestProduce = 0
let nextRequest = 1
/** Where the last produced message landed: selected when the fresh sample shows it. */
let landed: { partition: number; offset: string } | undefined

const save = (patch: Partial<SavedState>) => {
  state = { ...state, ...patch }
  host.saveState(state)
}

const title = h('h1', { id: 'title' }, 'Topic')
const facts = h('div', { id: 'facts', class: 'badges', role: 'status', 'aria-live': 'polite' })
const reload = h('vscode-button', { id: 'reload', secondary: true, title: 'Sample the topic again', 'aria-label': 'Sample the topic again' }, 'Reload')
const produceButton = h('vscode-button', { id: 'produce-open', title: 'Write a test message to the topic (dev clusters only)', hidden: true }, 'Produce')
const editor = createProduceEditor({
  schema: () => topic?.schema ?? [],
  format: () => topic?.format ?? 'json',
  send(message) {
    latestProduce = nextRequest++
    host.post({ type: 'produce', requestId: latestProduce, message })
  },
  changed: (draft) => save({ draft }),
})
const error = h('div', { id: 'error', class: 'error', role: 'alert', hidden: true })
const partitions = h('div', { id: 'partitions', class: 'scroll' })
const schemaOrigin = h('p', { id: 'schema-source', class: 'muted' })
const schema = h('div', { id: 'schema', class: 'scroll' })
const field = (id: string, placeholder: string, label: string): Field => h('vscode-textfield', { id, placeholder, 'aria-label': label }) as Field
const controls: Record<(typeof FILTER_KEYS)[number], Field> = {
  key: field('filter-key', 'key contains', 'Key contains'),
  partition: h('vscode-single-select', { id: 'filter-partition', 'aria-label': 'Partition' }) as Field,
  offsetFrom: field('filter-offset-from', 'offset ≥', 'Offset from'),
  offsetTo: field('filter-offset-to', 'offset ≤', 'Offset to'),
  timeFrom: field('filter-time-from', 'from 2026-11-24 10:00', 'Time from (UTC)'),
  timeTo: field('filter-time-to', 'to 2026-11-24 11:00', 'Time to (UTC)'),
  text: field('filter-text', 'text in key, headers or value', 'Text in the key, headers or value'),
}
const clearFilters = h(
  'vscode-button',
  { id: 'clear-filters', secondary: true, title: 'Show every sampled message', 'aria-label': 'Clear the filters' },
  'Clear',
)
const filterStatus = h('span', { id: 'filter-status', class: 'status', role: 'status', 'aria-live': 'polite' })
const listBody = h('tbody')
const list = h(
  'table',
  { id: 'messages', class: 'data messages', 'aria-label': 'Sampled messages (arrows move, Enter shows one)' },
  h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { scope: 'col', class: 'num' }, 'Partition'),
      h('th', { scope: 'col', class: 'num' }, 'Offset'),
      h('th', { scope: 'col' }, 'Timestamp'),
      h('th', { scope: 'col' }, 'Key'),
      h('th', { scope: 'col' }, 'Headers'),
      h('th', { scope: 'col', class: 'num' }, 'Size'),
      h('th', { scope: 'col' }, 'Value'),
    ),
  ),
  listBody,
)
const detail = h(
  'section',
  { id: 'detail', class: 'detail', 'aria-label': 'The selected message', 'aria-live': 'polite' },
  h('p', { class: 'muted' }, 'Select a message to see it decoded and flattened.'),
)

app.append(
  h('header', { class: 'toolbar' }, title, facts, h('span', { class: 'spacer' }), produceButton, reload),
  error,
  editor.element,
  h(
    'div',
    { class: 'overview' },
    h('vscode-collapsible', { title: 'Partitions', open: true, id: 'partitions-section' }, partitions),
    h('vscode-collapsible', { title: 'Schema', open: true, id: 'schema-section' }, schemaOrigin, schema),
  ),
  h(
    'div',
    { class: 'toolbar filters', role: 'search', 'aria-label': 'Filter the messages' },
    controls.key,
    controls.partition,
    controls.offsetFrom,
    controls.offsetTo,
    controls.timeFrom,
    controls.timeTo,
    controls.text,
    clearFilters,
    filterStatus,
  ),
  h('div', { class: 'split' }, h('div', { class: 'scroll list-scroll' }, list), detail),
)

function showError(message: string | undefined): void {
  error.hidden = message === undefined
  error.textContent = message ?? ''
}

function schemaSourceText(source: SchemaSource | undefined, format: string): string {
  if (!source || source.kind === 'inferred') return `Inferred from the sampled ${format} values`
  if (source.kind === 'connect')
    return `Kafka Connect schema${source.name ? ` ${source.name}` : ''}${source.version !== undefined ? ` (version ${source.version})` : ''}`
  const subject = source.subject ? `subject ${source.subject}, version ${source.version}` : 'subject unknown'
  return `Schema Registry${source.id !== undefined ? `: schema id ${source.id}` : ''} (${subject})`
}

function showTopic(message: Topic): void {
  topic = message
  showError(undefined)
  // Opened at a message ("Show source"): selected like a produced message that landed.
  if (message.select) landed = message.select
  save({ restore: message.restore })
  title.textContent = `Topic ${message.source}`
  const lag =
    message.lag !== undefined
      ? h('span', { class: 'lag', 'aria-label': `lag ${message.lag}` }, 'lag ', h('vscode-badge', { variant: 'counter' }, formatCount(message.lag)))
      : null
  replaceChildren(
    facts,
    h('vscode-badge', null, message.format),
    h(
      'span',
      { class: 'muted' },
      `${formatCount(message.messages.length)} message${message.messages.length === 1 ? '' : 's'} sampled${message.truncated ? ' (the topic holds more)' : ''} from ${message.origin === 'kafka' ? 'the broker' : 'a capture file'}`,
    ),
    lag,
  )
  const withBroker = message.partitions.some((p) => p.high !== undefined)
  const withLag = message.partitions.some((p) => p.lag !== undefined)
  replaceChildren(
    partitions,
    h(
      'table',
      { class: 'data partitions', 'aria-label': 'Partitions' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col', class: 'num' }, 'Partition'),
          withBroker ? [h('th', { scope: 'col', class: 'num' }, 'Low'), h('th', { scope: 'col', class: 'num' }, 'High')] : null,
          h('th', { scope: 'col', class: 'num' }, 'Sampled'),
          h('th', { scope: 'col', class: 'num' }, 'First offset'),
          h('th', { scope: 'col', class: 'num' }, 'Last offset'),
          withLag ? [h('th', { scope: 'col', class: 'num' }, 'Committed'), h('th', { scope: 'col', class: 'num' }, 'Lag')] : null,
        ),
      ),
      h(
        'tbody',
        null,
        message.partitions.map((p) =>
          h(
            'tr',
            { 'data-partition': p.partition },
            h('td', { class: 'num' }, String(p.partition)),
            withBroker ? [h('td', { class: 'num' }, p.low ?? ''), h('td', { class: 'num' }, p.high ?? '')] : null,
            h('td', { class: 'num' }, formatCount(p.messages)),
            h('td', { class: 'num' }, p.firstOffset),
            h('td', { class: 'num' }, p.lastOffset),
            withLag ? [h('td', { class: 'num' }, p.committed ?? '—'), h('td', { class: 'num lag' }, p.lag === undefined ? '' : formatCount(p.lag))] : null,
          ),
        ),
      ),
    ),
  )
  schemaOrigin.textContent = schemaSourceText(message.schemaSource, message.format)
  if (!state.expanded) for (const node of message.schema) if (node.children.length) expanded.add(node.name)
  replaceChildren(
    schema,
    message.schema.length
      ? schemaTree(message.schema, { expanded, onToggle: () => save({ expanded: [...expanded] }) })
      : h('p', { class: 'muted' }, 'No decodable values in the sample.'),
  )
  replaceChildren(
    controls.partition,
    h('vscode-option', { value: 'all' }, 'All partitions'),
    message.partitions.map((p) => h('vscode-option', { value: String(p.partition) }, `Partition ${p.partition}`)),
  )
  queueMicrotask(() => (controls.partition.value = filters.partition ?? 'all'))
  produceButton.hidden = message.origin !== 'kafka'
  editor.revalidate()
  renderList()
  const arrived = landed && message.messages.find((m) => m.partition === landed!.partition && m.offset === landed!.offset)
  if (arrived) {
    landed = undefined
    select(arrived.index, false)
    listBody.querySelector<HTMLElement>(`tr[data-index="${arrived.index}"]`)?.scrollIntoView({ block: 'nearest' })
    return
  }
  const selected = state.selected
  if (selected !== undefined && message.messages.some((m) => m.index === selected)) select(selected, false)
}

/** An editable copy of a sampled message: its key, headers and value (as the JSON the decoder read, for registry formats). */
function draftOf(message: Message): Draft {
  const summary = topic?.messages.find((m) => m.index === message.index)
  const headers = Object.entries(summary?.headers ?? {})
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
  const base = { ...EMPTY_DRAFT, key: summary?.key ?? '', headers }
  if (message.decoded.type === 'tombstone') return { ...base, tombstone: true }
  const registry = ['avro', 'protobuf', 'json-schema'].includes(topic?.format ?? '')
  if ((registry || message.text === null) && message.decoded.type === 'row') return { ...base, value: JSON.stringify(message.decoded.value, null, 2) }
  return { ...base, value: prettyIfExact(message.text ?? '') }
}

/** The value pretty-printed when that changes nothing but whitespace (JSON.parse would round 64-bit numbers). */
function prettyIfExact(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text)
    return JSON.stringify(parsed) === compactJson(text) ? JSON.stringify(parsed, null, 2) : text
  } catch {
    return text
  }
}

function headersText(headers: Record<string, string | null>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}=${v ?? 'null'}`)
    .join(', ')
}

function renderList(): void {
  if (!topic) return
  const problems = filterProblems(filters)
  const shown = topic.messages.filter((m) => matches(m, filters))
  filterStatus.textContent = problems.length ? problems.join('; ') : `${formatCount(shown.length)} of ${formatCount(topic.messages.length)}`
  filterStatus.classList.toggle('invalid', problems.length > 0)
  replaceChildren(
    listBody,
    shown.map((m) => messageRow(m)),
  )
  // The detail shows only a message the list shows.
  if (state.selected !== undefined && !shown.some((m) => m.index === state.selected)) {
    latestSelect = nextRequest++
    replaceChildren(detail, h('p', { class: 'muted' }, 'The selected message is hidden by the filters. Select another, or clear the filters.'))
  }
  const current = listBody.querySelector<HTMLElement>(`tr[data-index="${state.selected}"]`) ?? listBody.querySelector<HTMLElement>('tr')
  if (current) current.tabIndex = 0
}

/**
 * A key as read: JSON text inside JSON (the MongoDB connector's `{"id":"{\\"$oid\\":…}"}`) decoded,
 * so it does not read as escaped JSON.
 */
function keyShown(key: string): string {
  if (!/^\s*[{[]/.test(key)) return key
  try {
    return JSON.stringify(withJsonTextDecoded(JSON.parse(key) as JsonValue))
  } catch {
    return key
  }
}

/** Strings that hold a JSON object or array (an update description's `updatedFields`) replaced by what they hold. */
function withJsonTextDecoded(value: JsonValue, depth = 0): JsonValue {
  if (depth > 32) return value
  if (typeof value === 'string' && /^\s*[{[]/.test(value)) {
    try {
      const parsed = JSON.parse(value) as JsonValue
      if (parsed !== null && typeof parsed === 'object') return withJsonTextDecoded(parsed, depth + 1)
    } catch {
      return value
    }
  }
  if (Array.isArray(value)) return value.map((v) => withJsonTextDecoded(v, depth + 1))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withJsonTextDecoded(v, depth + 1)]))
  return value
}

function messageRow(m: MessageSummary): HTMLElement {
  const selected = m.index === state.selected
  const headers = headersText(m.headers)
  return h(
    'tr',
    {
      'data-index': m.index,
      class: `message status-${m.status}${selected ? ' selected' : ''}`,
      tabindex: -1,
      'aria-selected': String(selected),
      'aria-label': `partition ${m.partition} offset ${m.offset}${m.key === null ? '' : `, key ${m.key}`}, ${m.status === 'row' ? formatBytes(m.size) : m.status}`,
    },
    h('td', { class: 'num' }, String(m.partition)),
    h('td', { class: 'num' }, m.offset),
    h('td', null, formatTime(m.timestamp)),
    h(
      'td',
      { class: m.key === null ? 'null key' : 'key', title: m.key === null ? null : m.key.slice(0, 2000) },
      m.key === null ? 'NULL' : cellText(keyShown(m.key)),
    ),
    h('td', { class: 'headers', title: headers.slice(0, 2000) }, cellText(headers)),
    h('td', { class: 'num' }, formatBytes(m.size)),
    h(
      'td',
      { class: 'preview' },
      m.status === 'tombstone'
        ? h('span', { class: 'muted' }, 'tombstone')
        : m.status === 'error'
          ? h('span', { class: 'bad' }, `⚠ ${cellText(m.preview)}`)
          : cellText(m.preview),
    ),
  )
}

function select(index: number, focus = true): void {
  save({ selected: index })
  for (const row of listBody.querySelectorAll<HTMLElement>('tr')) {
    const on = Number(row.dataset.index) === index
    row.classList.toggle('selected', on)
    row.setAttribute('aria-selected', String(on))
    row.tabIndex = on ? 0 : -1
    if (on && focus) row.focus()
  }
  latestSelect = nextRequest++
  replaceChildren(detail, h('p', { class: 'muted' }, 'Loading…'))
  host.post({ type: 'select', requestId: latestSelect, index })
}

function showMessage(message: Message): void {
  const summary = topic?.messages.find((m) => m.index === message.index)
  const raw =
    message.text !== null
      ? h('pre', { id: 'raw-text', class: 'raw' }, message.text)
      : h('div', null, h('p', { class: 'muted' }, 'Not UTF-8 text; the first bytes:'), h('pre', { id: 'raw-hex', class: 'raw' }, message.hex))
  const decoded =
    message.decoded.type === 'row'
      ? h('pre', { id: 'decoded', class: 'decoded' }, JSON.stringify(withJsonTextDecoded(message.decoded.value), null, 2))
      : message.decoded.type === 'tombstone'
        ? h('p', { id: 'decoded', class: 'muted' }, 'A tombstone (no value): deletes the key.')
        : h('div', { id: 'decoded', class: 'error' }, `${message.decoded.reason}${message.decoded.detail ? `: ${message.decoded.detail}` : ''}`)
  const flattened = flattenedView(message)
  const again =
    topic?.origin === 'kafka'
      ? h('vscode-button', { id: 'produce-again', secondary: true, title: 'Open the message editor with an editable copy of this message' }, 'Produce again')
      : null
  again?.addEventListener('click', () =>
    editor.open(draftOf(message), `Produce again: a copy of partition ${summary?.partition ?? '?'}, offset ${summary?.offset ?? '?'}`),
  )
  replaceChildren(
    detail,
    h('div', { class: 'detail-head' }, h('h2', null, summary ? `Partition ${summary.partition}, offset ${summary.offset}` : `Message ${message.index}`), again),
    summary && Object.keys(summary.headers).length ? h('p', { class: 'muted headers-line' }, `Headers: ${headersText(summary.headers)}`) : null,
    h('vscode-collapsible', { title: 'Raw value', open: true, id: 'raw-section' }, raw),
    h('vscode-collapsible', { title: 'Decoded', open: true, id: 'decoded-section' }, decoded),
    h('vscode-collapsible', { title: 'Flattened by the flow', open: true, id: 'flattened-section' }, flattened),
  )
}

/** What the flow writes for the message: its target's rows, then the raw row and the child tables' rows. */
function flattenedView(message: Message): HTMLElement {
  const preview = message.flattened
  if (!preview) return h('p', { id: 'flattened', class: 'muted' }, 'No flow reads this source in the pipeline file.')
  if (preview.type === 'error') return h('div', { id: 'flattened', class: 'error' }, preview.message)
  if (preview.type === 'dead-letter') {
    return h(
      'div',
      { id: 'flattened', class: 'error' },
      `Ingest writes this message to raw._dead_letters, not to the raw table: ${preview.reason}${preview.detail ? ` (${preview.detail})` : ''}`,
    )
  }
  const target = preview.table ? `${preview.table}${preview.flow ? ` (flow ${preview.flow})` : ''}` : "the flow's table"
  return h(
    'div',
    { id: 'flattened' },
    h('p', { class: 'muted preview-caption' }, `Written to ${target}:`),
    preview.note ? h('p', { id: 'flattened-note', class: 'muted' }, `No row: ${preview.note}.`) : null,
    preview.rows.length ? previewTableView('flattened-rows', `The rows the flow writes to ${target}`, preview.columns, preview.rows) : null,
    ...(preview.children ?? []).map((child) =>
      h(
        'div',
        { class: 'preview-child' },
        h('p', { class: 'muted preview-caption' }, `Written to ${child.table}:`),
        child.rows.length
          ? previewTableView(`flattened-child-${child.table}`, `The rows the flow writes to ${child.table}`, child.columns, child.rows)
          : h('p', { class: 'muted' }, 'No row.'),
      ),
    ),
    preview.raw
      ? h(
          'vscode-collapsible',
          { title: `Raw row (${preview.raw.table})`, id: 'raw-row-section' },
          previewTableView('raw-row', `The row ingest writes to ${preview.raw.table}`, preview.raw.columns, preview.raw.rows),
        )
      : null,
  )
}

function previewTableView(id: string, label: string, columns: { name: string; type: string }[], rows: JsonValue[][]): HTMLElement {
  return h(
    'div',
    { class: 'scroll', id },
    h(
      'table',
      { class: 'data flattened', 'aria-label': label },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) =>
            h('th', { scope: 'col', class: isNumericType(c.type) ? 'num' : '' }, h('span', null, c.name), h('span', { class: 'coltype' }, c.type)),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((row) =>
          h(
            'tr',
            null,
            row.map((v, i) => h('td', { class: `${isNumericType(columns[i]?.type ?? '') ? 'num' : ''}${v === null ? ' null' : ''}` }, cellText(v))),
          ),
        ),
      ),
    ),
  )
}

// ---- wiring

list.addEventListener('click', (event) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>('tbody tr')
  if (row) select(Number(row.dataset.index))
})
rowKeys(list, {
  rows: () => [...listBody.querySelectorAll<HTMLElement>('tr')],
  activate: (row) => select(Number(row.dataset.index)),
  activateKeys: ['Enter', ' '],
})
for (const key of FILTER_KEYS) {
  const control = controls[key]
  if (key !== 'partition') control.value = filters[key] ?? ''
  control.addEventListener(key === 'partition' ? 'change' : 'input', () => {
    filters = { ...filters, [key]: control.value || undefined }
    save({ filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as MessageFilters })
    renderList()
  })
}
clearFilters.addEventListener('click', () => {
  filters = {}
  for (const key of FILTER_KEYS) controls[key].value = key === 'partition' ? 'all' : ''
  save({ filters: {} })
  renderList()
})
produceButton.addEventListener('click', () => editor.open(state.draft ?? EMPTY_DRAFT))
reload.addEventListener('click', () => {
  app.setAttribute('aria-busy', 'true')
  host.post({ type: 'reload' })
})

host.listen((message) => {
  switch (message.type) {
    case 'topic':
      showTopic(message)
      app.setAttribute('aria-busy', 'false')
      return
    case 'message':
      // Only the latest selection's answer (the host sends it again when the flow changes).
      if (message.requestId !== latestSelect) return
      return showMessage(message)
    case 'produceAccess':
      return editor.setAccess(message)
    case 'produced':
      if (message.requestId !== latestProduce) return
      landed = { partition: message.partition, offset: message.offset }
      return editor.sent(message)
    case 'error':
      if (message.requestId !== undefined && message.requestId === latestProduce && editor.sending) return editor.sent({ error: message.message })
      if (message.requestId !== undefined && message.requestId !== latestSelect) return
      showError(message.message)
      app.setAttribute('aria-busy', 'false')
      return
  }
})

if (state.draft) editor.open(state.draft)
host.post({ type: 'ready' })
