/**
 * UPDATE and DELETE with a SQL predicate over the table's columns (the row is `t`), copy-on-write
 * like MERGE. When the predicate only involves partition columns, files of other partitions are
 * not read at all.
 */
import { type ActiveFile, DeltaError, duckdbType, logicalPartitionValues, quoteIdentifier, quoteString, type Snapshot, type Txn } from '../delta'
import type { LakeEngine } from '../engine'
import { splitConjuncts } from './predicates'
import { rewriteTable, type RewriteResult } from './rewrite'

export interface DmlOptions {
  txn?: Txn
  snapshot?: Snapshot
  /** The name the predicate and the values use for the row (default `t`). */
  alias?: string
}

/** UPDATE table SET column = expression, … WHERE predicate (default: every row). */
export async function update(
  lake: LakeEngine,
  table: string,
  predicate: string | undefined,
  set: Record<string, string>,
  options: DmlOptions = {},
): Promise<RewriteResult> {
  const snapshot = options.snapshot ?? (await lake.snapshot(table))
  const byName = new Map(snapshot.schema.fields.map((f) => [f.name.toLowerCase(), f]))
  for (const column of Object.keys(set)) {
    if (!byName.has(column.toLowerCase())) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `UPDATE sets column '${column}', which the table does not have (columns: ${snapshot.schema.fields.map((f) => f.name).join(', ')})`,
        { table },
      )
    }
  }
  // Written out where it is used, not referenced as __action: DuckDB refuses an alias of the same
  // SELECT when the expression holds a subquery (WHERE id IN (SELECT …)).
  const hit = predicate ? `coalesce((${predicate}), false)` : 'true'
  const t = quoteIdentifier(options.alias ?? 't')
  const files = await filesForPredicate(lake, snapshot, predicate, t)
  return rewriteTable(lake, snapshot, {
    operation: 'UPDATE',
    operationParameters: { predicate: predicate ? JSON.stringify([predicate]) : '[]' },
    files,
    txn: options.txn,
    changesSql: (target, { changingOnly }) => {
      const columns = snapshot.schema.fields.map((field) => {
        const column = quoteIdentifier(field.name)
        const key = Object.keys(set).find((k) => k.toLowerCase() === field.name.toLowerCase())
        const value = key === undefined ? `${t}.${column}` : `CASE WHEN ${hit} THEN CAST((${set[key]}) AS ${duckdbType(field.type)}) ELSE ${t}.${column} END`
        return `${value} AS ${column}`
      })
      return `SELECT ${t}.__file AS __file, ${t}.__row AS __row, CASE WHEN ${hit} THEN 'update' ELSE 'copy' END AS __action,
        ${columns.join(', ')}, ${oldRow(snapshot, t, hit)} AS __old FROM ${target} ${t}${changingOnly ? ` WHERE ${hit}` : ''}`
    },
  })
}

/** DELETE FROM table WHERE predicate (default: every row). */
export async function deleteRows(lake: LakeEngine, table: string, predicate: string | undefined, options: DmlOptions = {}): Promise<RewriteResult> {
  const snapshot = options.snapshot ?? (await lake.snapshot(table))
  // Written out where it is used, not referenced as __action: DuckDB refuses an alias of the same
  // SELECT when the expression holds a subquery (WHERE id IN (SELECT …)).
  const hit = predicate ? `coalesce((${predicate}), false)` : 'true'
  const t = quoteIdentifier(options.alias ?? 't')
  const files = await filesForPredicate(lake, snapshot, predicate, t)
  return rewriteTable(lake, snapshot, {
    operation: 'DELETE',
    operationParameters: { predicate: predicate ? JSON.stringify([predicate]) : '[]' },
    files,
    txn: options.txn,
    changesSql: (target, { changingOnly }) => {
      const columns = snapshot.schema.fields.map((f) => `${t}.${quoteIdentifier(f.name)} AS ${quoteIdentifier(f.name)}`)
      return `SELECT ${t}.__file AS __file, ${t}.__row AS __row, CASE WHEN ${hit} THEN 'delete' ELSE 'copy' END AS __action,
        ${columns.join(', ')}, ${oldRow(snapshot, t, hit)} AS __old FROM ${target} ${t}${changingOnly ? ` WHERE ${hit}` : ''}`
    },
  })
}

/** The old row, kept only where the row changes (change rows and no-op detection need it; copies do not). */
function oldRow(snapshot: Snapshot, t: string, hit: string): string {
  return `CASE WHEN NOT ${hit} THEN NULL ELSE struct_pack(${snapshot.schema.fields.map((f) => `${quoteIdentifier(f.name)} := ${t}.${quoteIdentifier(f.name)}`).join(', ')}) END`
}

/**
 * Files that may hold rows matching `predicate`. Each top-level conjunct that can be evaluated on
 * partition values alone (DuckDB binds it against a table of just those) must hold for a file's
 * partition, else the file is skipped. A matching row satisfies every conjunct, so this is sound.
 */
async function filesForPredicate(lake: LakeEngine, snapshot: Snapshot, predicate: string | undefined, alias: string): Promise<ActiveFile[]> {
  if (!predicate || snapshot.partitionColumns.length === 0 || snapshot.files.length === 0) return snapshot.files
  const db = await lake.duckdb()
  const fields = snapshot.partitionColumns.map((name) => snapshot.schema.fields.find((f) => f.name === name)!)
  const rows = snapshot.files.map((file, i) => {
    const values = logicalPartitionValues(file.add.partitionValues, snapshot)
    const literals = fields.map((f) => {
      const value = values[f.name]
      const type = duckdbType(f.type)
      if (value === null) return `NULL::${type}`
      return type === 'BLOB' ? `encode(${quoteString(value)})` : `CAST(${quoteString(value)} AS ${type})`
    })
    return `(${[String(i), ...literals].join(', ')})`
  })
  const columns = ['__index', ...fields.map((f) => quoteIdentifier(f.name))].join(', ')
  let candidates = snapshot.files.map((_, i) => i)
  for (const conjunct of splitConjuncts(predicate)) {
    try {
      const matching = new Set(
        (await db.rows(`SELECT __index FROM (VALUES ${rows.join(', ')}) ${alias}(${columns}) WHERE coalesce((${conjunct}), false)`)).map((r) =>
          Number(r.__index),
        ),
      )
      candidates = candidates.filter((i) => matching.has(i))
    } catch {
      // This conjunct needs data columns: it prunes nothing.
    }
  }
  return candidates.map((i) => snapshot.files[i])
}
