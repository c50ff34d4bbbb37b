/**
 * Variant columns (the `variantType` reader feature) read as JSON text. Two sources of the binary
 * encoding: Spark's own table from the conformance data (a variant at the top, in arrays, structs
 * and maps, as its generating script describes), and files whose metadata and value bytes DuckDB's
 * Parquet variant encoder wrote from JSON documents with strings, nested objects, arrays, numbers
 * and nulls (every document must come back as the same JSON), also as a column annotated VARIANT
 * (which DuckDB decodes, shredded or not). A shredded column without that annotation is refused by
 * name, and writing to a variant table is refused naming the writer feature.
 */
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { type DeltaError, quoteString } from '../../src/delta'
import { LakeCatalog } from '../../src/engine'
import { runQuery } from '../../src/query'
import { appendQuery } from '../../src/table/delta-writer'
import { requireConformanceDir } from '../helpers/conformance'
import { lakeFixture } from '../helpers/lake-fixture'

// The prefix's '-' gives the folder a '--', which a delta.`path` must carry as it is (not as a comment).
const { lake, freshTable } = lakeFixture('variant-read-')
const catalog = new LakeCatalog(path.dirname(freshTable('lake')), lake.io.storage)
const query = (sql: string) => runQuery(lake, catalog, sql)

const DOCUMENTS = [
  '{"a":1,"b":[1,2.5,"x",null,true],"c":{"d":"text with \\"quotes\\" and ünïcode"},"e":1234567890123,"f":{"a":{"b":{}}}}',
  '"just a string"',
  'null',
  '[]',
  '-0.000001',
  '[{"k":"v"},{"k":2}]',
]

/** A one-file table with a variant column `v` whose file column is `fileColumn` (SQL over `doc`, the document's JSON). */
async function variantTable(name: string, fileColumn: string): Promise<string> {
  const table = freshTable(name)
  mkdirSync(path.join(table, '_delta_log'), { recursive: true })
  const db = await lake.duckdb()
  const file = path.join(table, 'part-0.parquet')
  const documents = DOCUMENTS.map((d, i) => `(${i}, ${quoteString(d)}::JSON)`).join(', ')
  await db.run(
    `COPY (SELECT id::BIGINT AS id, ${fileColumn} AS v FROM (VALUES ${documents}, (${DOCUMENTS.length}, NULL)) t(id, doc)) TO ${quoteString(file)} (FORMAT parquet)`,
  )
  const schema = {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 'v', type: 'variant', nullable: true, metadata: {} },
    ],
  }
  const actions = [
    { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['variantType'], writerFeatures: ['variantType'] } },
    {
      metaData: {
        id: name,
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(schema),
        partitionColumns: [],
        configuration: {},
        createdTime: 0,
      },
    },
    { add: { path: 'part-0.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } },
  ]
  writeFileSync(path.join(table, '_delta_log', '00000000000000000000.json'), `${actions.map((a) => JSON.stringify(a)).join('\n')}\n`)
  return table
}

const parquetVariant = `variant_to_parquet_variant(doc::VARIANT)::STRUCT(metadata BLOB, value BLOB)`

test('variant values in the Parquet variant encoding read back as the JSON they were', async () => {
  const table = await variantTable('encoded', `CASE WHEN doc IS NOT NULL THEN ${parquetVariant} END`)
  const result = await query(`SELECT id, v FROM delta.\`${table}\` ORDER BY id`)
  assert.deepEqual(
    result.rows.map((r) => (r.v === null ? null : JSON.parse(String(r.v)))),
    [...DOCUMENTS.map((d) => JSON.parse(d)), null],
  )
  // JSON text: DuckDB's JSON functions reach inside it.
  const [inside] = (await query(`SELECT v->>'$.c.d' AS d, json_array_length(v->'$.b') AS n FROM delta.\`${table}\` WHERE id = 0`)).rows
  assert.deepEqual(inside, { d: 'text with "quotes" and ünïcode', n: 5 })
})

test('a variant column the file annotates as VARIANT (here shredded by DuckDB as it writes) reads as the same JSON', async () => {
  const table = await variantTable('annotated', 'doc::VARIANT')
  const db = await lake.duckdb()
  const [column] = await db.rows(`SELECT type FROM parquet_schema(${quoteString(path.join(table, 'part-0.parquet'))}) WHERE name = 'typed_value' LIMIT 1`)
  assert.ok(column, 'DuckDB wrote the variant shredded (a typed_value column)')
  const result = await query(`SELECT id, v FROM delta.\`${table}\` ORDER BY id`)
  assert.deepEqual(
    result.rows.map((r) => (r.v === null ? null : JSON.parse(String(r.v)))),
    [...DOCUMENTS.map((d) => JSON.parse(d)), null],
  )
})

test('a shredded variant column is refused naming the column, not read half', async () => {
  const table = await variantTable('shredded', `CASE WHEN doc IS NOT NULL THEN struct_insert(${parquetVariant}, typed_value := NULL::BIGINT) END`)
  await assert.rejects(query(`SELECT * FROM delta.\`${table}\``), (error: Error) => {
    assert.match(error.message, /column v holds shredded variant values/)
    return true
  })
})

test('writing to a variant table is refused naming the writer feature', async () => {
  const table = await variantTable('written', parquetVariant.replace('doc', `coalesce(doc, 'null')`))
  await assert.rejects(appendQuery(lake, table, 'SELECT 9::BIGINT AS id'), (error: DeltaError) => {
    assert.equal(error.code, 'UNSUPPORTED_WRITER_FEATURE')
    assert.match(error.message, /'variantType'/)
    return true
  })
})

const conformance = requireConformanceDir()
// The same data three times: delta-kernel-rs's copy, delta-rs's, and delta-rs's with the
// variantShredding-preview feature on (its files hold no shredded values).
const SPARK_TABLES = ['delta-kernel-rs/unshredded-variant', 'delta-rs/spark-variant-checkpoint', 'delta-rs/spark-shredded-variant-preview-delta']
for (const name of SPARK_TABLES) {
  test(`Spark-written variants (${name}), at the top and inside arrays, structs and maps, read as JSON`, {
    skip: !conformance && 'conformance data not found',
  }, async () => {
    const table = path.join(conformance!, '2-delta-tables', name)
    const rows = (await query(`SELECT * FROM delta.\`${table}\` WHERE id IN (0, 7) ORDER BY id, v`)).rows
    // Spark's script wrote rows 0..99 once and rows 0 and 1 again, each from '{"key": <id>}'.
    assert.equal(rows.length, 3)
    const doc = (id: number) => `{"key":${id}}`
    for (const [i, id] of [0, 0, 7].entries()) {
      assert.deepEqual(rows[i], {
        id,
        v: doc(id),
        array_of_variants: [doc(id), null, doc(id), null, doc(id)],
        struct_of_variants: { v: doc(id) },
        map_of_variants: [
          { key: String(id), value: doc(id) },
          { key: 'nullKey', value: null },
        ],
        array_of_struct_of_variants: [{ v: doc(id) }, { v: null }, null, { v: doc(id) }, null, { v: doc(id) }],
        struct_of_array_of_variants: { v: [null, doc(id)] },
      })
    }
  })
}
