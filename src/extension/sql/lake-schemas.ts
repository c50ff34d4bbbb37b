/**
 * The lake's tables and their Delta schemas for the `.sql` editor (completion, hover, unknown
 * table diagnostics): read from each table's Delta log (no DuckDB), kept until a commit lands
 * in the lake. Types are Delta's (`long`, `decimal(12,2)`, `struct<…>`), as Databricks shows them.
 */
import * as path from 'node:path'
import type { Services } from '../services'
import { loadDelta, loadQuery } from '../lazy'
import type { LakeEntry } from '../workspace'

export interface ColumnSchema {
  name: string
  /** Delta's type name. */
  type: string
  nullable: boolean
  comment?: string
}

export interface TableSchema {
  /** `zone.table` */
  name: string
  lake: LakeEntry
  version: number
  description?: string
  partitionColumns: string[]
  columns: ColumnSchema[]
}

export class LakeSchemas {
  private tableLists = new Map<string, Promise<{ name: string; zone: string; path: string }[]>>()
  private schemas = new Map<string, Promise<TableSchema | undefined>>()

  constructor(private readonly services: Services) {
    services.context.subscriptions.push(services.workspace.onDidChangeLake(() => this.forget()))
  }

  forget(): void {
    this.tableLists.clear()
    this.schemas.clear()
  }

  /** The lakes a `.sql` file most likely queries: the one it is in or beside, else every lake. */
  async lakesFor(file: string): Promise<LakeEntry[]> {
    const lakes = await this.services.workspace.lakes()
    const near = lakes.filter((l) => !path.relative(path.dirname(l.dir), file).startsWith('..'))
    return near.length ? near : lakes
  }

  /** The tables of a lake (`zone.table`), without reading their logs. */
  async tables(lake: LakeEntry): Promise<{ name: string; zone: string; path: string }[]> {
    let list = this.tableLists.get(lake.dir)
    if (!list) {
      list = (async () => {
        const [{ LakeCatalog }, engine] = await Promise.all([loadQuery(this.services.log), this.services.lake()])
        return (await new LakeCatalog(lake.dir, engine.io.storage).tables()).map((t) => ({ name: t.name, zone: t.zone, path: t.path }))
      })()
      list.catch(() => this.tableLists.delete(lake.dir))
      this.tableLists.set(lake.dir, list)
    }
    return list
  }

  /** A table's schema, or undefined when the lake has no such table (or its log cannot be read). */
  async schema(lake: LakeEntry, name: string): Promise<TableSchema | undefined> {
    const entry = (await this.tables(lake)).find((t) => t.name.toLowerCase() === name.toLowerCase())
    if (!entry) return undefined
    let schema = this.schemas.get(entry.path)
    if (!schema) {
      schema = (async () => {
        const [engine, { describeType }] = await Promise.all([this.services.lake(), loadDelta(this.services.log)])
        const snapshot = await engine.snapshot(entry.path)
        return {
          name: entry.name,
          lake,
          version: snapshot.version,
          ...(snapshot.metadata.description ? { description: snapshot.metadata.description } : {}),
          partitionColumns: snapshot.partitionColumns,
          columns: snapshot.schema.fields.map((f) => ({
            name: f.name,
            type: describeType(f.type),
            nullable: f.nullable,
            ...(typeof f.metadata?.comment === 'string' ? { comment: f.metadata.comment } : {}),
          })),
        }
      })().catch((error: unknown) => {
        this.services.log.warn('sql.schema', { table: name, error: String(error) })
        return undefined
      })
      this.schemas.set(entry.path, schema)
    }
    return schema
  }
}
