/**
 * CREATE OR REPLACE TABLE: one commit on the existing log that sets the new definition (schema,
 * partitioning, properties), removes every file and adds the query's rows. History stays, so
 * time travel to versions before the replace keeps working, as in Delta.
 */
import {
  type Action,
  deltaTypeFromDuckdb,
  type Metadata,
  type Protocol,
  readerFeatures,
  type Snapshot,
  statsNumRecords,
  type StructType,
  writerFeatures,
  removeFileFor,
} from '../delta'
import { commitTable, type CommitResult } from './commit-table'
import { writeDataFiles } from '../engine'
import { newTableActions, type CreateTableOptions } from './delta-writer'
import type { LakeEngine } from '../engine'

export interface ReplaceTableOptions extends Partial<CreateTableOptions> {
  /** The rows of the new table (its columns give the schema when `schema` is not set). */
  sourceSql?: string
  operation: string
  operationParameters: Record<string, unknown>
}

export async function replaceTable(lake: LakeEngine, snapshot: Snapshot, options: ReplaceTableOptions): Promise<CommitResult & { rows: number }> {
  const table = snapshot.table
  const db = await lake.duckdb()
  const source = options.sourceSql ? `(${options.sourceSql})` : undefined
  let schema = options.schema
  if (!schema) {
    const described = source ? await db.describe(`SELECT * FROM ${source}`) : []
    schema = {
      type: 'struct',
      fields: described.map((c) => ({ name: c.name, type: deltaTypeFromDuckdb(c.type), nullable: true, metadata: {} })),
    } satisfies StructType
  }
  const [protocolAction, metadataAction] = newTableActions(table, { ...options, schema }, lake.newTableProperties) as [
    { protocol: Protocol },
    { metaData: Metadata },
  ]
  const metadata: Metadata = { ...metadataAction.metaData, id: snapshot.metadata.id, createdTime: snapshot.metadata.createdTime }
  const protocol = atLeast(snapshot.protocol, protocolAction.protocol)
  const actions: Action[] = [...(protocol === snapshot.protocol ? [] : [{ protocol }]), { metaData: metadata }]
  const now = Date.now()
  for (const { add } of snapshot.files) {
    actions.push({ remove: removeFileFor(add, now) })
  }
  let rows = 0
  if (source) {
    const files = await writeDataFiles(lake, table, source, { schema, partitionColumns: metadata.partitionColumns, configuration: metadata.configuration })
    actions.push(...files.map((add) => ({ add })))
    rows = files.reduce((sum, f) => sum + (statsNumRecords(f.stats) ?? 0), 0)
  }
  const result = await commitTable(lake, {
    table,
    snapshot,
    actions,
    operation: options.operation,
    operationParameters: options.operationParameters,
    operationMetrics: {
      numFiles: String(actions.filter((a) => 'add' in a).length),
      numOutputRows: String(rows),
      numRemovedFiles: String(snapshot.files.length),
    },
    readSet: { files: new Set(), readData: true, appIds: new Set() },
  })
  return { ...result, rows }
}

/** A protocol never goes down: the old one's versions and features, plus what the new definition needs. */
export function atLeast(current: Protocol, needed: Protocol): Protocol {
  const minReaderVersion = Math.max(current.minReaderVersion, needed.minReaderVersion)
  const minWriterVersion = Math.max(current.minWriterVersion, needed.minWriterVersion)
  const protocol: Protocol = { minReaderVersion, minWriterVersion }
  if (minReaderVersion >= 3) protocol.readerFeatures = [...new Set([...readerFeatures(current), ...readerFeatures(needed)])].sort()
  if (minWriterVersion >= 7) protocol.writerFeatures = [...new Set([...writerFeatures(current), ...writerFeatures(needed)])].sort()
  if (
    minReaderVersion === current.minReaderVersion &&
    minWriterVersion === current.minWriterVersion &&
    JSON.stringify(protocol.readerFeatures ?? []) === JSON.stringify([...(current.readerFeatures ?? [])].sort()) &&
    JSON.stringify(protocol.writerFeatures ?? []) === JSON.stringify([...(current.writerFeatures ?? [])].sort())
  )
    return current
  return protocol
}
