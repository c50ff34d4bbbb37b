/**
 * The message list's filters, over the sample the panel holds: key (substring), partition, offset
 * range (64-bit offsets compared as BigInt), time range (anything Date.parse reads; a bare date or
 * time without a zone is UTC, as the list shows times) and text (in the key, headers and value).
 */
import type { MessageSummary } from '../shared/protocol'

export interface MessageFilters {
  key?: string
  partition?: string
  offsetFrom?: string
  offsetTo?: string
  timeFrom?: string
  timeTo?: string
  text?: string
}

/** The filters that cannot be read (an offset that is not a number, a time that is not a time). */
export function filterProblems(filters: MessageFilters): string[] {
  const problems: string[] = []
  for (const [name, value] of [
    ['offset from', filters.offsetFrom],
    ['offset to', filters.offsetTo],
  ] as const) {
    if (value && !/^\d+$/.test(value.trim())) problems.push(`${name}: '${value}' is not an offset`)
  }
  for (const [name, value] of [
    ['time from', filters.timeFrom],
    ['time to', filters.timeTo],
  ] as const) {
    if (value && parseTime(value) === undefined) problems.push(`${name}: '${value}' is not a time (e.g. 2026-11-24 10:00:03)`)
  }
  return problems
}

export function parseTime(text: string): number | undefined {
  const trimmed = text.trim()
  if (!trimmed) return undefined
  // `2026-11-24 10:00` reads as UTC, like the times in the list.
  const iso = /^\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?$/.test(trimmed)
    ? `${trimmed.replace(' ', 'T')}${trimmed.length > 10 ? 'Z' : ''}`
    : trimmed.replace(/ UTC$/, 'Z').replace(' ', 'T')
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? ms : undefined
}

export function matches(message: MessageSummary, filters: MessageFilters): boolean {
  const key = filters.key?.trim()
  if (key && !(message.key ?? '').toLowerCase().includes(key.toLowerCase())) return false
  if (filters.partition && filters.partition !== 'all' && String(message.partition) !== filters.partition) return false
  const offset = /^\d+$/.test(message.offset) ? BigInt(message.offset) : undefined
  const from = filters.offsetFrom?.trim()
  const to = filters.offsetTo?.trim()
  if (offset !== undefined && from && /^\d+$/.test(from) && offset < BigInt(from)) return false
  if (offset !== undefined && to && /^\d+$/.test(to) && offset > BigInt(to)) return false
  const after = filters.timeFrom ? parseTime(filters.timeFrom) : undefined
  const before = filters.timeTo ? parseTime(filters.timeTo) : undefined
  if (after !== undefined && message.timestamp < after) return false
  if (before !== undefined && message.timestamp > before) return false
  const text = filters.text?.trim().toLowerCase()
  if (text) {
    const haystack = [message.key ?? '', message.preview, ...Object.entries(message.headers).map(([k, v]) => `${k}=${v ?? ''}`)].join('\n').toLowerCase()
    if (!haystack.includes(text)) return false
  }
  return true
}
