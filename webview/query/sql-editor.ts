/**
 * The query box: a plain <textarea> (native editing, undo, IME, selection, screen readers) over a
 * highlighted copy of its text. The textarea's own text is transparent and the copy behind it
 * shows the colours; both use the same font, padding and wrapping, and scroll together. The copy is
 * built from text nodes (sql-highlight.ts), never parsed as HTML, and hidden from screen readers.
 */
import { h, replaceChildren } from '../shared/dom'
import { highlightTokens } from './sql-highlight'

export type SqlEditor = HTMLTextAreaElement

const valueProperty = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!

export function buildSqlEditor(attributes: { id: string; label: string; placeholder: string; rows: number }): { root: HTMLElement; textarea: SqlEditor } {
  const highlight = h('pre', { class: 'sql-highlight', 'aria-hidden': 'true' })
  const textarea = h('textarea', {
    id: attributes.id,
    class: 'sql-input',
    rows: attributes.rows,
    spellcheck: 'false',
    autocapitalize: 'off',
    autocomplete: 'off',
    'aria-label': attributes.label,
    placeholder: attributes.placeholder,
  })
  const root = h('div', { class: 'sql-editor' }, highlight, textarea)

  const render = () => {
    const text = valueProperty.get!.call(textarea) as string
    // A last empty line still takes a line's height in the textarea: the copy needs it too.
    replaceChildren(
      highlight,
      highlightTokens(text).map((t) => (t.kind === 'plain' ? t.text : h('span', { class: `sql-${t.kind}` }, t.text))),
      text.endsWith('\n') || !text ? ' ' : '',
    )
    syncScroll()
  }
  const syncScroll = () => {
    highlight.scrollTop = textarea.scrollTop
    highlight.scrollLeft = textarea.scrollLeft
  }
  // Text set by code (the saved SQL, a command's SQL) is highlighted too, not only what is typed.
  Object.defineProperty(textarea, 'value', {
    configurable: true,
    get: () => valueProperty.get!.call(textarea) as string,
    set: (value: string) => {
      valueProperty.set!.call(textarea, value)
      render()
    },
  })
  textarea.addEventListener('input', render)
  textarea.addEventListener('scroll', syncScroll)
  // Resizing the box (its handle) resizes the copy: it fills the box's wrapper.
  new ResizeObserver(syncScroll).observe(textarea)
  render()
  return { root, textarea }
}
