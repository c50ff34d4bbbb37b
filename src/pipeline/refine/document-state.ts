/**
 * A MongoDB flow's document state: the current document of every entity, before transforms, as
 * JSON text in a Delta table beside the target (`<zone>._<flow>_documents`). An update that
 * carries only an update description is applied to the document stored here. It is written
 * last in each batch, so on a restart it is never ahead of the tables derived from it.
 */
import { quoteString, type Txn } from '../../delta'
import { dropScan, snapshotOrNothing, type LakeEngine } from '../../engine'
import { appendQuery, merge } from '../../table'

export function documentStateTable(flowTo: string, flowName: string): string {
  return `${flowTo.split('.')[0]}._${flowName}_documents`
}

/** Whether `zone.table` is a flow's document state: the engine's bookkeeping, hidden from listings unless asked for. */
export function isDocumentStateTable(name: string): boolean {
  return /^[^.]+\._.+_documents$/.test(name)
}

/** The stored documents of these entities. */
export async function storedDocuments(lake: LakeEngine, table: string, entities: string[]): Promise<Map<string, string>> {
  const documents = new Map<string, string>()
  const snapshot = await snapshotOrNothing(lake, table)
  if (!snapshot || entities.length === 0) return documents
  const db = await lake.duckdb()
  const scan = await lake.scan(snapshot)
  try {
    for (let i = 0; i < entities.length; i += 1000) {
      const keys = entities
        .slice(i, i + 1000)
        .map(quoteString)
        .join(', ')
      for (const row of await db.rows(`SELECT entity, document FROM ${scan.sql} WHERE entity IN (${keys})`))
        documents.set(String(row.entity), String(row.document))
    }
  } finally {
    await dropScan(db, scan)
  }
  return documents
}

/** Records each entity's last state from the batch's final changes (`__entity`, `__op`, `__pos`, `__image`). */
export async function saveDocuments(lake: LakeEngine, table: string, changes: string, txn: Txn, truncate: boolean): Promise<number | undefined> {
  const latest = `(SELECT __entity AS entity, CASE WHEN __op = 'upsert' THEN to_json(__image)::VARCHAR END AS document, __op FROM ${changes}
    QUALIFY row_number() OVER (PARTITION BY __entity ORDER BY __pos DESC) = 1)`
  const snapshot = await snapshotOrNothing(lake, table)
  if (!snapshot) {
    const created = await appendQuery(lake, table, `SELECT entity, document FROM ${latest} WHERE __op = 'upsert'`, {
      txns: [txn],
      create: { description: 'MongoDB documents as of the last refine batch (managed by the flow)' },
    })
    return created.version
  }
  const result = await merge(lake, table, latest, {
    snapshot,
    on: 't.entity = s.entity',
    whenMatched: [{ condition: "s.__op = 'delete'", delete: true }, { update: { document: 's.document' } }],
    whenNotMatched: [{ condition: "s.__op = 'upsert'", insert: { entity: 's.entity', document: 's.document' } }],
    ...(truncate ? { whenNotMatchedBySource: { delete: true } } : {}),
    txn,
  })
  return result.version
}
