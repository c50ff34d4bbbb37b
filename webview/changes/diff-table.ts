/**
 * The diff as a table: the pre-image on the left, the post-image on the right, one line per
 * change (an insert has only the right side, a delete only the left). The cells of an update that
 * differ between its images are marked on both sides, with a class for the colour and a word in
 * the row's accessible name, since colour alone is not read out. The change, version and key
 * columns are pinned: they stay at the left while the images scroll sideways.
 */
import { h } from '../shared/dom'
import { cellText, isNumericType, shownValue, valueText } from '../shared/format'
import type { Column } from '../shared/protocol'
import type { JsonValue } from '../shared/validate'
import { changedColumns, type Change } from './pairing'

const SIGN: Record<Change['kind'], string> = { insert: '+', delete: '−', update: '~' }

export function diffTable(columns: Column[], changes: Change[], keyIndex: number, onVersion: (version: number) => void): HTMLTableElement {
  const numeric = columns.map((c) => isNumericType(c.type))
  const head = h(
    'thead',
    null,
    h(
      'tr',
      null,
      h('th', { scope: 'col', rowspan: 2, class: 'pin pin-change' }, 'Change'),
      h('th', { scope: 'col', rowspan: 2, class: 'num pin pin-version' }, 'Version'),
      keyIndex >= 0
        ? h(
            'th',
            { scope: 'col', rowspan: 2, class: `pin pin-key${numeric[keyIndex] ? ' num' : ''}`, title: `The key column, ${columns[keyIndex].name}` },
            columns[keyIndex].name,
          )
        : null,
      h('th', { scope: 'colgroup', colspan: columns.length, class: 'side before' }, 'Before (pre-image)'),
      h('th', { scope: 'colgroup', colspan: columns.length, class: 'side after' }, 'After (post-image)'),
    ),
    h(
      'tr',
      null,
      [0, 1].map((side) =>
        columns.map((c, i) =>
          h(
            'th',
            { scope: 'col', class: `${numeric[i] ? 'num ' : ''}${i === 0 ? 'side-start' : ''}`, title: `${side ? 'After' : 'Before'}: ${c.name} (${c.type})` },
            c.name,
          ),
        ),
      ),
    ),
  )
  const body = h('tbody')
  changes.forEach((change, index) => body.append(diffRow(change, index, columns, numeric, keyIndex, onVersion)))
  return h('table', { class: 'data diff', 'aria-label': 'Changes: pre-image and post-image side by side' }, head, body)
}

function diffRow(change: Change, index: number, columns: Column[], numeric: boolean[], keyIndex: number, onVersion: (version: number) => void): HTMLElement {
  const changed = changedColumns(change)
  const key = keyIndex >= 0 ? valueText((change.after ?? change.before)?.[keyIndex]) : undefined
  const changedNames = [...changed].map((i) => columns[i].name)
  const label = `${change.kind}${key === undefined ? '' : ` of ${columns[keyIndex].name} ${key}`} in version ${change.version}${changedNames.length ? `; changed: ${changedNames.join(', ')}` : ''}`
  const version = h(
    'button',
    { class: 'link version', type: 'button', tabindex: -1, title: `Show the operation and metrics of version ${change.version}` },
    `v${change.version}`,
  )
  version.addEventListener('click', () => onVersion(change.version))
  return h(
    'tr',
    { class: `change ${change.kind}`, 'data-kind': change.kind, 'data-version': change.version, 'data-index': index, tabindex: -1, 'aria-label': label },
    h('td', { class: 'kind pin pin-change' }, h('span', { class: 'sign', 'aria-hidden': 'true' }, SIGN[change.kind]), ' ', change.kind),
    h('td', { class: 'num pin pin-version' }, version),
    key === undefined
      ? null
      : h(
          'td',
          { class: `key pin pin-key${numeric[keyIndex] ? ' num' : ''}`, title: key.length > 40 ? key.slice(0, 2000) : null },
          cellText((change.after ?? change.before)?.[keyIndex] ?? null),
        ),
    side(change.before, columns, numeric, changed, 'before'),
    side(change.after, columns, numeric, changed, 'after'),
  )
}

function side(values: JsonValue[] | undefined, columns: Column[], numeric: boolean[], changed: Set<number>, which: 'before' | 'after'): HTMLElement[] {
  return columns.map((column, i) => {
    if (!values) return h('td', { class: `empty ${which}${i === 0 ? ' side-start' : ''}`, 'aria-label': `no ${which} image` })
    const value = shownValue(values[i], column.type)
    const full = valueText(value)
    const classes = [which, numeric[i] ? 'num' : '', value === null ? 'null' : '', changed.has(i) ? 'changed' : '', i === 0 ? 'side-start' : '']
      .filter(Boolean)
      .join(' ')
    return h('td', { class: classes, 'data-column': column.name, title: full.length > 80 ? full.slice(0, 2000) : null }, cellText(value))
  })
}
