/**
 * Replacing a table's rows in one commit: INSERT OVERWRITE (every row) and INSERT INTO … REPLACE
 * WHERE (the rows matching a predicate), copy-on-write like DELETE, with the source rows added.
 * With REPLACE WHERE every new row must satisfy the predicate (Delta refuses the write otherwise).
 */
import { DeltaError, quoteIdentifier } from '../delta'
import type { LakeEngine } from '../engine'
import { rewriteTable, type RewriteResult } from './rewrite'

export interface OverwriteOptions {
  /** REPLACE WHERE's predicate over the table's columns; default: every row is replaced. */
  predicate?: string
}

let overwriteCounter = 0

/** `sourceSql`: a SELECT whose columns are the table's, in its order and types. */
export async function overwrite(lake: LakeEngine, table: string, sourceSql: string, options: OverwriteOptions = {}): Promise<RewriteResult> {
  const snapshot = await lake.snapshot(table)
  const db = await lake.duckdb()
  const source = `__overwrite_source_${++overwriteCounter}`
  await db.run(`CREATE TEMP TABLE ${source} AS ${sourceSql}`)
  try {
    const { predicate } = options
    if (predicate) {
      const [outside] = await db.rows(
        `SELECT to_json(s)::VARCHAR AS row, count(*) OVER () AS n FROM ${source} s WHERE NOT coalesce((${predicate}), false) LIMIT 1`,
      )
      if (outside) {
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `REPLACE WHERE ${predicate}: ${outside.n} row(s) of the data written do not match the predicate, e.g. ${String(outside.row)}`,
          { table },
        )
      }
    }
    const columns = snapshot.schema.fields.map((f) => quoteIdentifier(f.name))
    const condition = predicate ? `coalesce((${predicate}), false)` : 'true'
    const old = `struct_pack(${columns.map((c) => `${c} := t.${c}`).join(', ')})`
    return await rewriteTable(lake, snapshot, {
      operation: 'WRITE',
      operationParameters: {
        mode: 'Overwrite',
        partitionBy: JSON.stringify(snapshot.partitionColumns),
        ...(predicate ? { predicate: JSON.stringify([predicate]) } : {}),
      },
      files: snapshot.files,
      changesSql: (target) => `
        SELECT t.__file AS __file, t.__row AS __row, CASE WHEN ${condition} THEN 'delete' ELSE 'copy' END AS __action,
          ${columns.map((c) => `t.${c} AS ${c}`).join(', ')}, CASE WHEN ${condition} THEN ${old} END AS __old FROM ${target} t
        UNION ALL
        SELECT NULL, NULL, 'insert', ${columns.map((c) => `s.${c}`).join(', ')}, NULL FROM ${source} s`,
    })
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${source}`)
  }
}
