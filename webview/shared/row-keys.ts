/**
 * A table's body rows as one tab stop (the "roving tabindex" pattern): arrows, Home/End and
 * PageUp/PageDown move the focus between rows; `activate` runs on the keys given (Enter by
 * default). A click makes the clicked row the tab stop.
 */
export interface RowKeyOptions {
  /** The rows, in order (re-read on each key, as rows are re-rendered). */
  rows: () => HTMLElement[]
  activate: (row: HTMLElement) => void
  activateKeys?: string[]
  /** Rows PageUp/PageDown move by. */
  page?: number
}

export function rowKeys(container: HTMLElement, options: RowKeyOptions): void {
  const { rows, activate, activateKeys = ['Enter'], page = 10 } = options
  const focusRow = (all: HTMLElement[], index: number) => {
    for (const row of all) row.tabIndex = -1
    all[index].tabIndex = 0
    all[index].focus()
  }
  container.addEventListener('keydown', (event: KeyboardEvent) => {
    const all = rows()
    const current = (event.target as HTMLElement).closest<HTMLElement>('tbody tr')
    if (!current || all.length === 0) return
    if (activateKeys.includes(event.key)) {
      event.preventDefault()
      activate(current)
      return
    }
    const at = all.indexOf(current)
    const last = all.length - 1
    const moves: Record<string, number> = {
      ArrowDown: Math.min(last, at + 1),
      ArrowUp: Math.max(0, at - 1),
      Home: 0,
      End: last,
      PageDown: Math.min(last, at + page),
      PageUp: Math.max(0, at - page),
    }
    if (!(event.key in moves)) return
    event.preventDefault()
    focusRow(all, moves[event.key])
  })
  container.addEventListener('click', (event) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>('tbody tr')
    if (!row) return
    for (const r of rows()) r.tabIndex = -1
    row.tabIndex = 0
  })
}
