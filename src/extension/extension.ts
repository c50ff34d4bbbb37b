/**
 * The VS Code extension host entry point. This is glue only: every `vscode` import lives under
 * src/extension/, and heavy modules (DuckDB, kafkajs) load on first use, never at activation.
 */
import * as vscode from 'vscode'

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Lakehouse', { log: true })
  context.subscriptions.push(output)
  context.subscriptions.push(
    vscode.commands.registerCommand('lakehouse.showVersion', () => {
      const version = (context.extension.packageJSON as { version?: string }).version ?? 'unknown'
      output.info(`Local Lakehouse ${version}`)
      void vscode.window.showInformationMessage(`Local Lakehouse ${version}`)
    }),
  )
}

export function deactivate(): void {}
