/**
 * Short texts for tree item descriptions, tooltips and the status bar. Pure functions (no vscode),
 * so the wording is unit-tested; `now` is always passed in so ages are testable.
 */
import type { BoardSummary, JobStatus } from './pipelines/board'

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

/** 950 → "950", 12_345 → "12.3k", 4_200_000 → "4.2M": counts in a narrow tree column. */
export function formatCount(n: number): string {
  const abs = Math.abs(n)
  if (abs < 1000) return String(Math.round(n))
  if (abs < 1e6) return `${trim(n / 1e3)}k`
  if (abs < 1e9) return `${trim(n / 1e6)}M`
  return `${trim(n / 1e9)}G`
}

const trim = (v: number) => (Math.abs(v) < 100 ? v.toFixed(1).replace(/\.0$/, '') : String(Math.round(v)))

/** How long ago: "just now", "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAge(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000))
  if (seconds < 2) return 'just now'
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86_400)} d ago`
}

/** `2026-11-24 10:00:03 UTC`: the one way times are written, in the views as in the panels (webview/shared/format.ts formatTime). */
export function formatUtc(ms: number): string {
  if (!Number.isFinite(ms)) return ''
  return `${new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
    .replace(/Z$/, '')} UTC`
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`
}

export interface TableFacts {
  version: number
  /** Undefined when some file has no numRecords statistic. */
  rows?: number
  bytes: number
  files: number
  changeDataFeed: boolean
}

/** "1.2k rows · 2.1 MB · v5 · CDF" */
export function tableDescription(t: TableFacts): string {
  const rows = t.rows === undefined ? '? rows' : `${formatCount(t.rows)} ${t.rows === 1 ? 'row' : 'rows'}`
  return [rows, formatBytes(t.bytes), `v${t.version}`, t.changeDataFeed ? 'CDF' : undefined].filter(Boolean).join(' · ')
}

/** "running · 1.2k msg/s · lag 30", "failed: broker down", "stopped · last commit 3 min ago" */
export function jobDescription(status: JobStatus, rate: number, now: number): string {
  if (status.state === 'failed') return `failed: ${firstLine(status.error ?? 'unknown error')}`
  const parts: string[] = [status.state]
  if (status.state === 'running' || status.state === 'idle') {
    const unit = status.job.startsWith('flow:') ? 'rows/s' : 'msg/s'
    parts.push(`${formatCount(rate)} ${unit}`)
    if (status.lag !== undefined) parts.push(`lag ${formatCount(status.lag)}`)
  }
  if (status.lastCommit) parts.push(`last commit ${formatAge(status.lastCommit.at, now)}`)
  return parts.join(' · ')
}

/** The status bar while pipelines run: "$(pulse) 1.2k msg/s · lag 30 · 4 s ago". */
export function statusBarText(summary: BoardSummary, now: number): string {
  const parts = [`${formatCount(summary.messagesPerSecond)} msg/s`]
  if (summary.lag !== undefined) parts.push(`lag ${formatCount(summary.lag)}`)
  parts.push(summary.lastCommitAt === undefined ? 'no commit yet' : formatAge(summary.lastCommitAt, now))
  const icon = summary.failed ? '$(warning)' : '$(pulse)'
  return `${icon} ${parts.join(' · ')}`
}

export function statusBarTooltip(summary: BoardSummary): string {
  const lines = [`Lakehouse: ${plural(summary.active, 'job')} running`]
  if (summary.failed) lines.push(`${plural(summary.failed, 'job')} failed`)
  lines.push('Click to open the Pipelines view')
  return lines.join('\n')
}

export function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? text
  return line.length > 120 ? `${line.slice(0, 117)}…` : line
}
