/**
 * Change rows as the diff shows them: an update's pre- and post-image side by side. The change
 * feed gives the two images as separate rows; within one commit they are paired by the key column
 * (equal key text), and whatever the key cannot pair is paired in arrival order, as the feed
 * writes the images of one row next to each other.
 */
import { valueText } from '../shared/format'
import type { ChangeRow } from '../shared/protocol'
import type { JsonValue } from '../shared/validate'

export interface Change {
  kind: 'insert' | 'delete' | 'update'
  version: number
  before?: JsonValue[]
  after?: JsonValue[]
}

export function pairChanges(rows: ChangeRow[], keyIndex: number): Change[] {
  const changes: Change[] = []
  const byVersion = new Map<number, ChangeRow[]>()
  for (const row of rows) byVersion.set(row.version, [...(byVersion.get(row.version) ?? []), row])
  for (const [version, versionRows] of [...byVersion].sort((a, b) => a[0] - b[0])) {
    const post = versionRows.filter((r) => r.changeType === 'update_postimage')
    const keyOf = (row: ChangeRow) => (keyIndex >= 0 ? valueText(row.values[keyIndex]) : undefined)
    const unpairedPost = [...post]
    for (const row of versionRows) {
      if (row.changeType === 'insert') changes.push({ kind: 'insert', version, after: row.values })
      else if (row.changeType === 'delete') changes.push({ kind: 'delete', version, before: row.values })
      else if (row.changeType === 'update_preimage') {
        const key = keyOf(row)
        let index = key === undefined ? -1 : unpairedPost.findIndex((p) => keyOf(p) === key)
        if (index < 0) index = unpairedPost.length ? 0 : -1
        const partner = index >= 0 ? unpairedPost.splice(index, 1)[0] : undefined
        changes.push({ kind: 'update', version, before: row.values, after: partner?.values })
      }
    }
    // Post-images whose pre-image was cut off (a truncated result) still show.
    for (const row of unpairedPost) changes.push({ kind: 'update', version, after: row.values })
  }
  return changes
}

/** The columns whose value differs between the two images. */
export function changedColumns(change: Change): Set<number> {
  const changed = new Set<number>()
  if (change.kind !== 'update' || !change.before || !change.after) return changed
  change.before.forEach((value, i) => {
    if (JSON.stringify(value) !== JSON.stringify(change.after![i])) changed.add(i)
  })
  return changed
}
