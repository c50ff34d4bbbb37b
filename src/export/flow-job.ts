/**
 * One flow of the pipeline as a PySpark Structured Streaming job: the source table's change data
 * feed, each micro-batch transformed (the flow's transforms translated step by step) and written
 * by lakehouse_spark's refine_append_batch or refine_cdc_batch.
 */
import type { FlowSpec, Pipeline } from '../pipeline'
import type { Transform } from '../transform'
import { CONTINUING, header } from './header'
import type { ExportedFile } from './kafka-source'
import { flowTables, type FlowState } from './lake-state'
import { HELPERS_FILE, JOB_PARTS } from './python-parts'
import { pyCommentText, pyIdentifier, pyLiteral, pyString, type PyValue } from './python-text'

export function flowFileName(flow: FlowSpec): string {
  return `flow_${pyIdentifier(flow.name)}.py`
}

/** Python statements (indented for a function body) for one transform. */
function transformStep(transform: Transform, step: number): string[] {
  const kept = (call: string, op: string) => [`    rows = lh.check_kept(rows, ${call}, keep, ${step}, ${pyString(op)})`]
  switch (transform.op) {
    case 'flatten':
      return [
        `    # transforms[${step}]: flatten ${transform.columns ? 'the struct columns listed' : 'every struct column'} into parent${pyCommentText(transform.separator ?? '_', 10)}field columns`,
        ...kept(
          `lh.flatten(rows, ${step}, separator=${pyString(transform.separator ?? '_')}, max_depth=${pyLiteral(transform.maxDepth ?? null)}, columns=${pyLiteral(transform.columns ?? null)})`,
          'flatten',
        ),
      ]
    case 'explode': {
      const args = `${pyString(transform.column)}, as_name=${pyLiteral(transform.as ?? null)}, index=${pyLiteral(transform.index ?? null)}, outer=${pyLiteral(transform.outer ?? false)}`
      if (transform.into) {
        return [
          `    # transforms[${step}]: explode ${pyCommentText(transform.column, 40)} into the child table ${transform.into}, keyed by the flow's key and the index`,
          `    rows, child_rows, child_key, parent_key = lh.explode_into(rows, ${step}, ${pyString(transform.column)}, KEY, ${pyString(transform.into)}, as_name=${pyLiteral(transform.as ?? null)}, index=${pyLiteral(transform.index ?? null)}, outer=${pyLiteral(transform.outer ?? false)})`,
          `    children[${pyString(transform.into)}] = {"rows": child_rows, "key": child_key, "parent_key": parent_key}`,
        ]
      }
      return [
        `    # transforms[${step}]: explode ${pyCommentText(transform.column, 40)} into one row per element (with its 0-based index)`,
        ...kept(`lh.explode(rows, ${step}, ${args})`, 'explode'),
      ]
    }
    case 'select':
      return [`    # transforms[${step}]: select`, `    rows = lh.select_columns(rows, ${step}, ${pyLiteral(transform.columns)}, keep)`]
    case 'rename':
      return [`    # transforms[${step}]: rename`, ...kept(`lh.rename(rows, ${step}, ${pyLiteral(transform.columns)})`, 'rename')]
    case 'cast':
      return [`    # transforms[${step}]: cast`, ...kept(`lh.cast(rows, ${step}, ${pyLiteral(transform.columns)})`, 'cast')]
    case 'filter':
      return [
        `    # transforms[${step}]: filter (a DuckDB predicate, run as Spark SQL: check dialect differences)`,
        '    if not without_filters:',
        `        rows = lh.check_kept(rows, lh.filter_rows(rows, ${step}, ${pyString(transform.where)}), keep, ${step}, "filter")`,
      ]
    case 'sql':
      return [
        `    # transforms[${step}]: sql over the rows so far as "batch" (written for DuckDB, run as Spark SQL: check dialect differences)`,
        ...kept(`lh.run_sql(rows, ${step}, ${pyString(transform.query)})`, 'sql'),
      ]
  }
}

export function transformFunction(transforms: Transform[]): string {
  const body = transforms.flatMap((t, i) => transformStep(t, i))
  return [
    'def transform_rows(rows, keep=(), without_filters=False):',
    '    """The flow\'s transforms in order (TRANSFORMS). Returns the rows and the child tables\' rows.',
    '    keep: bookkeeping columns every step passes on; without_filters: for deletes of a cdc flow."""',
    '    children = {}',
    ...body,
    '    return rows, children',
    '',
  ].join('\n')
}

export function exportFlowJob(pipeline: Pipeline, flow: FlowSpec, state: FlowState | undefined): ExportedFile {
  const source = pipeline.sources.find((s) => s.table === flow.from)
  const mongo = source?.format === 'debezium-mongodb'
  const lines: string[] = []
  lines.push(
    header({
      title: `Local Lakehouse flow "${pyIdentifier(flow.name)}" as a Spark Structured Streaming job`,
      sections: [
        {
          heading: 'What it does',
          lines:
            flow.mode === 'append'
              ? [
                  "Reads the source table's change data feed (readChangeFeed) and appends every inserted row, tombstones",
                  'aside, through the transforms to the target (and child tables of "explode ... into"), as "lakehouse refine".',
                ]
              : [
                  "Reads the source table's change data feed (readChangeFeed): Debezium change events (or another flow's",
                  "table). Per micro-batch it orders the changes by the sequence (sequenceBy, by default the source's",
                  'ts_ms, then the commit version, Kafka partition and offset), drops what precedes a truncate, and',
                  flow.scd === 2
                    ? 'writes every change as a history row with __start_at / __end_at (SCD type 2) by MERGE,'
                    : "keeps each key's last change: upserts and deletes applied to the target by MERGE (SCD type 1),",
                  'after the transforms (deletes skip the filters). Child tables of "explode ... into" get the rows of',
                  'the changed parents in place of the ones they had.',
                ],
        },
        {
          heading: 'Run',
          lines: ['spark-submit --packages io.delta:delta-spark_2.12:3.2.0', `    --py-files ${HELPERS_FILE} ${flowFileName(flow)}`],
        },
        {
          heading: 'Continuing from the lake',
          lines: [
            ...CONTINUING,
            "STARTING_VERSION is the first source version the flow has not refined: the lowest version the flow's",
            'tables record in their txn action (appId lakehouse/flow/<name>) plus one. None: the flow has written',
            'nothing, and the change feed starts with the source\'s snapshot (as "lakehouse refine" does).',
            'The jobs record their own progress under a different appId (lakehouse-spark/flow/<name>, version =',
            "the micro-batch id): Local Lakehouse's appId holds source versions, which Spark's batch ids are not.",
          ],
        },
        {
          heading: 'Known differences',
          lines: [
            'filter, sql and sequenceBy were written for DuckDB and run here as Spark SQL: most expressions read',
            'the same; check functions and casts. batch.maxVersions has no Delta equivalent (use maxFilesPerTrigger).',
            ...(mongo
              ? [
                  'MongoDB updates that carry only an update description (no full "after") are skipped with a',
                  'message: the local engine applies them to the document it keeps in <zone>._<flow>_documents.',
                  'Configure the connector with capture.mode=change_streams_update_full to get whole documents.',
                ]
              : []),
          ],
        },
      ],
    }),
  )
  const tables = flowTables(flow)
  const flowLiteral: Record<string, PyValue> = {
    name: flow.name,
    from: flow.from,
    to: flow.to,
    mode: flow.mode,
    key: flow.key ?? null,
    sequence_by: flow.sequenceBy ?? null,
    scd: flow.scd ?? 1,
    child_tables: tables.slice(1),
  }
  lines.push(
    'import os',
    '',
    'from pyspark.sql import SparkSession',
    '',
    'import lakehouse_spark as lh',
    '',
    '# ---- from the pipeline file ----------------------------------------------------------------',
    `FLOW = ${pyLiteral(flowLiteral)}`,
    'KEY = FLOW["key"]',
    '# The transforms as the pipeline file writes them; transform_rows below is their translation.',
    `TRANSFORMS = ${pyLiteral((flow.transforms ?? []) as unknown as PyValue)}`,
    `LAKE_DEFAULT = ${pyString(pipeline.lakeDir)}`,
    '',
    '# ---- from the lake (at export time) ---------------------------------------------------------',
    "# The first source version not yet refined (None: start with the source's snapshot).",
    `STARTING_VERSION = ${pyLiteral(state?.startingVersion ?? null)}`,
    '',
    'LAKE = os.environ.get("LAKEHOUSE_LAKE", LAKE_DEFAULT)',
    'CHECKPOINT = os.environ.get("LAKEHOUSE_CHECKPOINTS", LAKE.rstrip("/") + "/_spark_checkpoints").rstrip("/") + "/flow-" + FLOW["name"]',
    'APP_ID = "lakehouse-spark/flow/" + FLOW["name"]',
    '',
    '',
    transformFunction(flow.transforms ?? []),
    '',
    JOB_PARTS.flowMain,
  )
  return { name: flowFileName(flow), text: lines.join('\n') }
}
