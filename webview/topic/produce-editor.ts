/**
 * The topic panel's message editor (Produce, Produce again): key, headers (one `name=value` a
 * line), partition (empty: by key), the value as JSON or a tombstone. The value is checked as it
 * is typed: JSON that does not parse stops Send and says the line and column; fields the inferred
 * schema lacks or types otherwise are said (ingest still takes them). Ctrl+Space, or a `"` where a
 * field name goes, offers the schema's field names for the object at the caret. A plain
 * <textarea>: the caret and keys are the browser's own, so no editor library is needed.
 * When the cluster is not a dev cluster the editor shows the host's refusal instead of the form.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-textfield/index.js'
import { h, replaceChildren } from '../shared/dom'
import type { OutgoingMessage, SchemaNode } from '../shared/protocol'
import { caretContext, checkedPart, compactJson, fieldSuggestions, parseJsonValue, schemaNotes, schemaSkeleton } from './value-check'

export interface Draft {
  key: string
  headers: string
  partition: string
  value: string
  tombstone: boolean
}

export const EMPTY_DRAFT: Draft = { key: '', headers: '', partition: '', value: '', tombstone: false }

export interface ProduceAccess {
  allowed: boolean
  refusal?: string
  registry?: string
}

export interface ProduceEditorOptions {
  /** The topic's inferred schema (changes when the topic is sampled again). */
  schema(): SchemaNode[]
  /** The format the value is checked for: MongoDB values hold Extended JSON as text, so they are not checked against the decoded schema. */
  format(): string
  send(message: OutgoingMessage): void
  /** The draft changed (kept in the panel's state). */
  changed(draft: Draft | undefined): void
}

type Field = HTMLElement & { value: string }

/** The message a draft sends, or what stops it. */
export function draftMessage(draft: Draft): { message: OutgoingMessage } | { problem: string } {
  const headers: Record<string, string> = {}
  const lines = draft.headers.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (!line) continue
    const at = line.indexOf('=')
    if (at <= 0) return { problem: `headers, line ${i + 1}: write name=value, not '${line.slice(0, 80)}'` }
    headers[line.slice(0, at).trim()] = line.slice(at + 1)
  }
  const partitionText = draft.partition.trim()
  if (partitionText && !/^\d+$/.test(partitionText))
    return { problem: `partition: '${partitionText.slice(0, 40)}' is not a partition number (leave it empty to choose by key)` }
  if (!draft.tombstone) {
    if (!draft.value.trim()) return { problem: 'the value is empty: type JSON, or tick Tombstone for a message without a value' }
    const parsed = parseJsonValue(draft.value)
    if (!parsed.ok) return { problem: `the value is not JSON at line ${parsed.line}, column ${parsed.column}: ${parsed.message}` }
  }
  return {
    message: {
      key: draft.key === '' ? null : draft.key,
      headers,
      value: draft.tombstone ? null : compactJson(draft.value),
      ...(partitionText ? { partition: Number(partitionText) } : {}),
    },
  }
}

export function createProduceEditor(options: ProduceEditorOptions) {
  let access: ProduceAccess | undefined
  let sending = false
  const key = h('vscode-textfield', { id: 'produce-key', placeholder: 'empty: no key (null)', 'aria-label': 'Key' }) as Field
  const partition = h('vscode-textfield', { id: 'produce-partition', placeholder: 'by key', 'aria-label': 'Partition (empty: chosen by key)' }) as Field
  const headers = h('textarea', {
    id: 'produce-headers',
    rows: 2,
    spellcheck: 'false',
    placeholder: 'name=value, one a line',
    'aria-label': 'Headers, one name=value a line',
  })
  const tombstone = h('input', { id: 'produce-tombstone', type: 'checkbox' })
  const value = h('textarea', {
    id: 'produce-value',
    rows: 10,
    spellcheck: 'false',
    placeholder: '{"id": 1}',
    'aria-label': 'Value as JSON (Ctrl+Space suggests field names)',
    'aria-describedby': 'produce-check',
    'aria-autocomplete': 'list',
    'aria-controls': 'produce-suggestions',
  })
  const suggestions = h('ul', {
    id: 'produce-suggestions',
    class: 'suggestions',
    role: 'listbox',
    'aria-label': 'Field names of the inferred schema',
    hidden: true,
  })
  const check = h('div', { id: 'produce-check', class: 'produce-check', 'aria-live': 'polite' })
  const status = h('p', { id: 'produce-status', class: 'status', role: 'status', 'aria-live': 'polite' })
  const fill = h('vscode-button', { id: 'produce-fill', secondary: true, title: 'Start from a value shaped like the inferred schema' }, 'Fill from schema')
  const send = h('vscode-button', { id: 'produce-send', title: 'Send the message to the topic' }, 'Send')
  const cancel = h('vscode-button', { id: 'produce-cancel', secondary: true, title: 'Close the editor' }, 'Close')
  const form = h(
    'div',
    { class: 'produce-form' },
    h(
      'div',
      { class: 'produce-row' },
      h('label', null, h('span', null, 'Key'), key),
      h('label', null, h('span', null, 'Partition'), partition),
      h('label', { class: 'check' }, tombstone, h('span', null, 'Tombstone (no value)')),
    ),
    h('label', { class: 'produce-block' }, h('span', null, 'Headers'), headers),
    h('label', { class: 'produce-block' }, h('span', null, 'Value (JSON)'), value),
    suggestions,
    check,
    h('div', { class: 'produce-row' }, send, fill, cancel, status),
  )
  const refusal = h('div', { id: 'produce-refusal', class: 'error', role: 'alert' })
  const heading = h('h2', { id: 'produce-title' }, 'Produce a message')
  const element = h('section', { id: 'produce', class: 'produce', 'aria-labelledby': 'produce-title', hidden: true }, heading, refusal, form)

  const draft = (): Draft => ({
    key: key.value,
    headers: (headers as HTMLTextAreaElement).value,
    partition: partition.value,
    value: (value as HTMLTextAreaElement).value,
    tombstone: (tombstone as HTMLInputElement).checked,
  })

  function validate(): boolean {
    const current = draft()
    const result = draftMessage(current)
    const notes: string[] = []
    if ('message' in result && !current.tombstone && options.format() !== 'debezium-mongodb') {
      const parsed = parseJsonValue(current.value)
      if (parsed.ok) notes.push(...schemaNotes(checkedPart(parsed.value), options.schema()))
    }
    replaceChildren(
      check,
      'problem' in result ? h('p', { class: 'bad', id: 'produce-problem' }, result.problem) : null,
      notes.length
        ? h(
            'ul',
            { id: 'produce-notes', class: 'notes', 'aria-label': 'Against the inferred schema' },
            notes.map((n) => h('li', null, n)),
          )
        : null,
      'message' in result && !notes.length && !current.tombstone
        ? h(
            'p',
            { class: 'muted', id: 'produce-ok' },
            access?.registry ? `JSON; encoded with the subject's latest ${access.registry} schema when sent` : 'JSON; fits the inferred schema',
          )
        : null,
    )
    const blocked = 'problem' in result || sending || access?.allowed !== true
    send.toggleAttribute('disabled', blocked)
    ;(value as HTMLTextAreaElement).disabled = current.tombstone
    return !blocked
  }

  function changed(): void {
    validate()
    options.changed(element.hidden ? undefined : draft())
  }

  // ---- field-name suggestions

  let active = 0
  function showSuggestions(): void {
    const area = value as HTMLTextAreaElement
    const context = caretContext(area.value, area.selectionStart)
    const found = fieldSuggestions(options.schema(), context).slice(0, 50)
    if (!found.length) {
      hideSuggestions()
      return
    }
    active = 0
    replaceChildren(
      suggestions,
      found.map((f, i) =>
        h(
          'li',
          { role: 'option', id: `suggestion-${i}`, 'data-name': f.name, 'aria-selected': String(i === 0) },
          h('span', null, f.name),
          h('span', { class: 'coltype' }, f.type),
        ),
      ),
    )
    suggestions.hidden = false
    area.setAttribute('aria-activedescendant', 'suggestion-0')
  }
  function hideSuggestions(): void {
    suggestions.hidden = true
    ;(value as HTMLTextAreaElement).removeAttribute('aria-activedescendant')
  }
  function moveSuggestion(by: number): void {
    const items = [...suggestions.querySelectorAll('li')]
    active = (active + by + items.length) % items.length
    items.forEach((item, i) => item.setAttribute('aria-selected', String(i === active)))
    ;(value as HTMLTextAreaElement).setAttribute('aria-activedescendant', `suggestion-${active}`)
    items[active]?.scrollIntoView({ block: 'nearest' })
  }
  /** Puts `"name": ` at the caret, replacing the part of the name typed (and its opening quote). */
  function insertSuggestion(name: string): void {
    const area = value as HTMLTextAreaElement
    const caret = area.selectionStart
    const context = caretContext(area.value, caret)
    const inName = area.value.lastIndexOf('"', caret - 1)
    const start = context.typed || area.value[caret - 1] === '"' ? inName : caret
    // A closing quote the user (or an editor habit) already typed right after the caret is taken in.
    const end = area.value[caret] === '"' ? caret + 1 : caret
    const insert = `${JSON.stringify(name)}: `
    area.setRangeText(insert, start, end, 'end')
    hideSuggestions()
    changed()
    area.focus()
  }

  value.addEventListener('keydown', (event) => {
    if (event.key === ' ' && event.ctrlKey) {
      event.preventDefault()
      showSuggestions()
      return
    }
    if (suggestions.hidden) return
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      moveSuggestion(event.key === 'ArrowDown' ? 1 : -1)
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      const item = suggestions.querySelectorAll('li')[active]
      if (!item) return
      event.preventDefault()
      insertSuggestion(item.dataset.name!)
    } else if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      hideSuggestions()
    }
  })
  value.addEventListener('input', (event) => {
    changed()
    const typedQuote = (event as InputEvent).data === '"'
    if (typedQuote || !suggestions.hidden) showSuggestions()
  })
  value.addEventListener('blur', () => setTimeout(hideSuggestions, 150))
  suggestions.addEventListener('mousedown', (event) => {
    const item = (event.target as HTMLElement).closest('li')
    if (!item) return
    event.preventDefault()
    insertSuggestion(item.dataset.name!)
  })
  for (const input of [key, partition, headers]) input.addEventListener('input', changed)
  tombstone.addEventListener('change', changed)
  fill.addEventListener('click', () => {
    ;(value as HTMLTextAreaElement).value = JSON.stringify(schemaSkeleton(options.schema()), null, 2)
    changed()
  })
  send.addEventListener('click', () => {
    if (!validate()) return
    const result = draftMessage(draft())
    if (!('message' in result)) return
    sending = true
    status.textContent = 'Sending…'
    status.classList.remove('invalid')
    validate()
    options.send(result.message)
  })
  cancel.addEventListener('click', () => close())

  function close(): void {
    element.hidden = true
    options.changed(undefined)
  }

  function render(): void {
    refusal.hidden = access?.allowed !== false
    refusal.textContent = access?.allowed === false ? (access.refusal ?? 'Producing to this cluster is refused.') : ''
    form.hidden = access?.allowed === false
    validate()
  }

  return {
    element,
    /** Opens the editor, with `start` as the draft (a copy of a message for Produce again). */
    open(start: Draft, title = 'Produce a message'): void {
      heading.textContent = title
      key.value = start.key
      partition.value = start.partition
      ;(headers as HTMLTextAreaElement).value = start.headers
      ;(value as HTMLTextAreaElement).value = start.value
      ;(tombstone as HTMLInputElement).checked = start.tombstone
      status.textContent = ''
      element.hidden = false
      render()
      options.changed(draft())
      if (access?.allowed !== false) (start.value ? value : key).focus()
    },
    close,
    get isOpen(): boolean {
      return !element.hidden
    },
    /** The topic was sampled again: its schema may have changed, so the checks are redone. */
    revalidate(): void {
      if (!element.hidden) validate()
    },
    setAccess(next: ProduceAccess): void {
      access = next
      render()
    },
    /** The host's answer to a send: where the message landed, or why it was not sent. */
    sent(result: { partition: number; offset: string } | { error: string }): void {
      sending = false
      status.classList.toggle('invalid', 'error' in result)
      status.textContent = 'error' in result ? `Not sent: ${result.error}` : `Sent: partition ${result.partition}, offset ${result.offset}`
      validate()
    },
    get sending(): boolean {
      return sending
    },
  }
}

export type ProduceEditor = ReturnType<typeof createProduceEditor>
