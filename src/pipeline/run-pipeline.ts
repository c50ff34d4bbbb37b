/**
 * `lakehouse run`: a pipeline's sources (ingest) and flows (refine) together in one process. Each
 * flow wakes when its source table gets a commit. Progress is reported as events (the extension
 * reads them as JSON lines from the CLI); one job failing does not stop the others.
 */
import { schemaRegistryOptions } from '../kafka'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import { ingestFile } from './ingest-file'
import { ingestKafka } from './ingest-kafka'
import type { FlowSpec, Pipeline, SourceSpec } from './pipeline-file'
import { refineFlow, type LakeTableReader } from './refine'

export type JobState = 'starting' | 'running' | 'idle' | 'stopped' | 'failed'

export type PipelineEvent =
  | { type: 'job'; job: string; state: JobState; error?: string; at: number }
  | {
      type: 'batch'
      job: string
      table: string
      version?: number
      rows: number
      messages?: number
      deadLetters?: number
      skipped?: number
      changes?: number
      durationMs: number
      at: number
    }
  /** Something the user must know that did not stop the job (a data-loss gap it was told to accept). */
  | { type: 'warning'; job: string; message: string; at: number }
  /** A materialized view's refresh (job `view:<zone.table>`): which way it went and why, and its expectations' counts. */
  | {
      type: 'refresh'
      job: string
      table: string
      mode: 'incremental' | 'full' | 'unchanged'
      /** An incremental refresh's method: aggregates maintained from the change rows, or the changed groups recomputed. */
      method?: 'maintain' | 'recompute'
      reason: string
      version?: number
      rowsInserted: number
      rowsUpdated: number
      rowsDeleted: number
      expectations: { name: string; onViolation: 'warn' | 'drop' | 'fail'; passed: number; failed: number }[]
      durationMs: number
      at: number
    }

export interface RunOptions {
  /** Only these sources and flows (by name); all when both are empty. */
  sources?: string[]
  flows?: string[]
  /** Ingest up to the end offsets seen at start, then refine up to what was ingested, then stop. */
  untilCaughtUp?: boolean
  signal?: AbortSignal
  password?: string
  /** Lets flows' `sql` transforms read other lake tables (see refine/lake-tables.ts). */
  lakeTables?: LakeTableReader
  onEvent?: (event: PipelineEvent) => void
}

export interface RunReport {
  failed: { job: string; error: string }[]
}

export async function runPipeline(lake: LakeEngine, catalog: LakeCatalog, pipeline: Pipeline, options: RunOptions = {}): Promise<RunReport> {
  const everything = !options.sources?.length && !options.flows?.length
  const sources = pipeline.sources.filter((s) => everything || options.sources?.includes(s.name))
  const flows = (pipeline.flows ?? []).filter((f) => everything || options.flows?.includes(f.name))
  const emit = (event: PipelineEvent) => options.onEvent?.(event)
  const report: RunReport = { failed: [] }

  const job = async (name: string, body: () => Promise<unknown>) => {
    emit({ type: 'job', job: name, state: 'starting', at: Date.now() })
    try {
      await body()
      emit({ type: 'job', job: name, state: 'stopped', at: Date.now() })
    } catch (error) {
      const message = (error as Error).message
      report.failed.push({ job: name, error: message })
      emit({ type: 'job', job: name, state: 'failed', error: message, at: Date.now() })
    }
  }
  const ingest = (source: SourceSpec) =>
    job(`source:${source.name}`, async () => {
      emit({ type: 'job', job: `source:${source.name}`, state: 'running', at: Date.now() })
      if (source.file) {
        const result = await ingestFile(lake, catalog, pipeline, source, { schemaRegistry: schemaRegistryOptions(pipeline.kafka) })
        emit({
          type: 'batch',
          job: `source:${source.name}`,
          table: source.table,
          rows: result.rows,
          messages: result.messages,
          deadLetters: result.deadLetters,
          skipped: result.skipped,
          durationMs: 0,
          at: Date.now(),
        })
        return
      }
      await ingestKafka(lake, catalog, pipeline, source, {
        untilCaughtUp: options.untilCaughtUp,
        signal: options.signal,
        password: options.password,
        onBatch: (batch) =>
          emit({
            type: 'batch',
            job: `source:${source.name}`,
            table: source.table,
            version: batch.rawVersion,
            rows: batch.rows,
            messages: batch.messages,
            deadLetters: batch.deadLetters,
            skipped: batch.skipped,
            durationMs: batch.durationMs,
            at: Date.now(),
          }),
        onDataLoss: (_gaps, message) =>
          emit({ type: 'warning', job: `source:${source.name}`, message: `data loss accepted (failOnDataLoss false): ${message}`, at: Date.now() }),
      })
    })
  const refine = (flow: FlowSpec) =>
    job(`flow:${flow.name}`, async () => {
      emit({ type: 'job', job: `flow:${flow.name}`, state: 'running', at: Date.now() })
      await refineFlow(lake, catalog, flow, {
        untilCaughtUp: options.untilCaughtUp,
        signal: options.signal,
        lakeTables: options.lakeTables,
        onBatch: (batch) => {
          const target = batch.writes[0]
          emit({
            type: 'batch',
            job: `flow:${flow.name}`,
            table: flow.to,
            version: target?.version,
            rows: target?.rows ?? 0,
            changes: batch.changes,
            durationMs: batch.durationMs,
            at: Date.now(),
          })
        },
      })
    })

  if (options.untilCaughtUp) {
    await Promise.all(sources.map(ingest))
    // A flow reading another flow's table runs after it, so it catches up with what that one wrote.
    for (const wave of flowWaves(flows)) await Promise.all(wave.map(refine))
  } else {
    await Promise.all([...sources.map(ingest), ...flows.map(refine)])
  }
  return report
}

/** Flows in waves: each flow after the flows that write the table it reads (a cycle goes in the last wave). */
export function flowWaves(flows: FlowSpec[]): FlowSpec[][] {
  const waves: FlowSpec[][] = []
  let left = [...flows]
  while (left.length) {
    const writers = new Set(left.map((f) => f.to))
    const ready = left.filter((f) => !writers.has(f.from) || left.every((g) => g === f || g.to !== f.from))
    const wave = ready.length ? ready : left
    waves.push(wave)
    left = left.filter((f) => !wave.includes(f))
  }
  return waves
}
