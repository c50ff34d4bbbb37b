/**
 * `.sql` files as a data engineer's editor: a CodeLens over each statement runs it (and one at the
 * top runs the whole file, statements in order), "Run Statement" runs the one at the cursor;
 * completion of zones, tables (after `zone.`) and columns (after a table or its alias, and
 * anywhere in a statement that names tables), with Delta types and comments; hover on a table
 * or column; unknown tables of a lake zone are errors with a "did you mean" quick fix.
 */
import * as vscode from 'vscode'
import { closest } from '../../pipeline/did-you-mean'
import { openQuery } from '../commands/query-commands'
import { pickLake } from '../commands/pickers'
import type { Services } from '../services'
import { LakeSchemas, type TableSchema } from './lake-schemas'
import { completionContext, statementAt, statementsOf, tableAliases, tableReferences, type TableReference } from './sql-text'

const SQL: vscode.DocumentSelector = [
  { language: 'sql', scheme: 'file' },
  { language: 'sql', scheme: 'untitled' },
]

export function registerSqlLanguage(services: Services): void {
  const schemas = new LakeSchemas(services)
  const diagnostics = vscode.languages.createDiagnosticCollection('lakehouse-sql')
  const changed = new vscode.EventEmitter<void>()
  const { subscriptions } = services.context
  subscriptions.push(
    diagnostics,
    changed,
    vscode.languages.registerCodeLensProvider(SQL, { provideCodeLenses: (document) => codeLenses(document), onDidChangeCodeLenses: changed.event }),
    vscode.languages.registerCompletionItemProvider(SQL, { provideCompletionItems: (document, position) => completions(schemas, document, position) }, '.'),
    vscode.languages.registerHoverProvider(SQL, { provideHover: (document, position) => hover(schemas, document, position) }),
    vscode.languages.registerCodeActionsProvider(
      SQL,
      { provideCodeActions: (document, _range, context) => quickFixes(document, context) },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.commands.registerCommand('lakehouse.runStatement', (uri?: vscode.Uri, offset?: number) => runStatement(services, uri, offset)),
    vscode.commands.registerCommand('lakehouse.runSqlFile', (uri?: vscode.Uri) => runFile(services, uri)),
  )
  // Unknown tables: checked as the file opens and changes (after a pause in typing) and when the lake changes.
  const timers = new Map<string, NodeJS.Timeout>()
  const check = (document: vscode.TextDocument, delay = 400) => {
    if (document.languageId !== 'sql') return
    const key = document.uri.toString()
    clearTimeout(timers.get(key))
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key)
        void unknownTables(schemas, document).then(
          (found) => diagnostics.set(document.uri, found),
          (error) => services.log.warn('sql.diagnostics', { error: String(error) }),
        )
      }, delay),
    )
  }
  subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((d) => check(d, 0)),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.delete(d.uri)),
    services.workspace.onDidChangeLake(() => {
      for (const d of vscode.workspace.textDocuments) check(d)
    }),
  )
  for (const d of vscode.workspace.textDocuments) check(d, 0)
}

function codeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
  const statements = statementsOf(document.getText())
  if (statements.length === 0) return []
  const lenses: vscode.CodeLens[] = []
  const top = new vscode.Range(document.positionAt(statements[0].start), document.positionAt(statements[0].start))
  if (statements.length > 1) {
    lenses.push(
      new vscode.CodeLens(top, {
        title: `▷ Run file (${statements.length} statements)`,
        command: 'lakehouse.runSqlFile',
        arguments: [document.uri],
        tooltip: 'Run every statement in order; writes commit as they go',
      }),
    )
  }
  for (const statement of statements) {
    const at = document.positionAt(statement.start)
    lenses.push(
      new vscode.CodeLens(new vscode.Range(at, at), {
        title: '▷ Run statement',
        command: 'lakehouse.runStatement',
        arguments: [document.uri, statement.start],
        tooltip: 'Run this statement in the query panel',
      }),
    )
  }
  return lenses
}

async function documentOf(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
  if (uri) return vscode.workspace.openTextDocument(uri)
  return vscode.window.activeTextEditor?.document
}

/** The statement at `offset` (a CodeLens), else at the cursor; the selection when there is one. */
async function runStatement(services: Services, uri: vscode.Uri | undefined, offset: number | undefined): Promise<void> {
  const document = await documentOf(uri)
  if (!document) return
  const editor = vscode.window.activeTextEditor?.document === document ? vscode.window.activeTextEditor : undefined
  let sql: string | undefined
  if (offset === undefined && editor && !editor.selection.isEmpty) sql = document.getText(editor.selection)
  else sql = statementAt(document.getText(), offset ?? (editor ? document.offsetAt(editor.selection.active) : 0))?.text
  if (!sql?.trim()) {
    void vscode.window.showWarningMessage('No SQL statement at the cursor.')
    return
  }
  const lake = await pickLake(services, document.uri)
  if (lake) await openQuery(services, { sql: sql.trim(), lake: lake.dir, run: true })
}

/**
 * Every statement, in order: writes commit one after the other, and the panel shows each
 * statement's result (or the error that stopped the file there). The file's text goes as it is, so
 * a statement's position is its line and column in the file.
 */
async function runFile(services: Services, uri: vscode.Uri | undefined): Promise<void> {
  const document = await documentOf(uri)
  if (!document) return
  const statements = statementsOf(document.getText())
  if (statements.length === 0) {
    void vscode.window.showWarningMessage('Nothing to run: the file has no SQL statement.')
    return
  }
  const lake = await pickLake(services, document.uri)
  if (lake) await openQuery(services, { sql: document.getText(), lake: lake.dir, run: true })
}

interface Known {
  zones: Set<string>
  /** Every table of the document's lakes, by lower-cased `zone.table`. */
  tables: Map<string, { name: string; lake: Awaited<ReturnType<LakeSchemas['lakesFor']>>[number] }>
}

async function known(schemas: LakeSchemas, document: vscode.TextDocument): Promise<Known> {
  const zones = new Set<string>()
  const tables: Known['tables'] = new Map()
  for (const lake of await schemas.lakesFor(document.uri.fsPath)) {
    for (const table of await schemas.tables(lake).catch(() => [])) {
      zones.add(table.zone)
      if (!tables.has(table.name.toLowerCase())) tables.set(table.name.toLowerCase(), { name: table.name, lake })
    }
  }
  return { zones, tables }
}

async function schemaOf(schemas: LakeSchemas, all: Known, name: string): Promise<TableSchema | undefined> {
  const entry = all.tables.get(name.toLowerCase())
  return entry ? schemas.schema(entry.lake, entry.name) : undefined
}

function columnItem(column: TableSchema['columns'][number], table: TableSchema, range?: vscode.Range): vscode.CompletionItem {
  const item = new vscode.CompletionItem({ label: column.name, detail: ` ${column.type}`, description: table.name }, vscode.CompletionItemKind.Field)
  item.detail = `${column.type}${column.nullable ? '' : ' NOT NULL'} — ${table.name}`
  item.documentation = new vscode.MarkdownString().appendText(column.comment ?? '')
  item.insertText = /^[A-Za-z_][A-Za-z0-9_]*$/.test(column.name) ? column.name : `"${column.name.replaceAll('"', '""')}"`
  if (range) item.range = range
  return item
}

async function completions(schemas: LakeSchemas, document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[]> {
  const text = document.getText()
  const offset = document.offsetAt(position)
  const context = completionContext(text, offset)
  const all = await known(schemas, document)
  const range = new vscode.Range(position.translate(0, -context.prefix.length), position)
  if (context.kind === 'member') {
    if (all.zones.has(context.qualifier)) {
      const items: vscode.CompletionItem[] = []
      for (const { name } of all.tables.values()) {
        if (!name.startsWith(`${context.qualifier}.`)) continue
        const schema = await schemaOf(schemas, all, name)
        const item = new vscode.CompletionItem(
          { label: name.slice(context.qualifier.length + 1), description: schema ? `v${schema.version}` : undefined },
          vscode.CompletionItemKind.Class,
        )
        item.detail = schema ? `${name}: ${schema.columns.length} columns` : name
        if (schema) item.documentation = tableMarkdown(schema)
        item.range = range
        items.push(item)
      }
      return items
    }
    const statement = statementAt(text, offset)
    const references = statement ? tableReferences(statement.text, all.zones) : []
    const target = tableAliases(statement?.text ?? '', references).get(context.qualifier.toLowerCase())
    const schema = target ? await schemaOf(schemas, all, `${target.zone}.${target.table}`) : undefined
    return schema ? schema.columns.map((c) => columnItem(c, schema, range)) : []
  }
  const items: vscode.CompletionItem[] = []
  for (const zone of all.zones) {
    const item = new vscode.CompletionItem({ label: zone, description: 'lake zone' }, vscode.CompletionItemKind.Module)
    item.range = range
    items.push(item)
  }
  const statement = statementAt(text, offset)
  for (const reference of statement ? tableReferences(statement.text, all.zones) : []) {
    const schema = await schemaOf(schemas, all, `${reference.zone}.${reference.table}`)
    if (schema) items.push(...schema.columns.map((c) => columnItem(c, schema, range)))
  }
  return items
}

/** Markdown of a table: its columns with Delta types, nullability and comments. Values from the log are escaped. */
function tableMarkdown(schema: TableSchema): vscode.MarkdownString {
  const md = new vscode.MarkdownString()
  md.appendMarkdown(`**${markdownText(schema.name)}** · Delta table, version ${schema.version}`)
  if (schema.partitionColumns.length) md.appendMarkdown(` · partitioned by ${schema.partitionColumns.map(escape).join(', ')}`)
  md.appendMarkdown('\n\n')
  if (schema.description) md.appendMarkdown(`${markdownText(schema.description)}\n\n`)
  md.appendMarkdown('| column | type | null | comment |\n|---|---|---|---|\n')
  for (const c of schema.columns)
    md.appendMarkdown(`| ${markdownText(c.name)} | ${markdownText(c.type)} | ${c.nullable ? 'yes' : 'no'} | ${markdownText(c.comment ?? '')} |\n`)
  return md
}

/** Text shown as itself in Markdown (no links, emphasis, HTML or table breaks). */
function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ')
}

async function hover(schemas: LakeSchemas, document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
  const text = document.getText()
  const offset = document.offsetAt(position)
  const all = await known(schemas, document)
  const statement = statementAt(text, offset)
  if (!statement) return undefined
  const references = tableReferences(statement.text, all.zones)
  const at = offset - statement.start
  const table = references.find((r) => at >= r.start && at <= r.end)
  if (table) {
    const schema = await schemaOf(schemas, all, `${table.zone}.${table.table}`)
    const range = new vscode.Range(document.positionAt(statement.start + table.start), document.positionAt(statement.start + table.end))
    return schema ? new vscode.Hover(tableMarkdown(schema), range) : undefined
  }
  const wordRange = document.getWordRangeAtPosition(position, /[A-Za-z_][\w$]*/)
  if (!wordRange) return undefined
  const word = document.getText(wordRange).toLowerCase()
  for (const reference of references) {
    const schema = await schemaOf(schemas, all, `${reference.zone}.${reference.table}`)
    const column = schema?.columns.find((c) => c.name.toLowerCase() === word)
    if (schema && column) {
      const md = new vscode.MarkdownString()
      md.appendMarkdown(`**${markdownText(column.name)}** ${markdownText(column.type)}${column.nullable ? '' : ' NOT NULL'} · ${markdownText(schema.name)}`)
      if (schema.partitionColumns.includes(column.name)) md.appendMarkdown(' · partition column')
      if (column.comment) md.appendMarkdown(`\n\n${markdownText(column.comment)}`)
      return new vscode.Hover(md, wordRange)
    }
  }
  return undefined
}

/** A `zone.table` of a zone the lake has whose table it does not have: the query would fail on it. */
async function unknownTables(schemas: LakeSchemas, document: vscode.TextDocument): Promise<vscode.Diagnostic[]> {
  const all = await known(schemas, document)
  if (all.zones.size === 0) return []
  const names = [...all.tables.values()].map((t) => t.name)
  const found: vscode.Diagnostic[] = []
  const text = document.getText()
  for (const statement of statementsOf(text)) {
    for (const reference of tableReferences(statement.text, all.zones)) {
      const name = `${reference.zone}.${reference.table}`
      if (all.tables.has(name.toLowerCase())) continue
      found.push(unknownTable(document, statement.start, reference, name, closest(name, names).slice(0, 2)))
    }
  }
  return found
}

function unknownTable(document: vscode.TextDocument, base: number, reference: TableReference, name: string, suggestions: string[]): vscode.Diagnostic {
  const range = new vscode.Range(document.positionAt(base + reference.start), document.positionAt(base + reference.end))
  const hint = suggestions.length ? ` Did you mean ${suggestions.join(' or ')}?` : ''
  const diagnostic = new vscode.Diagnostic(range, `No table ${name} in the lake.${hint}`, vscode.DiagnosticSeverity.Error)
  diagnostic.source = 'lakehouse'
  diagnostic.code = 'unknown-table'
  return diagnostic
}

function quickFixes(document: vscode.TextDocument, context: vscode.CodeActionContext): vscode.CodeAction[] {
  const actions: vscode.CodeAction[] = []
  for (const diagnostic of context.diagnostics) {
    if (diagnostic.code !== 'unknown-table') continue
    const suggestions = /Did you mean (.+)\?$/.exec(diagnostic.message)?.[1].split(' or ') ?? []
    for (const suggestion of suggestions) {
      const action = new vscode.CodeAction(`Change to ${suggestion}`, vscode.CodeActionKind.QuickFix)
      action.edit = new vscode.WorkspaceEdit()
      action.edit.replace(document.uri, diagnostic.range, suggestion)
      action.diagnostics = [diagnostic]
      action.isPreferred = suggestions.length === 1
      actions.push(action)
    }
  }
  return actions
}
