/** Column-name helpers shared by the transforms: case-insensitive lookup and unique names. */
import type { Column } from './types'

export function findColumn(columns: Column[], name: string): Column | undefined {
  return columns.find((c) => c.name === name) ?? columns.find((c) => c.name.toLowerCase() === name.toLowerCase())
}

export function columnList(columns: Column[]): string {
  return columns.map((c) => c.name).join(', ')
}

/**
 * Reserves names case-insensitively (as Delta compares them): a taken name gets `_2`, `_3`...
 * so flattening `a.b` next to an existing `a_b` column never produces two columns of one name.
 */
export class UniqueNames {
  private readonly taken = new Set<string>()

  constructor(names: Iterable<string> = []) {
    for (const name of names) this.taken.add(name.toLowerCase())
  }

  claim(wanted: string): string {
    let name = wanted
    for (let n = 2; this.taken.has(name.toLowerCase()); n++) name = `${wanted}_${n}`
    this.taken.add(name.toLowerCase())
    return name
  }
}
