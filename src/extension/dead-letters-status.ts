/**
 * The status bar item of open dead letters: how many over the workspace's pipelines, the count per
 * source in its tooltip; a click opens the Dead Letters panel (of the one pipeline that has open
 * letters, else after picking one). Hidden when no letter is open.
 */
import * as vscode from 'vscode'
import type { DeadLetterTally } from './pipelines/dead-letter-tally'
import type { Services } from './services'

export function registerDeadLetterStatus(services: Services, tally: DeadLetterTally): void {
  const item = vscode.window.createStatusBarItem('lakehouse.deadLetters', vscode.StatusBarAlignment.Left, 49)
  item.name = 'Lakehouse Dead Letters'
  const update = async () => {
    const total = tally.total
    if (total === 0) {
      item.hide()
      return
    }
    const withLetters = (await services.workspace.validPipelines()).filter((e) => tally.of(e.pipeline.file).size > 0)
    item.text = `$(mail) ${total.toLocaleString('en-US')} dead letter${total === 1 ? '' : 's'}`
    const tooltip = new vscode.MarkdownString(`**Open dead letters** (click to triage)\n\n`)
    for (const entry of withLetters) {
      for (const [source, n] of tally.of(entry.pipeline.file)) tooltip.appendMarkdown(`- ${escapeMarkdown(entry.label)} · ${escapeMarkdown(source)}: ${n}\n`)
    }
    item.tooltip = tooltip
    item.command = {
      title: 'Show Dead Letters',
      command: 'lakehouse.showDeadLetters',
      arguments: withLetters.length === 1 ? [{ pipelineFile: withLetters[0].pipeline.file }] : [],
    }
    item.show()
  }
  services.context.subscriptions.push(
    item,
    tally.onDidChange(() => void update()),
  )
  void update()
}

const escapeMarkdown = (text: string) => text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&')
