/**
 * A scan of a snapshot: the files to read, each with its typed partition values and deletion
 * vector, and the logical schema to present. Turning this into rows is the engine's job.
 */
import type { DeletionVectorDescriptor } from './actions'
import { canonicalPartitionValue } from './partition-values'
import { DeltaError } from './errors'
import { physicalName, type ColumnMappingMode, type StructType } from './schema'
import type { Snapshot } from './snapshot'
import { statsNumRecords } from './stats'

export interface ScanFile {
  path: string
  size: number
  /** Logical partition column → canonical text (see canonicalPartitionValue), or null. */
  partitionValues: Record<string, string | null>
  deletionVector?: DeletionVectorDescriptor
  numRecords?: number
}

export interface ScanPlan {
  table: string
  version: number
  schema: StructType
  partitionColumns: string[]
  columnMapping: ColumnMappingMode
  files: ScanFile[]
}

/**
 * Typed partition values of a file, by logical column name. Under column mapping the log keys
 * them by physical name.
 */
export function logicalPartitionValues(
  raw: Record<string, string | null>,
  snapshot: Pick<Snapshot, 'schema' | 'partitionColumns' | 'columnMapping' | 'table'>,
): Record<string, string | null> {
  const values: Record<string, string | null> = {}
  for (const name of snapshot.partitionColumns) {
    const field = snapshot.schema.fields.find((f) => f.name === name)
    if (!field) throw new DeltaError('CORRUPT_LOG', `partition column '${name}' is not in the table schema`, { table: snapshot.table })
    const key = physicalName(field, snapshot.columnMapping)
    values[name] = canonicalPartitionValue(raw[key] ?? raw[name], field.type, name, snapshot.table)
  }
  return values
}

export function planScan(snapshot: Snapshot): ScanPlan {
  const { schema, partitionColumns, columnMapping, table } = snapshot
  const files = snapshot.files.map(({ path, add }): ScanFile => {
    const file: ScanFile = { path, size: add.size, partitionValues: logicalPartitionValues(add.partitionValues, snapshot) }
    if (add.deletionVector) file.deletionVector = add.deletionVector
    const numRecords = statsNumRecords(add.stats)
    if (numRecords !== undefined) file.numRecords = numRecords
    return file
  })
  return { table, version: snapshot.version, schema, partitionColumns, columnMapping, files }
}
