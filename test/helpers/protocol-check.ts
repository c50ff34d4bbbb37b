/**
 * Checking a table's log against Delta's PROTOCOL.md, independently of src/delta: every commit
 * file is JSON lines with one commitInfo, version 0 has protocol and metaData, adds and cdc files
 * have the required fields and exist on disk, partition values match the partition columns, and
 * the protocol declares the features the metadata uses (change data feed, CHECK constraints,
 * timestamp_ntz), with readerFeatures/writerFeatures exactly when the versions are 3/7.
 * Then our reader (src/delta via LakeEngine) must load and scan every version.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { dropScan, type LakeEngine } from '../../src/engine'
import { readCommits } from './delta-log'

interface ProtocolAction { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[]; writerFeatures?: string[] }

function writerFeaturesOf(p: ProtocolAction): string[] {
  if (p.minWriterVersion >= 7) return p.writerFeatures ?? []
  const legacy: string[] = []
  if (p.minWriterVersion >= 2) legacy.push('appendOnly', 'invariants')
  if (p.minWriterVersion >= 3) legacy.push('checkConstraints')
  if (p.minWriterVersion >= 4) legacy.push('changeDataFeed', 'generatedColumns')
  return legacy
}

export async function checkTableAgainstProtocol(lake: LakeEngine, table: string): Promise<{ versions: number }> {
  const commits = readCommits(table)
  assert.ok(commits.length > 0, `${table}: no commits`)
  let protocol: ProtocolAction | undefined
  let metadata: { schemaString: string; partitionColumns: string[]; configuration: Record<string, string> } | undefined
  for (const commit of commits) {
    const where = `${table} version ${commit.version}`
    const infos = commit.actions.filter((a) => 'commitInfo' in a)
    assert.equal(infos.length, 1, `${where}: exactly one commitInfo`)
    const info = infos[0].commitInfo
    assert.equal(typeof info.operation, 'string', `${where}: commitInfo.operation`)
    assert.equal(typeof info.timestamp, 'number', `${where}: commitInfo.timestamp`)
    for (const [key, value] of Object.entries(info.operationParameters ?? {})) {
      assert.ok(typeof value === 'string' || value === null, `${where}: operationParameters.${key} is a string (Spark writes them as text), got ${JSON.stringify(value)}`)
    }
    for (const [key, value] of Object.entries(info.operationMetrics ?? {})) assert.equal(typeof value, 'string', `${where}: operationMetrics.${key} is a string`)
    for (const action of commit.actions) {
      const kinds = Object.keys(action)
      assert.equal(kinds.length, 1, `${where}: one action per line`)
      assert.ok(['commitInfo', 'protocol', 'metaData', 'add', 'remove', 'cdc', 'txn', 'domainMetadata'].includes(kinds[0]), `${where}: known action ${kinds[0]}`)
    }
    const p = commit.actions.find((a) => 'protocol' in a)?.protocol as ProtocolAction | undefined
    if (p) {
      assert.equal(Array.isArray(p.readerFeatures), p.minReaderVersion === 3, `${where}: readerFeatures present exactly with reader version 3`)
      assert.equal(Array.isArray(p.writerFeatures), p.minWriterVersion === 7, `${where}: writerFeatures present exactly with writer version 7`)
      if (protocol) assert.ok(p.minReaderVersion >= protocol.minReaderVersion && p.minWriterVersion >= protocol.minWriterVersion, `${where}: the protocol never goes down`)
      protocol = p
    }
    const m = commit.actions.find((a) => 'metaData' in a)?.metaData
    if (m) {
      assert.equal(typeof m.id, 'string', `${where}: metaData.id`)
      assert.deepEqual(m.format, { provider: 'parquet', options: {} }, `${where}: metaData.format`)
      const schema = JSON.parse(m.schemaString)
      for (const column of m.partitionColumns) assert.ok(schema.fields.some((f: { name: string }) => f.name === column), `${where}: partition column ${column} in the schema`)
      metadata = m
    }
    assert.ok(protocol && metadata, `${where}: protocol and metaData known (version 0 must have both)`)
    const features = writerFeaturesOf(protocol)
    if (metadata.configuration['delta.enableChangeDataFeed'] === 'true') assert.ok(features.includes('changeDataFeed'), `${where}: change data feed on, feature declared`)
    if (Object.keys(metadata.configuration).some((k) => k.startsWith('delta.constraints.'))) assert.ok(features.includes('checkConstraints'), `${where}: CHECK constraints, feature declared`)
    if ((metadata.configuration['delta.columnMapping.mode'] ?? 'none') !== 'none') {
      assert.ok(features.includes('columnMapping') || protocol.minWriterVersion >= 5, `${where}: column mapping, writer feature declared`)
      assert.ok(protocol.minReaderVersion === 2 || (protocol.readerFeatures ?? []).includes('columnMapping'), `${where}: column mapping, reader feature declared`)
      const ids = new Set<number>()
      const visit = (type: { fields?: { metadata: Record<string, unknown>; type: unknown }[] }) => {
        for (const field of type.fields ?? []) {
          const id = field.metadata['delta.columnMapping.id'] as number
          assert.ok(Number.isInteger(id) && !ids.has(id), `${where}: every field has a unique column id`)
          assert.equal(typeof field.metadata['delta.columnMapping.physicalName'], 'string', `${where}: every field has a physical name`)
          assert.ok(id <= Number(metadata!.configuration['delta.columnMapping.maxColumnId']), `${where}: ids at most maxColumnId`)
          ids.add(id)
          if (typeof field.type === 'object') visit(field.type as never)
        }
      }
      visit(JSON.parse(metadata.schemaString))
    }
    if (metadata.schemaString.includes('"timestamp_ntz"')) assert.ok(features.includes('timestampNtz'), `${where}: timestamp_ntz, feature declared`)
    for (const action of commit.actions) {
      if ('add' in action) {
        const add = action.add
        for (const field of ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange']) assert.ok(field in add, `${where}: add.${field}`)
        // Keyed by physical names under column mapping (PROTOCOL.md, "Column Mapping").
        const mapped = (metadata.configuration['delta.columnMapping.mode'] ?? 'none') !== 'none'
        const fields = JSON.parse(metadata.schemaString).fields as { name: string; metadata: Record<string, unknown> }[]
        const keys: string[] = metadata.partitionColumns.map((c) => {
          const field = fields.find((f) => f.name === c)!
          return mapped ? String(field.metadata['delta.columnMapping.physicalName']) : c
        })
        assert.deepEqual(Object.keys(add.partitionValues).sort(), keys.sort(), `${where}: add.partitionValues has the partition columns`)
        assert.equal(typeof JSON.parse(add.stats).numRecords, 'number', `${where}: add.stats.numRecords`)
        const file = add.path.startsWith('file:') ? fileURLToPath(add.path) : path.join(table, decodeURIComponent(add.path))
        assert.ok(existsSync(file), `${where}: ${add.path} exists`)
      }
      if ('remove' in action) {
        for (const field of ['path', 'deletionTimestamp', 'dataChange']) assert.ok(field in action.remove, `${where}: remove.${field}`)
      }
      if ('cdc' in action) {
        assert.ok(action.cdc.path.startsWith('_change_data/'), `${where}: cdc files live under _change_data`)
        assert.equal(action.cdc.dataChange, false, `${where}: cdc.dataChange is false`)
        assert.ok(metadata.configuration['delta.enableChangeDataFeed'] === 'true', `${where}: cdc files only with the change data feed on`)
        assert.ok(existsSync(path.join(table, decodeURIComponent(action.cdc.path))), `${where}: ${action.cdc.path} exists`)
      }
    }
  }
  // Our reader reads every version.
  const db = await lake.duckdb()
  for (const commit of commits) {
    const scan = await lake.scan(table, { version: commit.version })
    try {
      await db.rows(`SELECT count(*) FROM ${scan.sql}`)
    } finally {
      await dropScan(db, scan)
    }
  }
  return { versions: commits.length }
}
