/**
 * One source of the pipeline as a PySpark Structured Streaming job: Kafka (or the captured file)
 * → decoding as the source's format → the raw Delta table (and raw._dead_letters), each
 * micro-batch written once. Every value from the pipeline file is a quoted Python literal.
 */
import type { StructType } from '../delta'
import { DEAD_LETTERS_TABLE, KAFKA_COLUMNS, type Pipeline, type SourceSpec } from '../pipeline'
import { CONTINUING, header } from './header'
import type { SourceState } from './lake-state'
import { HELPERS_FILE, JOB_PARTS } from './python-parts'
import { pyIdentifier, pyLiteral, pyString } from './python-text'
import { sparkStruct } from './spark-schema'

export interface ExportedFile {
  name: string
  text: string
}

export function sourceFileName(source: SourceSpec): string {
  return `source_${pyIdentifier(source.name)}.py`
}

/** The decoded columns of a raw table: its schema less the Kafka coordinates. */
export function valueSchema(schema: StructType | undefined): StructType | undefined {
  if (!schema) return undefined
  const fields = schema.fields.filter((f) => !KAFKA_COLUMNS.includes(f.name))
  return fields.length ? { type: 'struct', fields } : undefined
}

/**
 * JavaScript's RegExp.test finds the pattern anywhere in a topic name and the ingest job skips
 * internal topics (`__…`); Spark's subscribePattern must match the whole name.
 */
export function sparkTopicPattern(pattern: string): string {
  return `(?!__).*(?:${pattern}).*`
}

const SASL_MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const

export function exportSourceJob(pipeline: Pipeline, source: SourceSpec, state: SourceState | undefined): ExportedFile {
  const recorded: Record<string, Record<string, number>> = {}
  for (const o of state?.offsets ?? []) (recorded[o.topic] ??= {})[String(o.partition)] = o.next
  const schema = valueSchema(state?.schema)
  const isFile = source.file !== undefined
  const lines: string[] = []
  lines.push(sourceJobHeader(pipeline, source))
  lines.push(
    'import os',
    '',
    'from pyspark.sql import SparkSession',
    // F serves the file reader; T the file reader and VALUE_SCHEMA (pyflakes: no unused imports).
    ...(isFile ? ['from pyspark.sql import functions as F'] : []),
    ...(isFile || schema ? ['from pyspark.sql import types as T'] : []),
    '',
    'import lakehouse_spark as lh',
    '',
    '# ---- from the pipeline file ----------------------------------------------------------------',
    `SOURCE_NAME = ${pyString(source.name)}`,
    `FORMAT = ${pyString(source.format)}`,
    `RAW_TABLE = ${pyString(source.table)}`,
    `DEAD_LETTERS_TABLE = ${pyString(DEAD_LETTERS_TABLE)}`,
    `LAKE_DEFAULT = ${pyString(pipeline.lakeDir)}`,
  )
  lines.push(...readerSettings(pipeline, source))
  lines.push(
    `MAX_MESSAGES_PER_BATCH = ${pyLiteral(source.batch?.maxMessages ?? null)}`,
    `TRIGGER_INTERVAL = ${pyString(`${source.batch?.maxMs ?? 1000} milliseconds`)}`,
    '',
    '# ---- from the lake (at export time) ---------------------------------------------------------',
    '# Per topic and partition, the next offset to read (the last recorded offset + 1).',
    `RECORDED_OFFSETS = ${pyLiteral(recorded)}`,
    '',
    "# The raw table's columns besides the Kafka coordinates (None: no raw table yet, inferred at start).",
    `VALUE_SCHEMA = ${schema ? sparkStruct(schema) : 'None'}`,
    '',
    'LAKE = os.environ.get("LAKEHOUSE_LAKE", LAKE_DEFAULT)',
    'CHECKPOINT = os.environ.get("LAKEHOUSE_CHECKPOINTS", LAKE.rstrip("/") + "/_spark_checkpoints").rstrip("/") + "/source-" + SOURCE_NAME',
    "# Not Local Lakehouse's own appIds (lakehouse/<source>/...): Spark numbers its micro-batches from 0.",
    'APP_ID = "lakehouse-spark/source/" + SOURCE_NAME',
    '',
    '',
  )
  if (isFile) lines.push(`${JOB_PARTS.sourceFileReader}\n`)
  else lines.push(`${JOB_PARTS.sourceKafkaReader}\n`, ...(source.format === 'avro' ? [`${JOB_PARTS.sourceAvroSchema}\n`] : []))
  lines.push(decodeFunction(source.format, isFile))
  lines.push(JOB_PARTS.sourceMain)
  return { name: sourceFileName(source), text: lines.join('\n') }
}

/** The job's opening comment: what it does, how to run it, how it continues the lake, how it differs. */
function sourceJobHeader(pipeline: Pipeline, source: SourceSpec): string {
  const kafka = pipeline.kafka
  const isFile = source.file !== undefined
  return header({
    title: `Local Lakehouse source "${pyIdentifier(source.name)}" as a Spark Structured Streaming job`,
    sections: [
      {
        heading: 'What it does',
        lines: [
          isFile
            ? 'Replays the captured topic file (kcat -J records) into the raw table, as "lakehouse ingest" does.'
            : 'Reads the Kafka topic(s) below and appends every message to the raw Delta table, as "lakehouse ingest" does:',
          "the value decoded as the source's format into columns, plus the Kafka coordinates _topic (string),",
          '_partition (int), _offset (long), _timestamp (timestamp), _key (string: UTF-8 text, else "base64:..."),',
          '_headers (map<string,string>) and _tombstone (boolean: the value was null). Messages that do not',
          'decode go to raw._dead_letters with the reason. Each micro-batch is written once (txnAppId/txnVersion).',
        ],
      },
      {
        heading: 'Run',
        lines: [
          'spark-submit --packages io.delta:delta-spark_2.12:3.2.0,org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.1',
          `    --py-files ${HELPERS_FILE} ${sourceFileName(source)}`,
          ...(source.format === 'avro' ? ['(avro also needs org.apache.spark:spark-avro_2.12 in --packages)'] : []),
          ...(kafka?.sasl?.passwordEnv ? ['The SASL password is read from the environment variable named in SASL_PASSWORD_ENV.'] : []),
        ],
      },
      {
        heading: 'Continuing from the lake',
        lines: [
          ...CONTINUING,
          'RECORDED_OFFSETS holds, per topic and partition, the next offset to read: the last offset the raw',
          'and dead-letter tables record in their txn actions (appId lakehouse/<source>/<topic>/<partition>)',
          'plus one, as the ingest job resumes. On its first run the job starts there; partitions the lake',
          'does not know start at STARTING_OFFSETS_DEFAULT. Re-export after the last local run to refresh them.',
        ],
      },
      {
        heading: 'Known differences',
        lines: [
          "The value is decoded with VALUE_SCHEMA, the raw table's schema at export time: fields that appear later",
          'are dropped until you re-export (the local ingest job adds columns as they appear).',
          ...(source.format === 'avro'
            ? [
                'Avro: every message is read with the latest schema of the subject <topic>-value; messages written with',
                "an incompatible older schema become dead letters (Databricks' from_avro with schemaRegistryAddress",
                'reads each message with its own schema id).',
              ]
            : []),
          ...(source.format === 'debezium'
            ? [
                'Debezium with JsonConverter schemas: Connect logical types (Decimal as base64, Date as days, Timestamp',
                'as epoch numbers) are typed from the Connect schema locally; from_json reads them only in their text',
                'form. Prefer decimal.handling.mode=string and time.precision.mode=connect, or the avro format.',
              ]
            : []),
          ...(isFile ? ['Plain NDJSON captures (not kcat -J records) are not replayed by this job.'] : []),
        ],
      },
    ],
  })
}

/** Where the job reads: the capture file, or the cluster, its topics and its credentials' names. */
function readerSettings(pipeline: Pipeline, source: SourceSpec): string[] {
  if (source.file !== undefined) return [`CAPTURE_FILE = ${pyString(captureFile(pipeline, source))}`]
  const kafka = pipeline.kafka!
  const registry = kafka.schemaRegistry
  return [
    `BOOTSTRAP_SERVERS = ${pyString(kafka.brokers.join(','))}`,
    `TOPIC = ${pyLiteral(source.topic ?? null)}`,
    "# The pipeline's topicPattern, anchored as Spark needs it (it matches whole topic names).",
    `TOPIC_PATTERN = ${pyLiteral(source.topicPattern === undefined ? null : sparkTopicPattern(source.topicPattern))}`,
    `STARTING_OFFSETS_DEFAULT = ${pyString(source.startingOffsets ?? 'earliest')}`,
    `FAIL_ON_DATA_LOSS = ${pyLiteral(source.failOnDataLoss !== false)}`,
    `SSL = ${pyLiteral(kafka.ssl ?? false)}`,
    `SASL_MECHANISM = ${pyLiteral(kafka.sasl ? SASL_MECHANISMS[kafka.sasl.mechanism] : null)}`,
    `SASL_USERNAME = ${pyLiteral(kafka.sasl?.username ?? null)}`,
    `SASL_PASSWORD_ENV = ${pyLiteral(kafka.sasl?.passwordEnv ?? null)}`,
    `CLIENT_ID = ${pyLiteral(kafka.clientId ?? null)}`,
    ...(source.format === 'avro'
      ? [
          `SCHEMA_REGISTRY = ${pyLiteral(registry ? { url: registry.url, username: registry.username ?? null, password_env: registry.passwordEnv ?? null } : null)}`,
        ]
      : []),
  ]
}

function captureFile(pipeline: Pipeline, source: SourceSpec): string {
  // Relative to the pipeline file, as the ingest job reads it.
  const dir = pipeline.file.slice(0, Math.max(pipeline.file.lastIndexOf('/'), 0))
  return source.file!.startsWith('/') ? source.file! : `${dir}/${source.file}`
}

function decodeFunction(format: SourceSpec['format'], isFile: boolean): string {
  if (format === 'protobuf' || format === 'json-schema') {
    // Spark reads these only with a descriptor file (from_protobuf) or a registry client of its own: not generated yet.
    return `def decode(spark, messages):
    raise SystemExit("the ${format} format is not exported to Spark yet: ingest this source with lakehouse, or decode it in this function")

`
  }
  const call = {
    json: 'lh.decode_json(messages, schema)',
    debezium: 'lh.decode_debezium(messages, schema)',
    'debezium-mongodb': 'lh.decode_debezium_mongodb(messages, schema)',
    avro: 'lh.decode_avro(messages, schema)',
  }[format]
  const schema = format === 'avro' && !isFile ? 'avro_schema()' : 'value_schema(spark)'
  return `def decode(spark, messages):
    """Decoded as the source's format (${format}): coordinates, __row, _tombstone, __reason."""
    schema = ${schema}
    return ${call}

`
}
