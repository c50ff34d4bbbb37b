/**
 * Delta's utilities as SQL: OPTIMIZE (with a partition predicate), VACUUM, RESTORE, and the
 * SHOW/DESCRIBE forms that describe one table (or list the lake's tables).
 */
import { existsSync } from 'node:fs'
import * as path from 'node:path'
import {
  DeltaError,
  readerFeatures,
  writerFeatures,
  fileKey,
  logicalPartitionValues,
  duckdbType,
  quoteIdentifier,
  quoteString,
  type Action,
  type Snapshot,
  removeFileFor,
} from '../../delta'
import type { Json, LakeEngine } from '../../engine'
import { commitTable, optimize, vacuum } from '../../table'
import type { Statement, StatementOf } from './ast'
import { resultOf, type StatementOutput } from './output'
import type { StatementContext } from './run-dml'
import { sparkTypeName } from './spark-types'
import { tableLabel, tablePath } from './targets'

export interface UtilityOptions {
  /** VACUUM may use a retention shorter than the table's (the editor asked the user first). */
  allowShortRetention?: boolean
}

export async function runUtility(context: StatementContext, s: Statement, options: UtilityOptions = {}): Promise<StatementOutput> {
  switch (s.kind) {
    case 'optimize':
      return runOptimize(context, s)
    case 'vacuum':
      return runVacuum(context, s, options)
    case 'restore':
      return runRestore(context, s)
    case 'showTables':
      return showTables(context, s)
    case 'showProperties':
      return showProperties(context, s)
    case 'showColumns': {
      const snapshot = await snapshotOf(context, s.table)
      return resultOf(
        [['col_name', 'VARCHAR']],
        snapshot.schema.fields.map((f) => ({ col_name: f.name })),
      )
    }
    case 'describeTable':
      return describeTable(context, s)
    case 'showCreateTable':
      return showCreateTable(context, s)
  }
  throw new DeltaError('INVALID_ARGUMENT', `unexpected statement ${s.kind}`)
}

async function snapshotOf({ lake, catalog }: StatementContext, table: StatementOf<'showColumns'>['table']): Promise<Snapshot> {
  return lake.snapshot(await tablePath(catalog, table), { version: table.version, timestamp: table.timestamp })
}

/** The files whose partition values satisfy `predicate`, which may name partition columns only (as in Delta). */
async function filesInPartitions(lake: LakeEngine, snapshot: Snapshot, predicate: string, label: string) {
  if (snapshot.partitionColumns.length === 0)
    throw new DeltaError('INVALID_ARGUMENT', `OPTIMIZE ${label} WHERE …: the table is not partitioned, so there is nothing to select by`)
  if (snapshot.files.length === 0) return []
  const fields = snapshot.partitionColumns.map((name) => snapshot.schema.fields.find((f) => f.name === name)!)
  const rows = snapshot.files.map((file, i) => {
    const values = logicalPartitionValues(file.add.partitionValues, snapshot)
    return `(${[String(i), ...fields.map((f) => (values[f.name] === null ? `NULL::${duckdbType(f.type)}` : `CAST(${quoteString(values[f.name]!)} AS ${duckdbType(f.type)})`))].join(', ')})`
  })
  const db = await lake.duckdb()
  let matching: Set<number>
  try {
    const columns = ['__index', ...fields.map((f) => quoteIdentifier(f.name))].join(', ')
    matching = new Set(
      (await db.rows(`SELECT __index FROM (VALUES ${rows.join(', ')}) p(${columns}) WHERE coalesce((${predicate}), false)`)).map((r) => Number(r.__index)),
    )
  } catch (error) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `OPTIMIZE ${label} WHERE ${predicate}: the predicate may use only the partition columns (${snapshot.partitionColumns.join(', ')}): ${(error as Error).message}`,
    )
  }
  return snapshot.files.filter((_, i) => matching.has(i))
}

async function runOptimize(context: StatementContext, s: StatementOf<'optimize'>): Promise<StatementOutput> {
  const { lake, catalog } = context
  const label = tableLabel(s.table)
  const tablePathname = await tablePath(catalog, s.table)
  let snapshot = await lake.snapshot(tablePathname)
  if (s.where) snapshot = { ...snapshot, files: await filesInPartitions(lake, snapshot, s.where.sql, label) }
  const result = await optimize(lake, tablePathname, { snapshot, predicate: s.where?.text, zOrderBy: s.zorderBy, purge: s.purge })
  const metrics = {
    numFilesAdded: result.filesAdded,
    numFilesRemoved: result.filesRemoved,
    filesAddedBytes: result.bytesAdded,
    filesRemovedBytes: result.bytesRemoved,
  }
  return resultOf(
    [
      ['path', 'VARCHAR'],
      ['metrics', 'JSON'],
    ],
    [{ path: tablePathname, metrics }],
    { table: label, path: tablePathname, operation: s.purge ? 'REORG' : 'OPTIMIZE', version: result.version },
  )
}

async function runVacuum({ lake, catalog }: StatementContext, s: StatementOf<'vacuum'>, options: UtilityOptions): Promise<StatementOutput> {
  const table = await tablePath(catalog, s.table)
  const result = await vacuum(lake, table, { retentionHours: s.retainHours, dryRun: s.dryRun, force: options.allowShortRetention })
  if (s.dryRun)
    return resultOf(
      [['path', 'VARCHAR']],
      result.filesDeleted.map((file) => ({ path: path.join(table, file) })),
    )
  return resultOf([['path', 'VARCHAR']], [{ path: table }], { table: tableLabel(s.table), path: table, operation: 'VACUUM', rowsDeleted: 0 })
}

/**
 * RESTORE: one commit that re-adds the files of the chosen version that are gone and removes the
 * files added since (readers of the change feed see those rows inserted and deleted), with that
 * version's metadata; the protocol never goes down.
 */
async function runRestore({ lake, catalog }: StatementContext, s: StatementOf<'restore'>): Promise<StatementOutput> {
  const table = await tablePath(catalog, s.table)
  const label = tableLabel(s.table)
  const current = await lake.snapshot(table)
  const target = await lake.snapshot(table, s.version !== undefined ? { version: s.version } : { timestamp: s.timestamp })
  const key = (f: Snapshot['files'][number]) => fileKey(f.path, f.add)
  const currentKeys = new Set(current.files.map(key))
  const targetKeys = new Set(target.files.map(key))
  const restored = target.files.filter((f) => !currentKeys.has(key(f)))
  const removed = current.files.filter((f) => !targetKeys.has(key(f)))
  const missing = restored.find((f) => !existsSync(f.path))
  if (missing)
    throw new DeltaError(
      'MISSING_FILE',
      `RESTORE ${label} TO VERSION ${target.version}: file ${missing.path} of that version was deleted (by VACUUM?), so the version cannot be restored`,
      { table },
    )
  const now = Date.now()
  const actions: Action[] = []
  if (
    target.metadata.schemaString !== current.metadata.schemaString ||
    JSON.stringify(target.metadata.configuration) !== JSON.stringify(current.metadata.configuration) ||
    JSON.stringify(target.metadata.partitionColumns) !== JSON.stringify(current.metadata.partitionColumns) ||
    target.metadata.description !== current.metadata.description
  ) {
    actions.push({ metaData: { ...target.metadata, id: current.metadata.id } })
  }
  actions.push(...removed.map(({ add }): Action => ({ remove: removeFileFor(add, now) })))
  actions.push(...restored.map(({ add }): Action => ({ add: { ...add, dataChange: true, modificationTime: add.modificationTime } })))
  const size = (files: Snapshot['files']) => files.reduce((sum, f) => sum + f.add.size, 0)
  const result = await commitTable(lake, {
    table,
    snapshot: current,
    actions,
    operation: 'RESTORE',
    operationParameters: {
      version: s.version === undefined ? null : String(s.version),
      timestamp: s.timestamp === undefined ? null : new Date(s.timestamp).toISOString(),
    },
    operationMetrics: {
      tableSizeAfterRestore: String(size(target.files)),
      numOfFilesAfterRestore: String(target.files.length),
      numRemovedFiles: String(removed.length),
      numRestoredFiles: String(restored.length),
      removedFilesSize: String(size(removed)),
      restoredFilesSize: String(size(restored)),
    },
    readSet: { files: new Set(current.files.map(key)), readData: true, appIds: new Set() },
  })
  const metrics = {
    table_size_after_restore: size(target.files),
    num_of_files_after_restore: target.files.length,
    num_removed_files: removed.length,
    num_restored_files: restored.length,
    removed_files_size: size(removed),
    restored_files_size: size(restored),
  }
  return resultOf(
    Object.keys(metrics).map((k) => [k, 'BIGINT']),
    [metrics],
    { table: label, path: table, operation: 'RESTORE', version: result.version },
  )
}

async function showTables({ catalog }: StatementContext, s: StatementOf<'showTables'>): Promise<StatementOutput> {
  const pattern =
    s.like === undefined
      ? undefined
      : new RegExp(
          `^(?:${s.like
            .split('|')
            .map((p) =>
              p
                .trim()
                .split('*')
                .map((x) => x.replace(/[.+?^${}()[\]\\]/g, '\\$&'))
                .join('.*'),
            )
            .join('|')})$`,
          'i',
        )
  const tables = (await catalog.tables()).filter((t) => (s.zone === undefined || t.zone === s.zone) && (!pattern || pattern.test(t.table)))
  return resultOf(
    [
      ['database', 'VARCHAR'],
      ['tableName', 'VARCHAR'],
      ['isTemporary', 'BOOLEAN'],
    ],
    tables.map((t) => ({ database: t.zone, tableName: t.table, isTemporary: false })),
  )
}

/** The table's properties as Databricks lists them: the protocol's versions and features, then the configuration. */
function tableProperties(snapshot: Snapshot): [string, string][] {
  const { protocol } = snapshot
  const properties: [string, string][] = [
    ['delta.minReaderVersion', String(protocol.minReaderVersion)],
    ['delta.minWriterVersion', String(protocol.minWriterVersion)],
  ]
  if (protocol.minReaderVersion >= 3 || protocol.minWriterVersion >= 7) {
    for (const feature of new Set([...readerFeatures(protocol), ...writerFeatures(protocol)])) properties.push([`delta.feature.${feature}`, 'supported'])
  }
  properties.push(...Object.entries(snapshot.metadata.configuration))
  return properties.sort(([a], [b]) => a.localeCompare(b))
}

async function showProperties(context: StatementContext, s: StatementOf<'showProperties'>): Promise<StatementOutput> {
  const snapshot = await snapshotOf(context, s.table)
  let properties = tableProperties(snapshot)
  if (s.key !== undefined) {
    const found = properties.filter(([k]) => k === s.key)
    properties = found.length ? found : [[s.key, `Table ${tableLabel(s.table)} does not have property: ${s.key}`]]
  }
  return resultOf(
    [
      ['key', 'VARCHAR'],
      ['value', 'VARCHAR'],
    ],
    properties.map(([key, value]) => ({ key, value })),
  )
}

async function describeTable(context: StatementContext, s: StatementOf<'describeTable'>): Promise<StatementOutput> {
  const snapshot = await snapshotOf(context, s.table)
  const rows: Record<string, Json>[] = snapshot.schema.fields.map((f) => ({
    col_name: f.name,
    data_type: sparkTypeName(f.type).toLowerCase(),
    comment: (f.metadata?.comment as string | undefined) ?? null,
  }))
  if (snapshot.partitionColumns.length) {
    rows.push({ col_name: '# Partition Information', data_type: '', comment: '' }, { col_name: '# col_name', data_type: 'data_type', comment: 'comment' })
    for (const name of snapshot.partitionColumns) {
      const field = snapshot.schema.fields.find((f) => f.name === name)!
      rows.push({ col_name: name, data_type: sparkTypeName(field.type).toLowerCase(), comment: (field.metadata?.comment as string | undefined) ?? null })
    }
  }
  if (s.extended) {
    rows.push({ col_name: '', data_type: '', comment: '' }, { col_name: '# Detailed Table Information', data_type: '', comment: '' })
    const detail: [string, string][] = [
      ['Name', tableLabel(s.table)],
      ['Type', 'MANAGED'],
      ['Location', snapshot.table],
      ['Provider', 'delta'],
      ['Version', String(snapshot.version)],
      ['Comment', snapshot.metadata.description ?? ''],
      [
        'Table Properties',
        `[${tableProperties(snapshot)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}]`,
      ],
    ]
    rows.push(...detail.map(([col_name, data_type]) => ({ col_name, data_type, comment: '' })))
  }
  return resultOf(
    [
      ['col_name', 'VARCHAR'],
      ['data_type', 'VARCHAR'],
      ['comment', 'VARCHAR'],
    ],
    rows,
  )
}

async function showCreateTable(context: StatementContext, s: StatementOf<'showCreateTable'>): Promise<StatementOutput> {
  const snapshot = await snapshotOf(context, s.table)
  const name = (n: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : `\`${n.replaceAll('`', '``')}\``)
  const literal = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  const columns = snapshot.schema.fields.map((f) => {
    const comment = f.metadata?.comment as string | undefined
    const generated = f.metadata?.['delta.generationExpression']
    return `  ${name(f.name)} ${sparkTypeName(f.type)}${f.nullable ? '' : ' NOT NULL'}${typeof generated === 'string' ? ` GENERATED ALWAYS AS (${generated})` : ''}${comment === undefined ? '' : ` COMMENT ${literal(comment)}`}`
  })
  const lines = [`CREATE TABLE ${s.table.kind === 'name' ? s.table.name : `delta.\`${snapshot.table}\``} (`, `${columns.join(',\n')})`, 'USING delta']
  if (snapshot.partitionColumns.length) lines.push(`PARTITIONED BY (${snapshot.partitionColumns.map(name).join(', ')})`)
  if (snapshot.metadata.description) lines.push(`COMMENT ${literal(snapshot.metadata.description)}`)
  const properties = tableProperties(snapshot)
  lines.push(`TBLPROPERTIES (\n${properties.map(([k, v]) => `  ${literal(k)} = ${literal(v)}`).join(',\n')})`)
  return resultOf([['createtab_stmt', 'VARCHAR']], [{ createtab_stmt: lines.join('\n') + '\n' }])
}
