/**
 * Table actions of the Lake view (and the palette): query, query a version, show changes, show
 * history, OPTIMIZE, VACUUM. Reads go to the panels (query, history, changes); OPTIMIZE and VACUUM
 * run in a CLI child with progress and cancel, since they rewrite or delete files and can take
 * minutes.
 */
import * as vscode from 'vscode'
import { runCliProcess, type CliResult } from '../cli/process'
import { CliRunError } from '../errors'
import { formatAge } from '../format'
import { loadLakeFacts } from '../lazy'
import { setting, type Services } from '../services'
import type { LakeNode } from '../views/lake-tree'
import { pickTable, sqlName, type TableTarget } from './pickers'
import { openQuery, rowLimit } from './query-commands'

type TableNode = Extract<LakeNode, { kind: 'table' }>
type VersionNode = Extract<LakeNode, { kind: 'version' }>

async function target(services: Services, node?: LakeNode): Promise<TableTarget | undefined> {
  if (node && (node.kind === 'table' || node.kind === 'version')) return { lake: node.lake, table: node.table }
  return pickTable(services)
}

export async function queryTable(services: Services, node?: TableNode): Promise<void> {
  const t = await target(services, node)
  if (t) await openQuery(services, { sql: `SELECT * FROM ${sqlName(t.table)} LIMIT ${rowLimit()}`, lake: t.lake.dir, run: true })
}

export async function queryVersion(services: Services, node?: VersionNode): Promise<void> {
  const t = await target(services, node)
  if (!t) return
  const version = node?.entry.version ?? (await pickVersion(services, t, 'Query which version?'))
  if (version === undefined) return
  await openQuery(services, { sql: `SELECT * FROM ${sqlName(t.table)} VERSION AS OF ${version} LIMIT ${rowLimit()}`, lake: t.lake.dir, run: true })
}

/** The history panel (registered by the panels, see panels/index.ts). */
export async function showHistory(services: Services, node?: TableNode): Promise<void> {
  const t = await target(services, node)
  if (t) await vscode.commands.executeCommand('lakehouse.showHistory', { table: t.table.name, lake: t.lake.dir })
}

/** The change panel: from a version, that version's changes; from a table, the panel asks for the range. */
export async function showChanges(services: Services, node?: TableNode | VersionNode): Promise<void> {
  const t = await target(services, node)
  if (!t) return
  const range = node?.kind === 'version' ? { from: node.entry.version, to: node.entry.version } : {}
  await vscode.commands.executeCommand('lakehouse.showChanges', { table: t.table.name, lake: t.lake.dir, ...range })
}

async function pickVersion(services: Services, t: TableTarget, placeHolder: string, atLeast = 0): Promise<number | undefined> {
  const lake = await services.lake()
  const { tableHistory } = await loadLakeFacts(services.log)
  const history = (await tableHistory(lake, t.table.path, 200)).filter((h) => h.version >= atLeast)
  const now = Date.now()
  const picked = await vscode.window.showQuickPick(
    history.map((h) => ({ label: `v${h.version}`, description: `${h.operation} · ${formatAge(h.timestamp, now)}`, version: h.version })),
    { placeHolder },
  )
  return picked?.version
}

/** Runs a CLI maintenance command with a cancellable progress notification. */
function maintenance(services: Services, title: string, args: string[], cwd: string): Thenable<CliResult> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const abort = new AbortController()
    token.onCancellationRequested(() => abort.abort())
    services.log.info('maintenance.start', { args })
    return runCliProcess(services.launch(), args, {
      cwd,
      signal: abort.signal,
      onStderrLine: (line) => {
        services.log.info('maintenance.stderr', { line })
        progress.report({ message: line.slice(0, 80) })
      },
    })
  })
}

export async function optimizeTable(services: Services, node?: TableNode): Promise<void> {
  const t = await target(services, node)
  if (!t) return
  const lake = await services.lake()
  const { tableFacts } = await loadLakeFacts(services.log)
  const before = (await tableFacts(lake, t.table.path)).version
  const result = await maintenance(services, `Lakehouse: optimizing ${t.table.name}`, ['optimize', '--lake', t.lake.dir, t.table.name], t.lake.dir)
  services.log.info('optimize.done', { table: t.table.name, code: result.code, cancelled: result.cancelled })
  if (result.cancelled) {
    // The commit is atomic: either it happened before the stop, or the table is as it was.
    const after = (await tableFacts(lake, t.table.path)).version
    void vscode.window.showInformationMessage(
      after === before
        ? `Optimize of ${t.table.name} cancelled: nothing was committed (files it had written are left for VACUUM).`
        : `Optimize of ${t.table.name} had already committed version ${after} when it was cancelled.`,
    )
  } else if (result.code === 0) void vscode.window.showInformationMessage(result.stdout.trim() || `Optimized ${t.table.name}`)
  else void services.notifier.error(`Optimize ${t.table.name}`, new CliRunError(result))
  services.workspace.refreshLakes()
}

export async function vacuumTable(services: Services, node?: TableNode): Promise<void> {
  const t = await target(services, node)
  if (!t) return
  const retention = setting<number | null>('vacuum.retentionHours', null)
  const base = ['vacuum', '--lake', t.lake.dir, ...(retention !== null && retention !== undefined ? ['--retention-hours', String(retention)] : [])]
  // A dry run first, so the confirmation says exactly what would go.
  const dry = await maintenance(services, `Lakehouse: listing what VACUUM would delete in ${t.table.name}`, [...base, '--dry-run', t.table.name], t.lake.dir)
  if (dry.cancelled) return
  if (dry.code !== 0) {
    void services.notifier.error(`Vacuum ${t.table.name}`, new CliRunError(dry))
    return
  }
  const summary = dry.stdout.split('\n')[0].trim()
  if (/would delete 0 files/.test(summary)) {
    void vscode.window.showInformationMessage(`${summary.replace(/:$/, '')}: nothing to vacuum.`)
    return
  }
  const confirm = 'Vacuum'
  const choice = await vscode.window.showWarningMessage(
    `${summary.replace(/:$/, '')}.`,
    { modal: true, detail: 'Time travel to versions older than the retention will no longer work. Deleted files cannot be recovered.' },
    confirm,
  )
  if (choice !== confirm) return
  const result = await maintenance(services, `Lakehouse: vacuuming ${t.table.name}`, [...base, t.table.name], t.lake.dir)
  services.log.info('vacuum.done', { table: t.table.name, code: result.code, cancelled: result.cancelled })
  if (result.cancelled)
    void vscode.window.showInformationMessage(
      `Vacuum of ${t.table.name} stopped: some files may already be deleted (only files no version within the retention needs).`,
    )
  else if (result.code === 0) void vscode.window.showInformationMessage(result.stdout.trim())
  else void services.notifier.error(`Vacuum ${t.table.name}`, new CliRunError(result))
  services.workspace.refreshLakes()
}
