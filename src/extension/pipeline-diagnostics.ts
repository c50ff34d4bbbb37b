/**
 * Pipeline file problems as VS Code diagnostics (the Problems panel, squiggles at the line and
 * column, errors as errors), with a quick fix when the message says "did you mean". They follow
 * the file: gone as soon as it is fixed, back when it breaks again. Replaces a notification that
 * stayed on screen after the fix.
 */
import * as vscode from 'vscode'
import type { PipelineProblem } from '../pipeline/pipeline-file'
import { problemPlace } from './pipeline-problem-places'

const CODE = 'pipeline-file'

export class PipelineDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('lakehouse-pipeline')
  private readonly provider: vscode.Disposable
  /** The replacement each diagnostic's "did you mean" offers, by file, message and place. */
  private readonly fixes = new Map<string, string>()

  constructor() {
    this.provider = vscode.languages.registerCodeActionsProvider(
      { pattern: '**/{lakehouse.json,*.lakehouse.json}' },
      {
        provideCodeActions: (document, _range, context) => context.diagnostics.flatMap((d) => this.quickFix(document, d)),
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    )
  }

  /** Every pipeline file's problems; files no longer there lose theirs. */
  async sync(entries: { uri: vscode.Uri; problems?: PipelineProblem[] }[]): Promise<void> {
    const present = new Set(entries.map((e) => e.uri.toString()))
    this.collection.forEach((uri) => {
      if (!present.has(uri.toString())) void this.set(uri, undefined)
    })
    await Promise.all(entries.map((entry) => this.set(entry.uri, entry.problems)))
  }

  /** The problems of one file (none: it is fine now). */
  async set(uri: vscode.Uri, problems: PipelineProblem[] | undefined): Promise<void> {
    for (const key of [...this.fixes.keys()]) if (key.startsWith(`${uri.toString()}\n`)) this.fixes.delete(key)
    if (!problems?.length) {
      this.collection.delete(uri)
      return
    }
    const document = await vscode.workspace.openTextDocument(uri)
    const text = document.getText()
    this.collection.set(
      uri,
      problems.map((problem) => {
        const place = problemPlace(text, problem)
        const diagnostic = new vscode.Diagnostic(
          new vscode.Range(document.positionAt(place.start), document.positionAt(place.end)),
          place.message,
          vscode.DiagnosticSeverity.Error,
        )
        diagnostic.source = 'lakehouse'
        diagnostic.code = CODE
        if (place.fix !== undefined) this.fixes.set(fixKey(uri, diagnostic), place.fix)
        return diagnostic
      }),
    )
  }

  dispose(): void {
    this.provider.dispose()
    this.collection.dispose()
  }

  private quickFix(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): vscode.CodeAction[] {
    const replacement = diagnostic.code === CODE ? this.fixes.get(fixKey(document.uri, diagnostic)) : undefined
    return replacement === undefined ? [] : [fixAction(document, diagnostic, replacement)]
  }
}

function fixKey(uri: vscode.Uri, diagnostic: vscode.Diagnostic): string {
  const { start, end } = diagnostic.range
  return `${uri.toString()}\n${start.line}:${start.character}-${end.line}:${end.character}\n${diagnostic.message}`
}

function fixAction(document: vscode.TextDocument, diagnostic: vscode.Diagnostic, replacement: string): vscode.CodeAction {
  const action = new vscode.CodeAction(`Change to ${replacement}`, vscode.CodeActionKind.QuickFix)
  action.edit = new vscode.WorkspaceEdit()
  action.edit.replace(document.uri, diagnostic.range, replacement)
  action.diagnostics = [diagnostic]
  action.isPreferred = true
  return action
}
