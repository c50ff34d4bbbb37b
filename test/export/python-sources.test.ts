/**
 * The Python the export writes lives in src/export/python/*.py: each file compiles
 * (python3 -m py_compile) and passes pyflakes (Debian's pyflakes3) on its own, the job parts
 * through their stand-ins for what the job defines above them. The generated jobs themselves are
 * checked the same way in export-spark.test.ts. python3 and pyflakes3 are required; without them
 * these tests fail (they do not skip).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { DataType, StructType } from '../../src/delta'
import { HELPERS_MODULE, JOB_PARTS, jobPart } from '../../src/export/python-parts'
import { storable } from '../../src/pipeline/raw-schema'

const sources = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/export/python')
const files = readdirSync(sources)
  .filter((name) => name.endsWith('.py'))
  .sort()
const scratch = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-python-'))
after(() => rmSync(scratch, { recursive: true, force: true }))

/** Runs a Python tool; its bytecode goes to the scratch folder, never next to the sources. */
function run(command: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(scratch, 'pycache'), ...env } })
  if (r.error) assert.fail(`${command} could not run (python3 and Debian's pyflakes3 check the exported Python): ${r.error.message}`)
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

test('every Python file of the export compiles and passes pyflakes without a warning', () => {
  assert.deepEqual(files, [
    'dlt_readers.py',
    'flow_main.py',
    'lakehouse_spark.py',
    'source_avro_schema.py',
    'source_file_reader.py',
    'source_kafka_reader.py',
    'source_main.py',
  ])
  for (const name of files) {
    const compiled = run('python3', ['-m', 'py_compile', path.join(sources, name)])
    assert.equal(compiled.status, 0, `${name} does not compile:\n${compiled.output}`)
  }
  // dlt_readers.py uses `spark`, which the declarative-pipeline runtime provides as a global.
  const linted = run(
    'pyflakes3',
    files.map((name) => path.join(sources, name)),
    { PYFLAKES_BUILTINS: 'spark' },
  )
  assert.equal(linted.output, '')
  assert.equal(linted.status, 0)
})

test('pyflakes catches what it is here for: an undefined name and an unused import', () => {
  const file = path.join(scratch, 'broken_part.py')
  writeFileSync(file, 'import os\n\n\ndef main():\n    return RAW_TABLE\n')
  const linted = run('pyflakes3', [file])
  assert.notEqual(linted.status, 0)
  assert.match(linted.output, /'os' imported but unused/)
  assert.match(linted.output, /undefined name 'RAW_TABLE'/)
})

test('the helper module ships as it is; a job part is what follows its marker, stand-ins left out', () => {
  assert.equal(HELPERS_MODULE, readFileSync(path.join(sources, 'lakehouse_spark.py'), 'utf8'))
  const source = readFileSync(path.join(sources, 'source_main.py'), 'utf8')
  assert.equal(JOB_PARTS.sourceMain, source.slice(source.indexOf('# ---- job part ----\n') + '# ---- job part ----\n'.length))
  for (const [name, part] of Object.entries(JOB_PARTS)) {
    assert.doesNotMatch(part, /stand-ins|job part/, `${name} carries only the part`)
    assert.match(part, /^(def|[A-Z_]+ =) /, `${name} starts with its first definition`)
    assert.ok(part.endsWith('\n') && !part.endsWith('\n\n'), `${name} ends with one newline`)
  }
  assert.equal(jobPart('x.py', 'X = 1\r\n# ---- job part ----\r\ndef f():\r\n    return X\r\n'), 'def f():\n    return X\n')
  assert.throws(() => jobPart('x.py', 'def f():\n    pass\n'), /src\/export\/python\/x\.py has no '# ---- job part ----' line/)
})

test('the Spark job stores raw types as the local ingest does: integers long, floats double, decimals of up to 18 digits with 18', () => {
  // The job's storable_type, run against a stand-in of pyspark.sql.types (storable_type_check.py).
  const check = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'storable_type_check.py')
  const spark = run('python3', [check, path.join(sources, 'lakehouse_spark.py')])
  assert.equal(spark.status, 0, spark.output)
  const field = (name: string, type: string) => `structfield('${name}', ${type}, True)`
  const sparkFields = [
    field('id', 'long'),
    field('small', 'long'),
    field('tiny', 'long'),
    field('big', 'long'),
    field('ratio', 'double'),
    field('price', 'decimal(18, 2)'),
    field('wide', 'decimal(20, 0)'),
    field('name', 'string'),
    field('items', `array(struct([${field('qty', 'long')}],), True)`),
    field('counts', 'map(long, double, True)'),
  ]
  assert.equal(spark.output.trim(), `struct([${sparkFields.join(', ')}],)`)
  // The local ingest, on the same schema.
  const f = (name: string, type: DataType) => ({ name, type, nullable: false, metadata: {} })
  const local = storable({
    type: 'struct',
    fields: [
      f('id', 'integer'),
      f('small', 'short'),
      f('tiny', 'byte'),
      f('big', 'long'),
      f('ratio', 'float'),
      f('price', 'decimal(10,2)'),
      f('wide', 'decimal(20,0)'),
      f('name', 'string'),
      f('items', { type: 'array', elementType: { type: 'struct', fields: [f('qty', 'integer')] }, containsNull: false }),
      f('counts', { type: 'map', keyType: 'integer', valueType: 'float', valueContainsNull: false }),
    ],
  }) as StructType
  assert.deepEqual(
    local.fields.map((x) => [x.name, JSON.stringify(x.type)]),
    [
      ['id', '"long"'],
      ['small', '"long"'],
      ['tiny', '"long"'],
      ['big', '"long"'],
      ['ratio', '"double"'],
      ['price', '"decimal(18,2)"'],
      ['wide', '"decimal(20,0)"'],
      ['name', '"string"'],
      ['items', '{"type":"array","elementType":{"type":"struct","fields":[{"name":"qty","type":"long","nullable":true,"metadata":{}}]},"containsNull":true}'],
      ['counts', '{"type":"map","keyType":"long","valueType":"double","valueContainsNull":true}'],
    ],
  )
})
