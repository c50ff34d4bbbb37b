/**
 * The Delta writer end to end, on real files in a fresh temp dir per test, checked against the
 * protocol and against independent readers: the commit files are read as plain JSON (not through
 * src/delta), statistics are recomputed with DuckDB over each Parquet file, and every data file is
 * read a second time with hyparquet.
 */
import assert from 'node:assert/strict'
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, test } from 'node:test'
import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
} from '@duckdb/node-api'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { checkpointActions } from '../../src/delta/checkpoint'
import { commit } from '../../src/delta/commit'
import type { DataType, StructType } from '../../src/delta/schema'
import type { Snapshot } from '../../src/delta/snapshot'
import { dropScan } from '../../src/engine'
import { appendQuery, createTable } from '../../src/table/delta-writer'
import {
  actionSortKey,
  actionsOf,
  checkpointRowsToActions,
  commitVersions,
  dataFilePath,
  fileSize,
  kindOf,
  listDataFiles,
  logDir,
  normaliseRecord,
  parseJsonLossless,
  RawNumber,
  readCommitFile,
  readCommits,
  writeCommitFile,
  type LosslessValue,
} from '../helpers/delta-log'
import { rejectsWithDeltaError } from '../helpers/assertions'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('writer')

async function db() {
  return lake.duckdb()
}

/** The rows of a table (or snapshot) through lake.scan, as DuckDB JSON rows. */
async function scanRows(source: string | Snapshot, orderBy = 'id', columns = '*'): Promise<Record<string, unknown>[]> {
  const duck = await db()
  const scan = await lake.scan(source)
  try {
    return await duck.rows(`SELECT ${columns} FROM ${scan.sql} ORDER BY ${orderBy}`)
  } finally {
    await dropScan(duck, scan)
  }
}

/** Rows with DuckDB's typed values (bigint, DuckDBDecimalValue, ...), not the JSON rendering. */
async function rawRows(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await (await db()).connection.runAndReadAll(sql)
  return reader.getRowObjects() as Record<string, unknown>[]
}

function sql(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

function parseSchemaString(schemaString: string): StructType {
  return JSON.parse(schemaString) as StructType
}

function isStructType(type: DataType): type is StructType {
  return typeof type === 'object' && type.type === 'struct'
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// -----------------------------------------------------------------------------------------------
// 1. The log against the protocol

/** RFC 3986 path characters: unreserved, sub-delims, ':' '@', '/', and %XX escapes. */
const URI_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$/
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/

function checkLogAgainstProtocol(table: string): { commits: number; adds: number } {
  const commits = readCommits(table)
  assert.ok(commits.length > 0, 'the table has commits')
  assert.deepEqual(
    commits.map((c) => c.version),
    commits.map((_, i) => i),
    'commit versions are contiguous from 0',
  )
  let partitionColumns: string[] | undefined
  let schemaNames: string[] = []
  let adds = 0
  for (const c of commits) {
    const where = `commit ${c.version}`
    // Newline-delimited JSON: every non-empty line is one object with exactly one action key.
    for (const line of c.text.split('\n')) {
      if (line === '') continue
      const parsed = JSON.parse(line)
      assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${where}: each line is a JSON object`)
      assert.equal(Object.keys(parsed).length, 1, `${where}: one action per line: ${line.slice(0, 120)}`)
    }
    assert.equal(kindOf(c.actions[0]), 'commitInfo', `${where}: the first line is commitInfo`)
    assert.equal(c.actions.filter((a) => 'commitInfo' in a).length, 1, `${where}: one commitInfo`)
    const info = c.actions[0].commitInfo
    assert.ok(Number.isInteger(info.timestamp) && info.timestamp > 1_600_000_000_000, `${where}: commitInfo.timestamp is ms since epoch`)
    assert.ok(typeof info.operation === 'string' && info.operation.length > 0, `${where}: commitInfo.operation`)
    assert.ok(typeof info.engineInfo === 'string' && info.engineInfo.length > 0, `${where}: commitInfo.engineInfo`)

    const protocols = c.actions.filter((a) => 'protocol' in a).map((a) => a.protocol)
    assert.ok(protocols.length <= 1, `${where}: at most one protocol action`)
    for (const p of protocols) {
      assert.ok(Number.isInteger(p.minReaderVersion) && p.minReaderVersion >= 1 && p.minReaderVersion <= 3, `${where}: minReaderVersion`)
      assert.ok(Number.isInteger(p.minWriterVersion) && p.minWriterVersion >= 1 && p.minWriterVersion <= 7, `${where}: minWriterVersion`)
      assert.equal(
        Array.isArray(p.writerFeatures),
        p.minWriterVersion === 7,
        `${where}: writerFeatures present iff minWriterVersion is 7: ${JSON.stringify(p)}`,
      )
      assert.equal(
        Array.isArray(p.readerFeatures),
        p.minReaderVersion === 3,
        `${where}: readerFeatures present iff minReaderVersion is 3: ${JSON.stringify(p)}`,
      )
      for (const feature of p.readerFeatures ?? []) {
        assert.ok(p.writerFeatures?.includes(feature), `${where}: reader feature ${feature} must also be a writer feature`)
      }
    }
    const metadatas = c.actions.filter((a) => 'metaData' in a).map((a) => a.metaData)
    assert.ok(metadatas.length <= 1, `${where}: at most one metaData action`)
    for (const m of metadatas) {
      assert.ok(typeof m.id === 'string' && m.id.length > 0, `${where}: metaData.id`)
      if (partitionColumns === undefined) assert.match(m.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.equal(m.format?.provider, 'parquet', `${where}: format.provider`)
      const schema = JSON.parse(m.schemaString)
      assert.equal(schema.type, 'struct', `${where}: schemaString is a struct`)
      assert.ok(Array.isArray(schema.fields) && schema.fields.length > 0, `${where}: the schema has fields`)
      for (const field of schema.fields) {
        assert.equal(typeof field.name, 'string')
        assert.ok(field.type !== undefined, `field ${field.name} has a type`)
        assert.equal(typeof field.nullable, 'boolean', `field ${field.name} has nullable`)
        assert.equal(typeof field.metadata, 'object', `field ${field.name} has metadata`)
      }
      schemaNames = schema.fields.map((f: { name: string }) => f.name)
      assert.ok(Array.isArray(m.partitionColumns), `${where}: partitionColumns is an array`)
      for (const column of m.partitionColumns) assert.ok(schemaNames.includes(column), `${where}: partition column ${column} is in the schema`)
      assert.ok(m.configuration !== null && typeof m.configuration === 'object', `${where}: configuration is an object`)
      for (const [key, value] of Object.entries(m.configuration)) assert.equal(typeof value, 'string', `${where}: configuration ${key} is a string`)
      partitionColumns = m.partitionColumns
    }
    if (c.version === 0) {
      assert.equal(protocols.length, 1, 'version 0 has a protocol')
      assert.equal(metadatas.length, 1, 'version 0 has metaData')
    }

    for (const add of actionsOf([c], 'add')) {
      adds++
      const at = `${where}: add ${add.path}`
      assert.equal(typeof add.path, 'string')
      assert.ok(!add.path.startsWith('/') && !HAS_SCHEME.test(add.path), `${at}: path is relative`)
      assert.match(add.path, URI_PATH, `${at}: path is percent-encoded`)
      assert.deepEqual(Object.keys(add.partitionValues).sort(), [...(partitionColumns ?? [])].sort(), `${at}: a partition value for every partition column`)
      for (const value of Object.values(add.partitionValues))
        assert.ok(value === null || typeof value === 'string', `${at}: partition values are strings or null`)
      const file = dataFilePath(table, add.path)
      assert.ok(existsSync(file), `${at}: the file exists at ${file}`)
      assert.equal(add.size, fileSize(file), `${at}: size is the file's size on disk`)
      assert.ok(Number.isInteger(add.modificationTime) && add.modificationTime > 1_600_000_000_000, `${at}: modificationTime`)
      assert.equal(add.dataChange, true, `${at}: dataChange`)
      assert.equal(typeof add.stats, 'string', `${at}: stats is a JSON string`)
      const stats = JSON.parse(add.stats)
      assert.ok(Number.isInteger(stats.numRecords) && stats.numRecords > 0, `${at}: stats.numRecords`)
      for (const key of Object.keys(stats))
        assert.ok(['numRecords', 'minValues', 'maxValues', 'nullCount', 'tightBounds'].includes(key), `${at}: unexpected stats key ${key}`)
    }
  }
  return { commits: commits.length, adds }
}

describe('delta writer', () => {
  test('1. commit files follow the protocol (commitInfo, protocol, metaData, add)', async () => {
    // A partitioned table created by its first append, with properties and a txn.
    const partitioned = freshTable('partitioned')
    await appendQuery(lake, partitioned, `SELECT * FROM (VALUES (1::BIGINT, 'a', 'x'), (2, 'b', 'y'), (3, NULL, 'z')) v(id, p, s)`, {
      create: { partitionColumns: ['p'], properties: { 'delta.checkpointInterval': '100', 'custom.owner': 'tests' } },
    })
    await appendQuery(lake, partitioned, `SELECT 4::BIGINT AS id, 'a' AS p, 'w' AS s`, { txns: [{ appId: 'job', version: 1 }] })
    await appendQuery(lake, partitioned, `SELECT 5::BIGINT AS id, 'c d/e' AS p, 'v' AS s, 1.5::DOUBLE AS extra`)
    const a = checkLogAgainstProtocol(partitioned)
    assert.equal(a.commits, 3)
    assert.equal(a.adds, 5, 'one file per partition and append')
    const first = readCommitFile(partitioned, 0)
    const metaData = first.actions.find((x) => 'metaData' in x)!.metaData
    assert.deepEqual(metaData.partitionColumns, ['p'])
    assert.equal(metaData.configuration['delta.checkpointInterval'], '100')
    assert.equal(metaData.configuration['custom.owner'], 'tests')
    const protocol = first.actions.find((x) => 'protocol' in x)!.protocol
    // Deletion vectors are on by default (as on Databricks): the feature on both sides, reader 3 / writer 7.
    assert.equal(metaData.configuration['delta.enableDeletionVectors'], 'true')
    assert.deepEqual(protocol, {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['appendOnly', 'deletionVectors', 'invariants'],
    })
    const plain = freshTable('plain')
    await appendQuery(lake, plain, 'SELECT 1 AS id', { create: { properties: { 'delta.enableDeletionVectors': 'false' } } })
    assert.deepEqual(
      readCommitFile(plain, 0).actions.find((x) => 'protocol' in x)!.protocol,
      { minReaderVersion: 1, minWriterVersion: 2 },
      'without deletion vectors a plain table needs no table features',
    )
    assert.equal(readCommitFile(partitioned, 1).actions.find((x) => 'txn' in x)?.txn.appId, 'job')
    assert.ok(
      readCommitFile(partitioned, 2).actions.some((x) => 'metaData' in x),
      'schema evolution writes metaData',
    )

    // timestamp_ntz needs table features: reader 3 / writer 7 with feature lists.
    const ntz = freshTable('ntz')
    await appendQuery(lake, ntz, `SELECT 1::BIGINT AS id, TIMESTAMP '2024-01-01 00:00:00.5' AS local_time`)
    await appendQuery(lake, ntz, `SELECT 2::BIGINT AS id, TIMESTAMP '2024-01-02 00:00:00' AS local_time`)
    checkLogAgainstProtocol(ntz)
    const ntzProtocol = readCommitFile(ntz, 0).actions.find((x) => 'protocol' in x)!.protocol
    assert.equal(ntzProtocol.minReaderVersion, 3)
    assert.equal(ntzProtocol.minWriterVersion, 7)
    assert.ok(ntzProtocol.readerFeatures.includes('timestampNtz'))
    assert.ok(ntzProtocol.writerFeatures.includes('timestampNtz'))

    // createTable with an explicit schema, then appends.
    const created = freshTable('created')
    const schema: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'day', type: 'date', nullable: true, metadata: {} },
      ],
    }
    const result = await createTable(lake, created, { schema, partitionColumns: ['day'], properties: { 'delta.appendOnly': 'false' } })
    assert.equal(result.version, 0)
    await appendQuery(lake, created, `SELECT 1::BIGINT AS id, DATE '2024-05-06' AS day`)
    const c = checkLogAgainstProtocol(created)
    assert.equal(c.commits, 2)
    assert.equal(c.adds, 1)
    assert.deepEqual(parseSchemaString(readCommitFile(created, 0).actions.find((x) => 'metaData' in x)!.metaData.schemaString), schema)
    const again = createTable(lake, created, { schema })
    await rejectsWithDeltaError(again, 'TABLE_EXISTS')
  })

  // ---------------------------------------------------------------------------------------------
  // 2. Stats

  test('2. add.stats match the data of each file (recomputed with DuckDB)', async () => {
    const table = freshTable('stats')
    const long = 'x' + 'é'.repeat(40)
    const emojis = '😀'.repeat(33)
    // Casts on the outer SELECT so that every column gets one type whatever the VALUES rows hold.
    const rows = `
      SELECT id::BIGINT AS id, big::BIGINT AS big, i::INTEGER AS i, sm::SMALLINT AS sm, ti::TINYINT AS ti,
             dbl::DOUBLE AS dbl, fl::FLOAT AS fl, flag::BOOLEAN AS flag, s::VARCHAR AS s,
             d::DATE AS d, ts::TIMESTAMPTZ AS ts, (ts::TIMESTAMPTZ AT TIME ZONE 'UTC')::TIMESTAMP AS tn, dec::DECIMAL(10,2) AS dec,
             CASE WHEN sa IS NULL AND sb IS NULL THEN NULL ELSE {'a': sa::INTEGER, 'inner': {'b': sb::VARCHAR, 'c': sc::DATE}} END AS st,
             longs::VARCHAR AS longs, l::INTEGER[] AS l, bin::BLOB AS bin, g::VARCHAR AS g
      FROM (VALUES
        (1, '9007199254740993', 7, -3, 5, 1.5, 2.25, true, 'apple', '2024-01-02', '2024-01-01 10:00:00.123456+00', '12.34', 1, 'x', '2020-01-01', '${long}', [1, 2], '\\x01', 'g1'),
        (2, '-9007199254740993', NULL, 300, -128, -0.25, NULL, false, 'banana', '1969-12-31', '2024-01-01 10:00:00.999001+00', '-0.05', NULL, 'y', NULL, 'zz', NULL, NULL, 'g1'),
        (3, '9223372036854775807', -2147483648, NULL, 127, NULL, 3.5, NULL, NULL, NULL, '1969-12-31 23:59:59.999999+00', NULL, 2, NULL, '2021-06-30', NULL, [3], NULL, 'g1'),
        (4, '-9223372036854775808', 2147483647, 1, 0, 1e300, -1.25, true, 'Ünïcödé 😀', '2000-02-29', '2024-06-01 00:00:00+00', '99999999.99', -5, 'ä', '1999-12-31', '${emojis}', [], '\\xFF', 'g2'),
        (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'g3'),
        (6, '42', 1, 2, 3, 4.0, 5.0, false, 'short', '2024-01-01', '2024-01-01 00:00:00.000001+00', '0.01', 7, 'q', '2024-02-29', 'a', [4], NULL, 'g4'),
        (7, '43', 1, 2, 3, 4.0, 5.0, false, '${'z'.repeat(32)}', '2024-01-01', '2024-01-01 00:00:00.000999+00', '0.01', 7, 'r', '2024-02-29', '${'m'.repeat(60)}', [4], NULL, 'g4')
      ) v(id, big, i, sm, ti, dbl, fl, flag, s, d, ts, dec, sa, sb, sc, longs, l, bin, g)`
    await appendQuery(lake, table, rows, { create: { partitionColumns: ['g'] } })
    // A second append into an existing partition with only some of the columns (the rest are written as NULL).
    await appendQuery(lake, table, `SELECT 8::BIGINT AS id, 1::BIGINT AS big, 'g1' AS g, 'aaa' AS s, TIMESTAMPTZ '2030-01-01 00:00:00.0005+00' AS ts`)

    const commits = readCommits(table)
    let checked = 0
    let schema: StructType | undefined
    let partitionColumns: string[] = []
    for (const c of commits) {
      const metaData = c.actions.find((a) => 'metaData' in a)?.metaData
      if (metaData) {
        schema = parseSchemaString(metaData.schemaString)
        partitionColumns = metaData.partitionColumns
      }
      for (const add of actionsOf([c], 'add')) {
        await checkFileStats(dataFilePath(table, add.path), add.stats, schema!, partitionColumns)
        checked++
      }
    }
    assert.equal(checked, 5, 'four partitions in the first append, one file in the second')

    // Spot checks on exact spellings the generic check relies on.
    const g1 = actionsOf(commits, 'add').find((a) => a.partitionValues.g === 'g1')!
    const stats = parseJsonLossless(g1.stats) as Record<string, any>
    assert.equal((stats.maxValues.big as RawNumber).raw, '9223372036854775807', 'a long beyond 2^53 keeps every digit')
    assert.equal((stats.minValues.big as RawNumber).raw, '-9007199254740993')
    assert.equal(stats.minValues.ts, '1969-12-31T23:59:59.999Z', 'timestamp min floored to the millisecond')
    assert.equal(stats.maxValues.ts, '2024-01-01T10:00:01.000Z', 'timestamp max ceiled to the millisecond')
    assert.equal(stats.minValues.tn, '1969-12-31T23:59:59.999', 'timestamp_ntz stats have no zone')
    assert.equal(stats.maxValues.tn, '2024-01-01T10:00:01.000')
    assert.equal(stats.minValues.longs, 'x' + 'é'.repeat(31), 'a long string min is its 32-character prefix')
    assert.equal(stats.maxValues.longs, 'zz', 'a short max is kept although the min was truncated')
    assert.equal(stats.minValues.st.inner.b, 'x')
    assert.equal((stats.nullCount.st.a as RawNumber).raw, '1', 'nulls of nested leaves are counted')
    assert.equal(stats.minValues.st.inner.c, '2020-01-01')
    const g2 = parseJsonLossless(actionsOf(commits, 'add').find((a) => a.partitionValues.g === 'g2')!.stats) as Record<string, any>
    assert.equal(g2.minValues.longs, '😀'.repeat(32), 'truncation counts characters (code points), not UTF-16 units')
    assert.equal(g2.maxValues.longs, undefined, 'a string max longer than 32 characters is left out')
    const g3 = parseJsonLossless(actionsOf(commits, 'add').find((a) => a.partitionValues.g === 'g3')!.stats) as Record<string, any>
    assert.equal((g3.nullCount.big as RawNumber).raw, '1')
    assert.equal(g3.minValues.big, undefined, 'an all-null column has no min')
    const g4 = parseJsonLossless(actionsOf(commits, 'add').find((a) => a.partitionValues.g === 'g4')!.stats) as Record<string, any>
    assert.equal(g4.maxValues.s, 'z'.repeat(32), 'a string of exactly 32 characters is kept as max')
    assert.equal(g4.minValues.s, 'short')
    assert.equal(g4.minValues.longs, 'a')
    assert.equal(g4.maxValues.longs, undefined)
    assert.equal(g4.minValues.ts, '2024-01-01T00:00:00.000Z')
    assert.equal(g4.maxValues.ts, '2024-01-01T00:00:00.001Z')
  })

  // ---------------------------------------------------------------------------------------------
  // 3. Partition values

  test('3. partition values (null, special characters, date, timestamp) read back as written', async () => {
    const table = freshTable('partitions')
    const special = 'a/b c%d=e😀'
    const source = `
      SELECT id::BIGINT AS id, ps::VARCHAR AS ps, pd::DATE AS pd, pt::TIMESTAMPTZ AS pt, v::VARCHAR AS v FROM (VALUES
        (1, ${sql(special)}, '2024-02-29', '2024-03-01 12:34:56.789012+00', 'one'),
        (2, NULL, NULL, NULL, 'two'),
        (3, 'plain', '1999-12-31', '1970-01-01 00:00:00+00', 'three'),
        (4, ${sql(special)}, '2024-02-29', '2024-03-01 12:34:56.789012+00', 'four'),
        (5, '100%', '2024-01-01', '2023-12-31 23:59:59.5+00', 'five')
      ) t(id, ps, pd, pt, v)`
    await appendQuery(lake, table, source, { create: { partitionColumns: ['ps', 'pd', 'pt'] } })
    const duck = await db()
    const expected = await duck.rows(`SELECT * FROM (${source}) ORDER BY id`)
    const actual = await scanRows(table)
    assert.deepEqual(actual, expected)

    const adds = actionsOf(readCommits(table), 'add')
    assert.equal(adds.length, 4, 'one file per distinct partition')
    const specialAdd = adds.find((a) => a.partitionValues.ps === special)
    assert.ok(specialAdd, `the special string is stored verbatim in partitionValues: ${JSON.stringify(adds.map((a) => a.partitionValues))}`)
    assert.equal(specialAdd.partitionValues.pd, '2024-02-29')
    assert.match(specialAdd.partitionValues.pt, /^2024-03-01[T ]12:34:56\.789012(Z|\+00:?00)?$/, 'timestamp partition value keeps microseconds')
    assert.equal(JSON.parse(specialAdd.stats).numRecords, 2)
    const nullAdd = adds.find((a) => a.partitionValues.ps === null)!
    assert.deepEqual(nullAdd.partitionValues, { ps: null, pd: null, pt: null }, 'null partition values are JSON nulls')
    assert.ok(existsSync(dataFilePath(table, specialAdd.path)))

    // Filtering on the partition columns through the scan.
    const scan = await lake.scan(table)
    try {
      const hits = await duck.rows(
        `SELECT id FROM ${scan.sql} WHERE ps = ${sql(special)} AND pd = DATE '2024-02-29' AND pt = TIMESTAMPTZ '2024-03-01 12:34:56.789012+00' ORDER BY id`,
      )
      assert.deepEqual(
        hits.map((r) => r.id),
        ['1', '4'],
      )
      const nulls = await duck.rows(`SELECT id FROM ${scan.sql} WHERE ps IS NULL AND pd IS NULL AND pt IS NULL`)
      assert.deepEqual(
        nulls.map((r) => r.id),
        ['2'],
      )
    } finally {
      await dropScan(duck, scan)
    }

    // Appending to an existing partition and a new one keeps everything.
    await appendQuery(
      lake,
      table,
      `SELECT 6::BIGINT AS id, ${sql(special)} AS ps, DATE '2024-02-29' AS pd, TIMESTAMPTZ '2024-03-01 12:34:56.789012+00' AS pt, 'six' AS v`,
    )
    const after2 = await scanRows(table)
    assert.equal(after2.length, 6)
    assert.deepEqual(after2.at(-1), { id: '6', ps: special, pd: '2024-02-29', pt: '2024-03-01 12:34:56.789012+00', v: 'six' })
  })

  test('3b. an empty-string partition value is null under the protocol', async () => {
    const table = freshTable('empty-partition')
    await appendQuery(lake, table, `SELECT * FROM (VALUES (1::BIGINT, ''), (2, 'x')) t(id, ps)`, { create: { partitionColumns: ['ps'] } })
    const adds = actionsOf(readCommits(table), 'add')
    const rows = await scanRows(table)
    // PROTOCOL.md, Partition Value Serialization: "An empty string for any type translates to a
    // null partition value." Whatever the writer stores for the '' row, a reader must then see NULL
    // when the log says "", and the writer/reader pair must agree with other Delta readers.
    const stored = adds.find((a) => JSON.parse(a.stats).minValues.id === 1)!.partitionValues.ps
    assert.ok(stored === null || stored === '', `stored as ${JSON.stringify(stored)}`)
    assert.equal(rows[0].ps, null, 'a partition value of "" reads as NULL, as any other Delta reader would read it')
  })

  test('3c. partition values of other types (boolean, integer, long, decimal, double, timestamp_ntz)', async () => {
    const table = freshTable('typed-partitions')
    const source = `
      SELECT * FROM (VALUES
        (1::BIGINT, true, 42::INTEGER, 1.50::DECIMAL(5,2), 2.5::DOUBLE, TIMESTAMP '2024-01-01 01:02:03.456789', 9007199254740993::BIGINT),
        (2, false, -1, -0.01, -3.75, TIMESTAMP '1900-01-01 00:00:00', -9007199254740993)
      ) v(id, pb, pi, pdec, pdbl, pntz, pbig)`
    const partitionColumns = ['pb', 'pi', 'pdec', 'pdbl', 'pntz', 'pbig']
    await appendQuery(lake, table, source, { create: { partitionColumns } })
    const adds = actionsOf(readCommits(table), 'add')
    assert.equal(adds.length, 2)
    const first = adds.find((a) => a.partitionValues.pi === '42')!
    assert.ok(first, JSON.stringify(adds.map((a) => a.partitionValues)))
    assert.equal(first.partitionValues.pb, 'true')
    assert.equal(Number(first.partitionValues.pdec), 1.5)
    assert.equal(Number(first.partitionValues.pdbl), 2.5)
    assert.match(first.partitionValues.pntz, /^2024-01-01[ T]01:02:03\.456789$/)
    assert.equal(first.partitionValues.pbig, '9007199254740993', 'a long partition value keeps every digit')

    // Everything but the binary column reads back exactly (binary: see 3d).
    const duck = await db()
    const columns = 'id, pb, pi, pdec, pdbl, pntz, pbig'
    assert.deepEqual(await scanRows(table, 'id', columns), await duck.rows(`SELECT ${columns} FROM (${source}) ORDER BY id`))
  })

  test('3d. binary partition values are stored as bytes and read back', async () => {
    const table = freshTable('binary-partitions')
    const source = `SELECT * FROM (VALUES (1::BIGINT, '\\x01A'::BLOB), (2, 'plain'::BLOB)) v(id, pbin)`
    await appendQuery(lake, table, source, { create: { partitionColumns: ['pbin'] } })
    const duck = await db()
    const first = actionsOf(readCommits(table), 'add').find((a) => JSON.parse(a.stats).minValues.id === 1)!
    // PROTOCOL.md: binary partition values are "a string of escaped binary values", e.g. "\u0001\u0002\u0003",
    // i.e. each byte is one character of the JSON string.
    assert.equal(first.partitionValues.pbin, '\u0001A', 'a binary partition value is stored as its bytes')
    assert.deepEqual(
      await scanRows(table, 'id', 'id, hex(pbin) AS pbin'),
      await duck.rows(`SELECT id, hex(pbin) AS pbin FROM (${source}) ORDER BY id`),
      'binary partition values read back as written',
    )
  })

  // ---------------------------------------------------------------------------------------------
  // 4. Checkpoints

  test('4. checkpoints every delta.checkpointInterval commits equal JSON replay; _last_checkpoint; segment', async () => {
    const table = freshTable('checkpoints')
    const props = { 'delta.checkpointInterval': '3' }
    const r0 = await appendQuery(lake, table, `SELECT 0::BIGINT AS id, 'a' AS p, 'zero' AS s`, { create: { partitionColumns: ['p'], properties: props } })
    assert.equal(r0.version, 0)
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id, NULL::VARCHAR AS p, 'one' AS s`)
    await appendQuery(lake, table, `SELECT 2::BIGINT AS id, 'b' AS p, 'two' AS s`, { txns: [{ appId: 'src-a', version: 7 }] })
    const r3 = await appendQuery(lake, table, `SELECT 3::BIGINT AS id, 'a' AS p, 'three' AS s, 3.5::DOUBLE AS x`)
    assert.equal(r3.checkpointed, true, `version 3 is a multiple of the interval: ${r3.checkpointError ?? ''}`)
    await appendQuery(lake, table, `SELECT 4::BIGINT AS id, 'c' AS p, 'four' AS s, NULL::DOUBLE AS x`, { txns: [{ appId: 'src-b', version: 1 }] })
    // Version 5 deletes the file of version 1 (a tombstone for the checkpoint to carry).
    const before5 = await lake.snapshot(table)
    const victim = before5.files.find((f) => f.add.partitionValues.p === null)!
    const r5 = await commit(lake.io, {
      table,
      snapshot: before5,
      operation: 'DELETE',
      actions: [
        {
          remove: {
            path: victim.add.path,
            deletionTimestamp: Date.now(),
            dataChange: true,
            extendedFileMetadata: true,
            partitionValues: victim.add.partitionValues,
            size: victim.add.size,
          },
        },
      ],
    })
    assert.equal(r5.version, 5)
    const r6 = await appendQuery(lake, table, `SELECT 6::BIGINT AS id, 'a' AS p, 'six' AS s, 6.5::DOUBLE AS x`, { txns: [{ appId: 'src-a', version: 8 }] })
    assert.equal(r6.version, 6)
    assert.equal(r6.checkpointed, true, r6.checkpointError ?? '')
    assert.equal(r6.checkpointError, undefined)

    const log = logDir(table)
    const cpFile = path.join(log, '00000000000000000006.checkpoint.parquet')
    assert.ok(existsSync(cpFile), 'checkpoint 6 exists')
    assert.ok(existsSync(path.join(log, '00000000000000000003.checkpoint.parquet')), 'checkpoint 3 exists')
    assert.ok(!readdirSync(log).some((n) => /^0+[1245]\.checkpoint/.test(n)), 'no checkpoints off the interval')

    // The checkpoint read with hyparquet (not via src) ...
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(cpFile), compressors })) as Record<string, unknown>[]
    const fromCheckpoint = checkpointRowsToActions(rows)
    const last = JSON.parse(readFileSync(path.join(log, '_last_checkpoint'), 'utf8'))
    assert.equal(last.version, 6)
    assert.equal(last.size, rows.length, '_last_checkpoint.size is the number of actions (rows) in the checkpoint')

    // ... against replaying the JSON commits 0..6 alone (a copy of the table without checkpoints).
    const copy = freshTable('checkpoints-json-only')
    cpSync(table, copy, { recursive: true })
    for (const name of readdirSync(logDir(copy))) {
      if (name.includes('.checkpoint.') || name === '_last_checkpoint') rmSync(path.join(logDir(copy), name))
    }
    const jsonSnapshot = await lake.snapshot(copy, { version: 6 })
    assert.equal(jsonSnapshot.segment.checkpointVersion, undefined)
    assert.equal(jsonSnapshot.segment.commitsRead, 7)
    const now = Date.now()
    const fromJson = checkpointActions(jsonSnapshot, now).map((a) => normaliseRecord(a) as Record<string, any>)
    const sorted = (actions: Record<string, any>[]) => [...actions].sort((x, y) => actionSortKey(x).localeCompare(actionSortKey(y)))
    assert.deepEqual(sorted(fromCheckpoint), sorted(fromJson), 'checkpoint rows equal the replayed state')
    assert.equal(last.size, fromJson.length)

    // The pieces, spelled out: what the JSON commits say, straight from the files.
    const commits = readCommits(table).filter((c) => c.version <= 6)
    const byKind = (kind: string) => fromCheckpoint.filter((a) => kind in a).map((a) => a[kind])
    assert.deepEqual(byKind('protocol'), [normaliseRecord(actionsOf(commits, 'protocol').at(-1))])
    assert.deepEqual(byKind('metaData'), [normaliseRecord(actionsOf(commits, 'metaData').at(-1))], 'the newest metaData (after the schema change at 3)')
    assert.deepEqual(
      byKind('txn')
        .map((t) => [t.appId, t.version])
        .sort(),
      [
        ['src-a', 8],
        ['src-b', 1],
      ],
      'the newest txn per appId',
    )
    const removedPath = actionsOf(commits, 'remove')[0].path
    const liveAdds = actionsOf(commits, 'add').filter((a) => a.path !== removedPath)
    const cpAdds = byKind('add')
    assert.equal(cpAdds.length, liveAdds.length)
    for (const add of liveAdds) {
      const found = cpAdds.find((a) => a.path === add.path)
      assert.ok(found, `checkpoint has add ${add.path}`)
      assert.deepEqual(found.partitionValues, add.partitionValues, 'partition values (including null) survive the checkpoint')
      assert.equal(found.stats, add.stats, 'stats are carried verbatim')
      assert.equal(found.size, add.size)
      assert.equal(found.modificationTime, add.modificationTime)
      assert.equal(found.dataChange, false)
    }
    assert.deepEqual(
      byKind('remove').map((r) => r.path),
      [removedPath],
      'the tombstone of version 5',
    )
    assert.equal(byKind('remove')[0].dataChange, false)

    // Loading through the checkpoint gives the same state, and reads no commit before it.
    const viaCheckpoint = await lake.snapshot(table, { version: 6 })
    assert.deepEqual(viaCheckpoint.segment, { checkpointVersion: 6, commitsRead: 0 })
    assert.deepEqual(sorted(checkpointActions(viaCheckpoint, now).map((a) => normaliseRecord(a) as Record<string, any>)), sorted(fromJson))
    await appendQuery(lake, table, `SELECT 7::BIGINT AS id, 'a' AS p, 'seven' AS s, 7.5::DOUBLE AS x`)
    await appendQuery(lake, table, `SELECT 8::BIGINT AS id, 'd' AS p, 'eight' AS s, 8.5::DOUBLE AS x`)
    const latest = await lake.snapshot(table)
    assert.equal(latest.version, 8)
    assert.deepEqual(latest.segment, { checkpointVersion: 6, commitsRead: 2 }, 'only the commits after the checkpoint are read')
    const older = await lake.snapshot(table, { version: 4 })
    assert.deepEqual(older.segment, { checkpointVersion: 3, commitsRead: 1 }, 'time travel uses the newest checkpoint at or before the version')
    assert.deepEqual(
      (await scanRows(latest)).map((r) => r.id),
      ['0', '2', '3', '4', '6', '7', '8'],
    )
    assert.equal(latest.txns.get('src-a')?.version, 8)

    // A corrupt _last_checkpoint: the table still loads, by listing.
    const expectedIds = (await scanRows(latest)).map((r) => r.id)
    for (const garbage of ['this is not json {{{', '', '\u0000\u0000\u0000', '{"version": "six"}', '{"version": 99}', '[1,2]']) {
      writeFileSync(path.join(log, '_last_checkpoint'), garbage)
      const snapshot = await lake.snapshot(table)
      assert.equal(snapshot.version, 8, `loads with _last_checkpoint = ${JSON.stringify(garbage)}`)
      assert.equal(snapshot.segment.checkpointVersion, 6, 'the listing still finds checkpoint 6')
      assert.deepEqual(
        (await scanRows(snapshot)).map((r) => r.id),
        expectedIds,
      )
    }
  })

  test('4b. a _last_checkpoint holding JSON null falls back to listing', async () => {
    const table = freshTable('null-hint')
    for (let i = 0; i < 3; i++) await appendQuery(lake, table, `SELECT ${i}::BIGINT AS id`, { create: { properties: { 'delta.checkpointInterval': '2' } } })
    assert.equal((await lake.snapshot(table)).segment.checkpointVersion, 2)
    writeFileSync(path.join(logDir(table), '_last_checkpoint'), 'null')
    const loaded = await lake.snapshot(table).then(
      (s) => s.version,
      (error: Error) => `${error.name}: ${error.message}`,
    )
    assert.equal(loaded, 2, '_last_checkpoint containing `null` falls back to listing')
  })

  // ---------------------------------------------------------------------------------------------
  // 5. A second Parquet reader

  test('5. every data file reads back identically with DuckDB and hyparquet', async () => {
    const table = freshTable('roundtrip')
    const source = (from: number, to: number) => `
      SELECT
        i::BIGINT AS id,
        CASE WHEN i % 11 = 0 THEN NULL WHEN i % 2 = 0 THEN 9007199254740993 + i ELSE -9223372036854775807 + i END::BIGINT AS big,
        CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 1000) - 500 END::INTEGER AS int32,
        (i % 30000)::SMALLINT AS int16,
        (i % 200 - 100)::TINYINT AS int8,
        CASE WHEN i % 13 = 0 THEN NULL ELSE i / 7.0 END::DOUBLE AS dbl,
        (i / 3.0)::FLOAT AS flt,
        CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END AS flag,
        CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN '' ELSE 'ü-' || i || '-日本語-😀-' || repeat('ß', i % 40) END AS s,
        CASE WHEN i % 6 = 0 THEN NULL ELSE ('\\x00\\xFF'::BLOB || encode(i::VARCHAR)) END AS bin,
        CASE WHEN i % 9 = 0 THEN NULL ELSE DATE '1960-01-01' + (i * 37)::INTEGER END AS d,
        CASE WHEN i % 10 = 0 THEN NULL ELSE TIMESTAMPTZ '1969-12-31 23:00:00+00' + to_microseconds(i * 1234567891) END AS ts,
        TIMESTAMP '2000-01-01 00:00:00' + to_microseconds(i * 987654321) AS ts_ntz,
        CASE WHEN i % 8 = 0 THEN NULL ELSE (i * 1.01 - 1000) END::DECIMAL(10,2) AS dec,
        (i * 123456789.123)::DECIMAL(18,3) AS dec18,
        CASE WHEN i % 4 = 0 THEN NULL ELSE [i, NULL, i + 1] END::INTEGER[] AS ints,
        CASE WHEN i % 4 = 1 THEN [] ELSE ['a', NULL, 'b-' || i] END AS strs,
        CASE WHEN i % 12 = 0 THEN NULL ELSE {'x': i, 'inner': {'y': 'v' || i, 'z': CASE WHEN i % 3 = 0 THEN NULL ELSE i * 2 END, 'when': DATE '2020-01-01' + i::INTEGER}, 'tags': ['t' || (i % 3)]} END AS st,
        CASE WHEN i % 5 = 2 THEN NULL ELSE MAP {'k' || (i % 4): i, 'n': NULL::BIGINT} END AS m,
        [{'a': i, 'b': 'x' || i}, NULL] AS structs
      FROM range(${from}, ${to}) r(i)`
    await appendQuery(lake, table, source(0, 1000), { targetFileSize: 16 * 1024 })
    await appendQuery(lake, table, source(1000, 1500))
    await appendQuery(lake, table, source(1500, 1600))
    const snapshot = await lake.snapshot(table)
    assert.ok(snapshot.files.length >= 3, `several files (small target size): ${snapshot.files.length}`)
    const schema = snapshot.schema
    const onDisk = listDataFiles(table)
    assert.deepEqual(onDisk, snapshot.files.map((f) => f.path).sort(), 'every file on disk is in the log and vice versa')

    let total = 0
    for (const file of snapshot.files) {
      const duckRows = await rawRows(`SELECT * FROM read_parquet(${sql(file.path)})`)
      const hypRows = (await parquetReadObjects({
        file: await asyncBufferFromFile(file.path),
        compressors,
        utf8: false,
        parsers: {
          timestampFromMicroseconds: (micros: bigint) => micros,
          timestampFromMilliseconds: (millis: bigint) => millis * 1000n,
          timestampFromNanoseconds: (nanos: bigint) => nanos / 1000n,
          dateFromDays: (days: number) => days,
        },
      })) as Record<string, unknown>[]
      assert.equal(hypRows.length, duckRows.length, `${file.path}: row count`)
      assert.equal(hypRows.length, JSON.parse(file.add.stats!).numRecords, `${file.path}: numRecords`)
      for (let i = 0; i < duckRows.length; i++) {
        const fromDuck = canonicalRow(duckRows[i], schema, 'duckdb')
        const fromHyp = canonicalRow(hypRows[i], schema, 'hyparquet')
        assert.deepEqual(fromHyp, fromDuck, `${file.path} row ${i}`)
      }
      total += duckRows.length
    }
    assert.equal(total, 1600)

    // And the table through lake.scan equals the source query.
    const duck = await db()
    const scan = await lake.scan(snapshot)
    try {
      const [diff] = await duck.rows(`SELECT
        (SELECT count(*) FROM (SELECT * FROM ${scan.sql} EXCEPT ALL SELECT * FROM (${source(0, 1600)}))) AS extra,
        (SELECT count(*) FROM (SELECT * FROM (${source(0, 1600)}) EXCEPT ALL SELECT * FROM ${scan.sql})) AS missing`)
      assert.deepEqual(diff, { extra: '0', missing: '0' })
    } finally {
      await dropScan(duck, scan)
    }
  })

  // ---------------------------------------------------------------------------------------------
  // 6. Schema evolution

  test('6. schema evolution: new columns are added, type changes and strict mode are refused', async () => {
    const table = freshTable('evolution')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id, 'a' AS name, {'x': 1} AS st`)
    const r1 = await appendQuery(lake, table, `SELECT 2::BIGINT AS id, 'b' AS name, 2.5::DOUBLE AS score, {'x': 2, 'y': 'new'} AS st`)
    assert.equal(r1.version, 1)
    const c1 = readCommitFile(table, 1)
    const metaData = c1.actions.find((a) => 'metaData' in a)?.metaData
    assert.ok(metaData, 'the commit that adds a column carries a metaData action')
    const schema = parseSchemaString(metaData.schemaString)
    assert.deepEqual(
      schema.fields.map((f) => f.name),
      ['id', 'name', 'st', 'score'],
      'new columns go at the end',
    )
    assert.equal(schema.fields[3].type, 'double')
    assert.equal(schema.fields[3].nullable, true)
    const st = schema.fields[2].type as StructType
    assert.deepEqual(
      st.fields.map((f) => f.name),
      ['x', 'y'],
      'new struct fields are added too',
    )
    assert.equal(metaData.id, readCommitFile(table, 0).actions.find((a) => 'metaData' in a)!.metaData.id, 'the table id stays')
    assert.deepEqual(await scanRows(table), [
      { id: '1', name: 'a', st: { x: 1, y: null }, score: null },
      { id: '2', name: 'b', st: { x: 2, y: 'new' }, score: 2.5 },
    ])

    const filesBefore = listDataFiles(table).length
    await rejectsWithDeltaError(appendQuery(lake, table, `SELECT 'three' AS id, 'c' AS name`), 'SCHEMA_MISMATCH', `'id'`, 'long', 'string')
    await rejectsWithDeltaError(appendQuery(lake, table, `SELECT 3::BIGINT AS id, {'x': 'not a number'} AS st`), 'SCHEMA_MISMATCH', 'st.x')
    await rejectsWithDeltaError(appendQuery(lake, table, `SELECT 3::BIGINT AS id, true AS brand_new`, { schemaMode: 'strict' }), 'SCHEMA_MISMATCH', 'brand_new')
    assert.equal((await lake.snapshot(table)).version, 1, 'refused appends commit nothing')
    assert.equal(listDataFiles(table).length, filesBefore, 'refused appends leave no data files behind')

    // Strict mode accepts data that matches (a subset of the columns is fine: the rest is NULL).
    const r2 = await appendQuery(lake, table, `SELECT 3::BIGINT AS id, 'c' AS name`, { schemaMode: 'strict' })
    assert.equal(r2.version, 2)
    assert.ok(!readCommitFile(table, 2).actions.some((a) => 'metaData' in a), 'no metaData when the schema is unchanged')
    assert.deepEqual((await scanRows(table)).at(-1), { id: '3', name: 'c', st: null, score: null })
  })

  test('6b. strict mode names a new nested field when it refuses it', async () => {
    const table = freshTable('strict-nested')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id, {'x': 1} AS st`)
    const nested = await rejectsWithDeltaError(
      appendQuery(lake, table, `SELECT 2::BIGINT AS id, {'x': 2, 'z': true} AS st`, { schemaMode: 'strict' }),
      'SCHEMA_MISMATCH',
    )
    assert.equal((await lake.snapshot(table)).version, 0, 'nothing committed')
    assert.match(nested.message, /st\.z|'z'|\bz\b/, `the refusal names the new nested field: ${nested.message}`)
  })

  // ---------------------------------------------------------------------------------------------
  // 7. Application transactions

  test('7. txn versions are recorded and survive later commits', async () => {
    const table = freshTable('txn')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    await appendQuery(lake, table, `SELECT 2::BIGINT AS id`, { txns: [{ appId: 'src-0', version: 41 }] })
    const txnLine = readCommitFile(table, 1).actions.find((a) => 'txn' in a)!.txn
    assert.equal(txnLine.appId, 'src-0')
    assert.equal(txnLine.version, 41)
    assert.ok(Number.isInteger(txnLine.lastUpdated), 'lastUpdated is set')
    assert.equal((await lake.snapshot(table)).txns.get('src-0')?.version, 41)
    await appendQuery(lake, table, `SELECT 3::BIGINT AS id`)
    await appendQuery(lake, table, `SELECT 4::BIGINT AS id`, { txns: [{ appId: 'src-1', version: 0 }] })
    const later = await lake.snapshot(table)
    assert.equal(later.version, 3)
    assert.equal(later.txns.get('src-0')?.version, 41, 'a later commit keeps the txn')
    assert.equal(later.txns.get('src-1')?.version, 0)
    await appendQuery(lake, table, `SELECT 5::BIGINT AS id`, { txns: [{ appId: 'src-0', version: 42 }] })
    assert.equal((await lake.snapshot(table)).txns.get('src-0')?.version, 42, 'the newest txn wins')
    assert.equal((await lake.snapshot(table, { version: 2 })).txns.get('src-0')?.version, 41, 'time travel sees the txn of its version')
  })

  // ---------------------------------------------------------------------------------------------
  // 8. Table features

  test('8. unknown features are refused; appendOnly refuses data-changing removes', async () => {
    const schemaString = JSON.stringify({ type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] })
    const metaData = {
      id: '11111111-2222-3333-4444-555555555555',
      format: { provider: 'parquet', options: {} },
      schemaString,
      partitionColumns: [],
      configuration: {},
      createdTime: 1,
    }
    const commitInfo = { timestamp: Date.now(), operation: 'CREATE TABLE' }

    // An unknown writer feature: readable, not writable.
    const writerTable = freshTable('writer-feature')
    mkdirSync(logDir(writerTable), { recursive: true })
    writeCommitFile(writerTable, 0, [
      { commitInfo },
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: ['someFutureFeature'] } },
      { metaData },
    ])
    assert.equal((await lake.snapshot(writerTable)).version, 0, 'a reader may read a table with unknown writer features')
    await rejectsWithDeltaError(appendQuery(lake, writerTable, `SELECT 1::BIGINT AS id`), 'UNSUPPORTED_WRITER_FEATURE', 'someFutureFeature', writerTable)
    assert.deepEqual(listDataFiles(writerTable), [], 'no data file is written before the refusal')
    assert.deepEqual(commitVersions(writerTable), [0])
    const snapshot = await lake.snapshot(writerTable)
    await rejectsWithDeltaError(
      commit(lake.io, { table: writerTable, snapshot, operation: 'WRITE', actions: [] }),
      'UNSUPPORTED_WRITER_FEATURE',
      'someFutureFeature',
      writerTable,
    )
    assert.deepEqual(commitVersions(writerTable), [0])

    // An unknown reader feature: not even readable.
    const readerTable = freshTable('reader-feature')
    mkdirSync(logDir(readerTable), { recursive: true })
    writeCommitFile(readerTable, 0, [
      { commitInfo },
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['someFutureReadFeature'], writerFeatures: ['someFutureReadFeature'] } },
      { metaData },
    ])
    await rejectsWithDeltaError(lake.snapshot(readerTable), 'UNSUPPORTED_READER_FEATURE', 'someFutureReadFeature', readerTable)
    await rejectsWithDeltaError(appendQuery(lake, readerTable, `SELECT 1::BIGINT AS id`), 'UNSUPPORTED_READER_FEATURE', 'someFutureReadFeature')
    assert.deepEqual(listDataFiles(readerTable), [])

    // delta.appendOnly: appends yes, data-changing removes no.
    const appendOnly = freshTable('append-only')
    await appendQuery(lake, appendOnly, `SELECT 1::BIGINT AS id`, { create: { properties: { 'delta.appendOnly': 'true' } } })
    await appendQuery(lake, appendOnly, `SELECT 2::BIGINT AS id`)
    const s = await lake.snapshot(appendOnly)
    const victim = s.files[0].add
    const removal = { path: victim.path, deletionTimestamp: Date.now(), dataChange: true, partitionValues: {}, size: victim.size }
    const refused = await rejectsWithDeltaError(
      commit(lake.io, { table: appendOnly, snapshot: s, operation: 'DELETE', actions: [{ remove: removal }] }),
      'INVALID_ARGUMENT',
    )
    assert.match(refused.message, /append-only|appendOnly/)
    assert.deepEqual(commitVersions(appendOnly), [0, 1], 'nothing committed')
    assert.equal((await lake.snapshot(appendOnly)).files.length, 2)
    // A remove without data change (a compaction rewriting a file) is allowed.
    copyFileSync(dataFilePath(appendOnly, victim.path), path.join(appendOnly, 'compacted.parquet'))
    const compaction = await commit(lake.io, {
      table: appendOnly,
      snapshot: s,
      operation: 'OPTIMIZE',
      actions: [{ remove: { ...removal, dataChange: false } }, { add: { ...victim, path: 'compacted.parquet', dataChange: false } }],
    })
    assert.equal(compaction.version, 2)
    assert.deepEqual(
      (await scanRows(appendOnly)).map((r) => r.id),
      ['1', '2'],
    )
  })

  // ---------------------------------------------------------------------------------------------
  // 9. Time travel

  test('9. time travel by version and by timestamp', async () => {
    const table = freshTable('time-travel')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id`)
    await sleep(15)
    await appendQuery(lake, table, `SELECT 2::BIGINT AS id`)
    await sleep(15)
    await appendQuery(lake, table, `SELECT 3::BIGINT AS id`)
    const times = readCommits(table).map((c) => c.actions[0].commitInfo.timestamp as number)
    assert.ok(times[0] < times[1] && times[1] < times[2], `commit timestamps increase: ${times}`)

    const v1 = await lake.snapshot(table, { version: 1 })
    assert.equal(v1.version, 1)
    assert.deepEqual(
      (await scanRows(v1)).map((r) => r.id),
      ['1', '2'],
    )
    assert.equal(v1.timestamp, times[1])
    assert.deepEqual(
      (await scanRows(await lake.snapshot(table, { version: 0 }))).map((r) => r.id),
      ['1'],
    )

    const between = times[1] + Math.floor((times[2] - times[1]) / 2)
    const atBetween = await lake.snapshot(table, { timestamp: between })
    assert.equal(atBetween.version, 1, 'a timestamp between commits 1 and 2 gives version 1')
    assert.deepEqual(
      (await scanRows(atBetween)).map((r) => r.id),
      ['1', '2'],
    )
    assert.equal((await lake.snapshot(table, { timestamp: times[2] })).version, 2, 'exactly at a commit gives that commit')
    assert.equal((await lake.snapshot(table, { timestamp: times[1] - 1 })).version, 0)
    assert.equal((await lake.snapshot(table, { timestamp: times[2] + 3_600_000 })).version, 2, 'after the last commit gives the latest')
    await rejectsWithDeltaError(lake.snapshot(table, { timestamp: times[0] - 1 }), 'TIMESTAMP_OUT_OF_RANGE')
    await rejectsWithDeltaError(lake.snapshot(table, { version: 3 }), 'VERSION_NOT_FOUND', 'latest version is 2')
    await rejectsWithDeltaError(lake.snapshot(table, { version: 1000 }), 'VERSION_NOT_FOUND', '2')
  })

  // ---------------------------------------------------------------------------------------------
  // 10. Forward compatibility

  test('10. unknown actions and unknown fields in a commit are ignored by the reader', async () => {
    const table = freshTable('unknown-actions')
    await appendQuery(lake, table, `SELECT 1::BIGINT AS id, 'one' AS s`, { create: { properties: { 'delta.checkpointInterval': '3' } } })
    // A data file written by "another engine", added in a hand-written commit.
    const duck = await db()
    const name = 'part-from-the-future.parquet'
    await duck.run(`COPY (SELECT 2::BIGINT AS id, 'two' AS s) TO ${sql(path.join(table, name))} (FORMAT parquet)`)
    writeCommitFile(table, 1, [
      { commitInfo: { timestamp: Date.now(), operation: 'FUTURE WRITE', engineInfo: 'future/9.9', someNewField: { nested: [1, 2] } } },
      { futureAction: { anything: 'goes', version: 3 } },
      {
        add: {
          path: name,
          partitionValues: {},
          size: fileSize(path.join(table, name)),
          modificationTime: Date.now(),
          dataChange: true,
          stats: JSON.stringify({ numRecords: 1, minValues: { id: 2 }, maxValues: { id: 2 }, nullCount: { id: 0 } }),
          futureField: { a: 1 },
          anotherOne: 'x',
        },
      },
      { anotherFutureAction: null },
    ])
    const snapshot = await lake.snapshot(table)
    assert.equal(snapshot.version, 1)
    assert.equal(snapshot.files.length, 2)
    assert.deepEqual(await scanRows(snapshot), [
      { id: '1', s: 'one' },
      { id: '2', s: 'two' },
    ])

    // Writing on top of it works, and so does the checkpoint at 3 that must carry that add.
    await appendQuery(lake, table, `SELECT 3::BIGINT AS id, 'three' AS s`)
    const r3 = await appendQuery(lake, table, `SELECT 4::BIGINT AS id, 'four' AS s`)
    assert.equal(r3.version, 3)
    assert.equal(r3.checkpointError, undefined, 'the checkpoint is written although an add has unknown fields')
    assert.equal(r3.checkpointed, true)
    const viaCheckpoint = await lake.snapshot(table)
    assert.equal(viaCheckpoint.segment.checkpointVersion, 3)
    assert.deepEqual(
      (await scanRows(viaCheckpoint)).map((r) => r.id),
      ['1', '2', '3', '4'],
    )
    const fromCheckpoint = viaCheckpoint.files.find((f) => f.add.path === name)
    assert.ok(fromCheckpoint, 'the hand-written add is in the checkpoint')
    assert.equal(JSON.parse(fromCheckpoint.add.stats!).numRecords, 1)
  })
})

// -----------------------------------------------------------------------------------------------
// Stats recomputation

interface Leaf {
  path: string[]
  type: DataType
}

function leaves(type: StructType, prefix: string[] = []): Leaf[] {
  return type.fields.flatMap((field) => {
    const p = [...prefix, field.name]
    return isStructType(field.type) ? leaves(field.type, p) : [{ path: p, type: field.type }]
  })
}

function leafExpression(leaf: string[]): string {
  let expression = `"${leaf[0].replaceAll('"', '""')}"`
  for (const name of leaf.slice(1)) expression = `struct_extract(${expression}, ${sql(name)})`
  return expression
}

function statAt(tree: LosslessValue | undefined, leaf: string[]): LosslessValue | undefined {
  let node: LosslessValue | undefined = tree
  for (const name of leaf) {
    if (node === null || node === undefined || typeof node !== 'object' || Array.isArray(node) || node instanceof RawNumber) return undefined
    node = (node as Record<string, LosslessValue>)[name]
  }
  return node
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function isoMillis(millis: bigint, utc: boolean): string {
  const iso = new Date(Number(millis)).toISOString()
  return utc ? iso : iso.slice(0, -1)
}

/** Decimal text → unscaled integer at `scale` digits ("1.2" at scale 2 → 120n). */
function unscaled(text: string, scale: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)
  assert.ok(match, `a decimal number: ${text}`)
  const [, sign, whole, fraction = '', exponent = '0'] = match
  let digits = whole + fraction
  let point = fraction.length - Number(exponent)
  while (point < scale) {
    digits += '0'
    point++
  }
  assert.ok(point === scale || /^0*$/.test(digits.slice(digits.length - (point - scale))), `${text} has at most ${scale} decimals`)
  const value = BigInt(digits.slice(0, digits.length - (point - scale)) || '0')
  return sign === '-' ? -value : value
}

/**
 * Compare one file's `add.stats` with numRecords, min, max and null count computed by DuckDB over
 * that file alone. Numbers are compared from their exact JSON text.
 */
async function checkFileStats(file: string, statsText: string, schema: StructType, partitionColumns: string[]): Promise<void> {
  const stats = parseJsonLossless(statsText) as Record<string, LosslessValue>
  const dataSchema: StructType = { type: 'struct', fields: schema.fields.filter((f) => !partitionColumns.includes(f.name)) }
  const present = new Set((await (await db()).describe(`SELECT * FROM read_parquet(${sql(file)})`)).map((c) => c.name))
  for (const name of partitionColumns) {
    assert.equal(statAt(stats.minValues, [name]), undefined, `${file}: no stats for partition column ${name}`)
    assert.equal(statAt(stats.nullCount, [name]), undefined, `${file}: no null count for partition column ${name}`)
  }
  const all = leaves(dataSchema).filter((leaf) => present.has(leaf.path[0]))
  const selects = [
    'count(*) AS n',
    ...all.map((leaf, i) => {
      const e = leafExpression(leaf.path)
      const t = leaf.type
      const extra = t === 'timestamp' || t === 'timestamp_ntz' ? `, epoch_us(min(${e})) AS min_us_${i}, epoch_us(max(${e})) AS max_us_${i}` : ''
      const minmax = typeof t === 'string' && !['boolean', 'binary'].includes(t) ? `, min(${e}) AS min_${i}, max(${e}) AS max_${i}` : ''
      return `count(${e}) AS nn_${i}${minmax}${extra}`
    }),
  ]
  const [row] = await rawRows(`SELECT ${selects.join(', ')} FROM read_parquet(${sql(file)})`)
  const n = row.n as bigint
  assert.equal((stats.numRecords as RawNumber).raw, String(n), `${file}: numRecords`)
  for (const [i, leaf] of all.entries()) {
    const at = `${file}: column ${leaf.path.join('.')}`
    const nonNull = row[`nn_${i}`] as bigint
    const nullCount = statAt(stats.nullCount, leaf.path)
    const min = statAt(stats.minValues, leaf.path)
    const max = statAt(stats.maxValues, leaf.path)
    if (typeof leaf.type !== 'string') {
      // Lists and maps: no min/max (there is no order on them).
      assert.equal(min, undefined, `${at}: no min for a nested type`)
      assert.equal(max, undefined, `${at}: no max for a nested type`)
      if (nullCount !== undefined) assert.equal((nullCount as RawNumber).raw, String(n - nonNull), `${at}: nullCount`)
      continue
    }
    assert.ok(nullCount instanceof RawNumber, `${at}: has a nullCount`)
    assert.equal(nullCount.raw, String(n - nonNull), `${at}: nullCount`)
    const type = leaf.type
    if (type === 'boolean' || type === 'binary' || nonNull === 0n) {
      assert.equal(min, undefined, `${at}: no min`)
      assert.equal(max, undefined, `${at}: no max`)
      continue
    }
    const low = row[`min_${i}`]
    const high = row[`max_${i}`]
    switch (true) {
      case ['long', 'integer', 'short', 'byte'].includes(type):
        assert.ok(min instanceof RawNumber && max instanceof RawNumber, `${at}: integer min/max are JSON numbers`)
        assert.equal(min.raw, String(low), `${at}: min (exact)`)
        assert.equal(max.raw, String(high), `${at}: max (exact)`)
        break
      case type === 'double' || type === 'float': {
        assert.ok(min instanceof RawNumber && max instanceof RawNumber, `${at}: float min/max are JSON numbers`)
        const f = type === 'float' ? Math.fround : (x: number) => x
        assert.equal(f(Number(min.raw)), f(low as number), `${at}: min`)
        assert.equal(f(Number(max.raw)), f(high as number), `${at}: max`)
        break
      }
      case type.startsWith('decimal'): {
        assert.ok(min instanceof RawNumber && max instanceof RawNumber, `${at}: decimal min/max are JSON numbers`)
        const lowD = low as DuckDBDecimalValue
        const highD = high as DuckDBDecimalValue
        assert.equal(unscaled(min.raw, lowD.scale), lowD.value, `${at}: min`)
        assert.equal(unscaled(max.raw, highD.scale), highD.value, `${at}: max`)
        break
      }
      case type === 'string': {
        const lowS = low as string
        const highS = high as string
        const prefix = Array.from(lowS).slice(0, 32).join('')
        assert.equal(min, prefix, `${at}: min (a 32-character prefix when longer)`)
        if (Array.from(highS).length <= 32) assert.equal(max, highS, `${at}: max`)
        else assert.equal(max, undefined, `${at}: a max longer than 32 characters is left out`)
        break
      }
      case type === 'date': {
        const day = (v: unknown) => new Date((v as DuckDBDateValue).days * 86_400_000).toISOString().slice(0, 10)
        assert.equal(min, day(low), `${at}: min`)
        assert.equal(max, day(high), `${at}: max`)
        break
      }
      case type === 'timestamp' || type === 'timestamp_ntz': {
        const lowUs = row[`min_us_${i}`] as bigint
        const highUs = row[`max_us_${i}`] as bigint
        const utc = type === 'timestamp'
        assert.equal(min, isoMillis(floorDiv(lowUs, 1000n), utc), `${at}: min floored to ms`)
        assert.equal(max, isoMillis(-floorDiv(-highUs, 1000n), utc), `${at}: max ceiled to ms`)
        break
      }
      default:
        assert.fail(`${at}: type ${type} not covered by this test`)
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Canonical values for comparing the two Parquet readers

type Side = 'duckdb' | 'hyparquet'

function canonicalRow(row: Record<string, unknown>, schema: StructType, side: Side): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of schema.fields) {
    if (!(field.name in row)) continue
    out[field.name] = canonical(row[field.name], field.type, side)
  }
  assert.deepEqual(Object.keys(row).sort(), Object.keys(out).sort(), `${side}: the file's columns are the schema's`)
  return out
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function canonical(value: unknown, type: DataType, side: Side): unknown {
  if (value === null || value === undefined) return null
  if (typeof type === 'string') {
    switch (type) {
      case 'long':
      case 'integer':
      case 'short':
      case 'byte':
        assert.ok(typeof value === 'number' || typeof value === 'bigint', `${side}: integer value ${String(value)}`)
        return String(value)
      case 'double':
        return Number(value)
      case 'float':
        return Math.fround(Number(value))
      case 'boolean':
        assert.equal(typeof value, 'boolean')
        return value
      case 'string':
        assert.equal(typeof value, 'string', `${side}: string value`)
        return value
      case 'binary':
        return hex(side === 'duckdb' ? (value as DuckDBBlobValue).bytes : (value as Uint8Array))
      case 'date':
        return side === 'duckdb' ? (value as DuckDBDateValue).days : value
      case 'timestamp':
      case 'timestamp_ntz':
        if (side === 'duckdb') return String((value as DuckDBTimestampTZValue | DuckDBTimestampValue).micros)
        assert.equal(typeof value, 'bigint', `${side}: timestamp value as micros`)
        return String(value)
    }
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type)
    if (decimal) {
      const scale = Number(decimal[2])
      if (side === 'duckdb') return String((value as DuckDBDecimalValue).value)
      // hyparquet returns decimals as doubles: exact enough to recover unscaled values below 2^53.
      return String(BigInt(Math.round((value as number) * 10 ** scale)))
    }
    assert.fail(`type ${type} not covered`)
  }
  if (type.type === 'array') {
    const items = side === 'duckdb' ? (value as DuckDBListValue).items : (value as unknown[])
    assert.ok(Array.isArray(items), `${side}: list value`)
    return items.map((item) => canonical(item, type.elementType, side))
  }
  if (type.type === 'map') {
    const entries: [unknown, unknown][] =
      side === 'duckdb'
        ? (value as DuckDBMapValue).entries.map((e) => [e.key, e.value])
        : value instanceof Map
          ? [...value]
          : Object.entries(value as Record<string, unknown>)
    return entries
      .map(([k, v]) => [canonical(k, type.keyType, side), canonical(v, type.valueType, side)])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])))
  }
  const entries = side === 'duckdb' ? (value as DuckDBStructValue).entries : (value as Record<string, unknown>)
  const out: Record<string, unknown> = {}
  for (const field of type.fields) out[field.name] = canonical((entries as Record<string, unknown>)[field.name], field.type, side)
  return out
}
