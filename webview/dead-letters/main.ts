/**
 * The Dead Letters panel: a pipeline's letters grouped by source and reason (counts, and per hour),
 * filtered by state; the letters of a group; one letter whole (coordinates, key, headers, value as
 * text or hex, the decoder's error with a caret where it failed, what it decodes to now). Fixes:
 * edit a letter's value (preview what it decodes to) and replay it, or produce it back to its
 * topic (dev clusters only; the host asks first); replay every open letter of a reason, optionally
 * through a JSON Patch; discard with a note (the host asks first). After an action the panel loads
 * again.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js'
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-textarea/index.js'
import '@vscode-elements/elements/dist/vscode-textfield/index.js'
import '../shared/base.css'
import './dead-letters.css'
import { byId, h, replaceChildren } from '../shared/dom'
import { formatCount } from '../shared/format'
import { connectToHost } from '../shared/host'
import {
  deadLettersToPanel,
  LETTER_STATES,
  type DeadLettersToHost,
  type DeadLettersToPanel,
  type LetterDetail,
  type LetterStateFilter,
  type LetterSummary,
} from '../shared/protocol'
import { boolean, jsonValue, literal, object, optional, record, text, type Infer } from '../shared/validate'
import { groupRows, hoursOf, hoursTable, sparkline, type GroupRow } from './groups-view'
import { decodedText, failureView, letterFacts, valueHeading, valueView } from './letter-view'

const savedState = object({
  restore: optional(record(jsonValue)),
  state: optional(literal(...LETTER_STATES, 'all')),
  source: optional(text(1024)),
  reason: optional(text(1024)),
  letter: optional(text(4096)),
  hex: optional(boolean),
})
type SavedState = Infer<typeof savedState>

const host = connectToHost<DeadLettersToHost, DeadLettersToPanel, SavedState>('dead-letters', deadLettersToPanel, savedState, {
  replay: ['init', 'letters', 'letter'],
})
const app = byId('app')
let state: SavedState = host.savedState ?? {}
const save = (patch: Partial<SavedState>) => {
  state = { ...state, ...patch }
  for (const key of Object.keys(patch) as (keyof SavedState)[]) if (patch[key] === undefined) delete state[key]
  host.saveState(state)
}

type Button = HTMLElement & { disabled: boolean }
type Field = HTMLElement & { value: string }
const button = (id: string, label: string, title: string, secondary = true): Button =>
  h('vscode-button', { id, title, secondary, 'aria-label': title }, label) as Button

let requests = 0
let pendingLoad: number | undefined
let pendingShow: number | undefined
let pendingPreview: number | undefined
let lastLetters: Extract<DeadLettersToPanel, { type: 'letters' }> | undefined
let shownLetter: LetterDetail | undefined

// ---------------------------------------------------------------------------------------------
// The page

const title = h('h1', { id: 'title' }, 'Dead letters')
const where = h('span', { class: 'muted', id: 'where' })
const stateButtons = ([...LETTER_STATES, 'all'] as LetterStateFilter[]).map((s) => {
  const b = h('button', { type: 'button', class: 'chip', 'data-state': s, 'aria-pressed': 'false' }, s === 'all' ? 'All' : s[0].toUpperCase() + s.slice(1))
  b.addEventListener('click', () => {
    save({ state: s, letter: undefined })
    load()
  })
  return b
})
const refresh = button('refresh', 'Refresh', 'Read the letters again')
const status = h('div', { id: 'status', class: 'status', role: 'status', 'aria-live': 'polite' })
const error = h('div', { id: 'error', class: 'error', role: 'alert', hidden: true })
const groupsBody = h('tbody')
const groupsTable = h(
  'table',
  { class: 'data groups', 'aria-label': 'Letters by source and reason' },
  h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { scope: 'col' }, 'Source'),
      h('th', { scope: 'col' }, 'Reason'),
      h('th', { scope: 'col', class: 'num', id: 'count-heading' }, 'Letters'),
      h('th', { scope: 'col', class: 'num' }, 'Open'),
      h('th', { scope: 'col' }, 'Per hour'),
    ),
  ),
  groupsBody,
)
const groupDetail = h('section', { id: 'group', class: 'group', hidden: true, 'aria-label': 'The chosen source and reason' })
const lettersHeading = h('h2', null, 'Letters')
const lettersBody = h('tbody')
const lettersNote = h('p', { class: 'muted', id: 'letters-note' })
const lettersTable = h(
  'table',
  { class: 'data letters', 'aria-label': 'Letters' },
  h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { scope: 'col' }, 'Letter'),
      h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col' }, 'Reason'),
      h('th', { scope: 'col' }, 'State'),
    ),
  ),
  lettersBody,
)
const detail = h(
  'section',
  { id: 'letter', class: 'letter', 'aria-label': 'The chosen letter' },
  h('p', { class: 'muted' }, 'Choose a letter to see it whole.'),
)

app.append(
  h(
    'header',
    { class: 'toolbar' },
    title,
    where,
    h('span', { class: 'spacer' }),
    h('span', { class: 'muted', id: 'state-label' }, 'State'),
    h('div', { class: 'chips', role: 'group', 'aria-labelledby': 'state-label' }, stateButtons),
    refresh,
  ),
  error,
  status,
  h(
    'div',
    { class: 'layout' },
    h('section', { class: 'side' }, h('h2', null, 'By source and reason'), h('div', { class: 'scroll' }, groupsTable), groupDetail),
    h('section', { class: 'list' }, lettersHeading, h('div', { class: 'scroll' }, lettersTable), lettersNote),
    detail,
  ),
)

refresh.addEventListener('click', () => load())

function showError(message: string | undefined): void {
  error.hidden = message === undefined
  error.textContent = message ?? ''
}

const filter = (): LetterStateFilter => state.state ?? 'open'

function load(): void {
  pendingLoad = ++requests
  host.post({
    type: 'load',
    requestId: pendingLoad,
    state: filter(),
    ...(state.source ? { source: state.source } : {}),
    ...(state.reason ? { reason: state.reason } : {}),
  })
  if (state.letter) show(state.letter)
}

function show(id: string): void {
  pendingShow = ++requests
  host.post({ type: 'show', requestId: pendingShow, id })
}

function choose(source: string | undefined, reason: string | undefined): void {
  save({ source, reason, letter: undefined })
  shownLetter = undefined
  renderLetter()
  load()
}

// ---------------------------------------------------------------------------------------------
// Groups and letters

function renderGroups(): void {
  if (!lastLetters) return
  for (const b of stateButtons) b.setAttribute('aria-pressed', String(b.dataset.state === filter()))
  byId('count-heading').textContent = filter() === 'open' || filter() === 'all' ? 'Letters' : filter()[0].toUpperCase() + filter().slice(1)
  const rows = groupRows(lastLetters.groups, filter())
  const all = h(
    'tr',
    { class: !state.source ? 'selected' : '', 'data-group': 'all' },
    h('td', { colspan: 5 }, groupButton('All sources and reasons', undefined, undefined)),
  )
  replaceChildren(
    groupsBody,
    all,
    rows.map((r) =>
      h(
        'tr',
        {
          class: r.source === state.source && (!state.reason || r.reason === state.reason) ? 'selected' : '',
          'data-source': r.source,
          'data-reason': r.reason,
        },
        h('td', null, groupButton(r.source, r.source, undefined)),
        h('td', null, groupButton(r.reason, r.source, r.reason)),
        h('td', { class: 'num' }, formatCount(r.letters)),
        h('td', { class: 'num' }, formatCount(r.open)),
        h('td', null, sparkline(hoursOf(lastLetters!.hours, r.source, r.reason))),
      ),
    ),
  )
  if (rows.length === 0)
    groupsBody.append(h('tr', null, h('td', { colspan: 5, class: 'muted' }, `No ${filter() === 'all' ? '' : `${filter()} `}dead letters.`)))
  renderGroupDetail(rows.find((r) => r.source === state.source && r.reason === state.reason))
}

function groupButton(label: string, source: string | undefined, reason: string | undefined): HTMLElement {
  const b = h(
    'button',
    {
      type: 'button',
      class: 'link',
      title: reason ? `The letters of ${source} that failed with ${reason}` : source ? `The letters of ${source}` : 'Every letter',
    },
    label,
  )
  b.addEventListener('click', () => choose(source, reason))
  return b
}

function renderGroupDetail(row: GroupRow | undefined): void {
  groupDetail.hidden = row === undefined
  if (!row || !lastLetters) {
    replaceChildren(groupDetail)
    return
  }
  const patch = h('vscode-textarea', {
    id: 'group-patch',
    rows: 3,
    placeholder: '[{"op":"replace","path":"/price","value":0}]',
    'aria-label': 'A JSON Patch to apply to each letter (optional)',
  }) as Field
  const replayAll = button(
    'replay-group',
    `Replay ${formatCount(row.open)} open`,
    `Replay every open letter of ${row.source} / ${row.reason}, each through the JSON Patch when one is given`,
    false,
  )
  replayAll.disabled = row.open === 0
  replayAll.addEventListener('click', () => {
    const text = patch.value.trim()
    host.post({ type: 'replayGroup', source: row.source, reason: row.reason, ...(text ? { patch: text } : {}) })
    status.textContent = `Replaying the open letters of ${row.source} / ${row.reason}…`
  })
  const note = h('vscode-textfield', { id: 'group-note', placeholder: 'why (kept with the letters)', 'aria-label': 'Note for discarding the letters' }) as Field
  const discardAll = button('discard-group', 'Discard open…', `Discard every open letter of ${row.source} / ${row.reason} with the note (asks first)`)
  discardAll.disabled = row.open === 0
  discardAll.addEventListener('click', () => {
    if (!note.value.trim()) return showError('Write a note saying why before discarding.')
    host.post({ type: 'discard', source: row.source, reason: row.reason, note: note.value.trim() })
  })
  replaceChildren(
    groupDetail,
    h('h3', null, `${row.source} · ${row.reason}`),
    h('p', { class: 'muted' }, `Messages from ${row.firstMessage ?? '—'} to ${row.lastMessage ?? '—'}`),
    hoursTable(hoursOf(lastLetters.hours, row.source, row.reason)),
    h('h3', null, 'Fix every open letter of this reason'),
    h('label', { for: 'group-patch', class: 'muted' }, 'JSON Patch (RFC 6902), optional: without one, each is decoded with the pipeline file as it is now'),
    patch,
    h('div', { class: 'toolbar' }, replayAll),
    h('div', { class: 'toolbar' }, note, discardAll),
  )
}

function renderLetters(): void {
  if (!lastLetters) return
  const { letters, truncated } = lastLetters
  lettersHeading.textContent = `Letters${state.source ? ` of ${state.source}${state.reason ? ` · ${state.reason}` : ''}` : ''} (${filter()})`
  replaceChildren(lettersBody, letters.map(letterRow))
  lettersNote.textContent =
    letters.length === 0
      ? 'None.'
      : truncated
        ? `The first ${formatCount(letters.length)} letters; choose a source and reason to see others.`
        : `${formatCount(letters.length)} letter${letters.length === 1 ? '' : 's'}`
}

function letterRow(letter: LetterSummary): HTMLElement {
  const open = h('button', { type: 'button', class: 'link', title: letter.detail ?? letter.reason }, `${letter.topic} / ${letter.partition} / ${letter.offset}`)
  open.addEventListener('click', () => {
    save({ letter: letter.id })
    show(letter.id)
  })
  return h(
    'tr',
    { 'data-letter': letter.id, class: letter.id === state.letter ? 'selected' : '' },
    h('td', null, open),
    h('td', null, letter.timestamp ?? '—'),
    h('td', null, letter.reason),
    h('td', null, h('vscode-badge', { variant: 'default' }, letter.state)),
  )
}

// ---------------------------------------------------------------------------------------------
// One letter

function renderLetter(): void {
  for (const row of lettersBody.querySelectorAll<HTMLElement>('tr[data-letter]')) row.classList.toggle('selected', row.dataset.letter === state.letter)
  const letter = shownLetter
  if (!letter) {
    replaceChildren(detail, h('p', { class: 'muted' }, 'Choose a letter to see it whole.'))
    return
  }
  const s = letter.summary
  const hex = state.hex === true
  const hexToggle = button('hex', hex ? 'Show as text' : 'Show as hex', hex ? 'The value as UTF-8 text' : "The value's bytes in hex")
  hexToggle.disabled = letter.text === null || letter.size === null
  hexToggle.addEventListener('click', () => {
    save({ hex: !hex })
    renderLetter()
  })
  const nowPre = h('pre', { id: 'now', class: letter.now.type === 'row' ? 'now row' : 'now failing' }, decodedText(letter.now))
  replaceChildren(
    detail,
    h('h2', null, `${s.source} / ${s.topic} / ${s.partition} / ${s.offset} `, h('vscode-badge', { variant: 'default', id: 'letter-state' }, s.state)),
    letterFacts(letter),
    failureView(letter),
    h('div', { class: 'toolbar' }, h('h3', null, valueHeading(letter, hex)), h('span', { class: 'spacer' }), hexToggle),
    valueView(letter, hex),
    h('h3', null, 'Decoded now, with the pipeline file as it is'),
    nowPre,
    s.state === 'open' ? fixControls(letter) : null,
  )
}

function fixControls(letter: LetterDetail): HTMLElement {
  const id = letter.summary.id
  const edit = h('vscode-textarea', {
    id: 'edit-value',
    rows: 6,
    monospace: true,
    resize: 'vertical',
    'aria-label': letter.registry ? "The value as JSON (encoded with the topic's registry schema)" : 'The value',
  }) as Field
  edit.value = letter.registry ? '' : (letter.text ?? '')
  const previewOut = h('pre', { id: 'preview-result', class: 'now', hidden: true, 'aria-live': 'polite' })
  const preview = button('preview', 'Preview', 'What the edited value decodes to')
  preview.addEventListener('click', () => {
    pendingPreview = ++requests
    host.post({ type: 'preview', requestId: pendingPreview, id, value: edit.value })
  })
  const replayEdited = button(
    'replay-edited',
    'Replay edited value',
    'Replay this letter with the edited value into its raw table, at its original offset',
    false,
  )
  replayEdited.addEventListener('click', () => {
    host.post({ type: 'replay', id, value: edit.value })
    status.textContent = `Replaying ${id}…`
  })
  const produceEdited = button(
    'produce-edited',
    'Produce fixed value to topic…',
    `Send the edited value to ${letter.summary.topic}, partition ${letter.summary.partition}, with the letter's key and headers (dev clusters only; asks first)`,
  )
  produceEdited.addEventListener('click', () => {
    host.post({ type: 'produce', id, value: edit.value })
    status.textContent = `Producing ${id} to ${letter.summary.topic}…`
  })
  const replayAsIs = button('replay-as-is', 'Replay as is', 'Decode the letter again with the pipeline file as it is now and replay it')
  replayAsIs.addEventListener('click', () => {
    host.post({ type: 'replay', id })
    status.textContent = `Replaying ${id}…`
  })
  const note = h('vscode-textfield', { id: 'letter-note', placeholder: 'why (kept with the letter)', 'aria-label': 'Note for discarding the letter' }) as Field
  const discard = button('discard', 'Discard…', 'Discard this letter with the note (asks first)')
  discard.addEventListener('click', () => {
    if (!note.value.trim()) return showError('Write a note saying why before discarding.')
    host.post({ type: 'discard', id, note: note.value.trim() })
  })
  return h(
    'section',
    { class: 'fix', 'aria-label': 'Fix this letter' },
    h('h3', null, 'Fix'),
    h(
      'label',
      { for: 'edit-value', class: 'muted' },
      letter.registry
        ? `The value as JSON: it is encoded with the latest schema of ${letter.summary.topic}-value (${letter.format})`
        : 'Edit the value, preview what it decodes to, replay it',
    ),
    edit,
    h('div', { class: 'toolbar' }, preview, replayEdited, produceEdited, replayAsIs),
    previewOut,
    h('div', { class: 'toolbar' }, note, discard),
  )
}

// ---------------------------------------------------------------------------------------------

host.listen((message) => {
  switch (message.type) {
    case 'init':
      showError(undefined)
      where.textContent = `${message.pipeline} · lake ${message.lake}`
      // The source asked for applies to a new panel; a panel shown again keeps what its user chose since.
      if (message.source !== undefined && state.restore === undefined) save({ source: message.source, reason: undefined, letter: undefined })
      save({ restore: message.restore })
      load()
      return
    case 'focus':
      choose(message.source, undefined)
      return
    case 'letters':
      // Kept answers come back first after a reload (before any request): shown until the host's fresh one.
      if (lastLetters !== undefined && pendingLoad !== undefined && message.requestId !== pendingLoad) return
      pendingLoad = undefined
      lastLetters = message
      renderGroups()
      renderLetters()
      app.setAttribute('aria-busy', 'false')
      return
    case 'letter':
      if (shownLetter !== undefined && pendingShow !== undefined && message.requestId !== pendingShow) return
      if (message.letter.summary.id !== state.letter) return
      pendingShow = undefined
      shownLetter = message.letter
      renderLetter()
      return
    case 'preview': {
      if (message.requestId !== pendingPreview) return
      const out = document.getElementById('preview-result')
      if (!out) return
      out.hidden = false
      out.className = message.now.type === 'row' ? 'now row' : 'now failing'
      out.textContent = `The edited value: ${decodedText(message.now)}`
      return
    }
    case 'done':
      showError(undefined)
      status.textContent = message.message
      if (message.changed) load()
      return
    case 'changed':
      load()
      return
    case 'error':
      showError(message.message)
      app.setAttribute('aria-busy', 'false')
      return
  }
})

host.post({ type: 'ready' })
