/**
 * Checking a table's log against Delta's PROTOCOL.md, independently of src/delta: every commit
 * file is JSON lines with one commitInfo, version 0 has protocol and metaData, adds and cdc files
 * have the required fields and exist on disk, partition values match the partition columns, and
 * the protocol declares the features the metadata uses (change data feed, CHECK constraints,
 * timestamp_ntz), with readerFeatures/writerFeatures exactly when the versions are 3/7.
 * Deletion vectors (PROTOCOL.md "Deletion Vectors", "Deletion Vector Format"): the feature on
 * both sides at 3/7, new DVs only while delta.enableDeletionVectors is true, descriptors of the
 * documented shape, stats with numRecords (the physical count), on-disk DVs in a file at the
 * derived path with version byte 1, big-endian size = sizeInBytes, the magic number and a
 * matching CRC-32, inline DVs starting with the magic number.
 * Then our reader (src/delta via LakeEngine) must load and scan every version, and show exactly
 * Σ (numRecords − DV cardinality) rows.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { crc32 } from 'node:zlib'
import { dropScan, type LakeEngine } from '../../src/engine'
import { readCommits } from './delta-log'

interface ProtocolAction {
  minReaderVersion: number
  minWriterVersion: number
  readerFeatures?: string[]
  writerFeatures?: string[]
}

function writerFeaturesOf(p: ProtocolAction): string[] {
  if (p.minWriterVersion >= 7) return p.writerFeatures ?? []
  const legacy: string[] = []
  if (p.minWriterVersion >= 2) legacy.push('appendOnly', 'invariants')
  if (p.minWriterVersion >= 3) legacy.push('checkConstraints')
  if (p.minWriterVersion >= 4) legacy.push('changeDataFeed', 'generatedColumns')
  return legacy
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const DV_MAGIC = 1681511377

/** Z85 (ZeroMQ spec 32), written here again so the check does not trust src/delta's. */
function z85(text: string): Buffer {
  assert.equal(text.length % 5, 0, `Z85 text ${JSON.stringify(text)} is whole blocks`)
  const out = Buffer.alloc((text.length / 5) * 4)
  for (let block = 0; block < text.length / 5; block++) {
    let value = 0
    for (const ch of text.slice(block * 5, block * 5 + 5)) {
      const digit = Z85.indexOf(ch)
      assert.ok(digit >= 0, `Z85 character ${JSON.stringify(ch)}`)
      value = value * 85 + digit
    }
    out.writeUInt32BE(value, block * 4)
  }
  return out
}

interface DvDescriptor {
  storageType: string
  pathOrInlineDv: string
  offset?: number | null
  sizeInBytes: number
  cardinality: number
}

/** One DV descriptor against PROTOCOL.md, its bytes read from where the descriptor says. */
function checkDeletionVector(table: string, dv: DvDescriptor, numRecords: number | undefined, where: string): void {
  assert.ok(['u', 'i', 'p'].includes(dv.storageType), `${where}: storageType ${dv.storageType}`)
  assert.ok(Number.isInteger(dv.sizeInBytes) && dv.sizeInBytes > 0, `${where}: sizeInBytes`)
  assert.ok(Number.isInteger(dv.cardinality) && dv.cardinality > 0, `${where}: cardinality > 0`)
  assert.equal(typeof numRecords, 'number', `${where}: a file with a DV has stats.numRecords`)
  assert.ok(
    dv.cardinality < numRecords!,
    `${where}: the DV marks fewer rows (${dv.cardinality}) than the file has (${numRecords}); a file with every row deleted is removed`,
  )
  let bitmap: Buffer
  if (dv.storageType === 'i') {
    assert.ok(!('offset' in dv) || dv.offset === null, `${where}: an inline DV has no offset`)
    const bytes = z85(dv.pathOrInlineDv)
    assert.ok(bytes.length >= dv.sizeInBytes && bytes.length - dv.sizeInBytes < 4, `${where}: inline bytes match sizeInBytes (zero-padded to whole Z85 blocks)`)
    bitmap = bytes.subarray(0, dv.sizeInBytes)
  } else {
    assert.equal(dv.storageType, 'u', `${where}: we write relative ('u') DV files`)
    assert.ok(Number.isInteger(dv.offset) && dv.offset! >= 1, `${where}: offset past the version byte`)
    const prefix = dv.pathOrInlineDv.slice(0, -20)
    const uuid = z85(dv.pathOrInlineDv.slice(-20))
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')
    const file = path.join(table, prefix, `deletion_vector_${uuid}.bin`)
    assert.ok(existsSync(file), `${where}: DV file ${file} exists`)
    const bytes = readFileSync(file)
    assert.equal(bytes[0], 1, `${where}: DV file format version 1`)
    assert.equal(bytes.readUInt32BE(dv.offset!), dv.sizeInBytes, `${where}: the size before the DV (big-endian) is sizeInBytes`)
    bitmap = bytes.subarray(dv.offset! + 4, dv.offset! + 4 + dv.sizeInBytes)
    assert.equal(bytes.readUInt32BE(dv.offset! + 4 + dv.sizeInBytes), crc32(bitmap), `${where}: CRC-32 after the DV`)
  }
  assert.equal(bitmap.readUInt32LE(0), DV_MAGIC, `${where}: RoaringBitmapArray magic number`)
}

export async function checkTableAgainstProtocol(lake: LakeEngine, table: string): Promise<{ versions: number }> {
  const commits = readCommits(table)
  const liveRows = new Map<string, number>()
  const expectedRows: number[] = []
  const knownDvs = new Set<string>()
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
      assert.ok(
        typeof value === 'string' || value === null,
        `${where}: operationParameters.${key} is a string (Spark writes them as text), got ${JSON.stringify(value)}`,
      )
    }
    for (const [key, value] of Object.entries(info.operationMetrics ?? {}))
      assert.equal(typeof value, 'string', `${where}: operationMetrics.${key} is a string`)
    for (const action of commit.actions) {
      const kinds = Object.keys(action)
      assert.equal(kinds.length, 1, `${where}: one action per line`)
      assert.ok(
        ['commitInfo', 'protocol', 'metaData', 'add', 'remove', 'cdc', 'txn', 'domainMetadata'].includes(kinds[0]),
        `${where}: known action ${kinds[0]}`,
      )
    }
    const p = commit.actions.find((a) => 'protocol' in a)?.protocol as ProtocolAction | undefined
    if (p) {
      assert.equal(Array.isArray(p.readerFeatures), p.minReaderVersion === 3, `${where}: readerFeatures present exactly with reader version 3`)
      assert.equal(Array.isArray(p.writerFeatures), p.minWriterVersion === 7, `${where}: writerFeatures present exactly with writer version 7`)
      if (protocol)
        assert.ok(p.minReaderVersion >= protocol.minReaderVersion && p.minWriterVersion >= protocol.minWriterVersion, `${where}: the protocol never goes down`)
      protocol = p
    }
    const m = commit.actions.find((a) => 'metaData' in a)?.metaData
    if (m) {
      assert.equal(typeof m.id, 'string', `${where}: metaData.id`)
      assert.deepEqual(m.format, { provider: 'parquet', options: {} }, `${where}: metaData.format`)
      const schema = JSON.parse(m.schemaString)
      for (const column of m.partitionColumns)
        assert.ok(
          schema.fields.some((f: { name: string }) => f.name === column),
          `${where}: partition column ${column} in the schema`,
        )
      metadata = m
    }
    assert.ok(protocol && metadata, `${where}: protocol and metaData known (version 0 must have both)`)
    const features = writerFeaturesOf(protocol)
    if (metadata.configuration['delta.enableChangeDataFeed'] === 'true')
      assert.ok(features.includes('changeDataFeed'), `${where}: change data feed on, feature declared`)
    if (Object.keys(metadata.configuration).some((k) => k.startsWith('delta.constraints.')))
      assert.ok(features.includes('checkConstraints'), `${where}: CHECK constraints, feature declared`)
    if ((metadata.configuration['delta.columnMapping.mode'] ?? 'none') !== 'none') {
      assert.ok(features.includes('columnMapping') || protocol.minWriterVersion >= 5, `${where}: column mapping, writer feature declared`)
      assert.ok(
        protocol.minReaderVersion === 2 || (protocol.readerFeatures ?? []).includes('columnMapping'),
        `${where}: column mapping, reader feature declared`,
      )
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
    if (metadata.configuration['delta.enableDeletionVectors'] === 'true') {
      assert.ok(protocol.minReaderVersion === 3 && protocol.minWriterVersion === 7, `${where}: deletion vectors need reader 3 / writer 7`)
      assert.ok(
        features.includes('deletionVectors') && (protocol.readerFeatures ?? []).includes('deletionVectors'),
        `${where}: deletion vectors, reader and writer feature declared`,
      )
    }
    // Removes first: a DV update removes and adds the same path in one commit.
    const fileKey = (f: { path: string; deletionVector?: DvDescriptor | null }) =>
      `${f.path}|${f.deletionVector ? `${f.deletionVector.storageType}${f.deletionVector.pathOrInlineDv}@${f.deletionVector.offset ?? ''}` : ''}`
    for (const action of commit.actions) if ('remove' in action) liveRows.delete(fileKey(action.remove))
    for (const action of commit.actions) {
      const dv = (action.add ?? action.remove)?.deletionVector as DvDescriptor | undefined | null
      if (!dv) continue
      const numRecords = (action.add ?? action.remove).stats ? JSON.parse((action.add ?? action.remove).stats).numRecords : undefined
      const id = `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset ?? ''}`
      assert.ok(
        (protocol.readerFeatures ?? []).includes('deletionVectors') && features.includes('deletionVectors'),
        `${where}: a DV in the log, feature declared`,
      )
      if ('add' in action && !knownDvs.has(id)) {
        assert.equal(metadata.configuration['delta.enableDeletionVectors'], 'true', `${where}: new DVs only while delta.enableDeletionVectors is true`)
        const stats = JSON.parse(action.add.stats)
        assert.ok(stats.tightBounds === undefined || typeof stats.tightBounds === 'boolean', `${where}: stats.tightBounds is a boolean`)
      }
      knownDvs.add(id)
      checkDeletionVector(table, dv, numRecords, `${where} ${'add' in action ? 'add' : 'remove'} ${(action.add ?? action.remove).path}`)
    }
    for (const action of commit.actions) {
      if ('add' in action) liveRows.set(fileKey(action.add), JSON.parse(action.add.stats).numRecords - (action.add.deletionVector?.cardinality ?? 0))
    }
    expectedRows[commit.version] = [...liveRows.values()].reduce((sum, n) => sum + n, 0)
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
      const [{ n }] = await db.rows(`SELECT count(*) AS n FROM ${scan.sql}`)
      assert.equal(
        Number(n),
        expectedRows[commit.version],
        `${table} version ${commit.version}: our reader's rows = Σ (numRecords − DV cardinality) over the live files`,
      )
    } finally {
      await dropScan(db, scan)
    }
  }
  return { versions: commits.length }
}
