/**
 * A result grid that shows any number of rows while holding a few pages of them. Only the rows in
 * view are in the DOM (a pool of row elements reused as the user scrolls); rows come in pages the
 * grid asks its owner for, once scrolling pauses, so dragging the scrollbar from the top to row
 * 900,000 fetches the pages at 900,000 and none in between. Browsers cap an element's height
 * (about 33 million pixels in Chromium), so beyond MAX_SCROLL the scrollbar maps proportionally
 * onto the rows instead of one pixel per pixel.
 *
 * What result grids in database tools offer, by mouse and by keyboard:
 * - columns: drag a header's right edge to resize, double-click it to fit the loaded values
 *   (Alt+Left/Right resize the active column); leading columns can be pinned (they stay while the
 *   rest scrolls sideways);
 * - cells: arrows, Page Up/Down, Home/End (with Ctrl: first/last row) move the active cell and
 *   keep it in view both ways; Shift extends a range of cells, row numbers select rows, Ctrl+A
 *   selects everything; a drag selects a range;
 * - Enter or a double-click opens the value in a viewer (Shift+Enter: the whole row);
 * - Ctrl+C copies (the range as TSV, or the active cell), the context menu (right-click,
 *   Shift+F10, the Menu key) copies as TSV, CSV, JSON, Markdown or SQL INSERT, fetching the pages
 *   a range needs (up to COPY_ROWS_MAX rows);
 * - Ctrl+F finds text in the whole result: the owner runs the search in the engine (grid-find.ts).
 * Screen readers get role=grid with aria-rowcount/aria-rowindex, the active cell as
 * aria-activedescendant and aria-selected on selected cells.
 */
import { openViewer } from './cell-viewer'
import { openContextMenu, type MenuEntry } from './context-menu'
import { h } from './dom'
import { cellText, isNumericType, isTimestampType, shownValue, timestampText, tsv, valueText } from './format'
import { COPY_FORMAT_LABELS, COPY_FORMATS, formatRows, type CopyFormat } from './grid-copy'
import { FindBar, type FindResult } from './grid-find'
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
/** Rows a copy takes at most (pages beyond the loaded ones are fetched for it). */
export const COPY_ROWS_MAX = 10_000
const MIN_WIDTH = 40
const MAX_FIT_WIDTH = 640
const MAX_WIDTH = 4000
/**
 * A performance mark set when rows with values are first drawn: how the end-to-end tests time a
 * panel's first rows from the page itself (in the same clock as the workbench's click).
 */
export const FIRST_ROWS_MARK = 'lakehouse:first-rows'

export interface GridOptions {
  label: string
  pageSize: number
  /** Ask for rows offset … offset+limit-1; answer with `receivePage` (or `pageFailed`). */
  requestPage(offset: number, limit: number): void
  onSort(column: Column): void
  /** Text to put on the clipboard, and what it holds in words ("2 rows × 3 columns as CSV"). */
  onCopy(text: string, what: string): void
  /** The first row in view changed (to save it in the panel's state). */
  onScroll?(firstRow: number): void
  /** Leading columns pinned from the start (they stay in view while the others scroll sideways). */
  pinnedColumns?: number
  /** Find in the whole result (in the result's current order): the rows that contain `text`. */
  find?(text: string): Promise<FindResult>
  /** The table name SQL INSERT copies use. */
  tableName?(): string
  /** Actions on the active cell's row, in its context menu and by their key ("Show source"). */
  rowActions?: RowAction[]
}

export interface RowAction {
  label: string
  /** The key as shown in the menu ("Alt+Enter"), and whether a keydown is it. */
  shortcut: string
  isKey(event: KeyboardEvent): boolean
  /** The row's values (in the columns' order) and its index in the result. */
  run(values: JsonValue[], row: number): void
}

interface Cell {
  row: number
  column: number
}
interface Range {
  top: number
  bottom: number
  left: number
  right: number
}

export class VirtualGrid {
  /** The grid and its find bar: what the owner puts on the page. */
  readonly root: HTMLDivElement
  /** The scrolling grid itself (role=grid). */
  readonly element: HTMLDivElement
  private readonly header: HTMLDivElement
  private readonly layer: HTMLDivElement
  private readonly spacer: HTMLDivElement
  private readonly pool: HTMLDivElement[] = []
  private readonly findBar?: FindBar
  private columns: Column[] = []
  private widths: number[] = []
  private resized = new Set<number>()
  private pinned: number
  private rowCount = 0
  private sort?: SortOrder
  private pages = new Map<number, JsonValue[][]>()
  private pending = new Set<number>()
  /** Copies waiting for pages: resolved with the rows, or undefined when the page failed or the result changed. */
  private waiters = new Map<number, ((rows: JsonValue[][] | undefined) => void)[]>()
  private first = 0
  private active: Cell = { row: 0, column: 0 }
  private selection?: { anchor: Cell; range: Range }
  private dragging = false
  private frame = 0
  private firstRowsMarked = false
  private fetchTimer: ReturnType<typeof setTimeout> | undefined
  private widened = false
  private readonly idPrefix = `grid${Math.random().toString(36).slice(2, 8)}`

  constructor(private readonly options: GridOptions) {
    this.pinned = options.pinnedColumns ?? 0
    this.header = h('div', { class: 'grid-header', role: 'row', 'aria-rowindex': 1 })
    this.layer = h('div', { class: 'grid-rows', role: 'rowgroup' })
    this.spacer = h('div', { class: 'grid-spacer', 'aria-hidden': 'true' })
    this.element = h(
      'div',
      { class: 'grid', role: 'grid', tabindex: 0, 'aria-label': options.label, 'aria-multiselectable': 'true' },
      this.header,
      this.layer,
      this.spacer,
    )
    this.root = h('div', { class: 'grid-container' })
    if (options.find) {
      this.findBar = new FindBar({
        search: options.find,
        goTo: (row, text) => this.goToMatch(row, text),
        close: () => this.element.focus(),
        changed: () => this.scheduleRender(),
      })
      this.root.append(this.findBar.element)
    }
    this.root.append(this.element)
    this.element.style.setProperty('--grid-header-height', `${HEADER_HEIGHT}px`)
    this.element.style.setProperty('--grid-row-height', `${ROW_HEIGHT}px`)
    this.element.addEventListener('scroll', () => this.scheduleRender())
    this.element.addEventListener('keydown', (event) => this.onKey(event))
    this.layer.addEventListener('mousedown', (event) => this.onPointer(event))
    this.layer.addEventListener('mousemove', (event) => this.onDrag(event))
    document.addEventListener('mouseup', () => (this.dragging = false))
    this.layer.addEventListener('dblclick', (event) => this.onDoubleClick(event))
    this.element.addEventListener('contextmenu', (event) => this.onContextMenu(event))
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
    for (const waiting of this.waiters.values()) for (const resolve of waiting) resolve(undefined)
    this.waiters.clear()
    this.selection = undefined
    this.findBar?.reset()
    this.active = { row: Math.min(firstRow, Math.max(0, rowCount - 1)), column: Math.min(this.active.column, Math.max(0, columns.length - 1)) }
    if (!sameColumns) {
      this.widened = false
      this.resized.clear()
      this.pinned = Math.min(this.options.pinnedColumns ?? 0, columns.length)
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
    for (const resolve of this.waiters.get(index) ?? []) resolve(rows)
    this.waiters.delete(index)
    if (!this.widened && rows.length) this.widenToContent(rows)
    this.evictPages()
    this.scheduleRender()
  }

  /** A page request failed: allow asking again. */
  pageFailed(offset: number): void {
    const index = Math.floor(offset / this.options.pageSize)
    this.pending.delete(index)
    for (const resolve of this.waiters.get(index) ?? []) resolve(undefined)
    this.waiters.delete(index)
  }

  get firstRow(): number {
    return this.first
  }

  /** The active cell, and the selected range when there is one (for tests and the owner's buttons). */
  get activeCell(): Cell {
    return { ...this.active }
  }

  /** The text Ctrl+C takes from loaded rows: the selected range (tab-separated), else the active cell. */
  selectionText(): string {
    if (this.selection) {
      const { top, bottom, left, right } = this.selection.range
      const rows: JsonValue[][] = []
      for (let r = top; r <= bottom && rows.length < COPY_ROWS_MAX; r++) {
        const row = this.row(r)
        if (row) rows.push(row.slice(left, right + 1).map((v, i) => shownValue(v, this.columns[left + i]?.type)))
      }
      return tsv(rows)
    }
    const value = this.row(this.active.row)?.[this.active.column]
    return value === undefined ? '' : valueText(shownValue(value, this.columns[this.active.column]?.type))
  }

  /** Copies the selection (or the active cell's row) in `format`, fetching the pages it needs. */
  async copyAs(format: CopyFormat): Promise<void> {
    const range = this.selection?.range ?? { top: this.active.row, bottom: this.active.row, left: 0, right: this.columns.length - 1 }
    const { rows, truncated } = await this.rowsIn(range.top, range.bottom)
    const columns = this.columns.slice(range.left, range.right + 1)
    const text = formatRows(
      format,
      columns,
      rows.map((r) => r.slice(range.left, range.right + 1)),
      this.options.tableName?.(),
    )
    const what = `${rows.length} row${rows.length === 1 ? '' : 's'} × ${columns.length} column${columns.length === 1 ? '' : 's'} as ${COPY_FORMAT_LABELS[format]}${truncated ? ` (the first ${COPY_ROWS_MAX.toLocaleString('en-US')}; Export takes all)` : ''}`
    this.options.onCopy(text, what)
  }

  /** Tab-separated rows of the selection (or the active row) with a header line. */
  async copyWithHeader(): Promise<void> {
    return this.copyAs('tsv')
  }

  selectAll(): void {
    if (!this.rowCount || !this.columns.length) return
    this.selection = { anchor: { row: 0, column: 0 }, range: { top: 0, bottom: this.rowCount - 1, left: 0, right: this.columns.length - 1 } }
    this.scheduleRender()
  }

  /** Opens the viewer on the active cell (or its whole row). */
  view(mode: 'cell' | 'row'): void {
    const values = this.row(this.active.row)
    if (!values) return
    const column = this.columns[this.active.column]
    openViewer({
      mode,
      title: mode === 'cell' ? `${column.name}, row ${this.active.row + 1}` : `Row ${this.active.row + 1}`,
      columns: mode === 'cell' ? [column] : this.columns,
      values: mode === 'cell' ? [values[this.active.column]] : values,
      onCopy: (text) => this.options.onCopy(text, mode === 'cell' ? `the value of ${column.name}` : `row ${this.active.row + 1} as JSON`),
    })
  }

  openFind(): void {
    this.findBar?.open()
  }

  /** Fits a column to its header and the loaded values. */
  fitColumn(column: number): void {
    const measure = textMeasurer(this.element)
    let width = measure(this.columns[column].name, true) + 20
    for (const rows of this.pages.values()) for (const row of rows.slice(0, 2000)) width = Math.max(width, measure(cellText(row[column]).slice(0, 200)) + 16)
    this.setColumnWidth(column, Math.min(MAX_FIT_WIDTH, width))
  }

  setColumnWidth(column: number, width: number): void {
    this.resized.add(column)
    this.widths[column] = Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, width)))
    this.applyWidths()
  }

  /** Pins the columns up to and including `column` (-1 unpins all). */
  pinThrough(column: number): void {
    this.pinned = Math.max(0, Math.min(this.columns.length, column + 1))
    this.renderHeader()
    this.scheduleRender()
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

  /** Sideways: the column fully in view, right of the pinned ones. */
  scrollToColumn(column: number): void {
    if (column < this.pinned) return
    const left = this.columnLeft(column)
    const right = left + this.widths[column]
    const pinnedRight = this.columnLeft(this.pinned)
    const view = this.element.clientWidth
    if (left < this.element.scrollLeft + pinnedRight) this.element.scrollLeft = left - pinnedRight
    else if (right > this.element.scrollLeft + view) this.element.scrollLeft = Math.min(left - pinnedRight, right - view)
  }

  private row(index: number): JsonValue[] | undefined {
    return this.pages.get(Math.floor(index / this.options.pageSize))?.[index % this.options.pageSize]
  }

  /** Rows from … to (at most COPY_ROWS_MAX), fetching pages not held, one at a time. */
  private async rowsIn(from: number, to: number): Promise<{ rows: JsonValue[][]; truncated: boolean }> {
    const last = Math.min(to, from + COPY_ROWS_MAX - 1)
    const size = this.options.pageSize
    const rows: JsonValue[][] = []
    for (let page = Math.floor(from / size); page <= Math.floor(last / size); page++) {
      const held = this.pages.get(page) ?? (await this.fetchPage(page))
      if (!held) break
      const start = Math.max(from, page * size)
      const end = Math.min(last, page * size + held.length - 1)
      for (let r = start; r <= end; r++) rows.push(held[r - page * size])
    }
    return { rows, truncated: last < to }
  }

  private fetchPage(page: number): Promise<JsonValue[][] | undefined> {
    return new Promise((resolve) => {
      this.waiters.set(page, [...(this.waiters.get(page) ?? []), resolve])
      if (this.pending.has(page)) return
      this.pending.add(page)
      const size = this.options.pageSize
      this.options.requestPage(page * size, Math.min(size, this.rowCount - page * size))
    })
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
    this.widths = widths.map((w) => Math.round(Math.max(72, Math.min(420, w))))
    this.applyWidths()
  }

  private applyWidths(): void {
    this.element.style.setProperty('--grid-template', [ROWNUM_WIDTH, ...this.widths].map((w) => `${w}px`).join(' '))
    this.element.style.setProperty('--grid-width', `${ROWNUM_WIDTH + this.widths.reduce((a, b) => a + b, 0)}px`)
    // The header cells stay (one may be holding the pointer of a resize): only pinned offsets move.
    this.header.querySelectorAll<HTMLElement>('.grid-colheader').forEach((cell, i) => (cell.style.left = i < this.pinned ? `${this.columnLeft(i)}px` : ''))
    this.scheduleRender()
  }

  private columnLeft(column: number): number {
    let left = ROWNUM_WIDTH
    for (let c = 0; c < column; c++) left += this.widths[c]
    return left
  }

  /** Once per result: columns as wide as their first page's values (within limits), unless the user sized them. */
  private widenToContent(rows: JsonValue[][]): void {
    this.widened = true
    const widths = this.columns.map((c, i) => {
      let chars = Math.max(c.name.length, Math.min(c.type.length, 14))
      for (const row of rows.slice(0, 100)) chars = Math.max(chars, Math.min(60, cellText(row[i]).length))
      return chars * 7.5 + 28
    })
    const kept = this.widths.slice()
    this.setWidths(widths)
    for (const c of this.resized) this.widths[c] = kept[c]
    this.applyWidths()
  }

  private renderHeader(): void {
    const corner = h('div', { class: 'grid-rownum grid-corner', role: 'columnheader', 'aria-colindex': 1 }, '#')
    const cells = this.columns.map((column, i) => {
      const direction = this.sort?.column === column.name ? this.sort.direction : undefined
      const button = h(
        'button',
        { class: 'grid-sort', type: 'button', title: `Sort by ${column.name}` },
        h('span', { class: 'grid-colname' }, column.name, direction ? (direction === 'asc' ? ' ▲' : ' ▼') : ''),
        h('span', { class: 'grid-coltype' }, column.type),
      )
      button.addEventListener('click', () => this.options.onSort(column))
      const resizer = h('div', { class: 'grid-resizer', title: `Drag to resize ${column.name}; double-click to fit`, 'aria-hidden': 'true' })
      resizer.addEventListener('pointerdown', (event) => this.startResize(event, i))
      resizer.addEventListener('dblclick', (event) => {
        event.stopPropagation()
        this.fitColumn(i)
      })
      const cell = h(
        'div',
        {
          class: `grid-colheader${isNumericType(column.type) ? ' num' : ''}${i < this.pinned ? ' pinned' : ''}${i === this.pinned - 1 ? ' pinned-last' : ''}`,
          role: 'columnheader',
          'aria-colindex': i + 2,
          'aria-sort': direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none',
        },
        button,
        resizer,
      )
      if (i < this.pinned) cell.style.left = `${this.columnLeft(i)}px`
      return cell
    })
    this.header.replaceChildren(corner, ...cells)
  }

  private startResize(event: PointerEvent, column: number): void {
    event.preventDefault()
    event.stopPropagation()
    const handle = event.currentTarget as HTMLElement
    handle.setPointerCapture(event.pointerId)
    const startX = event.clientX
    const startWidth = this.widths[column]
    const move = (e: PointerEvent) => this.setColumnWidth(column, startWidth + e.clientX - startX)
    const end = () => {
      handle.removeEventListener('pointermove', move)
      handle.removeEventListener('pointerup', end)
      handle.removeEventListener('pointercancel', end)
    }
    handle.addEventListener('pointermove', move)
    handle.addEventListener('pointerup', end)
    handle.addEventListener('pointercancel', end)
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
    const lefts = this.columns.map((_, c) => (c < this.pinned ? `${this.columnLeft(c)}px` : ''))
    const timestamps = this.columns.map((c) => isTimestampType(c.type))
    for (let i = 0; i < this.pool.length; i++) {
      const element = this.pool[i]
      if (i >= visible) {
        element.hidden = true
        continue
      }
      const index = first + i
      element.hidden = false
      element.style.transform = `translateY(${i * ROW_HEIGHT - shift}px)`
      this.renderRow(element, index, lefts, timestamps)
      if (index === this.active.row) activeId = `${this.idPrefix}-${index}-${this.active.column}`
    }
    if (activeId) this.element.setAttribute('aria-activedescendant', activeId)
    else this.element.removeAttribute('aria-activedescendant')
    if (!this.firstRowsMarked && visible > 0 && this.row(first) !== undefined) {
      this.firstRowsMarked = true
      performance.mark(FIRST_ROWS_MARK)
    }
    this.scheduleFetch(first, visible)
  }

  private renderRow(element: HTMLDivElement, index: number, lefts: string[], timestamps: boolean[]): void {
    const values = this.row(index)
    const range = this.selection?.range
    const rowSelected = range !== undefined && index >= range.top && index <= range.bottom
    const wholeRow = rowSelected && range.left === 0 && range.right === this.columns.length - 1
    const needle = this.findBar?.needle
    element.setAttribute('aria-rowindex', String(index + 2))
    element.setAttribute('aria-selected', String(wholeRow))
    element.classList.toggle('selected', wholeRow)
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
      const text = values === undefined ? '…' : timestamps[c] && typeof value === 'string' ? timestampText(value) : cellText(value)
      if (cell.textContent !== text) cell.textContent = text
      cell.id = `${this.idPrefix}-${index}-${c}`
      cell.dataset.column = String(c)
      const selected = rowSelected && c >= range.left && c <= range.right
      const match = needle !== undefined && values !== undefined && value !== null && text.toLowerCase().includes(needle)
      cell.className =
        `grid-cell${isNumericType(this.columns[c].type) ? ' num' : ''}${value === null ? ' null' : ''}${index === this.active.row && c === this.active.column ? ' active' : ''}` +
        `${selected ? ' in-range' : ''}${match ? ' match' : ''}${c < this.pinned ? ' pinned' : ''}${c === this.pinned - 1 ? ' pinned-last' : ''}`
      cell.setAttribute('aria-selected', String(selected))
      if (cell.style.left !== lefts[c]) cell.style.left = lefts[c]
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

  private cellAt(target: EventTarget | null): Cell | undefined {
    const element = target as HTMLElement
    const rowElement = element.closest?.<HTMLElement>('.grid-row')
    if (!rowElement?.dataset.row) return undefined
    const cell = element.closest<HTMLElement>('.grid-cell')
    return { row: Number(rowElement.dataset.row), column: cell ? Number(cell.dataset.column) : -1 }
  }

  private select(anchor: Cell, to: Cell): void {
    this.selection = {
      anchor,
      range: {
        top: Math.min(anchor.row, to.row),
        bottom: Math.max(anchor.row, to.row),
        left: Math.min(anchor.column, to.column),
        right: Math.max(anchor.column, to.column),
      },
    }
  }

  private onPointer(event: MouseEvent): void {
    if (event.button !== 0) return
    const at = this.cellAt(event.target)
    if (!at) return
    const last = this.columns.length - 1
    if (at.column < 0) {
      // A row number: whole rows, extended with Shift.
      const anchorRow = event.shiftKey && this.selection ? this.selection.anchor.row : at.row
      this.select({ row: anchorRow, column: 0 }, { row: at.row, column: last })
      this.active = { row: at.row, column: this.active.column }
    } else if (event.shiftKey) {
      this.select(this.selection?.anchor ?? this.active, at)
      this.active = at
    } else {
      this.selection = undefined
      this.active = at
      this.dragging = true
    }
    this.element.focus({ preventScroll: true })
    this.scheduleRender()
  }

  private onDrag(event: MouseEvent): void {
    if (!this.dragging || !(event.buttons & 1)) return
    const at = this.cellAt(event.target)
    if (!at || at.column < 0 || (at.row === this.active.row && at.column === this.active.column && !this.selection)) return
    this.select(this.selection?.anchor ?? this.active, at)
    this.scheduleRender()
  }

  private onDoubleClick(event: MouseEvent): void {
    const at = this.cellAt(event.target)
    if (!at) return
    this.active = { row: at.row, column: at.column < 0 ? this.active.column : at.column }
    this.view(at.column < 0 ? 'row' : 'cell')
  }

  private onContextMenu(event: MouseEvent): void {
    if ((event.target as HTMLElement).closest('.grid-header')) return
    const at = this.cellAt(event.target)
    event.preventDefault()
    if (at && at.column >= 0) {
      const range = this.selection?.range
      const inside = range && at.row >= range.top && at.row <= range.bottom && at.column >= range.left && at.column <= range.right
      if (!inside) this.selection = undefined
      this.active = at
      this.scheduleRender()
    }
    this.openMenu({ x: event.clientX, y: event.clientY })
  }

  private openMenu(at: { x: number; y: number }): void {
    if (!this.columns.length) return
    const column = this.columns[this.active.column]
    const loaded = this.row(this.active.row) !== undefined
    const entries: MenuEntry[] = [
      { label: 'View value', shortcut: 'Enter', disabled: !loaded, run: () => this.view('cell') },
      { label: 'View row', shortcut: 'Shift+Enter', disabled: !loaded, run: () => this.view('row') },
      ...(this.options.rowActions ?? []).map(
        (action): MenuEntry => ({ label: action.label, shortcut: action.shortcut, disabled: !loaded, run: () => this.runRowAction(action) }),
      ),
      'separator',
      { label: 'Copy', shortcut: 'Ctrl+C', run: () => this.copyShortcut() },
      ...COPY_FORMATS.map((format): MenuEntry => ({ label: `Copy as ${COPY_FORMAT_LABELS[format]}`, run: () => void this.copyAs(format) })),
      'separator',
      { label: 'Select all', shortcut: 'Ctrl+A', run: () => this.selectAll() },
      ...(this.findBar ? [{ label: 'Find in result…', shortcut: 'Ctrl+F', run: () => this.openFind() }] : []),
      'separator',
      { label: `Fit “${column.name}” to its values`, run: () => this.fitColumn(this.active.column) },
      { label: 'Fit all columns', run: () => this.columns.forEach((_, c) => this.fitColumn(c)) },
      this.pinned > this.active.column
        ? { label: 'Unpin columns', run: () => this.pinThrough(-1) }
        : { label: `Pin columns through “${column.name}”`, run: () => this.pinThrough(this.active.column) },
    ]
    openContextMenu(entries, at, `${this.options.label}: actions`)
  }

  private copyShortcut(): void {
    const text = this.selectionText()
    if (!text) return
    const range = this.selection?.range
    this.options.onCopy(
      text,
      range ? `${range.bottom - range.top + 1} row(s) × ${range.right - range.left + 1} column(s)` : `the value of ${this.columns[this.active.column].name}`,
    )
  }

  private goToMatch(row: number, text: string): void {
    this.selection = undefined
    const values = this.row(row)
    const column = values?.findIndex((v) => v !== null && cellText(v).toLowerCase().includes(text))
    this.active = { row, column: column !== undefined && column >= 0 ? column : this.active.column }
    this.scrollToRow(row)
    this.scrollToColumn(this.active.column)
    this.scheduleRender()
    // The row's page may not be here yet: once it is, the active cell moves to the matching column.
    if (!values) void this.rowsIn(row, row).then(() => this.active.row === row && this.goToMatchColumn(row, text))
  }

  private goToMatchColumn(row: number, text: string): void {
    const column = this.row(row)?.findIndex((v) => v !== null && cellText(v).toLowerCase().includes(text)) ?? -1
    if (column < 0) return
    this.active = { row, column }
    this.scrollToColumn(column)
    this.scheduleRender()
  }

  private runRowAction(action: RowAction): void {
    const values = this.row(this.active.row)
    if (values) action.run(values, this.active.row)
  }

  private onKey(event: KeyboardEvent): void {
    const control = event.ctrlKey || event.metaKey
    const action = this.rowCount ? this.options.rowActions?.find((a) => a.isKey(event)) : undefined
    if (action) {
      event.preventDefault()
      event.stopPropagation()
      return this.runRowAction(action)
    }
    // The webview host would otherwise act on these (its find widget, select-all of the page text).
    if (control && (event.key === 'f' || event.key === 'F') && this.findBar) {
      event.preventDefault()
      event.stopPropagation()
      return this.openFind()
    }
    if (!this.rowCount) return
    const page = Math.max(1, Math.floor(this.viewHeight() / ROW_HEIGHT) - 1)
    let { row, column } = this.active
    switch (event.key) {
      case 'ArrowDown':
        row++
        break
      case 'ArrowUp':
        row--
        break
      case 'ArrowRight':
      case 'ArrowLeft':
        if (event.altKey) {
          event.preventDefault()
          return this.setColumnWidth(column, this.widths[column] + (event.key === 'ArrowRight' ? 16 : -16))
        }
        column += event.key === 'ArrowRight' ? 1 : -1
        break
      case 'PageDown':
        row += page
        break
      case 'PageUp':
        row -= page
        break
      case 'Home':
        if (control) row = 0
        else column = 0
        this.element.scrollLeft = 0
        break
      case 'End':
        if (control) row = this.rowCount - 1
        else column = this.columns.length - 1
        break
      case 'a':
      case 'A':
        if (!control) return
        event.preventDefault()
        event.stopPropagation()
        return this.selectAll()
      case 'c':
      case 'C':
        if (!control) return
        event.preventDefault()
        event.stopPropagation()
        return this.copyShortcut()
      case 'Enter':
        event.preventDefault()
        return this.view(event.shiftKey ? 'row' : 'cell')
      case 'ContextMenu':
      case 'F10':
        if (event.key === 'F10' && !event.shiftKey) return
        event.preventDefault()
        return this.openMenuAtActive()
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
    if (event.shiftKey) this.select(this.selection?.anchor ?? this.active, { row, column })
    else this.selection = undefined
    this.active = { row, column }
    this.scrollToRow(row)
    this.scrollToColumn(column)
    this.scheduleRender()
  }

  private openMenuAtActive(): void {
    const cell = document.getElementById(`${this.idPrefix}-${this.active.row}-${this.active.column}`)
    const box = (cell ?? this.element).getBoundingClientRect()
    this.openMenu({ x: box.left + 8, y: box.bottom })
  }
}

/** Text widths in the grid's fonts (a canvas measures without touching the layout). */
function textMeasurer(grid: HTMLElement): (text: string, bold?: boolean) => number {
  const context = document.createElement('canvas').getContext('2d')
  const style = getComputedStyle(grid)
  const cellFont = `${style.getPropertyValue('--vscode-editor-font-size').trim() || '13px'} ${style.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace'}`
  const headerFont = `600 ${style.fontSize} ${style.fontFamily}`
  return (text, bold = false) => {
    if (!context) return text.length * 7.5
    context.font = bold ? headerFont : cellFont
    return context.measureText(text).width
  }
}
