/**
 * `lakehouse export-spark`: the generated PySpark files are valid Python (python3 -m py_compile),
 * pass pyflakes (Debian's pyflakes3: no undefined names, no unused imports) and say what the pipeline file says: topics, keys, transforms, tables, starting offsets and
 * versions, read back from each file's syntax tree (test/export/inspect_python.py) rather than
 * searched for as text.
 *
 * No pyspark is available here: the generated code is checked for syntax and content, never
 * executed. python3 is required; without it these tests fail (they do not skip).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { demoData, runDemo } from '../../src/demo'
import { kafkaPipeline } from '../../src/demo/demo-pipeline'
import { LakeEngine } from '../../src/engine'
import { exportSpark, pyLiteral, pyString, sparkStruct } from '../../src/export'
import { loadPipeline, type Pipeline, type PipelineSpec } from '../../src/pipeline/pipeline-file'
import type { Transform } from '../../src/transform'

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = path.resolve(here, '../../bin/lakehouse.mjs')
const inspector = path.join(here, 'inspect_python.py')
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-export-'))
after(() => rmSync(dir, { recursive: true, force: true }))

before(() => {
  const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    assert.fail(`python3 is needed to check the exported PySpark files (python3 -m py_compile) and was not found: ${probe.error?.message ?? probe.stderr}`)
  }
})

function python(args: string[], input?: string): string {
  const r = spawnSync('python3', args, { encoding: 'utf8', input })
  if (r.error) assert.fail(`python3 could not run: ${r.error.message}`)
  assert.equal(r.status, 0, `python3 ${args.join(' ')} failed:\n${r.stderr}`)
  return r.stdout
}

interface Inspected {
  constants: Record<string, unknown>
  calls: { func: string; args: unknown[]; kwargs: Record<string, unknown> }[]
  functions: string[]
}

/**
 * pyflakes passes the file: no warning at all. The declarative-pipeline file uses `spark`, the
 * session its runtime provides as a global (PYFLAKES_BUILTINS tells pyflakes so).
 */
function pyflakes(file: string): void {
  const r = spawnSync('pyflakes3', [file], {
    encoding: 'utf8',
    env: { ...process.env, PYFLAKES_BUILTINS: path.basename(file) === 'dlt_pipeline.py' ? 'spark' : '' },
  })
  if (r.error) assert.fail(`pyflakes3 (Debian's pyflakes3) could not run: ${r.error.message}`)
  assert.equal(`${r.stdout}${r.stderr}`, '', `pyflakes3 warns about ${path.basename(file)}`)
  assert.equal(r.status, 0)
}

let counter = 0
/** Compile and lint the file, then read its constants and transform calls from its syntax tree. */
function inspect(name: string, text: string): Inspected {
  const file = path.join(dir, `inspect-${++counter}`, name)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
  python(['-m', 'py_compile', file])
  pyflakes(file)
  return JSON.parse(python([inspector, file])) as Inspected
}

function writePipeline(name: string, spec: PipelineSpec): Pipeline {
  const file = path.join(dir, name)
  writeFileSync(file, JSON.stringify(spec, null, 2))
  return loadPipeline(file)
}

/** What transform_rows should call for each transform, with the same arguments. */
function expectedCall(t: Transform, step: number): { func: string; args: unknown[]; kwargs: Record<string, unknown> } {
  switch (t.op) {
    case 'flatten':
      return {
        func: 'flatten',
        args: [{ __expr__: 'rows' }, step],
        kwargs: { separator: t.separator ?? '_', max_depth: t.maxDepth ?? null, columns: t.columns ?? null },
      }
    case 'explode':
      return t.into
        ? {
            func: 'explode_into',
            args: [{ __expr__: 'rows' }, step, t.column, { __expr__: 'KEY' }, t.into],
            kwargs: { as_name: t.as ?? null, index: t.index ?? null, outer: t.outer ?? false },
          }
        : { func: 'explode', args: [{ __expr__: 'rows' }, step, t.column], kwargs: { as_name: t.as ?? null, index: t.index ?? null, outer: t.outer ?? false } }
    case 'select':
      return { func: 'select_columns', args: [{ __expr__: 'rows' }, step, t.columns, { __expr__: 'keep' }], kwargs: {} }
    case 'rename':
      return { func: 'rename', args: [{ __expr__: 'rows' }, step, t.columns], kwargs: {} }
    case 'cast':
      return { func: 'cast', args: [{ __expr__: 'rows' }, step, t.columns], kwargs: {} }
    case 'filter':
      return { func: 'filter_rows', args: [{ __expr__: 'rows' }, step, t.where], kwargs: {} }
    case 'sql':
      return { func: 'run_sql', args: [{ __expr__: 'rows' }, step, t.query], kwargs: {} }
  }
}

/** Every file compiles; each source and flow file says what the pipeline says. */
async function checkExport(pipeline: Pipeline): Promise<Map<string, Inspected>> {
  const result = await exportSpark(pipeline)
  const files = new Map(result.files.map((f) => [f.name, inspect(f.name, f.text)]))
  assert.ok(files.has('lakehouse_spark.py'))
  assert.ok(files.has('dlt_pipeline.py'))
  for (const source of pipeline.sources) {
    const job = files.get(`source_${source.name.replace(/[^A-Za-z0-9_]/g, '_')}.py`)
    assert.ok(job, `a job for source ${source.name}`)
    const c = job.constants
    assert.equal(c.SOURCE_NAME, source.name)
    assert.equal(c.FORMAT, source.format)
    assert.equal(c.RAW_TABLE, source.table)
    assert.equal(c.LAKE_DEFAULT, pipeline.lakeDir)
    if (source.file) {
      assert.equal(c.CAPTURE_FILE, path.resolve(path.dirname(pipeline.file), source.file))
    } else {
      assert.equal(c.BOOTSTRAP_SERVERS, pipeline.kafka!.brokers.join(','))
      assert.equal(c.TOPIC, source.topic ?? null)
      assert.equal(c.TOPIC_PATTERN, source.topicPattern === undefined ? null : `(?!__).*(?:${source.topicPattern}).*`)
      assert.equal(c.STARTING_OFFSETS_DEFAULT, source.startingOffsets ?? 'earliest')
      assert.equal(c.SASL_USERNAME, pipeline.kafka!.sasl?.username ?? null)
      assert.equal(c.SASL_PASSWORD_ENV, pipeline.kafka!.sasl?.passwordEnv ?? null)
    }
    assert.ok(job.functions.includes('decode') && job.functions.includes('read_messages') && job.functions.includes('main'))
  }
  for (const flow of pipeline.flows ?? []) {
    const job = files.get(`flow_${flow.name.replace(/[^A-Za-z0-9_]/g, '_')}.py`)
    assert.ok(job, `a job for flow ${flow.name}`)
    const children = (flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))
    assert.deepEqual(job.constants.FLOW, {
      name: flow.name,
      from: flow.from,
      to: flow.to,
      mode: flow.mode,
      key: flow.key ?? null,
      sequence_by: flow.sequenceBy ?? null,
      scd: flow.scd ?? 1,
      child_tables: children,
    })
    assert.deepEqual(job.constants.TRANSFORMS, flow.transforms ?? [])
    assert.deepEqual(
      job.calls.map(({ func, args, kwargs }) => ({ func, args, kwargs })),
      (flow.transforms ?? []).map(expectedCall),
    )
  }
  return files
}

test('Python string literals hold any text exactly (quotes, backslashes, newlines, control and non-ASCII characters)', () => {
  const nasty = [
    'plain',
    'it\'s "quoted"',
    'back\\slash\\',
    'line\nbreak\r\n\ttab',
    '"""triple"""',
    "'''",
    '\u0000nul\u007f\u0085',
    'ünïcødé ✓ 𝄞',
    '\\N{BULLET} {x} %s',
    '# not a comment',
  ]
  const script = `import json, sys\nvalues = [${nasty.map(pyString).join(', ')}]\nliteral = ${pyLiteral({ nested: nasty, n: 3, f: 1.5, t: true, none: null })}\nprint(json.dumps({"values": values, "literal": literal}))\n`
  for (const line of script.split('\n')) assert.ok(/^[\x20-\x7e]*$/.test(line), 'all-ASCII Python source')
  const parsed = JSON.parse(python(['-'], script)) as { values: string[]; literal: unknown }
  assert.deepEqual(parsed.values, nasty)
  assert.deepEqual(parsed.literal, { nested: nasty, n: 3, f: 1.5, t: true, none: null })
})

test('Delta schemas become PySpark StructType code', () => {
  const code = sparkStruct({
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'na"me\n', type: 'string', nullable: true, metadata: {} },
      { name: 'amount', type: 'decimal(12,2)', nullable: true, metadata: {} },
      { name: 'at', type: 'timestamp', nullable: true, metadata: {} },
      { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true, metadata: {} },
      { name: 'attrs', type: { type: 'map', keyType: 'string', valueType: 'double', valueContainsNull: true }, nullable: true, metadata: {} },
      { name: 'address', type: { type: 'struct', fields: [{ name: 'city', type: 'string', nullable: true, metadata: {} }] }, nullable: true, metadata: {} },
    ],
  })
  const inspected = inspect('schema.py', `from pyspark.sql import types as T\nSCHEMA = ${code}\n`)
  const text = String((inspected.constants.SCHEMA as { __expr__: string }).__expr__)
  assert.match(text, /T\.StructField\('id', T\.LongType\(\), False\)/)
  assert.match(text, /T\.StructField\('na"me\\n', T\.StringType\(\), True\)/)
  assert.match(text, /T\.DecimalType\(12, 2\)/)
  assert.match(text, /T\.ArrayType\(T\.StringType\(\), True\)/)
  assert.match(text, /T\.MapType\(T\.StringType\(\), T\.DoubleType\(\), True\)/)
  assert.match(text, /T\.StructField\('address', T\.StructType\(\[T\.StructField\('city'/)
})

test('the demo pipeline exports: a job per source and flow, the helpers and a DLT file, all valid Python', async () => {
  const demo = path.join(dir, 'demo-spec')
  mkdirSync(demo, { recursive: true })
  const pipeline = writePipeline('demo-spec/lakehouse.json', kafkaPipeline('broker.example:9092'))
  const files = await checkExport(pipeline)
  assert.deepEqual([...files.keys()].sort(), [
    'dlt_pipeline.py',
    'flow_customers.py',
    'flow_orders.py',
    'lakehouse_spark.py',
    'source_customers.py',
    'source_orders.py',
  ])
  // No lake yet: nothing recorded, the jobs start from the pipeline's startingOffsets and the snapshot.
  assert.deepEqual(files.get('source_orders.py')!.constants.RECORDED_OFFSETS, {})
  assert.equal(files.get('source_orders.py')!.constants.VALUE_SCHEMA, null)
  assert.equal(files.get('flow_customers.py')!.constants.STARTING_VERSION, null)
  const dlt = files.get('dlt_pipeline.py')!
  assert.deepEqual(dlt.constants.TABLE_NAMES, {
    'raw._dead_letters': 'raw__dead_letters',
    'raw.customers': 'raw_customers',
    'raw.orders': 'raw_orders',
    'refined.customers': 'refined_customers',
    'refined.order_items': 'refined_order_items',
    'refined.orders': 'refined_orders',
  })
  const text = (await exportSpark(pipeline)).files.find((f) => f.name === 'dlt_pipeline.py')!.text
  assert.match(text, /create_auto_cdc_flow\(\n {4}target=TABLE_NAMES\["refined\.customers"\],[\s\S]*stored_as_scd_type=1,/)
})

test('every format, transform kind, mode and SCD 2; hostile text in every free-form value stays exact', async () => {
  const weird = 'we"ird\'\\name\n"""x'
  const spec: PipelineSpec = {
    lake: 'lake "quoted" \\ dir',
    kafka: {
      brokers: ['b1:9092', 'b2:9093'],
      clientId: 'client"\\',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'us"er\\\n', passwordEnv: 'KAFKA_PASSWORD' },
      schemaRegistry: { url: 'https://registry.example/"x', username: 'reg', passwordEnv: 'REGISTRY_PASSWORD' },
    },
    sources: [
      { name: 'events', topic: 'events"\\\n', format: 'json', table: 'raw.events', startingOffsets: 'latest', batch: { maxMessages: 10, maxMs: 50 } },
      { name: 'pg', topicPattern: '^db\\.public\\.(a|b)$', format: 'debezium', table: 'raw.pg' },
      { name: 'mongo', topic: 'shop.customers', format: 'debezium-mongodb', table: 'raw.mongo' },
      { name: 'avro-src', topic: 'payments', format: 'avro', table: 'raw.payments' },
      { name: 'captured', file: 'captures/x"y.jsonl', format: 'json', table: 'raw.captured' },
    ],
    flows: [
      {
        name: 'events',
        from: 'raw.events',
        to: 'refined.events',
        mode: 'append',
        transforms: [
          { op: 'flatten', separator: '__', maxDepth: 2, columns: ['payload'] },
          { op: 'explode', column: 'items', as: 'item', index: 'pos', outer: true },
          { op: 'rename', columns: { payload__id: weird } },
          { op: 'cast', columns: { [weird]: 'bigint', amount: 'decimal(10, 2)' } },
          { op: 'filter', where: `status <> 'x' AND note <> '"""' AND path <> '\\\\'` },
          { op: 'sql', query: "WITH t AS (SELECT * FROM batch)\nSELECT *, '''a''' AS q FROM t;" },
          { op: 'select', columns: [weird, 'amount', 'item', 'pos', 'q'] },
        ],
      },
      {
        name: 'pg-history',
        from: 'raw.pg',
        to: 'refined.pg_history',
        mode: 'cdc',
        key: ['id'],
        scd: 2,
        sequenceBy: 'coalesce(source.lsn, ts_ms) -- "seq"',
        transforms: [{ op: 'select', columns: ['id', 'name'] }],
      },
      {
        name: 'mongo',
        from: 'raw.mongo',
        to: 'refined.customers',
        mode: 'cdc',
        key: ['customer_id'],
        transforms: [
          { op: 'rename', columns: { _id: 'customer_id' } },
          { op: 'explode', column: 'tags', into: 'refined.customer_tags', index: 'n' },
          { op: 'flatten' },
          { op: 'filter', where: "status = 'active'" },
        ],
      },
      { name: 'payments', from: 'raw.payments', to: 'refined.payments', mode: 'cdc', key: ['payment_id'], scd: 1 },
    ],
  }
  mkdirSync(path.join(dir, 'all'), { recursive: true })
  const pipeline = writePipeline('all/lakehouse.json', spec)
  const files = await checkExport(pipeline)
  const events = files.get('source_events.py')!.constants
  assert.equal(events.TOPIC, 'events"\\\n')
  assert.equal(events.CLIENT_ID, 'client"\\')
  assert.equal(events.SSL, true)
  assert.equal(events.SASL_MECHANISM, 'SCRAM-SHA-512')
  assert.equal(events.MAX_MESSAGES_PER_BATCH, 10)
  assert.equal(events.TRIGGER_INTERVAL, '50 milliseconds')
  assert.deepEqual(files.get('source_avro_src.py')!.constants.SCHEMA_REGISTRY, {
    url: 'https://registry.example/"x',
    username: 'reg',
    password_env: 'REGISTRY_PASSWORD',
  })
  assert.ok(files.get('source_avro_src.py')!.functions.includes('avro_schema'))
  assert.equal(files.get('source_captured.py')!.constants.CAPTURE_FILE, path.join(dir, 'all', 'captures/x"y.jsonl'))
  // Each format decodes through its own helper.
  const result = await exportSpark(pipeline)
  const text = (name: string) => result.files.find((f) => f.name === name)!.text
  assert.match(text('source_events.py'), /return lh\.decode_json\(messages, schema\)/)
  assert.match(text('source_pg.py'), /return lh\.decode_debezium\(messages, schema\)/)
  assert.match(text('source_mongo.py'), /return lh\.decode_debezium_mongodb\(messages, schema\)/)
  assert.match(text('source_avro_src.py'), /return lh\.decode_avro\(messages, schema\)/)
  // The password is never in a file: only the name of its variable.
  for (const file of result.files) assert.doesNotMatch(file.text, /password=(?!%s)/)
  // The DLT file declares SCD 2 for the history flow and SCD 1 for the others.
  assert.match(text('dlt_pipeline.py'), /target=TABLE_NAMES\["refined\.pg_history"\][\s\S]*?stored_as_scd_type=2,/)
  assert.match(text('dlt_pipeline.py'), /target=TABLE_NAMES\["refined\.payments"\][\s\S]*?stored_as_scd_type=1,/)
})

test('after the demo ran, the exported starting offsets and versions are what the lake records', async () => {
  const demoDir = path.join(dir, 'demo-run')
  const report = await runDemo({ dir: demoDir })
  // The same lake, read from Kafka: the Kafka variant of the demo's pipeline pointed at it.
  const spec = { ...kafkaPipeline('broker.example:9092'), lake: 'lake' }
  const pipeline = writePipeline('demo-run/kafka.lakehouse.json', spec)
  assert.equal(pipeline.lakeDir, report.lakeDir)
  const files = await checkExport(pipeline)

  // Independently of the export: the txn actions in the tables' logs.
  const lake = new LakeEngine()
  const txns = async (table: string) => {
    const [zone, name] = table.split('.')
    try {
      return (await lake.snapshot(path.join(report.lakeDir, zone, name))).txns
    } catch {
      return new Map<string, { version: number }>()
    }
  }
  try {
    const dead = await txns('raw._dead_letters')
    for (const source of spec.sources) {
      const raw = await txns(source.table)
      const expected: Record<string, Record<string, number>> = {}
      for (const [appId, txn] of raw) {
        const match = /^lakehouse\/([^/]+)\/(.+)\/(\d+)$/.exec(appId)
        if (!match || match[1] !== source.name) continue
        const deadVersion = dead.get(appId)?.version
        const last = deadVersion === undefined ? txn.version : Math.min(txn.version, deadVersion)
        ;(expected[match[2]] ??= {})[match[3]] = last + 1
      }
      assert.ok(Object.keys(expected).length > 0, `the lake records offsets for ${source.name}`)
      assert.deepEqual(files.get(`source_${source.name}.py`)!.constants.RECORDED_OFFSETS, expected)
    }
    // The demo replayed whole captures: each partition continues after its last message.
    const data = demoData()
    const perPartition = (messages: { topic: string; partition: number; offset: number }[]) => {
      const next: Record<string, Record<string, number>> = {}
      for (const m of messages) (next[m.topic] ??= {})[String(m.partition)] = Math.max(next[m.topic]?.[String(m.partition)] ?? 0, m.offset + 1)
      return next
    }
    assert.deepEqual(files.get('source_customers.py')!.constants.RECORDED_OFFSETS, perPartition(data.customers))
    assert.deepEqual(files.get('source_orders.py')!.constants.RECORDED_OFFSETS, perPartition(data.orders))

    for (const flow of spec.flows!) {
      const tables = [flow.to, ...(flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))]
      const recorded = await Promise.all(tables.map(async (t) => (await txns(t)).get(`lakehouse/flow/${flow.name}`)?.version ?? -1))
      const lowest = Math.min(...recorded)
      assert.ok(lowest >= 0, `flow ${flow.name} recorded its progress`)
      assert.equal(files.get(`flow_${flow.name}.py`)!.constants.STARTING_VERSION, lowest + 1)
      // Caught up: the next version to read is the one after the raw table's latest.
      const rawVersion = report.tables.find((t) => t.table === flow.from)!.version
      assert.equal(lowest, rawVersion)
    }
    // The raw table's schema (less the Kafka coordinates) decodes the values.
    const schema = (files.get('source_orders.py')!.constants.VALUE_SCHEMA as { __expr__: string }).__expr__
    assert.match(schema, /T\.StructField\('order_id', T\.StringType\(\), True\)/)
    assert.doesNotMatch(schema, /'_offset'|'_topic'|'_tombstone'/)
  } finally {
    await lake.close()
  }
})

test('the CLI: lakehouse export-spark writes the files; missing options and bad pipeline files are usage errors', () => {
  const cliDir = path.join(dir, 'cli')
  mkdirSync(cliDir, { recursive: true })
  writeFileSync(path.join(cliDir, 'lakehouse.json'), JSON.stringify(kafkaPipeline('localhost:9092')))
  const lakehouse = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: cliDir })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  const run = lakehouse('export-spark', '--pipeline', 'lakehouse.json', '--out', 'spark')
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /^Wrote 6 files to .*spark:\n {2}lakehouse_spark\.py\n/)
  assert.match(run.stdout, /does not exist yet/)
  for (const name of ['lakehouse_spark.py', 'source_customers.py', 'source_orders.py', 'flow_customers.py', 'flow_orders.py', 'dlt_pipeline.py']) {
    python(['-m', 'py_compile', path.join(cliDir, 'spark', name)])
  }
  assert.match(readFileSync(path.join(cliDir, 'spark', 'source_orders.py'), 'utf8'), /^TOPIC = "shop\.orders"$/m)

  const noOut = lakehouse('export-spark', '--pipeline', 'lakehouse.json')
  assert.equal(noOut.code, 2)
  assert.match(noOut.stderr, /--out DIR is required/)
  const noPipeline = lakehouse('export-spark', '--out', 'x')
  assert.equal(noPipeline.code, 2)
  writeFileSync(path.join(cliDir, 'bad.json'), JSON.stringify({ lake: 'lake', sources: [{ name: 'x', format: 'xml', table: 'raw.x', topic: 't' }] }))
  const bad = lakehouse('export-spark', '--pipeline', 'bad.json', '--out', 'x')
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /\$\.sources\[0\]\.format/)
  const unknown = lakehouse('export-spark', '--pipeline', 'lakehouse.json', '--out', 'x', '--nope')
  assert.equal(unknown.code, 2)
  assert.match(lakehouse('help').stdout, /lakehouse export-spark --pipeline FILE --out DIR/)
})
