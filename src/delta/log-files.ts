/**
 * Names of the files in `_delta_log` and the choice of which ones rebuild a given version: the
 * newest complete checkpoint at or before it, then every commit after that checkpoint.
 */
import { DeltaError } from './errors'

export type LogFile =
  | { kind: 'commit'; version: number; name: string }
  | { kind: 'checkpoint'; version: number; name: string; format: 'classic' }
  | { kind: 'checkpoint'; version: number; name: string; format: 'multipart'; part: number; parts: number }
  | { kind: 'checkpoint'; version: number; name: string; format: 'v2' }

const COMMIT = /^(\d{20})\.json$/
const CLASSIC_CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/
const MULTIPART_CHECKPOINT = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/
const V2_CHECKPOINT = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/

/** Classify a `_delta_log` entry; anything else (crc, compacted logs, editor junk) is not ours to read. */
export function parseLogFileName(name: string): LogFile | undefined {
  let match = COMMIT.exec(name)
  if (match) return { kind: 'commit', version: Number(match[1]), name }
  match = CLASSIC_CHECKPOINT.exec(name)
  if (match) return { kind: 'checkpoint', version: Number(match[1]), name, format: 'classic' }
  match = MULTIPART_CHECKPOINT.exec(name)
  if (match) return { kind: 'checkpoint', version: Number(match[1]), name, format: 'multipart', part: Number(match[2]), parts: Number(match[3]) }
  match = V2_CHECKPOINT.exec(name)
  if (match) return { kind: 'checkpoint', version: Number(match[1]), name, format: 'v2' }
  return undefined
}

export function commitFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`
}

export function classicCheckpointFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`
}

export function multipartCheckpointFileName(version: number, part: number, parts: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.${String(part).padStart(10, '0')}.${String(parts).padStart(10, '0')}.parquet`
}

/** A checkpoint ready to read: all the files that make it up. */
export interface Checkpoint {
  version: number
  files: string[]
}

export interface LogSegment {
  checkpoint?: Checkpoint
  /** Commit file names after the checkpoint, oldest first, contiguous. */
  commits: { version: number; name: string }[]
  version: number
  /** Commits already read while finding the segment, by version. */
  preloaded?: Map<number, import('./actions').Action[]>
}

/**
 * The complete checkpoints in a listing, newest first. A multi-part checkpoint counts only when
 * every part is present (a writer may have died half-way); of several at one version, a v2
 * checkpoint or a classic one wins over a multi-part set.
 */
export function completeCheckpoints(files: LogFile[]): Checkpoint[] {
  const byVersion = new Map<number, Checkpoint>()
  const parts = new Map<string, Map<number, string>>()
  for (const file of files) {
    if (file.kind !== 'checkpoint') continue
    if (file.format === 'multipart') {
      const key = `${file.version}/${file.parts}`
      const set = parts.get(key) ?? new Map<number, string>()
      set.set(file.part, file.name)
      parts.set(key, set)
      continue
    }
    if (!byVersion.has(file.version) || file.format === 'v2') byVersion.set(file.version, { version: file.version, files: [file.name] })
  }
  for (const [key, set] of parts) {
    const [version, total] = key.split('/').map(Number)
    if (set.size !== total || byVersion.has(version)) continue
    const names = [...set.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name)
    byVersion.set(version, { version, files: names })
  }
  return [...byVersion.values()].sort((a, b) => b.version - a.version)
}

/**
 * Choose the files that rebuild `targetVersion` (or the latest) from a full listing of
 * `_delta_log`. Throws when the versions are not contiguous or the version cannot be rebuilt.
 */
export function logSegmentFromListing(names: string[], table: string, targetVersion?: number, notes: string[] = []): LogSegment {
  const files = names.map(parseLogFileName).filter((f): f is LogFile => f !== undefined)
  const commits = files.filter((f) => f.kind === 'commit').sort((a, b) => a.version - b.version)
  const checkpoints = completeCheckpoints(files)
  // What was skipped, said with any error: the cause is often a damaged checkpoint, not the commits.
  const context = [...notes, ...incompleteCheckpoints(files)].map((n) => `; ${n}`).join('')
  const latest = Math.max(commits.at(-1)?.version ?? -1, checkpoints[0]?.version ?? -1)
  if (latest < 0) {
    if (context) throw new DeltaError('CORRUPT_LOG', `_delta_log has no commits and no complete checkpoint${context}`, { table })
    throw new DeltaError('TABLE_NOT_FOUND', `no Delta table here: _delta_log has no commits or checkpoints`, { table })
  }
  const version = targetVersion ?? latest
  if (version > latest) {
    throw new DeltaError('VERSION_NOT_FOUND', `version ${version} does not exist; the latest version is ${latest}`, { table })
  }
  const checkpoint = checkpoints.find((c) => c.version <= version)
  const from = checkpoint ? checkpoint.version + 1 : 0
  const needed = commits.filter((c) => c.version >= from && c.version <= version)
  const expectedCount = version - from + 1
  if (needed.length !== expectedCount || (needed.length > 0 && needed[0].version !== from)) {
    const earliest = earliestRecoverableVersion(
      commits.map((c) => c.version),
      checkpoints.map((c) => c.version),
    )
    if (needed.length > 0 || checkpoint) {
      const missing = firstGap(
        needed.map((c) => c.version),
        from,
        version,
      )
      throw new DeltaError(
        'CORRUPT_LOG',
        `the log is not contiguous: commit ${commitFileName(missing)} is missing between versions ${from} and ${version}${context}`,
        { table },
      )
    }
    throw new DeltaError(
      'VERSION_NOT_FOUND',
      `version ${version} can no longer be rebuilt (its log was cleaned up); versions ${earliest} to ${latest} are available${context}`,
      { table },
    )
  }
  return { checkpoint, commits: needed.map(({ version, name }) => ({ version, name })), version }
}

/** Multi-part checkpoints with parts missing, described with the first missing part's file name. */
function incompleteCheckpoints(files: LogFile[]): string[] {
  const sets = new Map<string, { version: number; parts: number; have: Set<number> }>()
  for (const f of files) {
    if (f.kind !== 'checkpoint' || f.format !== 'multipart') continue
    const key = `${f.version}/${f.parts}`
    const set = sets.get(key) ?? { version: f.version, parts: f.parts, have: new Set<number>() }
    set.have.add(f.part)
    sets.set(key, set)
  }
  const found: string[] = []
  for (const { version, parts, have } of sets.values()) {
    if (have.size === parts) continue
    const missing = Array.from({ length: parts }, (_, i) => i + 1).filter((p) => !have.has(p))
    found.push(
      `checkpoint ${version} is incomplete and was not used: part ${missing.join(', ')} of ${parts} (_delta_log/${multipartCheckpointFileName(version, missing[0], parts)}) is missing`,
    )
  }
  return found
}

function firstGap(versions: number[], from: number, to: number): number {
  let expected = from
  for (const v of versions) {
    if (v !== expected) return expected
    expected++
  }
  return expected <= to ? expected : to
}

/** The oldest version whose state can be rebuilt: the oldest checkpoint with contiguous commits after it, or 0. */
export function earliestRecoverableVersion(commitVersions: number[], checkpointVersions: number[]): number {
  const commits = new Set(commitVersions)
  const candidates = [...(commits.has(0) ? [0] : []), ...checkpointVersions].sort((a, b) => a - b)
  const latest = Math.max(...commitVersions, ...checkpointVersions)
  for (const start of candidates) {
    let v = start + 1
    while (v <= latest && commits.has(v)) v++
    if (v > latest) return start
  }
  return latest
}
