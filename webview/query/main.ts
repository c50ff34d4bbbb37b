/**
 * The query panel: SQL in, a result the host keeps in DuckDB, shown by a virtual grid that asks
 * for pages as the user scrolls; sort, copy, export and a chart for small results. The panel's
 * SQL, sort and scroll position are saved with VS Code's state (hide/show and reload).
 */
import '../shared/base.css'
import '../shared/grid.css'
import './query.css'
import { byId, h, replaceChildren } from '../shared/dom'
import { formatBytes, formatCount, formatDuration, valueText } from '../shared/format'
import { connectToHost } from '../shared/host'
import {
  EXPORT_FORMATS,
  QUERY_PAGE_ROWS,
  queryToPanel,
  resultInfo,
  statementOutcome,
  type ExportFormat,
  type QueryToHost,
  type QueryToPanel,
  type ResultInfo,
  type SortOrder,
  type StatementOutcome,
} from '../shared/protocol'
import { array, literal, object, optional, record, jsonValue, string, count, type Infer } from '../shared/validate'
import type { FindResult } from '../shared/grid-find'
import { createSourcePane } from '../shared/source-pane'
import type { JsonValue } from '../shared/validate'
import { VirtualGrid } from '../shared/virtual-grid'
import { chartNumber, renderChart, type ChartKind } from './chart'
import { buildStatementTabs, positionText } from './statement-tabs'
import { buildQueryView } from './view'

const PAGE_SIZE = QUERY_PAGE_ROWS
const CHART_ROWS_MAX = 1000

const savedState = object({
  sql: string,
  resultId: optional(string),
  sort: optional(object({ column: string, direction: literal('asc', 'desc') })),
  firstRow: optional(count),
  format: optional(literal(...EXPORT_FORMATS)),
  restore: optional(record(jsonValue)),
  /**
   * The result and the page of rows in view, kept with the panel's state: a panel shown again
   * (VS Code reloads a hidden webview's page) paints them at once, before the host answers.
   */
  cache: optional(object({ info: resultInfo, sortKey: string, offset: count, rows: array(array(jsonValue)) })),
  /** The last script's outcome per statement and the one shown (its result is `resultId`). */
  script: optional(object({ statements: array(statementOutcome), active: count })),
})
type SavedState = Infer<typeof savedState>

/** A cached page larger than this (as JSON text) is not kept in the state. */
const CACHE_CHARS_MAX = 400_000

const host = connectToHost<QueryToHost, QueryToPanel, SavedState>('query', queryToPanel, savedState)
const app = byId('app')
const view = buildQueryView(app)
let state: SavedState = host.savedState ?? { sql: '' }
let result: ResultInfo | undefined
let sort: SortOrder | undefined
let running: { started: number; timer: ReturnType<typeof setInterval> } | undefined
/** What the running status says besides the time (a script's statement). */
let runningNote = ''
let nextRequest = 1
/** Page requests in flight: which result and order each was for, so late answers can be dropped. */
const requests = new Map<number, { resultId: string; sortKey: string; offset: number; chart?: boolean }>()
/** Finds in flight, answered by `found` (or an error naming the request). */
const finds = new Map<number, { resolve(found: FindResult): void; reject(error: Error): void }>()

const sortKey = (s?: SortOrder) => (s ? `${s.column}\u0000${s.direction}` : '')
const save = (patch: Partial<SavedState>) => {
  state = { ...state, ...patch }
  host.saveState(state)
}

const grid = new VirtualGrid({
  label: 'Query result',
  pageSize: PAGE_SIZE,
  requestPage(offset, limit) {
    if (!result) return
    const requestId = nextRequest++
    requests.set(requestId, { resultId: result.id, sortKey: sortKey(sort), offset })
    host.post({ type: 'page', requestId, resultId: result.id, offset, limit, ...(sort ? { sort } : {}) })
  },
  onSort(column) {
    if (!result) return
    // Clicking a header cycles: ascending, descending, the result's own order.
    sort =
      sort?.column !== column.name
        ? { column: column.name, direction: 'asc' }
        : sort.direction === 'asc'
          ? { column: column.name, direction: 'desc' }
          : undefined
    save({ sort, firstRow: 0 })
    grid.setResult(result.columns, result.rowCount, sort)
    if (!view.chart.hidden) requestChartRows()
  },
  onCopy: copy,
  onScroll: (firstRow) => save({ firstRow }),
  find(text) {
    if (!result) return Promise.resolve({ count: 0, rows: [] })
    const requestId = nextRequest++
    host.post({ type: 'find', requestId, resultId: result.id, text, ...(sort ? { sort } : {}) })
    return new Promise<FindResult>((resolve, reject) => finds.set(requestId, { resolve, reject }))
  },
  tableName: () => /\bfrom\s+([A-Za-z0-9_.-]+)/i.exec(state.sql)?.[1] ?? 'result',
  rowActions: [{ label: 'Show source', shortcut: 'Alt+Enter', isKey: (e) => e.key === 'Enter' && e.altKey && !e.ctrlKey && !e.metaKey, run: showSource }],
})
view.results.append(grid.root)
/** "Show source": the lineage of a row, under the grid; only the latest request's answer is shown. */
const sourcePane = createSourcePane((message) => host.post(message))
view.results.after(sourcePane.element)
let sourceRequest: number | undefined

function showSource(values: JsonValue[], row: number): void {
  if (!result) return
  sourceRequest = nextRequest++
  sourcePane.loading(`row ${formatCount(row + 1)}`)
  host.post({ type: 'showSource', requestId: sourceRequest, resultId: result.id, columns: result.columns.map((c) => c.name), values })
}
const statementTabs = buildStatementTabs((index) => showStatement(index))
view.results.before(statementTabs.root)

function copy(text: string, what?: string): void {
  if (!text) return
  host.post({ type: 'copy', text })
  setStatus(`Copied ${what ?? (text.length > 60 ? `${formatCount(text.split('\n').length)} line(s)` : `“${text}”`)}`)
}

function setStatus(text: string): void {
  view.status.textContent = text
}

function showError(message: string | undefined): void {
  view.error.hidden = message === undefined
  view.error.textContent = message ?? ''
}

function setRunning(on: boolean): void {
  if (running) clearInterval(running.timer)
  running = undefined
  view.run.disabled = on
  view.cancel.disabled = !on
  app.setAttribute('aria-busy', String(on))
  if (on) {
    const started = performance.now()
    runningNote = ''
    running = { started, timer: setInterval(() => setStatus(`Running… ${runningNote}${formatDuration(performance.now() - started)}`), 100) }
    setStatus('Running…')
  }
}

function run(): void {
  // Sent as written (not trimmed): a statement's position is then its line and column in the box (and in a file run whole).
  if (!view.sql.value.trim()) return
  save({ sql: view.sql.value })
  showError(undefined)
  host.post({ type: 'run', sql: view.sql.value })
}

/** A "Changes" button per commit the run's writes made (every statement's, for a script): it opens that version's changes. */
function showWriteLinks(writes: NonNullable<ResultInfo['writes']>): void {
  replaceChildren(
    view.writes,
    ...writes
      .filter((w) => w.version !== undefined)
      .map((w) => {
        const label = `Changes ${w.table} v${w.version}`
        const button = h(
          'vscode-button',
          { secondary: true, class: 'write-changes', title: `Show what ${w.operation} changed in ${w.table} (version ${w.version})`, 'aria-label': label },
          label,
        )
        button.addEventListener('click', () => host.post({ type: 'showChanges', table: w.table, version: w.version! }))
        return button
      }),
  )
}

function resultSummary(info: ResultInfo): string {
  const tables = info.tables.map((t) => (t.filesTotal ? `${t.name} v${t.version}: ${t.filesRead} of ${t.filesTotal} files` : t.name))
  const writes = (info.writes ?? []).map((w) => {
    const counts = [
      w.inserted ? `${formatCount(w.inserted)} inserted` : '',
      w.updated ? `${formatCount(w.updated)} updated` : '',
      w.deleted ? `${formatCount(w.deleted)} deleted` : '',
    ].filter(Boolean)
    return `${w.table}: ${w.operation}${counts.length ? ` (${counts.join(', ')})` : ''}${w.version === undefined ? '' : ` → v${w.version}`}`
  })
  return [...writes, `${formatCount(info.rowCount)} row${info.rowCount === 1 ? '' : 's'}`, formatDuration(info.elapsedMs), ...tables].join(' · ')
}

/** The result on screen is not the answer to the SQL last run: said over the grid, and dimmed. */
function markStale(why: string): void {
  if (!result) return
  grid.root.classList.add('stale')
  view.stale.hidden = false
  view.stale.textContent = `Previous result (${why}): ${resultSummary(result)}`
}

/** `firstPage`: the result's first rows, sent with it (a fresh run), painted without asking the host. */
function showResult(info: ResultInfo, firstPage?: JsonValue[][]): void {
  grid.root.classList.remove('stale')
  view.stale.hidden = true
  const restoring = state.resultId === info.id
  // Painted from the cache already: the grid keeps its rows and asks for the others as usual.
  const painted = paintedFromCache && result?.id === info.id
  paintedFromCache = false
  result = info
  sort = restoring && state.sort && info.columns.some((c) => c.name === state.sort?.column) ? state.sort : undefined
  save({ resultId: info.id, sort, firstRow: restoring ? state.firstRow : 0, ...(restoring ? {} : { cache: undefined }) })
  const firstRow = restoring ? (state.firstRow ?? 0) : 0
  if (!painted) grid.setResult(info.columns, info.rowCount, sort, firstRow)
  if (firstPage && !sort) {
    grid.receivePage(0, firstPage)
    cachePage(0, firstPage, firstRow)
  }
  setStatus(resultSummary(info))
  showWriteLinks(state.script ? state.script.statements.flatMap((s) => s.info?.writes ?? []) : (info.writes ?? []))
  for (const b of [view.exportButton, view.copyCell, view.copyRows]) b.disabled = info.rowCount === 0
  const chartable = info.rowCount > 0 && info.rowCount <= CHART_ROWS_MAX && info.columns.some((c) => c.type !== 'VARCHAR')
  view.chartToggle.disabled = !chartable
  if (!chartable) view.chart.hidden = true
  setChartColumns(info)
  if (!view.chart.hidden) requestChartRows()
}

// ---- a script's run: a tab per statement, each with its own result

/** The script's outcomes arrived (after each statement, then `done`): the tabs follow, showing the newest (or the failed) statement. */
function showScript(statements: StatementOutcome[], done: boolean): void {
  const ids = (list: StatementOutcome[]) => list.map((s) => s.info?.id ?? '').join('\u0000')
  // The same script the panel showed before it was hidden keeps the statement the user chose.
  const restoring =
    done &&
    state.script !== undefined &&
    ids(state.script.statements) === ids(statements) &&
    statements.some((s) => s.error !== undefined) === state.script.statements.some((s) => s.error !== undefined)
  const failed = statements.findIndex((s) => s.error !== undefined)
  const active = restoring ? state.script!.active : failed >= 0 ? failed : statements.reduce((last, s, i) => (s.info ? i : last), 0)
  if (done) setRunning(false)
  save({ script: { statements, active } })
  showStatement(active)
  if (!done) runningNote = `statement ${active + 2} of ${statements.length} · `
}

/** One statement of the script: its result in the grid, or the error that stopped the script there. */
function showStatement(index: number): void {
  const script = state.script
  const outcome = script?.statements[index]
  if (!script || !outcome) return
  save({ script: { ...script, active: index } })
  statementTabs.show(script.statements, index)
  if (outcome.info) {
    showError(undefined)
    showResult(outcome.info)
    return
  }
  result = undefined
  grid.root.classList.remove('stale')
  view.stale.hidden = true
  grid.setResult([], 0, undefined)
  for (const b of [view.exportButton, view.copyCell, view.copyRows, view.chartToggle]) b.disabled = true
  view.chart.hidden = true
  showWriteLinks(script.statements.flatMap((s) => s.info?.writes ?? []))
  const where = `statement ${index + 1} of ${script.statements.length}, at ${positionText(outcome.position)}`
  if (outcome.error === 'cancelled') {
    showError(undefined)
    setStatus(`Cancelled at ${where}`)
  } else if (outcome.error !== undefined) {
    showError(`Failed at ${where}: ${outcome.error}`)
    setStatus('Failed')
  } else {
    showError(undefined)
    setStatus('Not run: an earlier statement failed')
  }
}

/** A single statement's result replaces a script's tabs. */
function leaveScript(): void {
  if (!state.script) return
  save({ script: undefined })
  statementTabs.clear()
}

/** Before the host answers: the result and rows the panel showed when it was hidden. */
let paintedFromCache = false
function paintFromCache(): void {
  if (state.script) statementTabs.show(state.script.statements, state.script.active)
  const cache = state.cache
  if (!cache || state.resultId !== cache.info.id || cache.sortKey !== sortKey(state.sort)) return
  result = cache.info
  sort = state.sort
  grid.setResult(cache.info.columns, cache.info.rowCount, sort, state.firstRow ?? 0)
  grid.receivePage(cache.offset, cache.rows)
  setStatus(resultSummary(cache.info))
  paintedFromCache = true
}

/** Keeps the page holding the first row in view in the state (when it is small enough). */
function cachePage(offset: number, rows: QueryPage['rows'], first = grid.firstRow): void {
  if (!result) return
  if (first < offset || first >= offset + rows.length) return
  const cache = { info: result, sortKey: sortKey(sort), offset, rows }
  if (JSON.stringify(cache).length <= CACHE_CHARS_MAX) save({ cache })
}
type QueryPage = Extract<QueryToPanel, { type: 'page' }>

// ---- chart: the whole (small) result in one page, in the grid's order

function setChartColumns(info: ResultInfo): void {
  const options = (columns: typeof info.columns) =>
    columns.map((c) => {
      const option = document.createElement('vscode-option')
      option.setAttribute('value', c.name)
      option.textContent = c.name
      return option
    })
  const numeric = info.columns.filter((c) => /INT|DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC/i.test(c.type))
  replaceChildren(view.chartLabel, options(info.columns))
  replaceChildren(view.chartValue, options(numeric))
  const label = info.columns.find((c) => !numeric.includes(c)) ?? info.columns[0]
  const value = numeric.find((c) => c !== label) ?? numeric[0]
  queueMicrotask(() => {
    if (label) view.chartLabel.value = label.name
    if (value) view.chartValue.value = value.name
  })
}

let chartRows: unknown[][] = []

function requestChartRows(): void {
  if (!result) return
  const requestId = nextRequest++
  requests.set(requestId, { resultId: result.id, sortKey: sortKey(sort), offset: 0, chart: true })
  host.post({ type: 'page', requestId, resultId: result.id, offset: 0, limit: Math.min(CHART_ROWS_MAX, result.rowCount), ...(sort ? { sort } : {}) })
}

function drawChart(): void {
  if (!result) return
  const labelIndex = result.columns.findIndex((c) => c.name === view.chartLabel.value)
  const valueIndex = result.columns.findIndex((c) => c.name === view.chartValue.value)
  if (labelIndex < 0 || valueIndex < 0) {
    replaceChildren(view.chartArea, 'Choose a label column and a numeric value column.')
    return
  }
  const chart = renderChart(
    {
      labels: chartRows.map((row) => valueText(row[labelIndex] as never)),
      values: chartRows.map((row) => chartNumber(row[valueIndex])),
      labelName: result.columns[labelIndex].name,
      valueName: result.columns[valueIndex].name,
    },
    view.chartKind.value as ChartKind,
  )
  replaceChildren(view.chartArea, chart)
}

// ---- wiring

view.run.addEventListener('click', run)
view.cancel.addEventListener('click', () => host.post({ type: 'cancel' }))
view.sql.addEventListener('keydown', (event: KeyboardEvent) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault()
    run()
  }
})
view.sql.addEventListener('input', () => save({ sql: view.sql.value }))
view.format.addEventListener('change', () => save({ format: view.format.value as ExportFormat }))
view.exportButton.addEventListener('click', () => {
  if (!result) return
  setStatus('Exporting…')
  host.post({ type: 'export', resultId: result.id, format: view.format.value as ExportFormat, ...(sort ? { sort } : {}) })
})
view.copyCell.addEventListener('click', () => copy(grid.selectionText()))
view.copyRows.addEventListener('click', () => void grid.copyWithHeader())
view.chartToggle.addEventListener('click', () => {
  view.chart.hidden = !view.chart.hidden
  view.chartToggle.setAttribute('aria-pressed', String(!view.chart.hidden))
  if (!view.chart.hidden) requestChartRows()
})
for (const control of [view.chartLabel, view.chartValue, view.chartKind]) control.addEventListener('change', drawChart)

host.listen((message) => {
  switch (message.type) {
    case 'init':
      if (paintedFromCache && !(message.resultIds ?? (message.resultId ? [message.resultId] : [])).includes(result?.id ?? '')) {
        // The host no longer holds the cached result (the editor restarted): it cannot be paged.
        paintedFromCache = false
        result = undefined
        grid.setResult([], 0, undefined)
        save({ cache: undefined, resultId: undefined, script: undefined })
        statementTabs.clear()
        setStatus(message.run ? '' : 'The result is gone since the editor restarted: run the query again')
      }
      view.sql.value = state.sql || message.sql || ''
      if (message.lake) view.lake.textContent = message.lake
      save({ sql: view.sql.value, restore: message.restore })
      if (message.run && view.sql.value.trim()) run()
      return
    case 'running':
      return setRunning(true)
    case 'result':
      setRunning(false)
      leaveScript()
      return showResult(message.info, message.firstPage)
    case 'script':
      return showScript(message.statements, message.done)
    case 'cancelled':
      setRunning(false)
      markStale('the last run was cancelled')
      return setStatus('Cancelled')
    case 'page': {
      const request = requests.get(message.requestId)
      requests.delete(message.requestId)
      if (!request || !result || request.resultId !== result.id || request.sortKey !== sortKey(sort)) return
      if (request.chart) {
        chartRows = message.rows
        return drawChart()
      }
      grid.receivePage(message.offset, message.rows)
      return cachePage(message.offset, message.rows)
    }
    case 'exported':
      return setStatus(`Exported ${formatCount(message.rows)} rows (${formatBytes(message.bytes)}) to ${message.file}`)
    case 'exportCancelled':
      return setStatus(result ? resultSummary(result) : '')
    case 'source':
      if (message.requestId === sourceRequest) sourcePane.show(message)
      return
    case 'found': {
      const waiting = finds.get(message.requestId)
      finds.delete(message.requestId)
      if (waiting && message.resultId === result?.id) waiting.resolve({ count: message.count, rows: message.rows })
      else waiting?.reject(new Error('the result changed'))
      return
    }
    case 'error': {
      if (message.requestId !== undefined && message.requestId === sourceRequest) return sourcePane.failed(message.message)
      const find = message.requestId === undefined ? undefined : finds.get(message.requestId)
      if (find) {
        finds.delete(message.requestId!)
        return find.reject(new Error(message.message))
      }
      const request = message.requestId === undefined ? undefined : requests.get(message.requestId)
      if (request) {
        requests.delete(message.requestId!)
        if (!request.chart) grid.pageFailed(request.offset)
        if (request.resultId !== result?.id) return
      } else if (running) {
        setRunning(false)
        setStatus('Failed')
        markStale('the last run failed')
      }
      return showError(message.message)
    }
  }
})

if (state.format) queueMicrotask(() => (view.format.value = state.format!))
view.sql.value = state.sql
paintFromCache()
host.post({ type: 'ready' })
app.setAttribute('aria-busy', 'false')
