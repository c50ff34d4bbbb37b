/**
 * Where a pipeline's job stands in the lake, whether or not it runs now, read from the tables'
 * Delta logs alone: a source's raw table and the offsets its commits recorded (`txn` actions,
 * appId `lakehouse/<source>/<topic>/<partition>`); a flow's last source version processed
 * (appId `lakehouse/flow/<name>` in its target) against the source table's latest version.
 * No vscode here; loaded lazily (it pulls in the Delta core).
 */
import type { Snapshot } from '../../delta'
import type { LakeEngine } from '../../engine'
import type { FlowSpec, Pipeline, SourceSpec } from '../../pipeline/pipeline-file'
import type { LakeCatalog } from '../../engine'

export interface JobPosition {
  /** One line: `raw.events v3 · offsets 0:24` or `up to date with raw.events v3` or `behind raw.events: v2 of v5`. */
  text: string
  /** A flow whose source has versions it has not processed. */
  behind?: boolean
}

async function snapshotOf(lake: LakeEngine, catalog: LakeCatalog, table: string): Promise<Snapshot | undefined> {
  try {
    return await lake.snapshot(catalog.pathOf(table))
  } catch {
    return undefined
  }
}

export async function sourcePosition(lake: LakeEngine, catalog: LakeCatalog, source: SourceSpec): Promise<JobPosition> {
  const raw = await snapshotOf(lake, catalog, source.table)
  if (!raw) return { text: `nothing in ${source.table} yet` }
  const prefix = `lakehouse/${source.name}/`
  const offsets = [...raw.txns.entries()]
    .filter(([appId]) => appId.startsWith(prefix))
    .map(([appId, txn]) => `${appId.slice(appId.lastIndexOf('/') + 1)}:${txn.version}`)
  return { text: `${source.table} v${raw.version}${offsets.length ? ` · offsets ${offsets.slice(0, 4).join(' ')}${offsets.length > 4 ? ' …' : ''}` : ''}` }
}

export async function flowPosition(lake: LakeEngine, catalog: LakeCatalog, flow: FlowSpec): Promise<JobPosition> {
  const [source, target] = await Promise.all([snapshotOf(lake, catalog, flow.from), snapshotOf(lake, catalog, flow.to)])
  if (!source) return { text: `waiting for ${flow.from}` }
  const processed = target?.txns.get(`lakehouse/flow/${flow.name}`)?.version
  if (processed === undefined) return { text: `nothing processed of ${flow.from} v${source.version}`, behind: true }
  if (processed >= source.version) return { text: `up to date with ${flow.from} v${source.version}` }
  return { text: `behind ${flow.from}: at v${processed} of v${source.version}`, behind: true }
}

/** Every job's position, by job id (`source:<name>`, `flow:<name>`); a job whose tables cannot be read is left out. */
export async function pipelinePositions(lake: LakeEngine, catalog: LakeCatalog, pipeline: Pipeline): Promise<Map<string, JobPosition>> {
  const positions = new Map<string, JobPosition>()
  await Promise.all([
    ...pipeline.sources.map(async (s) => positions.set(`source:${s.name}`, await sourcePosition(lake, catalog, s).catch(() => ({ text: '' })))),
    ...(pipeline.flows ?? []).map(async (f) => positions.set(`flow:${f.name}`, await flowPosition(lake, catalog, f).catch(() => ({ text: '' })))),
  ])
  return positions
}
