/** Table properties that are durations, such as `delta.logRetentionDuration = interval 30 days`. */

const UNITS: Record<string, number> = {
  millisecond: 1,
  milliseconds: 1,
  second: 1000,
  seconds: 1000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000,
}

/** Milliseconds in a Spark interval string (`interval 7 days`, `30 days`, `1 hour`); undefined when unreadable. */
export function parseInterval(text: string | undefined): number | undefined {
  if (!text) return undefined
  const match = /^\s*(?:interval\s+)?(\d+)\s+([a-z]+)\s*$/i.exec(text)
  if (!match) return undefined
  const unit = UNITS[match[2].toLowerCase()]
  return unit === undefined ? undefined : Number(match[1]) * unit
}

export const DEFAULT_LOG_RETENTION_MS = 30 * 86_400_000
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * 86_400_000
export const DEFAULT_CHECKPOINT_INTERVAL = 10

export function tableDuration(configuration: Record<string, string>, key: string, fallback: number): number {
  return parseInterval(configuration[key]) ?? fallback
}
