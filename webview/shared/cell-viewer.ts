/**
 * The grid's cell and row viewer: a modal dialog showing a whole value that the grid cuts to one
 * line. JSON (nested values, and text that is a JSON object or array) is pretty-printed, long text
 * wraps, binary (base64 in the protocol) is shown as a hex dump. Escape or Close returns focus to
 * where it was. Values are set as text, never as HTML.
 */
import { h } from './dom'
import { shownValue, valueText } from './format'
import type { Column } from './protocol'
import type { JsonValue } from './validate'

export interface ViewedValue {
  text: string
  /** What the text is: shown under the title. */
  kind: 'json' | 'json text' | 'binary' | 'text' | 'null'
  /** Binary: how many bytes. */
  bytes?: number
}

/** How the viewer shows a value of a column of type `type`. */
export function viewedValue(value: JsonValue, type: string): ViewedValue {
  if (value === null) return { text: 'NULL', kind: 'null' }
  if (typeof value === 'object') return { text: JSON.stringify(value, null, 2), kind: 'json' }
  if (typeof value === 'string' && /^(BLOB|BYTEA|VARBINARY|binary)$/i.test(type)) return { text: hexDump(value), kind: 'binary', bytes: byteLength(value) }
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    try {
      const parsed: unknown = JSON.parse(value)
      if (parsed !== null && typeof parsed === 'object') return { text: JSON.stringify(parsed, null, 2), kind: 'json text' }
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  return { text: valueText(shownValue(value, type)), kind: 'text' }
}

function byteLength(base64: string): number {
  const clean = base64.replace(/=+$/, '')
  return Math.floor((clean.length * 3) / 4)
}

/** Base64 bytes as `offset  hex bytes  |ascii|` lines, 16 bytes a line. */
export function hexDump(base64: string): string {
  let bytes: Uint8Array
  try {
    bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
  } catch {
    return base64
  }
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = [...bytes.subarray(i, i + 16)]
    const hex = chunk
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(' ')
      .padEnd(47)
    const ascii = chunk.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hex}  |${ascii}|`)
  }
  return lines.join('\n') || '(no bytes)'
}

export interface ViewerContent {
  title: string
  columns: Column[]
  /** One value (cell) or a whole row. */
  values: JsonValue[]
  mode: 'cell' | 'row'
  onCopy(text: string): void
}

let open: { dialog: HTMLElement; returnTo: Element | null } | undefined

/** Opens the viewer (replacing one already open). */
export function openViewer(content: ViewerContent): HTMLElement {
  closeViewer()
  const returnTo = document.activeElement
  const shown = content.columns.map((c, i) => viewedValue(content.values[i] ?? null, c.type))
  const copyText =
    content.mode === 'cell'
      ? (shown[0]?.text ?? '')
      : JSON.stringify(Object.fromEntries(content.columns.map((c, i) => [c.name, content.values[i] ?? null])), null, 2)
  const close = h('button', { type: 'button', class: 'viewer-button', id: 'viewer-close' }, 'Close')
  const copy = h('button', { type: 'button', class: 'viewer-button', id: 'viewer-copy' }, content.mode === 'cell' ? 'Copy value' : 'Copy row as JSON')
  const body =
    content.mode === 'cell'
      ? h(
          'div',
          { class: 'viewer-body' },
          h('p', { class: 'viewer-kind' }, `${content.columns[0]?.type ?? ''} · ${kindLabel(shown[0])}`),
          h('pre', { class: `viewer-value${shown[0]?.kind === 'null' ? ' null' : ''}`, tabindex: 0 }, shown[0]?.text ?? ''),
        )
      : h(
          'div',
          { class: 'viewer-body', tabindex: 0 },
          h(
            'table',
            { class: 'viewer-row' },
            h(
              'tbody',
              null,
              content.columns.map((c, i) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row' }, h('span', null, c.name), h('span', { class: 'viewer-type' }, c.type)),
                  h('td', null, h('pre', { class: `viewer-value${shown[i].kind === 'null' ? ' null' : ''}` }, shown[i].text)),
                ),
              ),
            ),
          ),
        )
  const titleId = `viewer-title-${Math.random().toString(36).slice(2, 8)}`
  const dialog = h(
    'div',
    { class: 'grid-viewer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, id: 'grid-viewer' },
    h('div', { class: 'viewer-head' }, h('h2', { id: titleId }, content.title), h('span', { class: 'spacer' }), copy, close),
    body,
  )
  const backdrop = h('div', { class: 'grid-viewer-backdrop' }, dialog)
  close.addEventListener('click', closeViewer)
  copy.addEventListener('click', () => content.onCopy(copyText))
  backdrop.addEventListener('mousedown', (event) => {
    if (event.target === backdrop) closeViewer()
  })
  dialog.addEventListener('keydown', (event: KeyboardEvent) => {
    event.stopPropagation()
    if (event.key === 'Escape') {
      event.preventDefault()
      closeViewer()
    } else if (event.key === 'Tab') {
      // Focus stays in the dialog.
      const stops = [...dialog.querySelectorAll<HTMLElement>('button, [tabindex="0"]')]
      const at = stops.indexOf(document.activeElement as HTMLElement)
      const next = stops[(at + (event.shiftKey ? -1 : 1) + stops.length) % stops.length]
      event.preventDefault()
      next?.focus()
    }
  })
  document.body.append(backdrop)
  open = { dialog: backdrop, returnTo }
  close.focus()
  return dialog
}

export function closeViewer(): void {
  if (!open) return
  const { dialog, returnTo } = open
  open = undefined
  dialog.remove()
  if (returnTo instanceof HTMLElement) returnTo.focus({ preventScroll: true })
}

function kindLabel(value: ViewedValue | undefined): string {
  switch (value?.kind) {
    case 'json':
      return 'JSON, pretty-printed'
    case 'json text':
      return 'text holding JSON, pretty-printed'
    case 'binary':
      return `binary, ${value.bytes} bytes, in hex`
    case 'null':
      return 'NULL'
    default:
      return `${value?.text.length ?? 0} characters`
  }
}
