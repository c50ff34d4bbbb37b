/**
 * Writing pipeline files for the user: a new commented one from a topic (or a captured file) and
 * a format ("Lakehouse: New Pipeline"), and one more source in an existing file ("Add as Source"),
 * inserted as a text edit so the user's formatting survives and the edit can be undone.
 *
 * JSON has no comments. JSON Schema's convention is a "$comment" member, but the pipeline schema
 * only allows it where the object accepts extra members, so `commentPlaces` asks the schema, and
 * the scaffold explains itself only where the file stays valid. No vscode import.
 */
import { locateJsonPath } from './json-locate'

export type ScaffoldFormat = 'json' | 'debezium' | 'debezium-mongodb' | 'avro' | 'protobuf' | 'json-schema'

export interface CommentPlaces {
  root: boolean
  kafka: boolean
  source: boolean
  flow: boolean
}

interface SchemaObject {
  additionalProperties?: unknown
  properties?: Record<string, unknown>
  definitions?: Record<string, SchemaObject>
}

/** Where the pipeline schema (the parsed schemas/pipeline.schema.json) lets a "$comment" member through. */
export function commentPlaces(schemaDocument: unknown): CommentPlaces {
  const schema = schemaDocument as SchemaObject
  const allows = (definition: SchemaObject | undefined) =>
    !!definition && (definition.additionalProperties !== false || Object.hasOwn(definition.properties ?? {}, '$comment'))
  return { root: allows(schema), kafka: allows(schema.definitions?.kafka), source: allows(schema.definitions?.source), flow: allows(schema.definitions?.flow) }
}

/** A source name from a topic (or a capture's name): the characters the schema allows, '_' for the rest. */
export function sourceNameFor(topic: string, taken: Iterable<string> = []): string {
  const base = topic.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^-/, '_') || 'source'
  const used = new Set(taken)
  let name = base
  for (let n = 2; used.has(name); n++) name = `${base}_${n}`
  return name
}

export interface NewPipelineOptions {
  /** A Kafka topic, or … */
  topic?: string
  /** … a captured file (kcat -J or NDJSON), relative to the pipeline file. */
  file?: string
  format: ScaffoldFormat
  brokers?: string[]
  schemaRegistryUrl?: string
  lake?: string
  comments: CommentPlaces
}

const FORMAT_NOTES: Record<ScaffoldFormat, string> = {
  json: 'Each message is one JSON object; columns and types are inferred, new fields add columns.',
  debezium: 'Debezium change events (relational connectors), with or without the JsonConverter schema.',
  'debezium-mongodb': 'Debezium MongoDB change events; documents are Extended JSON.',
  avro: 'Confluent Avro: schemas come from the schema registry named in kafka.schemaRegistry.',
  protobuf: 'Confluent Protobuf: schemas (and their imports) come from the schema registry named in kafka.schemaRegistry.',
  'json-schema': 'Confluent JSON Schema: JSON values typed by their schema from the schema registry named in kafka.schemaRegistry.',
}

/** The text of a new pipeline file. */
export function newPipelineText(options: NewPipelineOptions): string {
  const { comments, format } = options
  // A capture is named for its file, without folder and extension: captures/orders.jsonl → orders.
  const name = sourceNameFor(options.topic ?? (options.file ?? 'source').replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, ''))
  const cdc = format === 'debezium' || format === 'debezium-mongodb'
  const doc: Record<string, unknown> = {}
  if (comments.root) {
    doc.$comment =
      'A Local Lakehouse pipeline: sources are ingested into raw Delta tables, flows refine them. ' +
      'Hover a property for its documentation. Credentials never go in this file: use "Lakehouse: Set Kafka Password".'
  }
  doc.lake = options.lake ?? './lake'
  if (options.topic) {
    const kafka: Record<string, unknown> = {}
    if (comments.kafka) kafka.$comment = 'For SASL add "sasl": { "mechanism": "scram-sha-256", "username": "…", "passwordEnv": "KAFKA_PASSWORD" }.'
    kafka.brokers = options.brokers?.length ? options.brokers : ['localhost:9092']
    if (format === 'avro' || format === 'protobuf' || format === 'json-schema')
      kafka.schemaRegistry = { url: options.schemaRegistryUrl ?? 'http://localhost:8081' }
    doc.kafka = kafka
  }
  const source: Record<string, unknown> = {}
  if (comments.source) source.$comment = FORMAT_NOTES[format]
  Object.assign(source, { name, ...(options.topic ? { topic: options.topic } : { file: options.file }), format, table: `raw.${name}` })
  if (options.topic) source.startingOffsets = 'earliest'
  doc.sources = [source]
  const flow: Record<string, unknown> = {}
  if (comments.flow) {
    flow.$comment = cdc
      ? 'Applies inserts, updates and deletes to refined.' + name + ' by key: set "key" to the columns that identify a row.'
      : 'Appends each new raw row to refined.' + name + '.'
  }
  // Not the source's name: the Pipelines view lists both, by name.
  Object.assign(flow, { name: `${name}_refined`, from: `raw.${name}`, to: `refined.${name}`, mode: cdc ? 'cdc' : 'append' }, cdc ? { key: ['id'] } : {})
  doc.flows = [flow]
  return JSON.stringify(doc, null, 2) + '\n'
}

export interface TextInsertion {
  offset: number
  /** Characters to replace from `offset` (an empty array's brackets); 0 for a pure insertion. */
  length: number
  text: string
}

/**
 * The edit that appends `source` to the `sources` array of a pipeline file's text; undefined when
 * the text is not JSON or has no `sources` array (the caller says so rather than guessing).
 */
export function addSourceEdit(text: string, source: Record<string, unknown>): TextInsertion | undefined {
  const range = locateJsonPath(text, '$.sources')
  if (!range || range.depth !== 1 || text[range.start] !== '[') return undefined
  const member = `{ ${Object.entries(source)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(', ')} }`
  const inner = text.slice(range.start + 1, range.end - 1)
  const keyLineStart = text.lastIndexOf('\n', range.keyStart ?? range.start) + 1
  const outerIndent = /^[ \t]*/.exec(text.slice(keyLineStart))![0]
  if (inner.trim() === '') {
    return { offset: range.start, length: range.end - range.start, text: `[\n${outerIndent}  ${member}\n${outerIndent}]` }
  }
  // After the last item, in the indentation the items already use.
  const lastItemEnd = range.start + 1 + inner.trimEnd().length
  const firstItem = /\n([ \t]*)\S/.exec(inner)
  const indent = firstItem ? firstItem[1] : `${outerIndent}  `
  const separator = firstItem ? `,\n${indent}` : ', '
  return { offset: lastItemEnd, length: 0, text: `${separator}${member}` }
}
