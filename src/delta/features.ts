/**
 * Table features: which ones this implementation reads and writes. A table that needs anything
 * else is refused at the door, naming the table and the feature, so nothing is silently misread.
 */
import type { Metadata, Protocol } from './actions'
import { DeltaError } from './errors'
import { parseSchema, isStruct, isArray, isMap, type DataType, type StructType } from './schema'

/** Reader features we implement (variant shredding with the limit noted below). */
export const SUPPORTED_READER_FEATURES = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'typeWidening',
  'typeWidening-preview',
  'vacuumProtocolCheck',
  'v2Checkpoint',
  // Read as JSON text, and writes refused. Shredded values are read where the file annotates the
  // column as a variant (DuckDB decodes them); a shredded column without it is refused by name
  // (engine/file-read.ts), so nothing is read half.
  'variantType',
  'variantType-preview',
  'variantShredding-preview',
])

/**
 * Writer features we implement. CHECK constraints are enforced on every write; features that
 * constrain writes otherwise (invariants, generatedColumns, identityColumns) are accepted only while
 * the table does not use them: see `checkWritable`.
 */
export const SUPPORTED_WRITER_FEATURES = new Set([
  'appendOnly',
  'invariants',
  'checkConstraints',
  'generatedColumns',
  'changeDataFeed',
  'timestampNtz',
  'domainMetadata',
  'vacuumProtocolCheck',
  'inCommitTimestamp',
  'columnMapping',
  'deletionVectors',
])

/** Features a legacy (pre-table-features) protocol version implies. */
function legacyWriterFeatures(version: number): string[] {
  const features: string[] = []
  if (version >= 2) features.push('appendOnly', 'invariants')
  if (version >= 3) features.push('checkConstraints')
  if (version >= 4) features.push('changeDataFeed', 'generatedColumns')
  if (version >= 5) features.push('columnMapping')
  if (version >= 6) features.push('identityColumns')
  return features
}

export function readerFeatures(protocol: Protocol): string[] {
  if (protocol.minReaderVersion >= 3) return protocol.readerFeatures ?? []
  return protocol.minReaderVersion === 2 ? ['columnMapping'] : []
}

export function writerFeatures(protocol: Protocol): string[] {
  if (protocol.minWriterVersion >= 7) return protocol.writerFeatures ?? []
  return legacyWriterFeatures(protocol.minWriterVersion)
}

export function checkReadable(protocol: Protocol, table: string): void {
  if (protocol.minReaderVersion > 3 || protocol.minReaderVersion < 1) {
    throw new DeltaError('UNSUPPORTED_PROTOCOL', `reader version ${protocol.minReaderVersion} is not supported (this reader supports 1 to 3)`, { table })
  }
  const missing = readerFeatures(protocol).filter((f) => !SUPPORTED_READER_FEATURES.has(f))
  if (missing.length > 0) {
    throw new DeltaError(
      'UNSUPPORTED_READER_FEATURE',
      `the table needs reader feature(s) ${missing.map((f) => `'${f}'`).join(', ')}, which this reader does not implement`,
      { table },
    )
  }
}

export function checkWritable(protocol: Protocol, metadata: Metadata, table: string): void {
  checkReadable(protocol, table)
  if (protocol.minWriterVersion > 7 || protocol.minWriterVersion < 1) {
    throw new DeltaError('UNSUPPORTED_PROTOCOL', `writer version ${protocol.minWriterVersion} is not supported (this writer supports 1 to 7)`, { table })
  }
  const features = writerFeatures(protocol)
  const missing = features.filter((f) => !SUPPORTED_WRITER_FEATURES.has(f))
  if (missing.length > 0) {
    throw new DeltaError(
      'UNSUPPORTED_WRITER_FEATURE',
      `the table needs writer feature(s) ${missing.map((f) => `'${f}'`).join(', ')}, which this writer does not implement`,
      { table },
    )
  }
  if (metadata.configuration['delta.columnMapping.mode'] === 'id') {
    throw new DeltaError(
      'UNSUPPORTED_WRITER_FEATURE',
      "the table maps columns by id (delta.columnMapping.mode = 'id'); this writer writes 'name' mapping only",
      { table },
    )
  }
  const schema = parseSchema(metadata.schemaString, table)
  // Generated columns are computed and checked on every data file written (see generatedColumns).
  const constrained = findFieldMetadata(schema, ['delta.invariants', 'delta.identity.start'])
  if (constrained) {
    throw new DeltaError('UNSUPPORTED_WRITER_FEATURE', `column '${constrained.column}' declares '${constrained.key}', which this writer cannot enforce`, {
      table,
    })
  }
  // CHECK constraints (`delta.constraints.<name>`) and NOT NULL columns are enforced on every
  // data file written (see checkConstraints and the engine's writeDataFiles).
}

/** Top-level generated columns: name → the expression (over the other columns) its value must equal. */
export function generatedColumns(schema: StructType): Map<string, string> {
  const generated = new Map<string, string>()
  for (const field of schema.fields) {
    const expression = field.metadata?.['delta.generationExpression']
    if (typeof expression === 'string') generated.set(field.name, expression)
  }
  return generated
}

/** The table's CHECK constraints: name → SQL condition every written row must satisfy. */
export function checkConstraints(metadata: Pick<Metadata, 'configuration'>): Map<string, string> {
  const constraints = new Map<string, string>()
  for (const [key, value] of Object.entries(metadata.configuration)) {
    if (key.startsWith('delta.constraints.')) constraints.set(key.slice('delta.constraints.'.length), value)
  }
  return constraints
}

function findFieldMetadata(type: DataType, keys: string[], path = ''): { column: string; key: string } | undefined {
  if (isStruct(type)) {
    for (const field of type.fields) {
      const column = path ? `${path}.${field.name}` : field.name
      const key = keys.find((k) => Object.keys(field.metadata ?? {}).some((m) => m.startsWith(k)))
      if (key) return { column, key }
      const inner = findFieldMetadata(field.type, keys, column)
      if (inner) return inner
    }
  } else if (isArray(type)) {
    return findFieldMetadata(type.elementType, keys, path)
  } else if (isMap(type)) {
    return findFieldMetadata(type.keyType, keys, path) ?? findFieldMetadata(type.valueType, keys, path)
  }
  return undefined
}

/** True when the table writes a change data feed (`cdc` files) on updates and deletes. */
export function isChangeDataFeedEnabled(metadata: Metadata): boolean {
  return metadata.configuration['delta.enableChangeDataFeed'] === 'true'
}

/**
 * The protocol for a new table: the lowest legacy versions when they suffice, table features
 * (reader 3 / writer 7) when a feature such as timestamp_ntz or deletion vectors needs them.
 */
export function protocolForNewTable(options: {
  changeDataFeed: boolean
  timestampNtz: boolean
  generatedColumns?: boolean
  deletionVectors?: boolean
}): Protocol {
  if (options.timestampNtz || options.deletionVectors) {
    const readerFeatures = [...(options.timestampNtz ? ['timestampNtz'] : []), ...(options.deletionVectors ? ['deletionVectors'] : [])]
    const writerFeatures = ['appendOnly', 'invariants', ...readerFeatures]
    if (options.changeDataFeed) writerFeatures.push('changeDataFeed')
    if (options.generatedColumns) writerFeatures.push('generatedColumns')
    return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: readerFeatures.sort(), writerFeatures: writerFeatures.sort() }
  }
  // Writer version 4 is the legacy version that brings generated columns (and the change data feed).
  if (options.generatedColumns) return { minReaderVersion: 1, minWriterVersion: 4 }
  if (options.changeDataFeed) {
    return { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'invariants', 'changeDataFeed'] }
  }
  return { minReaderVersion: 1, minWriterVersion: 2 }
}

/** Properties every new table gets unless its own say otherwise: deletion vectors on, as on Databricks. */
export const DEFAULT_TABLE_PROPERTIES: Readonly<Record<string, string>> = { 'delta.enableDeletionVectors': 'true' }

/** True when the table's properties ask for deletion vectors (`delta.enableDeletionVectors`). */
export function isDeletionVectorsEnabled(metadata: Pick<Metadata, 'configuration'>): boolean {
  return metadata.configuration['delta.enableDeletionVectors'] === 'true'
}

/** The protocol with the `deletionVectors` reader and writer feature (reader 3 / writer 7, the legacy features listed). */
export function protocolWithDeletionVectors(protocol: Protocol): Protocol {
  if (readerFeatures(protocol).includes('deletionVectors') && writerFeatures(protocol).includes('deletionVectors')) return protocol
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...new Set([...readerFeatures(protocol), 'deletionVectors'])].sort(),
    writerFeatures: [...new Set([...writerFeatures(protocol), 'deletionVectors'])].sort(),
  }
}

export function usesTimestampNtz(type: DataType): boolean {
  if (typeof type === 'string') return type === 'timestamp_ntz'
  if (isStruct(type)) return type.fields.some((f) => usesTimestampNtz(f.type))
  if (isArray(type)) return usesTimestampNtz(type.elementType)
  return usesTimestampNtz(type.keyType) || usesTimestampNtz(type.valueType)
}
