/**
 * The lake's tables by name: `<lake>/<zone>/<table>` is the table `zone.table` (`raw.orders`,
 * `refined.orders`). Names are validated so that no name can point outside the lake folder.
 */
import * as path from 'node:path'
import { DeltaError, type Storage } from '../delta'

/** One part of a table name: letters, digits, `_` and `-`, not starting with `-` or `.`. */
export const NAME_PART = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/

export interface TableEntry {
  /** `zone.table` */
  name: string
  zone: string
  table: string
  path: string
}

export class LakeCatalog {
  constructor(
    readonly lakeDir: string,
    private readonly storage: Storage,
  ) {}

  /** The path of table `zone.table`, after checking the name; the table need not exist. */
  pathOf(name: string): string {
    const parts = name.split('.')
    if (parts.length !== 2 || !parts.every((part) => NAME_PART.test(part))) {
      throw new DeltaError('INVALID_ARGUMENT', `'${name}' is not a table name: use zone.table, each part letters, digits, '_' or '-'`)
    }
    const resolved = path.resolve(this.lakeDir, parts[0], parts[1])
    // NAME_PART already excludes separators and '..'; this guards against anything it missed.
    if (path.relative(path.resolve(this.lakeDir), resolved).startsWith('..')) {
      throw new DeltaError('INVALID_ARGUMENT', `table name '${name}' points outside the lake ${this.lakeDir}`)
    }
    return resolved
  }

  /**
   * The path of table `zone.table` (see pathOf), refusing a table folder that is a symbolic link
   * (or under one) leading outside the lake: a cloned or shared lake must not make a query read,
   * or a job write, elsewhere on the disk.
   */
  async confinedPathOf(name: string): Promise<string> {
    const tablePath = this.pathOf(name)
    const real = async (p: string) => this.storage.realPath?.(p).catch(() => undefined)
    const [lakeReal, tableReal] = await Promise.all([real(this.lakeDir), real(tablePath)])
    if (lakeReal && tableReal) {
      const relative = path.relative(lakeReal, tableReal)
      if (relative.startsWith('..') || path.isAbsolute(relative)) {
        throw new DeltaError('INVALID_ARGUMENT', `table '${name}' (${tablePath}) is a symbolic link to ${tableReal}, outside the lake ${this.lakeDir}: refused`)
      }
    }
    return tablePath
  }

  /** Every table in the lake: folders `<zone>/<table>` that have a `_delta_log`. */
  async tables(): Promise<TableEntry[]> {
    const zones = (await this.storage.list(this.lakeDir)) ?? []
    const found: TableEntry[] = []
    for (const zone of zones) {
      if (!NAME_PART.test(zone)) continue
      const zoneDir = path.join(this.lakeDir, zone)
      for (const table of (await this.storage.list(zoneDir)) ?? []) {
        if (!NAME_PART.test(table)) continue
        const tablePath = path.join(zoneDir, table)
        if ((await this.storage.list(path.join(tablePath, '_delta_log'))) !== undefined) found.push({ name: `${zone}.${table}`, zone, table, path: tablePath })
      }
    }
    return found.sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * The table named `name`; an unknown name is an error that lists the tables there are. Only
   * the named table is looked at (a query resolves its tables every time it runs, and listing the
   * lake reads every table's log folder).
   */
  async resolve(name: string): Promise<TableEntry> {
    const tablePath = await this.confinedPathOf(name)
    if ((await this.storage.stat(path.join(tablePath, '_delta_log'))) !== undefined) {
      const [zone, table] = name.split('.')
      return { name, zone, table, path: tablePath }
    }
    const tables = await this.tables()
    const list = tables.length ? tables.map((t) => t.name).join(', ') : 'none yet'
    throw new DeltaError('TABLE_NOT_FOUND', `unknown table '${name}' in the lake ${this.lakeDir} (tables: ${list})`)
  }
}
