/**
 * Where a statement's table lives. Names go through the catalog (checked, never outside the lake);
 * ``delta.`path` `` is resolved against the lake folder and must stay inside it for writes.
 */
import * as path from 'node:path'
import { DeltaError } from '../../delta'
import type { LakeCatalog } from '../../engine'
import type { TableName } from './ast'

export async function tablePath(catalog: LakeCatalog, table: TableName): Promise<string> {
  if (table.kind === 'name') return catalog.confinedPathOf(table.name)
  const resolved = path.resolve(catalog.lakeDir, table.name)
  const relative = path.relative(path.resolve(catalog.lakeDir), resolved)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new DeltaError('INVALID_ARGUMENT', `delta.\`${table.name}\` is outside the lake ${catalog.lakeDir}: statements change tables inside the lake only`)
  }
  return resolved
}

/** How the statement named the table, for messages. */
export function tableLabel(table: TableName): string {
  return table.kind === 'name' ? table.name : `delta.\`${table.name}\``
}

/** The table as SQL the query layer (prepare.ts) understands, time travel included. */
export function tableReference(table: TableName): string {
  const base =
    table.kind === 'name'
      ? table.name
          .split('.')
          .map((part) => `"${part.replaceAll('"', '""')}"`)
          .join('.')
      : `delta.\`${table.name.replaceAll('`', '``')}\``
  if (table.version !== undefined) return `${base} VERSION AS OF ${table.version}`
  if (table.timestamp !== undefined) return `${base} TIMESTAMP AS OF '${new Date(table.timestamp).toISOString()}'`
  return base
}
