/**
 * The whole pipeline as one Delta Live Tables / Lakeflow Declarative Pipelines file: raw tables
 * from the source jobs' readers and decoders, append flows as streaming tables, cdc flows as
 * `create_auto_cdc_flow` (formerly `dlt.apply_changes`). It imports the exported source and
 * flow modules, so decoding and transforms are written once.
 */
import { DEAD_LETTERS_TABLE, type FlowSpec, type Pipeline, type SourceSpec } from '../pipeline'
import { flowFileName } from './flow-job'
import { header } from './header'
import { sourceFileName, type ExportedFile } from './kafka-source'
import { flowTables } from './lake-state'
import { HELPERS_FILE, JOB_PARTS } from './python-parts'
import { pyIdentifier, pyLiteral, pyString } from './python-text'

export const DLT_FILE = 'dlt_pipeline.py'

const moduleName = (file: string) => file.replace(/\.py$/, '')

export function dltPipeline(pipeline: Pipeline): ExportedFile {
  const flows = pipeline.flows ?? []
  const tables = new Set<string>([DEAD_LETTERS_TABLE, ...pipeline.sources.map((s) => s.table), ...flows.flatMap((f) => [f.from, ...flowTables(f)])])
  const names: Record<string, string> = {}
  for (const table of [...tables].sort()) names[table] = table.replace('.', '_').replace(/-/g, '_')
  const lines = [dltHeader(), ...preamble(pipeline, flows, names)]
  pipeline.sources.forEach((source, i) => lines.push(...sourceDeclarations(source, i)))
  flows.forEach((flow, i) => lines.push(...flowDeclarations(flow, i, names)))
  return { name: DLT_FILE, text: lines.join('\n') }
}

/** The file's opening comment: what it does, how to use it, how it differs from the jobs. */
function dltHeader(): string {
  return header({
    title: 'Local Lakehouse pipeline as a Delta Live Tables (Lakeflow Declarative Pipelines) file',
    sections: [
      {
        heading: 'What it does',
        lines: [
          "The same sources and flows, declared: each source a streaming table decoded by the source job's",
          "functions (plus raw__dead_letters), each append flow a streaming table over the raw table's change",
          'feed, each cdc flow an auto CDC flow (create_auto_cdc_flow, formerly dlt.apply_changes) keyed by the',
          "flow's key and sequenced by the change's sequence, with deletes applied and SCD type 1 or 2.",
        ],
      },
      {
        heading: 'Use',
        lines: [
          `Add this file, ${HELPERS_FILE} and the source_*.py / flow_*.py files to the pipeline's source code.`,
          "TABLE_NAMES maps each zone.table to the pipeline's table name (edit to publish to other schemas).",
        ],
      },
      {
        heading: 'Continuing from the lake',
        lines: [
          'A declarative pipeline owns its tables: it starts from the topics (startingOffsets of the pipeline',
          'file) and builds new tables, it does not adopt the lake Local Lakehouse wrote. To continue that lake',
          'in place use the source_*.py and flow_*.py Structured Streaming jobs instead.',
        ],
      },
      {
        heading: 'Known differences',
        lines: [
          "SCD type 2 columns are auto CDC's __START_AT / __END_AT. Truncate events are not applied. Child tables",
          'of "explode ... into" in cdc flows are not declared here (rows of a shrunk array would stay): use the',
          'flow job for them. MongoDB updates without a full document are skipped, as in the flow jobs.',
        ],
      },
    ],
  })
}

/** Imports, the table names, and the shared readers. */
function preamble(pipeline: Pipeline, flows: FlowSpec[], names: Record<string, string>): string[] {
  return [
    'import dlt',
    'from pyspark.sql import functions as F',
    '',
    // lh serves the flows only (pyflakes: no unused imports).
    ...(flows.length ? ['import lakehouse_spark as lh'] : []),
    ...pipeline.sources.map((s) => `import ${moduleName(sourceFileName(s))}`),
    ...flows.map((f) => `import ${moduleName(flowFileName(f))}`),
    '',
    'create_auto_cdc_flow = getattr(dlt, "create_auto_cdc_flow", None) or dlt.apply_changes',
    '',
    `TABLE_NAMES = ${pyLiteral(names)}`,
    'CDF = {"delta.enableChangeDataFeed": "true"}',
    '',
    '',
    JOB_PARTS.dltReaders,
    '',
    `dlt.create_streaming_table(name=TABLE_NAMES[${pyString(DEAD_LETTERS_TABLE)}], table_properties=CDF)`,
    '',
  ]
}

const COORDINATES = '"_topic", "_partition", "_offset", "_timestamp", "_key", "_headers"'

/** A source: its raw table and its share of the dead letters, both from the source job's decoder. */
function sourceDeclarations(source: SourceSpec, i: number): string[] {
  const mod = moduleName(sourceFileName(source))
  const fn = `${pyIdentifier(source.name)}_${i}`
  return [
    '',
    `# source ${pyIdentifier(source.name)} (format ${source.format}) into ${source.table}`,
    `@dlt.table(name=TABLE_NAMES[${pyString(source.table)}], table_properties=CDF)`,
    `def raw_${fn}():`,
    `    rows = decoded(${mod})`,
    `    return rows.where(F.col("__reason").isNull()).select("__row.*", ${COORDINATES}, "_tombstone")`,
    '',
    '',
    `@dlt.append_flow(target=TABLE_NAMES[${pyString(DEAD_LETTERS_TABLE)}])`,
    `def dead_letters_${fn}():`,
    `    rows = decoded(${mod})`,
    `    return rows.where(F.col("__reason").isNotNull()).select(F.lit(${mod}.SOURCE_NAME).alias("source"), ${COORDINATES},`,
    '        F.base64("__value").alias("value"), F.col("__reason").alias("reason"), F.col("__detail").alias("detail"), F.current_timestamp().alias("failed_at"))',
    '',
  ]
}

/** A flow: append flows as streaming tables (and their child tables), cdc flows as auto CDC flows. */
function flowDeclarations(flow: FlowSpec, i: number, names: Record<string, string>): string[] {
  const lines: string[] = []
  const mod = moduleName(flowFileName(flow))
  const fn = `${pyIdentifier(flow.name)}_${i}`
  lines.push('', `# flow ${pyIdentifier(flow.name)} (${flow.mode}${flow.mode === 'cdc' ? `, SCD type ${flow.scd ?? 1}` : ''}): ${flow.from} -> ${flow.to}`)
  if (flow.mode === 'append') {
    lines.push(
      `def ${fn}_rows():`,
      `    rows = changes_of(${pyString(flow.from)}).where(F.col("_change_type") == "insert")`,
      '    if "_tombstone" in rows.columns:',
      '        rows = rows.where(~F.coalesce(F.col("_tombstone"), F.lit(False)))',
      '    rows = rows.drop(*[c for c in lh.CHANGE_FEED_COLUMNS + ["_tombstone"] if c in rows.columns])',
      `    return ${mod}.transform_rows(rows)`,
      '',
      '',
      `@dlt.table(name=TABLE_NAMES[${pyString(flow.to)}], table_properties=CDF)`,
      `def refined_${fn}():`,
      `    return ${fn}_rows()[0]`,
      '',
    )
    for (const child of flowTables(flow).slice(1)) {
      lines.push(
        '',
        `@dlt.table(name=TABLE_NAMES[${pyString(child)}], table_properties=CDF)`,
        `def child_${fn}_${pyIdentifier(child)}():`,
        `    return ${fn}_rows()[1][${pyString(child)}]["rows"]`,
        '',
      )
    }
  } else {
    lines.push(
      `@dlt.view(name=${pyString(`${names[flow.to]}__changes`)})`,
      `def changes_${fn}():`,
      `    return lh.change_rows(changes_of(${pyString(flow.from)}), ${mod}.KEY, ${mod}.FLOW["sequence_by"], ${mod}.transform_rows)`,
      '',
      '',
      `dlt.create_streaming_table(name=TABLE_NAMES[${pyString(flow.to)}], table_properties=CDF)`,
      'create_auto_cdc_flow(',
      `    target=TABLE_NAMES[${pyString(flow.to)}],`,
      `    source=${pyString(`${names[flow.to]}__changes`)},`,
      `    keys=${mod}.KEY,`,
      '    sequence_by=F.col("__sequence"),',
      '    apply_as_deletes=F.expr("__op = \'delete\'"),',
      '    except_column_list=["__op", "__sequence"],',
      `    stored_as_scd_type=${flow.scd ?? 1},`,
      ')',
      '',
    )
  }
  return lines
}
