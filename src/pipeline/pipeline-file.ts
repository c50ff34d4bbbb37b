/**
 * The pipeline file (`lakehouse.json`): read, checked against its published JSON Schema
 * (schemas/pipeline.schema.json, which VS Code also uses through contributes.jsonValidation), and
 * checked for what a schema cannot say (secrets in the file, duplicate names, table paths). Every
 * problem is reported with its JSON path, before anything connects.
 */
import AjvModule from 'ajv'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import schema from '../../schemas/pipeline.schema.json'
import { hintPathProblem, hintType, usesSchemaRegistry } from '../decode'
import type { KafkaSettings } from '../kafka'
import type { Transform } from '../transform'
import { didYouMean } from './did-you-mean'

export type SourceFormat = 'json' | 'debezium' | 'debezium-mongodb' | 'avro' | 'protobuf' | 'json-schema'

export type { KafkaSettings, SecretRef } from '../kafka'

export interface SourceSpec {
  name: string
  topic?: string
  topicPattern?: string
  file?: string
  format: SourceFormat
  table: string
  startingOffsets?: 'earliest' | 'latest'
  /** Kafka: stop when offsets the lake needs are gone or went back (default true, as Spark's option). */
  failOnDataLoss?: boolean
  batch?: { maxMessages?: number; maxMs?: number; maxBytes?: number }
  /** Column path → type, applied when a raw column is created and in samples (decode/hints.ts). */
  schemaHints?: Record<string, string>
}

export interface FlowSpec {
  name: string
  from: string
  to: string
  mode: 'append' | 'cdc'
  key?: string[]
  sequenceBy?: string
  /** cdc: SQL over a source row that makes it a delete (AUTO CDC's APPLY AS DELETE WHEN); the other rows are upserts. */
  deleteWhen?: string
  /** cdc: SQL over a source row that makes it a truncate (APPLY AS TRUNCATE WHEN). */
  truncateWhen?: string
  scd?: 1 | 2
  transforms?: Transform[]
  batch?: { maxVersions?: number }
}

export interface PipelineSpec {
  lake: string
  kafka?: KafkaSettings
  sources: SourceSpec[]
  flows?: FlowSpec[]
  /** Globs of .sql files (relative to the pipeline file) in Spark Declarative Pipelines' SQL. */
  definitions?: string[]
}

export interface Pipeline extends PipelineSpec {
  /** The pipeline file's path; relative paths in it resolve against its folder. */
  file: string
  /** The lake folder, absolute. */
  lakeDir: string
}

export interface PipelineProblem {
  /** JSON path of the offending value, e.g. `$.sources[1].format`. */
  path: string
  message: string
}

export class PipelineFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: PipelineProblem[],
  ) {
    super(`${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`)
    this.name = 'PipelineFileError'
  }
}

const Ajv = (AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule
// verbose: each error carries the schema it broke, so an unknown name can be matched with the known ones.
const validateSchema = new Ajv({ allErrors: true, strict: false, discriminator: true, verbose: true }).compile<PipelineSpec>(schema)

/** `/sources/1/format` → `$.sources[1].format` */
function jsonPath(pointer: string): string {
  return (
    '$' +
    pointer
      .split('/')
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replaceAll('~1', '/').replaceAll('~0', '~')}`))
      .join('')
  )
}

const SECRET_KEYS = /^(password|secret|token|apiKey|api_key|passwd)$/i

/** Keys that look like credentials, anywhere in the document: they must not be in the file. */
function secretsIn(value: unknown, at: string, found: PipelineProblem[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => secretsIn(v, `${at}[${i}]`, found))
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const where = `${at}.${key}`
      if (SECRET_KEYS.test(key))
        found.push({
          path: where,
          message: `credentials do not belong in the pipeline file: name an environment variable with "passwordEnv" (or use "Lakehouse: Set Kafka Password" in VS Code)`,
        })
      else secretsIn(inner, where, found)
    }
  }
}

const TRANSFORM_OPS = ['flatten', 'explode', 'select', 'rename', 'cast', 'filter', 'sql']

/** `each transform needs "op": one of …, not 'flaten'. Did you mean 'flatten'?` */
function transformOp(op: unknown): string {
  const given = typeof op === 'string' ? `, not '${op}'.${didYouMean(op, TRANSFORM_OPS)}` : op === undefined ? '' : `, not ${JSON.stringify(op)}`
  return `each transform needs "op": one of ${TRANSFORM_OPS.join(', ')}${given}`
}

/** `unknown property 'mdoe'. Did you mean 'mode'?` */
function unknownProperty(name: string, parentSchema: unknown): string {
  const known = Object.keys((parentSchema as { properties?: object } | undefined)?.properties ?? {})
  return `unknown property '${name}'.${didYouMean(name, known)}`
}

/** `'apend' is not one of "append", "cdc". Did you mean 'append'?` */
function notOneOf(value: unknown, allowed: unknown[]): string {
  const list = allowed.map((v) => JSON.stringify(v)).join(', ')
  const strings = allowed.filter((v): v is string => typeof v === 'string')
  return `${JSON.stringify(value)} is not one of ${list}.${typeof value === 'string' ? didYouMean(value, strings) : ''}`
}

/** Check a parsed pipeline document; returns the problems (none when it is valid). */
export function checkPipeline(document: unknown): PipelineProblem[] {
  const problems: PipelineProblem[] = []
  secretsIn(document, '$', problems)
  if (!validateSchema(document)) {
    for (const error of validateSchema.errors ?? []) {
      // The branches of a source's "one of topic, topicPattern, file" each fail on their own: report
      // the rule once. (Transforms pick their branch by "op", so their errors are specific.)
      const inSource = error.instancePath.startsWith('/sources/')
      if (inSource && error.schemaPath.includes('/oneOf/')) continue
      if (/^\/sources\/\d+\/schemaHints\//.test(error.instancePath) && error.keyword === 'pattern') {
        problems.push(hintProblem(document, error.instancePath))
        continue
      }
      const detail =
        error.keyword === 'additionalProperties'
          ? unknownProperty((error.params as { additionalProperty: string }).additionalProperty, error.parentSchema)
          : error.keyword === 'enum'
            ? notOneOf(error.data, (error.params as { allowedValues: unknown[] }).allowedValues)
            : error.keyword === 'oneOf' && inSource
              ? 'a source needs exactly one of "topic", "topicPattern" or "file"'
              : error.keyword === 'discriminator'
                ? transformOp((error.params as { tagValue?: unknown }).tagValue)
                : (error.message ?? 'invalid')
      problems.push({ path: jsonPath(error.instancePath), message: detail })
    }
    // The hints' own rules, also when something else in the file is wrong.
    const sources = (document as { sources?: unknown }).sources
    if (Array.isArray(sources))
      sources.forEach((source, i) => problems.push(...schemaHintProblems((source as { schemaHints?: unknown } | null)?.schemaHints, i)))
    return dedupe(problems)
  }
  const spec = document as PipelineSpec
  const names = new Map<string, number>()
  spec.sources.forEach((source, i) => {
    if (names.has(source.name))
      problems.push({ path: `$.sources[${i}].name`, message: `source name '${source.name}' is already used by $.sources[${names.get(source.name)}]` })
    names.set(source.name, i)
    if ((source.topic || source.topicPattern) && !spec.kafka)
      problems.push({ path: `$.sources[${i}]`, message: 'a Kafka source needs the "kafka" section (brokers)' })
    if (source.topicPattern) {
      try {
        new RegExp(source.topicPattern)
      } catch (error) {
        problems.push({ path: `$.sources[${i}].topicPattern`, message: `not a regular expression: ${(error as Error).message}` })
      }
    }
    problems.push(...schemaHintProblems(source.schemaHints, i))
    if (usesSchemaRegistry(source.format) && !spec.kafka?.schemaRegistry)
      problems.push({ path: `$.sources[${i}].format`, message: `the ${source.format} format needs kafka.schemaRegistry` })
  })
  const flowNames = new Map<string, number>()
  ;(spec.flows ?? []).forEach((flow, i) => {
    if (flowNames.has(flow.name))
      problems.push({ path: `$.flows[${i}].name`, message: `flow name '${flow.name}' is already used by $.flows[${flowNames.get(flow.name)}]` })
    flowNames.set(flow.name, i)
    problems.push(...flowProblems(flow, `$.flows[${i}]`))
  })
  const writers = new Map<string, string>()
  ;(spec.flows ?? []).forEach((flow, i) => {
    const outputs = [flow.to, ...(flow.transforms ?? []).flatMap((t) => (t.op === 'explode' && t.into ? [t.into] : []))]
    for (const table of outputs) {
      const other = writers.get(table)
      if (other) problems.push({ path: `$.flows[${i}]`, message: `table ${table} is already written by ${other}: each table has one flow` })
      writers.set(table, `$.flows[${i}]`)
    }
  })
  return problems
}

/** A hint's type problem in words (the schema's pattern says it only as a regular expression). */
function hintProblem(document: unknown, pointer: string): PipelineProblem {
  const [, , index, , ...rest] = pointer.split('/')
  const column = rest.join('/').replaceAll('~1', '/').replaceAll('~0', '~')
  const value = (document as { sources: { schemaHints: Record<string, string> }[] }).sources[Number(index)].schemaHints[column]
  const parsed = hintType(value)
  return { path: hintPath(Number(index), column), message: 'problem' in parsed ? parsed.problem : 'not a type a hint can give' }
}

/** Each hint's path and type checked (decode/hints.ts). */
function schemaHintProblems(hints: unknown, source: number): PipelineProblem[] {
  if (!hints || typeof hints !== 'object' || Array.isArray(hints)) return []
  const problems: PipelineProblem[] = []
  for (const [column, type] of Object.entries(hints)) {
    const where = hintPath(source, column)
    const pathProblem = hintPathProblem(column)
    if (pathProblem) problems.push({ path: where, message: pathProblem })
    const parsed = typeof type === 'string' ? hintType(type) : undefined
    if (parsed && 'problem' in parsed) problems.push({ path: where, message: parsed.problem })
  }
  return problems
}

/** `$.sources[0].schemaHints["items.element.price"]`: a column path has dots of its own. */
function hintPath(source: number, column: string): string {
  return `$.sources[${source}].schemaHints[${JSON.stringify(column)}]`
}

/** What the schema cannot say about one flow. */
function flowProblems(flow: FlowSpec, at: string): PipelineProblem[] {
  const problems: PipelineProblem[] = []
  if (flow.mode === 'cdc' && !flow.key) problems.push({ path: `${at}.key`, message: 'a cdc flow needs "key": the columns that identify a row' })
  if (flow.from === flow.to) problems.push({ path: `${at}.to`, message: 'a flow cannot write the table it reads' })
  if (flow.scd === 2 && flow.mode !== 'cdc') problems.push({ path: `${at}.scd`, message: 'scd 2 (history rows) needs mode "cdc"' })
  ;(flow.transforms ?? []).forEach((transform, j) => {
    if (transform.op !== 'explode') return
    const where = `${at}.transforms[${j}]`
    if (transform.into && !flow.key)
      problems.push({ path: where, message: 'explode "into" a child table needs the flow\'s "key": the child rows are keyed by it' })
    if (transform.into && (transform.into === flow.to || transform.into === flow.from))
      problems.push({ path: `${where}.into`, message: "the child table must differ from the flow's own tables" })
    if (!transform.into && flow.mode === 'cdc') {
      problems.push({
        path: where,
        message: 'in a cdc flow an array explodes "into" a child table (rows of one key must stay one row); add "into": "zone.table"',
      })
    }
  })
  return problems
}

function dedupe(problems: PipelineProblem[]): PipelineProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => !seen.has(`${p.path} ${p.message}`) && seen.add(`${p.path} ${p.message}`))
}

/** Read and check a pipeline file; throws PipelineFileError listing every problem. */
export function loadPipeline(file: string): Pipeline {
  const absolute = path.resolve(file)
  let text: string
  try {
    text = readFileSync(absolute, 'utf8')
  } catch (error) {
    throw new PipelineFileError(absolute, [{ path: '$', message: `cannot read the file: ${(error as Error).message}` }])
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw new PipelineFileError(absolute, [{ path: '$', message: `not valid JSON: ${(error as Error).message}` }])
  }
  const problems = checkPipeline(document)
  if (problems.length) throw new PipelineFileError(absolute, problems)
  const spec = document as PipelineSpec
  return { ...spec, file: absolute, lakeDir: path.resolve(path.dirname(absolute), spec.lake) }
}
