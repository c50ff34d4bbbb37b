/**
 * A column whose files already hold the table's type is selected as it is, not rebuilt field by
 * field (src/engine/file-column-type.ts). Checked here against the rebuild it replaces
 * (`rebuildEveryColumn`): every table of the conformance data and tables we write read to the same
 * column names, types and rows both ways, and the cases that must be rebuilt are (nested fields
 * renamed by column mapping, files older than a widened type or a struct's new field, types DuckDB
 * reads wider than the table's, such as unsigned integers).
 */
import assert from 'node:assert/strict'
import { readdirSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { type DataType, isArray, isMap, isStruct, planScan, type ScanPlan } from '../../src/delta'
import { dropScan, registerScan } from '../../src/engine'
import { fileColumnIsTableColumn } from '../../src/engine/file-column-type'
import { appendQuery } from '../../src/table/delta-writer'
import { deleteRows } from '../../src/table/update-delete'
import { conformanceDir } from '../helpers/conformance'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('file-read-direct')

interface Read {
  sql: string
  columns: { name: string; type: string }[]
  rows: string[]
}

/** The table's latest rows read directly where possible, or with every column rebuilt. */
async function read(table: string | ScanPlan, rebuild: boolean): Promise<Read> {
  const db = await lake.duckdb()
  const plan = typeof table === 'string' ? planScan(await lake.snapshot(table)) : table
  const scan = await registerScan(db, lake.io.storage, { ...plan, rebuildEveryColumn: rebuild } as ScanPlan)
  try {
    const columns = await db.describe(`SELECT * FROM ${scan.sql}`)
    // Rows as JSON text, sorted: exact values of every type, nested ones included, in any order.
    const rows = (await db.rows(`SELECT to_json(t)::VARCHAR AS j FROM ${scan.sql} t ORDER BY j`)).map((r) => String(r.j))
    return { sql: scan.sql, columns, rows }
  } finally {
    await dropScan(db, scan)
  }
}

async function bothWays(table: string | ScanPlan): Promise<{ direct: Read; rebuilt: Read }> {
  const direct = await read(table, false)
  const rebuilt = await read(table, true)
  const name = typeof table === 'string' ? table : table.table
  assert.deepEqual(direct.columns, rebuilt.columns, `${name}: column names and types`)
  assert.deepEqual(direct.rows, rebuilt.rows, `${name}: rows`)
  return { direct, rebuilt }
}

/** Whether the scan selects the column straight from the file (no cast, no struct rebuilt). */
const selectedAsStored = (sql: string, physical: string, logical = physical) => sql.includes(`d."${physical}" AS "${logical}"`)

function deltaTables(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (!statSync(full).isDirectory()) continue
    if (name === '_delta_log') found.push(dir)
    else deltaTables(full, found)
  }
  return found
}

test('every conformance table reads the same rows and types directly as rebuilt', async (t) => {
  const dir = conformanceDir()
  if (!dir) return t.skip('conformance data not found')
  let compared = 0
  let direct = 0
  let rebuilt = 0
  for (const table of deltaTables(dir)) {
    const outcomes = await Promise.allSettled([read(table, false), read(table, true)])
    if (outcomes.some((o) => o.status === 'rejected')) {
      // Tables we refuse (unsupported features, broken logs on purpose) refuse both ways alike.
      const messages = outcomes.map((o) => (o.status === 'rejected' ? String((o.reason as Error).message) : 'read'))
      assert.equal(messages[0], messages[1], `${table}: the same refusal both ways`)
      continue
    }
    const [a, b] = outcomes.map((o) => (o as PromiseFulfilledResult<Read>).value)
    assert.deepEqual(a.columns, b.columns, `${table}: column names and types`)
    assert.deepEqual(a.rows, b.rows, `${table}: rows`)
    compared++
    direct += (a.sql.match(/ d\."[^"]+" AS "/g) ?? []).length
    rebuilt += (a.sql.match(/struct_pack\(|CAST\(d\./g) ?? []).length
  }
  assert.ok(compared >= 100, `compared ${compared} tables`)
  // Both kinds occur: most columns read as stored, some (widened, column-mapped, older files) rebuilt.
  assert.ok(direct > 0 && rebuilt > 0, `direct ${direct}, rebuilt ${rebuilt}`)
})

test('column mapping: nested fields named physically in the files are rebuilt, top-level columns renamed only', async (t) => {
  const dir = conformanceDir()
  if (!dir) return t.skip('conformance data not found')
  const table = path.join(dir, '1-dat-acceptance/golden-delta-kernel-rs/table-with-columnmapping-mode-name/delta')
  const snapshot = await lake.snapshot(table)
  assert.equal(snapshot.columnMapping, 'name')
  const { direct } = await bothWays(table)
  const plan = planScan(snapshot)
  const hasStruct = (type: DataType): boolean =>
    isStruct(type) || (isArray(type) && hasStruct(type.elementType)) || (isMap(type) && (hasStruct(type.keyType) || hasStruct(type.valueType)))
  for (const field of plan.schema.fields) {
    const physical = String(field.metadata['delta.columnMapping.physicalName'])
    assert.notEqual(physical, field.name)
    // Struct fields inside are named physically in the files: such a column must be rebuilt.
    if (hasStruct(field.type)) assert.ok(!selectedAsStored(direct.sql, physical, field.name), `${field.name} is rebuilt`)
  }
  const renamedOnly = plan.schema.fields.filter((f) => selectedAsStored(direct.sql, String(f.metadata['delta.columnMapping.physicalName']), f.name))
  assert.ok(
    renamedOnly.some((f) => f.type === 'long'),
    'a primitive column is its file column under its logical name',
  )
  assert.ok(plan.schema.fields.filter((f) => hasStruct(f.type)).length >= 3, 'the table has struct, array-of-struct and map-of-struct columns')
})

test('type widening: files written before the widening are cast', async (t) => {
  const dir = conformanceDir()
  if (!dir) return t.skip('conformance data not found')
  const table = path.join(dir, '2-delta-tables/delta-kernel-rs/type-widening')
  // Both files together: DuckDB's union_by_name already reads the older file's columns as the wider type.
  await bothWays(table)
  // The older file alone, under the widened schema, holds the narrower types.
  const older = new Set((await lake.snapshot(table, { version: 1 })).files.map((f) => f.path))
  const plan = planScan(await lake.snapshot(table))
  assert.ok(older.size > 0 && older.size < plan.files.length)
  const { direct } = await bothWays({ ...plan, files: plan.files.filter((f) => older.has(f.path)) })
  assert.match(direct.sql, /CAST\(d\."byte_long" AS BIGINT\)/)
  assert.match(direct.sql, /CAST\(d\."date_timestamp_ntz" AS TIMESTAMP\)/)
})

test('tables we write: nested columns read as stored, a struct rebuilt where its files lack a new field', async () => {
  const table = freshTable('evolving')
  await appendQuery(lake, table, `SELECT 1::BIGINT AS id, {'a': 1, 'b': 'x'} AS s, [{'k': 1}] AS l, MAP {'m': 1} AS m, 'p1' AS part`, {
    create: { partitionColumns: ['part'] },
  })
  let { direct } = await bothWays(table)
  for (const column of ['id', 's', 'l', 'm']) assert.ok(selectedAsStored(direct.sql, column), `${column} read as stored: ${direct.sql}`)
  assert.doesNotMatch(direct.sql, /struct_pack/)

  // A field added at the end of the struct: the first file lacks it. Read with the newer file,
  // DuckDB's union_by_name already gives the first file's rows the whole struct (and we take it
  // as it is); read alone, the first file's struct is rebuilt with the new field null.
  const first = new Set((await lake.snapshot(table)).files.map((f) => f.path))
  await appendQuery(lake, table, `SELECT 2::BIGINT AS id, {'a': 2, 'b': 'y', 'c': 2.5} AS s, [{'k': 2}] AS l, MAP {'n': 2} AS m, 'p2' AS part`)
  ;({ direct } = await bothWays(table))
  assert.equal(direct.rows.length, 2)
  assert.match(direct.rows[0], /"s":\{"a":1,"b":"x","c":null\}/)
  const plan = planScan(await lake.snapshot(table))
  ;({ direct } = await bothWays({ ...plan, files: plan.files.filter((f) => first.has(f.path)) }))
  assert.deepEqual(direct.rows.length, 1)
  assert.match(direct.rows[0], /"s":\{"a":1,"b":"x","c":null\}/)
  assert.match(direct.sql, /struct_pack\("a" := /, 'the older struct is rebuilt')
  assert.ok(selectedAsStored(direct.sql, 'id'), 'the unchanged column is still read as stored')

  // Unsigned integers read wider than the table's type: always cast.
  assert.equal(fileColumnIsTableColumn('UTINYINT', 'short'), false)
  assert.equal(fileColumnIsTableColumn('SMALLINT', 'short'), true)
  assert.equal(fileColumnIsTableColumn('TIMESTAMP_NS', 'timestamp_ntz'), false)
  assert.equal(fileColumnIsTableColumn('TIMESTAMP WITH TIME ZONE', 'timestamp'), true)
  assert.equal(fileColumnIsTableColumn('STRUCT(a INTEGER, "json" JSON)', { type: 'struct', fields: [] }), false)
})

test('deletion vectors and partition values: the same rows directly as rebuilt', async () => {
  const table = freshTable('dv')
  await appendQuery(lake, table, `SELECT i::BIGINT AS id, {'v': i, 'w': 'r' || i} AS s, (i % 3)::INTEGER AS part FROM range(30) r(i)`, {
    create: { partitionColumns: ['part'], properties: { 'delta.enableDeletionVectors': 'true' } },
  })
  await deleteRows(lake, table, 'id % 4 = 0')
  const snapshot = await lake.snapshot(table)
  assert.ok(
    snapshot.files.some((f) => f.add.deletionVector),
    'rows are marked in deletion vectors',
  )
  const { direct } = await bothWays(table)
  assert.equal(direct.rows.length, 30 - 8)
  assert.ok(selectedAsStored(direct.sql, 's'))
})
