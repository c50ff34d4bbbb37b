/**
 * The Lake view: lakes → zones → tables (rows, size, version, change data feed) → their columns
 * (name, Delta type, nullability, partitioning, comment) and versions. Read from the Delta logs in
 * the extension host (small reads, no DuckDB; listing a zone's tables opens DuckDB ahead for the
 * panels, in the background); a table that cannot be read shows why instead of
 * hiding the others. A click on a table opens it in the query panel; the other actions are
 * commands (see commands/lake-commands.ts) that the context menus offer by `contextValue`. A
 * flow's internal tables (its document state) are left out unless lakehouse.lake.showInternalTables.
 */
import * as vscode from 'vscode'
import type { HistoryEntry } from '../../delta'
import type { TableEntry } from '../../engine'
import { formatAge, formatBytes, formatUtc, plural, tableDescription } from '../format'
import type { TableDetails } from '../lake/facts'
import { loadEngine, loadLakeFacts, loadQuery, loadRefine } from '../lazy'
import { setting, type Services } from '../services'
import type { LakeEntry } from '../workspace'

export type LakeNode =
  | { kind: 'lake'; lake: LakeEntry }
  | { kind: 'zone'; lake: LakeEntry; zone: string; tables: TableEntry[] }
  | { kind: 'table'; lake: LakeEntry; table: TableEntry; facts?: TableDetails; error?: string }
  | { kind: 'version'; lake: LakeEntry; table: TableEntry; entry: HistoryEntry; cdf: boolean }
  | { kind: 'group'; group: 'columns' | 'versions'; table: Extract<LakeNode, { kind: 'table' }> }
  | { kind: 'column'; table: TableEntry; column: TableDetails['columns'][number]; partition: boolean }
  | { kind: 'message'; text: string; tooltip?: string; command?: vscode.Command }

export class LakeTreeProvider implements vscode.TreeDataProvider<LakeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LakeNode | undefined>()
  readonly onDidChangeTreeData = this.changed.event
  private readonly subscription: vscode.Disposable

  constructor(private readonly services: Services) {
    this.subscription = services.workspace.onDidChangeLake(() => this.refresh())
  }

  refresh(): void {
    this.changed.fire(undefined)
  }

  dispose(): void {
    this.subscription.dispose()
    this.changed.dispose()
  }

  async getChildren(node?: LakeNode): Promise<LakeNode[]> {
    try {
      if (!node) {
        const lakes = await this.services.workspace.lakes()
        // One lake (the usual case): its zones are the top level.
        return lakes.length === 1 ? this.zones(lakes[0]) : lakes.map((lake) => ({ kind: 'lake', lake }))
      }
      switch (node.kind) {
        case 'lake':
          return await this.zones(node.lake)
        case 'zone':
          return await this.tables(node)
        case 'table':
          return node.error
            ? [{ kind: 'message', text: node.error }]
            : [
                { kind: 'group', group: 'columns', table: node },
                { kind: 'group', group: 'versions', table: node },
              ]
        case 'group':
          return node.group === 'columns' ? columnNodes(node.table) : await this.versions(node.table)
        default:
          return []
      }
    } catch (error) {
      this.services.log.error('lake.tree', error)
      return [{ kind: 'message', text: `Cannot read: ${(error as Error).message}`, command: { title: 'Show Log', command: 'lakehouse.showLog' } }]
    }
  }

  getTreeItem(node: LakeNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState
    switch (node.kind) {
      case 'lake': {
        const item = new vscode.TreeItem(node.lake.label, C.Expanded)
        item.iconPath = new vscode.ThemeIcon('database')
        item.tooltip = node.lake.dir
        item.contextValue = 'lakehouse.lake'
        return item
      }
      case 'zone': {
        const item = new vscode.TreeItem(node.zone, C.Expanded)
        item.iconPath = new vscode.ThemeIcon('folder')
        item.description = plural(node.tables.length, 'table')
        item.contextValue = 'lakehouse.zone'
        item.id = `zone:${node.lake.dir}:${node.zone}`
        return item
      }
      case 'table':
        return tableItem(node)
      case 'version':
        return versionItem(node)
      case 'group': {
        const columns = node.group === 'columns'
        const item = new vscode.TreeItem(columns ? 'Columns' : 'Versions', columns ? C.Collapsed : C.Expanded)
        item.id = `${node.group}:${node.table.table.path}`
        item.iconPath = new vscode.ThemeIcon(columns ? 'symbol-field' : 'history')
        item.description = columns
          ? plural(node.table.facts?.columns.length ?? 0, 'column')
          : node.table.facts
            ? `latest v${node.table.facts.version}`
            : undefined
        return item
      }
      case 'column':
        return columnItem(node)
      case 'message': {
        const item = new vscode.TreeItem(node.text, C.None)
        item.iconPath = new vscode.ThemeIcon('info')
        item.tooltip = node.tooltip
        item.command = node.command
        return item
      }
    }
  }

  private async zones(lake: LakeEntry): Promise<LakeNode[]> {
    const [{ LakeCatalog }, { LocalStorage }] = await Promise.all([loadQuery(this.services.log), loadEngine(this.services.log)])
    const [all, { isDocumentStateTable }] = await Promise.all([new LakeCatalog(lake.dir, new LocalStorage()).tables(), loadRefine(this.services.log)])
    const tables = setting<boolean>('lake.showInternalTables', false) ? all : all.filter((t) => !isDocumentStateTable(t.name))
    const zones = new Map<string, TableEntry[]>()
    for (const table of tables) zones.set(table.zone, [...(zones.get(table.zone) ?? []), table])
    if (zones.size === 0) return [{ kind: 'message', text: `No tables yet in ${lake.label}`, tooltip: lake.dir }]
    return [...zones].map(([zone, list]) => ({ kind: 'zone', lake, zone, tables: list }))
  }

  private async tables(zone: Extract<LakeNode, { kind: 'zone' }>): Promise<LakeNode[]> {
    const [lake, { tableFacts }] = await Promise.all([this.services.lake(), loadLakeFacts(this.services.log)])
    if (zone.tables.length) this.services.openDuckDbAhead()
    return Promise.all(
      zone.tables.map(async (table): Promise<LakeNode> => {
        try {
          return { kind: 'table', lake: zone.lake, table, facts: await tableFacts(lake, table.path) }
        } catch (error) {
          this.services.log.warn('lake.table.unreadable', { table: table.name, error: (error as Error).message })
          return { kind: 'table', lake: zone.lake, table, error: (error as Error).message }
        }
      }),
    )
  }

  private async versions(node: Extract<LakeNode, { kind: 'table' }>): Promise<LakeNode[]> {
    if (node.error) return [{ kind: 'message', text: node.error }]
    const limit = Math.max(1, setting<number>('lake.historyLimit', 20))
    const [lake, { tableHistory }] = await Promise.all([this.services.lake(), loadLakeFacts(this.services.log)])
    const history = await tableHistory(lake, node.table.path, limit + 1)
    const nodes: LakeNode[] = history
      .slice(0, limit)
      .map((entry) => ({ kind: 'version', lake: node.lake, table: node.table, entry, cdf: !!node.facts?.changeDataFeed }))
    if (history.length > limit) {
      nodes.push({
        kind: 'message',
        text: 'Older versions…',
        tooltip: 'Show the whole history',
        command: { title: 'Show History', command: 'lakehouse.showHistory', arguments: [node] },
      })
    }
    return nodes
  }
}

function columnNodes(table: Extract<LakeNode, { kind: 'table' }>): LakeNode[] {
  const partitions = new Set(table.facts?.partitionColumns ?? [])
  return (table.facts?.columns ?? []).map((column) => ({ kind: 'column', table: table.table, column, partition: partitions.has(column.name) }))
}

function columnItem(node: Extract<LakeNode, { kind: 'column' }>): vscode.TreeItem {
  const { column } = node
  const item = new vscode.TreeItem(column.name, vscode.TreeItemCollapsibleState.None)
  item.id = `column:${node.table.path}:${column.name}`
  item.iconPath = new vscode.ThemeIcon(node.partition ? 'symbol-key' : 'symbol-field')
  item.description = [column.type, column.nullable ? '' : 'not null', node.partition ? 'partition' : '', column.comment ?? ''].filter(Boolean).join(' · ')
  const tooltip = new vscode.MarkdownString()
  tooltip.appendText(`${column.name}: ${column.type}${column.nullable ? '' : ', not null'}${node.partition ? ', partition column' : ''}`)
  if (column.comment) tooltip.appendMarkdown('\n\n').appendText(column.comment)
  item.tooltip = tooltip
  item.contextValue = 'lakehouse.column'
  return item
}

function tableItem(node: Extract<LakeNode, { kind: 'table' }>): vscode.TreeItem {
  const item = new vscode.TreeItem(node.table.table, vscode.TreeItemCollapsibleState.Collapsed)
  item.id = `table:${node.table.path}`
  item.iconPath = new vscode.ThemeIcon(node.error ? 'warning' : 'table')
  item.contextValue = node.facts?.changeDataFeed ? 'lakehouse.table.cdf' : 'lakehouse.table'
  // One click opens the table (the twistie still expands it into columns and versions).
  if (!node.error) item.command = { title: 'Query Table', command: 'lakehouse.queryTable', arguments: [node] }
  if (node.error || !node.facts) {
    item.description = 'cannot be read'
    item.tooltip = node.error
    return item
  }
  const f = node.facts
  item.description = tableDescription(f)
  const tooltip = new vscode.MarkdownString()
  tooltip.appendMarkdown(`**${node.table.name}** — version ${f.version}, committed ${formatUtc(f.lastCommitAt)}\n\n`)
  tooltip.appendMarkdown(
    `${f.rows === undefined ? 'row count unknown (files without statistics)' : plural(f.rows, 'row')} in ${plural(f.files, 'file')}, ${formatBytes(f.bytes)}\n\n`,
  )
  if (f.partitionColumns.length) tooltip.appendMarkdown(`Partitioned by ${f.partitionColumns.join(', ')}\n\n`)
  tooltip.appendMarkdown(`Change data feed: ${f.changeDataFeed ? 'on' : 'off'}\n\n`)
  tooltip.appendCodeblock(f.columns.map((c) => `${c.name}: ${c.type}${c.nullable ? '' : ' not null'}`).join('\n'))
  item.tooltip = tooltip
  return item
}

function versionItem(node: Extract<LakeNode, { kind: 'version' }>): vscode.TreeItem {
  const { entry } = node
  const item = new vscode.TreeItem(`v${entry.version}`, vscode.TreeItemCollapsibleState.None)
  item.id = `version:${node.table.path}:${entry.version}`
  item.iconPath = new vscode.ThemeIcon('git-commit')
  item.description = `${entry.operation} · ${formatAge(entry.timestamp, Date.now())}`
  item.contextValue = node.cdf ? 'lakehouse.version.cdf' : 'lakehouse.version'
  const tooltip = new vscode.MarkdownString(`**${node.table.name}** v${entry.version}: ${entry.operation} at ${formatUtc(entry.timestamp)}\n\n`)
  const details = { parameters: entry.operationParameters, metrics: entry.operationMetrics, actions: entry.actionCounts }
  tooltip.appendCodeblock(JSON.stringify(details, null, 2), 'json')
  item.tooltip = tooltip
  return item
}
