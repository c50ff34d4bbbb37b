/**
 * `lakehouse export-spark`: the pipeline as PySpark jobs (one per source, one per flow, the
 * shared helper module, a declarative-pipeline file), continuing from what the lake records
 * when it exists.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { LakeEngine } from '../engine'
import type { Pipeline } from '../pipeline'
import { LakeCatalog } from '../engine'
import { loadDefinitions } from '../query'
import { dltPipeline } from './dlt-pipeline'
import { exportFlowJob } from './flow-job'
import { exportSourceJob, type ExportedFile } from './kafka-source'
import { readLakeState, type LakeState } from './lake-state'
import { HELPERS_FILE, HELPERS_MODULE } from './python-parts'
import { sdpProject } from './sdp-project'

export interface SparkExport {
  files: ExportedFile[]
  /** What the lake recorded (empty when it does not exist yet). */
  state: LakeState
  lakeFound: boolean
}

/** The exported files' text; reads the lake when its folder exists. */
export async function exportSpark(pipeline: Pipeline): Promise<SparkExport> {
  const lakeFound = existsSync(pipeline.lakeDir)
  let state: LakeState = { sources: new Map(), flows: new Map() }
  let existing: string[] = []
  if (lakeFound) {
    const lake = new LakeEngine()
    try {
      const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
      state = await readLakeState(lake, catalog, pipeline)
      existing = (await catalog.tables()).map((t) => t.name)
    } finally {
      await lake.close()
    }
  }
  const files: ExportedFile[] = [
    { name: HELPERS_FILE, text: HELPERS_MODULE },
    ...pipeline.sources.map((source) => exportSourceJob(pipeline, source, state.sources.get(source.name))),
    ...(pipeline.flows ?? []).map((flow) => exportFlowJob(pipeline, flow, state.flows.get(flow.name))),
    dltPipeline(pipeline),
    // Tables the lake has count as existing: the definitions may read them.
    ...sdpProject(pipeline, loadDefinitions(pipeline, { existingTables: existing })),
  ]
  return { files, state, lakeFound }
}

/** Writes the export into `outDir` (created when missing); returns the paths written. */
export async function writeSparkExport(pipeline: Pipeline, outDir: string): Promise<{ written: string[]; export: SparkExport }> {
  const result = await exportSpark(pipeline)
  mkdirSync(outDir, { recursive: true })
  const written = result.files.map((file) => {
    const target = path.join(outDir, file.name)
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, file.text)
    return target
  })
  return { written, export: result }
}
