/**
 * ALTER TABLE: properties, columns (add, rename, drop, comment, type, nullability), constraints,
 * each one metadata (and, when the table needs a new feature, protocol) commit with Spark's
 * operation name and parameters.
 */
import {
  DeltaError,
  checkConstraints,
  isDeletionVectorsEnabled,
  protocolWithDeletionVectors,
  writerFeatures,
  enableNameMapping,
  protocolWithColumnMapping,
  withSchema as metadataWithSchema,
  columnMappingMode,
  parseSchema,
  quoteIdentifier,
  type Action,
  type Metadata,
  type Protocol,
  type StructField,
  type StructType,
  type Snapshot,
} from '../../delta'
import { dropScan, type LakeEngine } from '../../engine'
import { atLeast, commitTable } from '../../table'
import type { Statement, StatementOf } from './ast'
import { resultOf, type StatementOutput } from './output'
import type { StatementContext } from './run-dml'
import { tableLabel, tablePath } from './targets'
import { checkProperties, fieldOf } from './table-definition'

/** One metadata (and maybe protocol) commit on the table, for the ALTER TABLE forms. */
async function alterCommit(
  lake: LakeEngine,
  path: string,
  label: string,
  snapshot: Snapshot,
  change: { metadata: Metadata; protocol?: Protocol; operation: string; parameters: Record<string, unknown> },
): Promise<StatementOutput> {
  const actions: Action[] = []
  if (change.protocol && change.protocol !== snapshot.protocol) actions.push({ protocol: change.protocol })
  actions.push({ metaData: change.metadata })
  const result = await commitTable(lake, { table: path, snapshot, actions, operation: change.operation, operationParameters: change.parameters })
  return resultOf([], [], { table: label, path, operation: change.operation, version: result.version })
}

function findField(schema: StructType, name: string, label: string): StructField {
  const field = schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
  if (!field) throw new DeltaError('SCHEMA_MISMATCH', `${label}: no column '${name}' (columns: ${schema.fields.map((f) => f.name).join(', ')})`)
  return field
}

/** The protocol with a writer feature the table now uses (table features when legacy versions do not imply it). */
function withWriterFeature(protocol: Protocol, feature: string, legacyVersion: number): Protocol {
  if (writerFeatures(protocol).includes(feature)) return protocol
  if (protocol.minWriterVersion < 7 && legacyVersion <= 4 && protocol.minWriterVersion < legacyVersion && feature !== 'changeDataFeed') {
    return atLeast(protocol, { minReaderVersion: 1, minWriterVersion: legacyVersion })
  }
  return atLeast(protocol, { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: [...writerFeatures(protocol), feature] })
}

export async function runAlter({ lake, catalog }: StatementContext, s: Exclude<Statement, { kind: 'query' }>): Promise<StatementOutput> {
  if (!('table' in s)) throw new DeltaError('INVALID_ARGUMENT', `unexpected statement ${s.kind}`)
  const path = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  const snapshot = await lake.snapshot(path)
  const metadata = snapshot.metadata
  const schema = snapshot.schema
  // Fields added to a table that maps columns get ids and physical names.
  const withSchema = (fields: StructField[]): Metadata => metadataWithSchema(metadata, { type: 'struct', fields })
  switch (s.kind) {
    case 'addColumns': {
      const fields = s.columns.map((column) => {
        if (schema.fields.some((f) => f.name.toLowerCase() === column.name.toLowerCase()))
          throw new DeltaError('SCHEMA_MISMATCH', `${label}: column '${column.name}' already exists`)
        if (column.notNull)
          throw new DeltaError('SCHEMA_MISMATCH', `${label}: column '${column.name}' cannot be NOT NULL: the rows already in the table would have no value`)
        return fieldOf(column)
      })
      return alterCommit(lake, path, label, snapshot, {
        metadata: withSchema([...schema.fields, ...fields]),
        operation: 'ADD COLUMNS',
        parameters: { columns: JSON.stringify(fields.map((column) => ({ column }))) },
      })
    }
    case 'setProperties': {
      checkProperties(s.properties, label)
      const { 'delta.columnMapping.mode': mappingMode, ...rest } = s.properties
      const current = columnMappingMode(metadata.configuration)
      if (mappingMode !== undefined && mappingMode !== current && mappingMode === 'none') {
        throw new DeltaError('INVALID_ARGUMENT', `${label}: column mapping cannot be turned off once on (the files use physical names)`)
      }
      const configuration = { ...metadata.configuration, ...rest }
      let changed: Metadata = { ...metadata, configuration }
      let protocol = configuration['delta.enableChangeDataFeed'] === 'true' ? withWriterFeature(snapshot.protocol, 'changeDataFeed', 4) : snapshot.protocol
      // Turning deletion vectors on adds the feature; turning them off leaves it (existing DVs stay readable).
      if (isDeletionVectorsEnabled({ configuration })) protocol = protocolWithDeletionVectors(protocol)
      if (mappingMode === 'name') {
        changed = enableNameMapping(changed)
        protocol = protocolWithColumnMapping(protocol)
      }
      return alterCommit(lake, path, label, snapshot, {
        metadata: changed,
        protocol,
        operation: 'SET TBLPROPERTIES',
        parameters: { properties: JSON.stringify(s.properties) },
      })
    }
    case 'renameColumn':
    case 'dropColumns':
      return alterMappedColumns(lake, path, label, snapshot, s)
    case 'unsetProperties': {
      const configuration = { ...metadata.configuration }
      for (const key of s.keys) {
        if (key.startsWith('delta.constraints.'))
          throw new DeltaError('INVALID_ARGUMENT', `${label}: drop CHECK constraints with ALTER TABLE … DROP CONSTRAINT`)
        if (!(key in configuration) && !s.ifExists)
          throw new DeltaError('INVALID_ARGUMENT', `${label}: the table has no property '${key}' (UNSET TBLPROPERTIES IF EXISTS ignores that)`)
        delete configuration[key]
      }
      return alterCommit(lake, path, label, snapshot, {
        metadata: { ...metadata, configuration },
        operation: 'UNSET TBLPROPERTIES',
        parameters: { properties: JSON.stringify(s.keys), ifExists: String(s.ifExists) },
      })
    }
    case 'alterColumn': {
      const field = findField(schema, s.column, label)
      if (s.setNotNull)
        await requireNoRows(
          lake,
          snapshot,
          `${quoteIdentifier(field.name)} IS NULL`,
          `${label}: column '${field.name}' has NULL values, so it cannot be NOT NULL`,
        )
      const changed: StructField = {
        ...field,
        nullable: s.setNotNull ? false : s.dropNotNull ? true : field.nullable,
        metadata: s.comment === undefined ? field.metadata : { ...field.metadata, comment: s.comment },
      }
      return alterCommit(lake, path, label, snapshot, {
        metadata: withSchema(schema.fields.map((f) => (f === field ? changed : f))),
        operation: 'CHANGE COLUMN',
        parameters: { column: JSON.stringify(changed) },
      })
    }
    case 'addConstraint': {
      const key = `delta.constraints.${s.name.toLowerCase()}`
      if (key in metadata.configuration) throw new DeltaError('INVALID_ARGUMENT', `${label}: constraint '${s.name}' already exists`)
      await requireNoRows(
        lake,
        snapshot,
        `NOT coalesce((${s.check.sql}), false)`,
        `${label}: rows already in the table violate CHECK (${s.check.text}), so the constraint cannot be added`,
      )
      return alterCommit(lake, path, label, snapshot, {
        metadata: { ...metadata, configuration: { ...metadata.configuration, [key]: s.check.text } },
        protocol: withWriterFeature(snapshot.protocol, 'checkConstraints', 3),
        operation: 'ADD CONSTRAINT',
        parameters: { name: s.name, expr: s.check.text },
      })
    }
    case 'dropConstraint': {
      const key = `delta.constraints.${s.name.toLowerCase()}`
      const expr = checkConstraints(metadata).get(s.name.toLowerCase())
      if (expr === undefined) {
        if (s.ifExists) return resultOf([], [])
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `${label}: no constraint '${s.name}' (constraints: ${[...checkConstraints(metadata).keys()].join(', ') || 'none'})`,
        )
      }
      const configuration = { ...metadata.configuration }
      delete configuration[key]
      return alterCommit(lake, path, label, snapshot, {
        metadata: { ...metadata, configuration },
        operation: 'DROP CONSTRAINT',
        parameters: { name: s.name, expr },
      })
    }
  }
  throw new DeltaError('INVALID_ARGUMENT', `unexpected statement ${s.kind}`)
}

/**
 * RENAME COLUMN and DROP COLUMN(S): metadata only, which needs column mapping; a table without it
 * gets it in the same commit, as Delta enables it (protocol reader 2 / writer 5 or the
 * columnMapping feature, existing columns keeping their names as physical names).
 */
async function alterMappedColumns(
  lake: LakeEngine,
  path: string,
  label: string,
  snapshot: Snapshot,
  s: StatementOf<'renameColumn'> | StatementOf<'dropColumns'>,
): Promise<StatementOutput> {
  const metadata = enableNameMapping(snapshot.metadata)
  const schema = parseSchema(metadata.schemaString)
  const constraints = checkConstraints(metadata)
  const usedBy = (column: string) =>
    [...constraints].find(([, expr]) => new RegExp(`(^|[^\\w.])\`?${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`?($|[^\\w])`, 'i').test(expr))
  const guard = (field: StructField, what: string) => {
    if (field.name.includes('.')) throw new DeltaError('INVALID_ARGUMENT', `${label}: ${what} of nested fields is not supported`)
    const constraint = usedBy(field.name)
    if (constraint)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${label}: column '${field.name}' is used by CHECK constraint ${constraint[0]} (${constraint[1]}); drop the constraint first`,
      )
    if (snapshot.partitionColumns.includes(field.name) && what === 'DROP COLUMN')
      throw new DeltaError('INVALID_ARGUMENT', `${label}: '${field.name}' is a partition column and cannot be dropped`)
  }
  let fields: StructField[]
  let operation: string
  let parameters: Record<string, unknown>
  let partitionColumns = metadata.partitionColumns
  if (s.kind === 'renameColumn') {
    const field = findField(schema, s.from, label)
    guard(field, 'RENAME COLUMN')
    if (schema.fields.some((f) => f !== field && f.name.toLowerCase() === s.to.toLowerCase()))
      throw new DeltaError('SCHEMA_MISMATCH', `${label}: column '${s.to}' already exists`)
    fields = schema.fields.map((f) => (f === field ? { ...f, name: s.to } : f))
    partitionColumns = partitionColumns.map((c) => (c === field.name ? s.to : c))
    operation = 'RENAME COLUMN'
    parameters = { oldColumnPath: field.name, newColumnPath: s.to }
  } else {
    const dropped = s.columns.flatMap((name) => {
      const field = schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
      if (!field && !s.ifExists) findField(schema, name, label)
      return field ? [field] : []
    })
    if (dropped.length === 0) return resultOf([], [])
    for (const field of dropped) guard(field, 'DROP COLUMN')
    fields = schema.fields.filter((f) => !dropped.includes(f))
    if (fields.length === 0) throw new DeltaError('INVALID_ARGUMENT', `${label}: a table must keep at least one column`)
    operation = 'DROP COLUMNS'
    parameters = { columns: JSON.stringify(dropped.map((f) => f.name)) }
  }
  return alterCommit(lake, path, label, snapshot, {
    metadata: { ...metadata, partitionColumns, schemaString: JSON.stringify({ type: 'struct', fields }) },
    protocol: protocolWithColumnMapping(snapshot.protocol),
    operation,
    parameters,
  })
}

/** Fails with `message` when some row of the table satisfies `condition`. */
async function requireNoRows(lake: LakeEngine, snapshot: Snapshot, condition: string, message: string): Promise<void> {
  const scan = await lake.scan(snapshot)
  const db = await lake.duckdb()
  try {
    const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${scan.sql} WHERE ${condition}`)
    if (Number(n) > 0) throw new DeltaError('INVALID_ARGUMENT', `${message} (${n} row(s))`, { table: snapshot.table })
  } finally {
    await dropScan(db, scan)
  }
}
