/**
 * A table as the panels are given it (`zone.table`, or a path for a Delta table outside the lake's
 * zones) and the forms the query layer wants: its folder, and how SQL names it.
 */
import * as path from 'node:path'
import { quoteString } from '../../delta'
import type { LakeCatalog } from '../../query'
import type { JsonValue } from '../../../webview/shared/protocol'

export interface TableRef {
  /** As given: what the panel shows. */
  label: string
  /** The table's folder. */
  path: string
  /** The table in a FROM clause: `raw.orders` or ``delta.`/abs/path` ``. */
  from: string
  /** The first argument of table_changes(): a quoted name or path. */
  changesArgument: string
}

export function tableRef(catalog: LakeCatalog, table: string): TableRef {
  if (!table.includes('/') && !table.includes('\\')) {
    // pathOf checks the name (so nothing from a panel or a command argument reaches SQL unchecked).
    return { label: table, path: catalog.pathOf(table), from: table, changesArgument: quoteString(table) }
  }
  const absolute = path.resolve(catalog.lakeDir, table)
  return { label: table, path: absolute, from: `delta.\`${absolute.replaceAll('`', '``')}\``, changesArgument: quoteString(absolute) }
}

/** A commit's parameters or metrics as plain JSON, which is what the protocol carries. */
export function jsonRecord(value: Record<string, unknown> | undefined): Record<string, JsonValue> {
  const parsed: unknown = JSON.parse(JSON.stringify(value ?? {}, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, JsonValue>) : {}
}
