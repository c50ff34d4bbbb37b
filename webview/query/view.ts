/** The query panel's controls, built once; main.ts wires them to the host. */
import '@vscode-elements/elements/dist/vscode-button/index.js'
import '@vscode-elements/elements/dist/vscode-option/index.js'
import '@vscode-elements/elements/dist/vscode-single-select/index.js'
import { h } from '../shared/dom'
import { buildSqlEditor, type SqlEditor } from './sql-editor'

export type Button = HTMLElement & { disabled: boolean }
export type Select = HTMLElement & { value: string }
export interface QueryView {
  /** The SQL box, highlighted (sql-editor.ts). */
  sql: SqlEditor
  run: Button
  cancel: Button
  status: HTMLElement
  /** A button per commit the last run's writes made, opening its changes. */
  writes: HTMLElement
  lake: HTMLElement
  format: Select
  exportButton: Button
  copyCell: Button
  copyRows: Button
  chartToggle: Button
  results: HTMLElement
  chart: HTMLElement
  chartLabel: Select
  chartValue: Select
  chartKind: Select
  chartArea: HTMLElement
  error: HTMLElement
  /** Over a result that is not the answer to the last run (it failed or was cancelled). */
  stale: HTMLElement
}

const button = (id: string, label: string, title: string, secondary = true): Button =>
  h('vscode-button', { id, title, secondary, 'aria-label': title }, label) as Button

const select = (id: string, label: string, options: [string, string][] = []): Select =>
  h(
    'vscode-single-select',
    { id, 'aria-label': label },
    options.map(([value, text]) => h('vscode-option', { value }, text)),
  ) as Select

export function buildQueryView(app: HTMLElement): QueryView {
  const editor = buildSqlEditor({ id: 'sql', rows: 6, label: 'SQL query (Ctrl+Enter runs it)', placeholder: 'SELECT * FROM raw.orders' })
  const view: QueryView = {
    sql: editor.textarea,
    run: button('run', 'Run', 'Run the query (Ctrl+Enter)', false),
    cancel: button('cancel', 'Cancel', 'Cancel the running query'),
    status: h('span', { id: 'status', class: 'status', role: 'status', 'aria-live': 'polite' }),
    writes: h('span', { id: 'writes', class: 'writes' }),
    lake: h('span', { id: 'lake', class: 'muted' }),
    format: select('format', 'Export format', [
      ['csv', 'CSV'],
      ['parquet', 'Parquet'],
      ['jsonl', 'JSON lines'],
    ]),
    exportButton: button('export', 'Export…', 'Export the whole result to a file'),
    copyCell: button('copy-cell', 'Copy', 'Copy the selected rows or cell (Ctrl+C)'),
    copyRows: button('copy-rows', 'Copy with header', 'Copy the selected rows with a header line'),
    chartToggle: button('chart-toggle', 'Chart', 'Chart a numeric column (results of up to 1,000 rows)'),
    results: h('div', { id: 'results', class: 'results' }),
    chart: h('section', { id: 'chart', class: 'chart-panel', hidden: true, 'aria-label': 'Chart' }),
    chartLabel: select('chart-label', 'Label column'),
    chartValue: select('chart-value', 'Value column'),
    chartKind: select('chart-kind', 'Chart type', [
      ['bar', 'Bar'],
      ['line', 'Line'],
    ]),
    chartArea: h('div', { class: 'chart-area' }),
    error: h('div', { id: 'error', class: 'error', role: 'alert', hidden: true }),
    stale: h('div', { id: 'stale', class: 'stale-note', hidden: true }),
  }
  view.cancel.disabled = true
  for (const b of [view.exportButton, view.copyCell, view.copyRows, view.chartToggle]) b.disabled = true
  view.chart.append(
    h('div', { class: 'toolbar' }, h('label', null, 'Label '), view.chartLabel, h('label', null, 'Value '), view.chartValue, view.chartKind),
    view.chartArea,
  )
  app.append(
    h(
      'section',
      { class: 'editor' },
      editor.root,
      h(
        'div',
        { class: 'toolbar', role: 'toolbar', 'aria-label': 'Query' },
        view.run,
        view.cancel,
        view.status,
        view.writes,
        h('span', { class: 'spacer' }),
        view.lake,
        view.copyCell,
        view.copyRows,
        view.chartToggle,
        view.format,
        view.exportButton,
      ),
    ),
    view.error,
    view.stale,
    view.results,
    view.chart,
  )
  return view
}
