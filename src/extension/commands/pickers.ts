/**
 * Choosing what a command acts on when it is run from the palette rather than from a tree item:
 * a table, a lake, a pipeline file, a job. One candidate is taken without asking.
 */
import * as path from 'node:path'
import * as vscode from 'vscode'
import type { Pipeline } from '../../pipeline/pipeline-file'
import type { TableEntry } from '../../engine'
import { loadEngine, loadQuery } from '../lazy'
import { splitJobId, type JobId } from '../pipelines/events'
import type { Services } from '../services'
import type { LakeEntry, PipelineEntry } from '../workspace'

export interface TableTarget {
  lake: LakeEntry
  table: TableEntry
}

async function pickOne<T>(items: T[], label: (item: T) => vscode.QuickPickItem, placeHolder: string): Promise<T | undefined> {
  if (items.length <= 1) return items[0]
  const picked = await vscode.window.showQuickPick(
    items.map((item) => ({ ...label(item), item })),
    { placeHolder, matchOnDescription: true },
  )
  return picked?.item
}

export async function pickLake(services: Services, near?: vscode.Uri): Promise<LakeEntry | undefined> {
  const lakes = await services.workspace.lakes()
  // A .sql file inside a lake (or next to one) most likely queries that lake.
  if (near) {
    const containing = lakes.filter((l) => !path.relative(path.dirname(l.dir), near.fsPath).startsWith('..'))
    if (containing.length === 1) return containing[0]
  }
  if (lakes.length === 0) {
    void vscode.window.showWarningMessage('No lake in this workspace: a pipeline file names one ("lake"), or set lakehouse.lakeFolders.')
    return undefined
  }
  return pickOne(lakes, (l) => ({ label: l.label, description: l.dir }), 'Which lake?')
}

export async function pickTable(services: Services): Promise<TableTarget | undefined> {
  const lakes = await services.workspace.lakes()
  const [{ LakeCatalog }, { LocalStorage }] = await Promise.all([loadQuery(services.log), loadEngine(services.log)])
  const targets: TableTarget[] = []
  for (const lake of lakes) for (const table of await new LakeCatalog(lake.dir, new LocalStorage()).tables()) targets.push({ lake, table })
  if (targets.length === 0) {
    void vscode.window.showWarningMessage('No Delta tables found in the workspace lakes.')
    return undefined
  }
  return pickOne(targets, (t) => ({ label: t.table.name, description: lakes.length > 1 ? t.lake.label : undefined }), 'Which table?')
}

export async function pickPipeline(services: Services, placeHolder = 'Which pipeline file?'): Promise<(PipelineEntry & { pipeline: Pipeline }) | undefined> {
  const entries = await services.workspace.validPipelines()
  if (entries.length === 0) {
    void vscode.window.showWarningMessage(
      'No valid pipeline file (lakehouse.json or *.lakehouse.json) in the workspace. Run "Lakehouse: New Pipeline" to create one.',
    )
    return undefined
  }
  return pickOne(entries, (e) => ({ label: e.label }), placeHolder)
}

export async function pickJob(services: Services, wantRunning: boolean): Promise<{ entry: PipelineEntry & { pipeline: Pipeline }; job: JobId } | undefined> {
  const candidates: { entry: PipelineEntry & { pipeline: Pipeline }; job: JobId }[] = []
  for (const entry of await services.workspace.validPipelines()) {
    const running = services.pipelines.running(entry.pipeline.file)
    // With the definitions' flows; a view is not started or stopped alone (any run refreshes it).
    for (const job of services.pipelines.jobs(entry.pipeline)) {
      if (splitJobId(job).kind !== 'view' && running.has(job) === wantRunning) candidates.push({ entry, job })
    }
  }
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(wantRunning ? 'No pipeline job is running.' : 'Every pipeline job is already running.')
    return undefined
  }
  return pickOne(
    candidates,
    (c) => ({ label: splitJobId(c.job).name, description: `${splitJobId(c.job).kind} · ${c.entry.label}` }),
    wantRunning ? 'Stop which job?' : 'Start which job?',
  )
}

/** `raw.orders`, or `raw."my-table"` when a part is not a plain SQL identifier. */
export function sqlName(table: TableEntry): string {
  const part = (p: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `"${p}"`)
  return `${part(table.zone)}.${part(table.table)}`
}
