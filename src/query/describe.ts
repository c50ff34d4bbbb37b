/**
 * DESCRIBE HISTORY and DESCRIBE DETAIL, as Spark and Databricks answer them, put into DuckDB
 * temporary tables so they can be queried, paged and exported like any result.
 */
import { readHistory, quoteString, readerFeatures, writerFeatures, type Snapshot } from '../delta'
import type { LakeEngine } from '../engine'

let describeCounter = 0

const ms = (t: number) => `make_timestamptz(${Math.round(t) * 1000}::BIGINT)`
const json = (value: unknown) => (value === undefined ? 'NULL::JSON' : `${quoteString(JSON.stringify(value))}::JSON`)
const text = (value: unknown) => (value === undefined || value === null ? 'NULL::VARCHAR' : quoteString(String(value)))

/** One row per commit still in the log, newest first. Returns the temporary table's name. */
export async function describeHistory(lake: LakeEngine, table: string, limit?: number): Promise<string> {
  const db = await lake.duckdb()
  const name = `__describe_history_${++describeCounter}`
  const history = await readHistory(lake.io, table, { limit })
  await db.run(`CREATE TEMP TABLE ${name} (version BIGINT, timestamp TIMESTAMPTZ, operation VARCHAR, operationParameters JSON,
    readVersion BIGINT, isBlindAppend BOOLEAN, operationMetrics JSON, engineInfo VARCHAR, actions JSON)`)
  for (let start = 0; start < history.length; start += 500) {
    const rows = history
      .slice(start, start + 500)
      .map(
        (h) =>
          `(${h.version}, ${ms(h.timestamp)}, ${text(h.operation)}, ${json(h.operationParameters)}, ${h.readVersion ?? 'NULL'}, ` +
          `${h.isBlindAppend ?? 'NULL'}, ${json(h.operationMetrics)}, ${text(h.engineInfo)}, ${json(h.actionCounts)})`,
      )
    await db.run(`INSERT INTO ${name} VALUES ${rows.join(', ')}`)
  }
  return name
}

/** One row describing the table at a snapshot. Returns the temporary table's name. */
export async function describeDetail(lake: LakeEngine, snapshot: Snapshot): Promise<string> {
  const db = await lake.duckdb()
  const name = `__describe_detail_${++describeCounter}`
  const sizeInBytes = snapshot.files.reduce((sum, f) => sum + f.add.size, 0)
  const features = [...new Set([...readerFeatures(snapshot.protocol), ...writerFeatures(snapshot.protocol)])].sort()
  await db.run(`CREATE TEMP TABLE ${name} AS SELECT
    'delta' AS format, ${text(snapshot.metadata.id)} AS id, ${text(snapshot.metadata.name)} AS name, ${text(snapshot.metadata.description)} AS description,
    ${text(snapshot.table)} AS location, ${snapshot.metadata.createdTime ? ms(snapshot.metadata.createdTime) : 'NULL::TIMESTAMPTZ'} AS createdAt,
    ${ms(snapshot.timestamp)} AS lastModified, ${snapshot.version}::BIGINT AS version,
    ${json(snapshot.partitionColumns)} AS partitionColumns, ${snapshot.files.length}::BIGINT AS numFiles, ${sizeInBytes}::BIGINT AS sizeInBytes,
    ${json(snapshot.metadata.configuration)} AS properties, ${snapshot.protocol.minReaderVersion} AS minReaderVersion,
    ${snapshot.protocol.minWriterVersion} AS minWriterVersion, ${json(features)} AS tableFeatures,
    ${json(snapshot.columnMapping)} AS columnMapping, ${text(JSON.stringify(snapshot.schema))} AS schema`)
  return name
}
