/**
 * The grid's find bar (Ctrl+F on the grid): the text is searched in the whole result by the
 * owner, in the engine (the grid holds a few pages only), which answers with the matching rows'
 * positions in the current order; Enter goes to the next one, Shift+Enter to the previous,
 * Escape closes. Cells on screen that contain the text are marked.
 */
import { h } from './dom'

export interface FindResult {
  /** Rows that contain the text, in all. */
  count: number
  /** The first matching rows' positions (0-based, in the grid's order), ascending. */
  rows: number[]
}

export interface FindBarOptions {
  search(text: string): Promise<FindResult>
  /** Show match `row` (text lower-cased). */
  goTo(row: number, text: string): void
  close(): void
  /** The marks on screen changed (a new search, or closed). */
  changed(): void
}

export class FindBar {
  readonly element: HTMLElement
  private readonly input: HTMLInputElement
  private readonly status: HTMLElement
  private result?: { text: string; found: FindResult }
  private at = -1
  private searching?: string

  constructor(private readonly options: FindBarOptions) {
    this.input = h('input', {
      type: 'search',
      class: 'grid-find-input',
      id: 'grid-find-input',
      'aria-label': 'Find in the whole result (Enter: next, Shift+Enter: previous)',
      placeholder: 'Find in result',
    }) as HTMLInputElement
    this.status = h('span', { class: 'grid-find-status', role: 'status', 'aria-live': 'polite', id: 'grid-find-status' })
    const previous = h('button', { type: 'button', class: 'grid-find-button', title: 'Previous match (Shift+Enter)', 'aria-label': 'Previous match' }, '↑')
    const next = h('button', { type: 'button', class: 'grid-find-button', title: 'Next match (Enter)', 'aria-label': 'Next match' }, '↓')
    const close = h('button', { type: 'button', class: 'grid-find-button', title: 'Close (Escape)', 'aria-label': 'Close find' }, '×')
    this.element = h('div', { class: 'grid-find', role: 'search', hidden: true }, this.input, previous, next, this.status, close)
    previous.addEventListener('click', () => void this.step(-1))
    next.addEventListener('click', () => void this.step(1))
    close.addEventListener('click', () => this.close())
    this.input.addEventListener('keydown', (event) => {
      event.stopPropagation()
      if (event.key === 'Enter') {
        event.preventDefault()
        void this.step(event.shiftKey ? -1 : 1)
      } else if (event.key === 'Escape') {
        event.preventDefault()
        this.close()
      }
    })
  }

  /** The text marked on screen (lower case), while the bar is open with an answered search. */
  get needle(): string | undefined {
    return this.element.hidden || !this.result ? undefined : this.result.text
  }

  open(): void {
    this.element.hidden = false
    this.input.focus()
    this.input.select()
  }

  close(): void {
    this.element.hidden = true
    this.options.changed()
    this.options.close()
  }

  /** The result changed: earlier matches mean nothing now. */
  reset(): void {
    this.result = undefined
    this.at = -1
    this.status.textContent = ''
  }

  private async step(direction: 1 | -1): Promise<void> {
    const text = this.input.value.trim().toLowerCase()
    if (!text) return
    if (this.result?.text !== text) {
      if (this.searching === text) return
      this.searching = text
      this.status.textContent = 'Searching…'
      try {
        const found = await this.options.search(text)
        this.result = { text, found }
        this.at = direction === 1 ? -1 : found.rows.length
      } catch (error) {
        this.status.textContent = `Find failed: ${(error as Error).message}`
        return
      } finally {
        this.searching = undefined
      }
      this.options.changed()
    }
    const { found } = this.result!
    if (found.rows.length === 0) {
      this.status.textContent = 'No rows'
      return
    }
    this.at = (this.at + direction + found.rows.length) % found.rows.length
    const more = found.count > found.rows.length ? ` (first ${found.rows.length.toLocaleString('en-US')} reachable)` : ''
    this.status.textContent = `${(this.at + 1).toLocaleString('en-US')} of ${found.count.toLocaleString('en-US')} rows${more}`
    this.options.goTo(found.rows[this.at], text)
  }
}
