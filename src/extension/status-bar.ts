/**
 * The status bar item shown while pipelines run: messages per second, lag, age of the last
 * commit; a click opens the Pipelines view. Hidden when nothing runs (and when the setting says so).
 */
import * as vscode from 'vscode'
import type { BoardSummary } from './pipelines/board'
import { statusBarText, statusBarTooltip } from './format'
import { setting, type Services } from './services'

export function combine(summaries: BoardSummary[]): BoardSummary {
  const total: BoardSummary = { active: 0, failed: 0, messagesPerSecond: 0 }
  for (const s of summaries) {
    total.active += s.active
    total.failed += s.failed
    total.messagesPerSecond += s.messagesPerSecond
    if (s.lag !== undefined) total.lag = (total.lag ?? 0) + s.lag
    if (s.lastCommitAt !== undefined && (total.lastCommitAt === undefined || s.lastCommitAt > total.lastCommitAt)) total.lastCommitAt = s.lastCommitAt
  }
  return total
}

export function registerStatusBar(services: Services): void {
  const item = vscode.window.createStatusBarItem('lakehouse.pipelines', vscode.StatusBarAlignment.Left, 50)
  item.name = 'Lakehouse Pipelines'
  item.command = 'lakehouse.focusPipelines'
  const update = () => {
    const summary = combine(services.pipelines.boards().map((b) => b.summary(Date.now())))
    if (summary.active === 0 || !setting<boolean>('statusBar.enabled', true)) {
      item.hide()
      return
    }
    item.text = statusBarText(summary, Date.now())
    item.tooltip = statusBarTooltip(summary)
    item.show()
  }
  // Once a second while something runs, so the commit age and the rate stay current.
  const timer = setInterval(update, 1_000)
  services.context.subscriptions.push(item, services.pipelines.onDidChange(update), { dispose: () => clearInterval(timer) })
}
