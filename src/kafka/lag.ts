/** Consumer lag: how far a group's committed offset trails a partition's log. */

/**
 * Messages of a partition still to read by a group that committed `committed` (-1 or less: the
 * group never committed there, so everything retained, high - low, is still to read).
 */
export function partitionLag(committed: number, low: number, high: number): number {
  return committed < 0 ? high - low : Math.max(0, high - committed)
}
