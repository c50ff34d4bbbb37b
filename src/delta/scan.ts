/**
 * A scan of a snapshot: the files to read, each with its typed partition values and deletion
 * vector, and the logical schema to present. Turning this into rows is the engine's job.
 */
import type { DeletionVectorDescriptor } from './actions'
import { deletionVectorRelativePath } from './deletion-vectors'
import { canonicalPartitionValue } from './partition-values'
import { resolveLogPath } from './paths'
import { physicalName, type ColumnMappingMode, type StructType } from './schema'
import type { Snapshot } from './snapshot'

export interface ScanFile {
  path: string
  size: number
  /** Logical partition column → canonical text (see canonicalPartitionValue), or null. */
  partitionValues: Record<string, string | null>
  deletionVector?: DeletionVectorDescriptor & { resolvedPath?: string }
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

export function planScan(snapshot: Snapshot, join: (root: string, relative: string) => string): ScanPlan {
  const { schema, partitionColumns, columnMapping, table } = snapshot
  const partitionFields = partitionColumns.map((name) => {
    const field = schema.fields.find((f) => f.name === name)
    if (!field) throw new Error(`partition column '${name}' is not in the schema of ${table}`)
    return field
  })
  const files = snapshot.files.map(({ path, add }): ScanFile => {
    const partitionValues: Record<string, string | null> = {}
    for (const field of partitionFields) {
      const key = physicalName(field, columnMapping)
      const raw = add.partitionValues[key] ?? add.partitionValues[field.name]
      partitionValues[field.name] = canonicalPartitionValue(raw, field.type, field.name, table)
    }
    const file: ScanFile = { path, size: add.size, partitionValues }
    if (add.deletionVector) {
      const relative = deletionVectorRelativePath(add.deletionVector)
      file.deletionVector = {
        ...add.deletionVector,
        resolvedPath: relative === undefined ? undefined : resolveLogPath(table, relative, join, table),
      }
    }
    const numRecords = statsNumRecords(add.stats)
    if (numRecords !== undefined) file.numRecords = numRecords
    return file
  })
  return { table, version: snapshot.version, schema, partitionColumns, columnMapping, files }
}

function statsNumRecords(stats: string | null | undefined): number | undefined {
  if (!stats) return undefined
  try {
    const n = (JSON.parse(stats) as { numRecords?: unknown }).numRecords
    return typeof n === 'number' ? n : undefined
  } catch {
    return undefined
  }
}
