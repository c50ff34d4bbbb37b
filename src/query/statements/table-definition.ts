/**
 * What CREATE TABLE and ALTER TABLE share: the table properties this writer honours, and a column
 * definition as a Delta schema field.
 */
import { DeltaError, type StructField } from '../../delta'
import type { ColumnDefinition } from './ast'
import { sparkType } from './spark-types'

/** The `delta.` properties this writer honours; any other `delta.` key is refused rather than ignored. */
const KNOWN_DELTA_PROPERTIES = new Set([
  'delta.enableChangeDataFeed',
  'delta.appendOnly',
  'delta.checkpointInterval',
  'delta.logRetentionDuration',
  'delta.deletedFileRetentionDuration',
  'delta.dataSkippingNumIndexedCols',
  'delta.dataSkippingStatsColumns',
  'delta.checkpoint.writeStatsAsJson',
  'delta.checkpoint.writeStatsAsStruct',
  'delta.setTransactionRetentionDuration',
  'delta.columnMapping.mode',
  'delta.enableDeletionVectors',
])

export function checkProperties(properties: Record<string, string>, label: string): void {
  for (const key of Object.keys(properties)) {
    if (key.startsWith('delta.constraints.'))
      throw new DeltaError('INVALID_ARGUMENT', `${label}: add CHECK constraints with ALTER TABLE … ADD CONSTRAINT, not as a property ('${key}')`)
    if (key === 'delta.columnMapping.mode' && !['name', 'none'].includes(properties[key])) {
      throw new DeltaError('INVALID_ARGUMENT', `${label}: delta.columnMapping.mode '${properties[key]}': this writer maps columns by 'name' only`)
    }
    if (key.startsWith('delta.') && !KNOWN_DELTA_PROPERTIES.has(key)) {
      throw new DeltaError('INVALID_ARGUMENT', `${label}: table property '${key}' is not one this writer supports (${[...KNOWN_DELTA_PROPERTIES].join(', ')})`)
    }
  }
}

export function fieldOf(column: ColumnDefinition): StructField {
  const metadata: Record<string, unknown> = {}
  if (column.comment !== undefined) metadata.comment = column.comment
  // Stored as written (Spark SQL); every write computes a value left out and checks one given.
  if (column.generatedAs) metadata['delta.generationExpression'] = column.generatedAs.text
  return { name: column.name, type: sparkType(column.type), nullable: !column.notNull, metadata }
}
