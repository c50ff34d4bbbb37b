/**
 * A result grid that shows any number of rows while holding a few pages of them. Only the rows in
 * view are in the DOM (a pool of row elements reused as the user scrolls); rows come in pages the
 * grid asks its owner for, once scrolling pauses, so dragging the scrollbar from the top to row
 * 900,000 fetches the pages at 900,000 and none in between. Browsers cap an element's height
 * (about 33 million pixels in Chromium), so beyond MAX_SCROLL the scrollbar maps proportionally
 * onto the rows instead of one pixel per pixel.
 *
 * Keyboard: arrows, Page Up/Down, Home/End (with Ctrl: first/last row), Shift+Up/Down selects
 * rows, Ctrl+C copies the selected rows or the active cell. Screen readers get role=grid with
 * aria-rowcount/aria-rowindex and the active cell as aria-activedescendant.
 */
import { h } from './dom'
import { cellText, isNumericType, tsv, valueText } from './format'
import type { Column, SortOrder } from './protocol'
import type { JsonValue } from './validate'

export const ROW_HEIGHT = 22
const HEADER_HEIGHT = 40
const ROWNUM_WIDTH = 64
const MAX_SCROLL = 8_000_000
/** Pages kept; the ones farthest from the view are dropped first. */
const CACHED_PAGES = 40
/** Scrolling must pause this long before pages are fetched. */
const FETCH_DELAY_MS = 40
/** Rows a copy takes at most (only loaded rows can be copied). */
export const COPY_ROWS_MAX = 10_000

export interface GridOptions {
  label: string
  pageSize: number
  /** Ask for rows offset … offset+limit-1; answer with `receivePage`. */
  requestPage(offset: number, limit: number): void
  onSort(column: Column): void
  onCopy(text: string): void
  /** The first row in view changed (to save it in the panel's state). */
  onScroll?(firstRow: number): void
}

export class VirtualGrid {
  readonly element: HTMLDivElement
  private readonly header: HTMLDivElement
  private readonly layer: HTMLDivElement
  private readonly spacer: HTMLDivElement
  private readonly pool: HTMLDivElement[] = []
  private columns: Column[] = []
  private rowCount = 0
  private sort?: SortOrder
  private pages = new Map<number, JsonValue[][]>()
  private pending = new Set<number>()
  private first = 0
  private active = { row: 0, column: 0 }
  private selection?: { anchor: number; from: number; to: number }
  private frame = 0
  private fetchTimer: ReturnType<typeof setTimeout> | undefined
  private widened = false
  private readonly idPrefix = `grid${Math.random().toString(36).slice(2, 8)}`

  constructor(private readonly options: GridOptions) {
    this.header = h('div', { class: 'grid-header', role: 'row', 'aria-rowindex': 1 })
    this.layer = h('div', { class: 'grid-rows', role: 'rowgroup' })
    this.spacer = h('div', { class: 'grid-spacer', 'aria-hidden': 'true' })
    this.element = h('div', { class: 'grid', role: 'grid', tabindex: 0, 'aria-label': options.label, 'aria-multiselectable': 'true' }, this.header, this.layer, this.spacer)
    this.element.style.setProperty('--grid-header-height', `${HEADER_HEIGHT}px`)
    this.element.style.setProperty('--grid-row-height', `${ROW_HEIGHT}px`)
    this.element.addEventListener('scroll', () => this.scheduleRender())
    this.element.addEventListener('keydown', (event) => this.onKey(event))
    this.layer.addEventListener('mousedown', (event) => this.onPointer(event))
    new ResizeObserver(() => this.scheduleRender()).observe(this.element)
  }

  /** A new result (or a new order of it): forget the rows held, start from `firstRow`. */
  setResult(columns: Column[], rowCount: number, sort: SortOrder | undefined, firstRow = 0): void {
    const sameColumns = columns.length === this.columns.length && columns.every((c, i) => c.name === this.columns[i].name && c.type === this.columns[i].type)
    this.columns = columns
    this.rowCount = rowCount
    this.sort = sort
    this.pages.clear()
    this.pending.clear()
    this.selection = undefined
    this.active = { row: Math.min(firstRow, Math.max(0, rowCount - 1)), column: Math.min(this.active.column, Math.max(0, columns.length - 1)) }
    if (!sameColumns) {
      this.widened = false
      this.setWidths(columns.map((c) => Math.max(c.name.length, Math.min(c.type.length, 14)) * 7.5 + 28))
    }
    this.renderHeader()
    this.element.setAttribute('aria-rowcount', String(rowCount + 1))
    this.element.setAttribute('aria-colcount', String(columns.length + 1))
    this.layoutHeight()
    this.scrollToRow(firstRow, 'top')
    this.scheduleRender()
  }

  receivePage(offset: number, rows: JsonValue[][]): void {
    const index = Math.floor(offset / this.options.pageSize)
    this.pending.delete(index)
    this.pages.set(index, rows)
    if (!this.widened && rows.length) this.widenToContent(rows)
    this.evictPages()
    this.scheduleRender()
  }

  /** A page request failed: allow asking again. */
  pageFailed(offset: number): void {
    this.pending.delete(Math.floor(offset / this.options.pageSize))
  }

  get firstRow(): number {
    return this.first
  }

  /** The text a copy takes: the selected rows (tab-separated), else the active cell. */
  selectionText(): string {
    if (this.selection) {
      const rows: JsonValue[][] = []
      for (let r = this.selection.from; r <= this.selection.to && rows.length < COPY_ROWS_MAX; r++) {
        const row = this.row(r)
        if (row) rows.push(row)
      }
      return tsv(rows)
    }
    const value = this.row(this.active.row)?.[this.active.column]
    return value === undefined ? '' : valueText(value)
  }

  /** Tab-separated rows of the active cell's row (or the selected rows) with a header line. */
  rowsWithHeader(): string {
    const from = this.selection?.from ?? this.active.row
    const to = this.selection?.to ?? this.active.row
    const rows: JsonValue[][] = [this.columns.map((c) => c.name)]
    for (let r = from; r <= to && rows.length <= COPY_ROWS_MAX; r++) {
      const row = this.row(r)
      if (row) rows.push(row)
    }
    return tsv(rows)
  }

  scrollToRow(row: number, align: 'top' | 'nearest' = 'nearest'): void {
    const view = this.viewHeight()
    const range = Math.max(0, this.rowCount * ROW_HEIGHT - view)
    const physical = Math.min(range, MAX_SCROLL)
    const current = physical === 0 ? 0 : (this.element.scrollTop / physical) * range
    let offset = current
    const top = row * ROW_HEIGHT
    if (align === 'top' || top < current) offset = top
    else if (top + ROW_HEIGHT > current + view) offset = top + ROW_HEIGHT - view
    offset = Math.max(0, Math.min(range, offset))
    this.element.scrollTop = range === 0 ? 0 : (offset / range) * physical
  }

  private row(index: number): JsonValue[] | undefined {
    return this.pages.get(Math.floor(index / this.options.pageSize))?.[index % this.options.pageSize]
  }

  private viewHeight(): number {
    return Math.max(ROW_HEIGHT, this.element.clientHeight - HEADER_HEIGHT)
  }

  private layoutHeight(): void {
    const view = this.viewHeight()
    const range = Math.max(0, this.rowCount * ROW_HEIGHT - view)
    this.layer.style.height = `${view}px`
    this.spacer.style.height = `${Math.min(range, MAX_SCROLL)}px`
  }

  private setWidths(widths: number[]): void {
    const clamped = widths.map((w) => Math.round(Math.max(72, Math.min(420, w))))
    this.element.style.setProperty('--grid-template', [ROWNUM_WIDTH, ...clamped].map((w) => `${w}px`).join(' '))
    this.element.style.setProperty('--grid-width', `${ROWNUM_WIDTH + clamped.reduce((a, b) => a + b, 0)}px`)
  }

  /** Once per result: columns as wide as their first page's values (within limits). */
  private widenToContent(rows: JsonValue[][]): void {
    this.widened = true
    const widths = this.columns.map((c, i) => {
      let chars = Math.max(c.name.length, Math.min(c.type.length, 14))
      for (const row of rows.slice(0, 100)) chars = Math.max(chars, Math.min(60, cellText(row[i]).length))
      return chars * 7.5 + 28
    })
    this.setWidths(widths)
  }

  private renderHeader(): void {
    const corner = h('div', { class: 'grid-rownum grid-corner', role: 'columnheader', 'aria-colindex': 1 }, '#')
    const cells = this.columns.map((column, i) => {
      const direction = this.sort?.column === column.name ? this.sort.direction : undefined
      const button = h('button', { class: 'grid-sort', type: 'button', title: `Sort by ${column.name}` },
        h('span', { class: 'grid-colname' }, column.name, direction ? (direction === 'asc' ? ' ▲' : ' ▼') : ''),
        h('span', { class: 'grid-coltype' }, column.type))
      button.addEventListener('click', () => this.options.onSort(column))
      return h('div', {
        class: `grid-colheader${isNumericType(column.type) ? ' num' : ''}`,
        role: 'columnheader',
        'aria-colindex': i + 2,
        'aria-sort': direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none',
      }, button)
    })
    this.header.replaceChildren(corner, ...cells)
  }

  private scheduleRender(): void {
    if (this.frame) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      this.render()
    })
  }

  private render(): void {
    this.layoutHeight()
    const view = this.viewHeight()
    const range = Math.max(0, this.rowCount * ROW_HEIGHT - view)
    const physical = Math.min(range, MAX_SCROLL)
    const offset = physical === 0 ? 0 : (Math.min(this.element.scrollTop, physical) / physical) * range
    const first = Math.min(Math.floor(offset / ROW_HEIGHT), Math.max(0, this.rowCount - 1))
    const shift = offset - first * ROW_HEIGHT
    const visible = Math.max(0, Math.min(this.rowCount - first, Math.ceil((view + shift) / ROW_HEIGHT) + 1))
    if (first !== this.first) this.options.onScroll?.(first)
    this.first = first

    while (this.pool.length < visible) this.pool.push(this.layer.appendChild(h('div', { class: 'grid-row', role: 'row' })))
    let activeId: string | undefined
    for (let i = 0; i < this.pool.length; i++) {
      const element = this.pool[i]
      if (i >= visible) {
        element.hidden = true
        continue
      }
      const index = first + i
      element.hidden = false
      element.style.transform = `translateY(${i * ROW_HEIGHT - shift}px)`
      this.renderRow(element, index)
      if (index === this.active.row) activeId = `${this.idPrefix}-${index}-${this.active.column}`
    }
    if (activeId) this.element.setAttribute('aria-activedescendant', activeId)
    else this.element.removeAttribute('aria-activedescendant')
    this.scheduleFetch(first, visible)
  }

  private renderRow(element: HTMLDivElement, index: number): void {
    const values = this.row(index)
    const selected = this.selection !== undefined && index >= this.selection.from && index <= this.selection.to
    element.setAttribute('aria-rowindex', String(index + 2))
    element.setAttribute('aria-selected', String(selected))
    element.classList.toggle('selected', selected)
    element.classList.toggle('loading', values === undefined)
    element.dataset.row = String(index)
    const wanted = this.columns.length + 1
    while (element.childElementCount < wanted) element.append(h('div', { class: 'grid-cell', role: 'gridcell' }))
    while (element.childElementCount > wanted) element.lastElementChild!.remove()
    const rownum = element.children[0] as HTMLElement
    rownum.className = 'grid-rownum'
    rownum.setAttribute('role', 'rowheader')
    rownum.textContent = String(index + 1)
    for (let c = 0; c < this.columns.length; c++) {
      const cell = element.children[c + 1] as HTMLElement
      const value = values?.[c]
      const text = values === undefined ? '…' : cellText(value)
      if (cell.textContent !== text) cell.textContent = text
      cell.id = `${this.idPrefix}-${index}-${c}`
      cell.dataset.column = String(c)
      cell.className = `grid-cell${isNumericType(this.columns[c].type) ? ' num' : ''}${value === null ? ' null' : ''}${index === this.active.row && c === this.active.column ? ' active' : ''}`
    }
  }

  /** After scrolling pauses, ask for the pages in view that are neither held nor on their way. */
  private scheduleFetch(first: number, visible: number): void {
    clearTimeout(this.fetchTimer)
    if (visible === 0) return
    const size = this.options.pageSize
    const wanted: number[] = []
    for (let page = Math.floor(first / size); page <= Math.floor((first + visible - 1) / size); page++) {
      if (!this.pages.has(page) && !this.pending.has(page)) wanted.push(page)
    }
    if (!wanted.length) return
    this.fetchTimer = setTimeout(() => {
      for (const page of wanted) {
        if (this.pages.has(page) || this.pending.has(page)) continue
        this.pending.add(page)
        this.options.requestPage(page * size, Math.min(size, this.rowCount - page * size))
      }
    }, FETCH_DELAY_MS)
  }

  private evictPages(): void {
    if (this.pages.size <= CACHED_PAGES) return
    const here = Math.floor(this.first / this.options.pageSize)
    const byDistance = [...this.pages.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here))
    for (const page of byDistance.slice(0, this.pages.size - CACHED_PAGES)) this.pages.delete(page)
  }

  private onPointer(event: MouseEvent): void {
    const target = event.target as HTMLElement
    const rowElement = target.closest<HTMLElement>('.grid-row')
    if (!rowElement?.dataset.row) return
    const row = Number(rowElement.dataset.row)
    if (target.classList.contains('grid-rownum')) {
      const anchor = event.shiftKey && this.selection ? this.selection.anchor : row
      this.selection = { anchor, from: Math.min(anchor, row), to: Math.max(anchor, row) }
      this.active = { row, column: this.active.column }
    } else {
      const column = Number(target.closest<HTMLElement>('.grid-cell')?.dataset.column ?? this.active.column)
      this.selection = undefined
      this.active = { row, column }
    }
    this.element.focus({ preventScroll: true })
    this.scheduleRender()
  }

  private onKey(event: KeyboardEvent): void {
    if (!this.rowCount) return
    const page = Math.max(1, Math.floor(this.viewHeight() / ROW_HEIGHT) - 1)
    const control = event.ctrlKey || event.metaKey
    let { row, column } = this.active
    switch (event.key) {
      case 'ArrowDown': row++; break
      case 'ArrowUp': row--; break
      case 'ArrowRight': column++; break
      case 'ArrowLeft': column--; break
      case 'PageDown': row += page; break
      case 'PageUp': row -= page; break
      case 'Home': if (control) row = 0; else column = 0; break
      case 'End': if (control) row = this.rowCount - 1; else column = this.columns.length - 1; break
      case 'c':
      case 'C':
        if (!control) return
        event.preventDefault()
        this.options.onCopy(this.selectionText())
        return
      case 'Escape':
        this.selection = undefined
        this.scheduleRender()
        return
      default:
        return
    }
    event.preventDefault()
    row = Math.max(0, Math.min(this.rowCount - 1, row))
    column = Math.max(0, Math.min(this.columns.length - 1, column))
    if (event.shiftKey && (event.key === 'ArrowDown' || event.key === 'ArrowUp' || event.key.startsWith('Page'))) {
      const anchor = this.selection?.anchor ?? this.active.row
      this.selection = { anchor, from: Math.min(anchor, row), to: Math.max(anchor, row) }
    } else if (row !== this.active.row) {
      this.selection = undefined
    }
    this.active = { row, column }
    this.scrollToRow(row)
    this.scheduleRender()
  }
}
