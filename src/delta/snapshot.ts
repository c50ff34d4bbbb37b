/**
 * Loading a snapshot: the table's state at one version, rebuilt from the newest usable
 * checkpoint and the commits after it.
 */
import {
  parseCommit,
  toAction,
  type Action,
  type AddFile,
  type CommitInfo,
  type DomainMetadata,
  type Metadata,
  type Protocol,
  type RemoveFile,
  type Txn,
} from './actions'
import type { Engine } from './engine'
import { DeltaError } from './errors'
import { checkReadable } from './features'
import {
  commitFileName,
  classicCheckpointFileName,
  multipartCheckpointFileName,
  logSegmentFromListing,
  parseLogFileName,
  type Checkpoint,
  type LogSegment,
} from './log-files'
import { LogReplay } from './log-replay'
import { resolveLogPath } from './paths'
import { columnMappingMode, parseSchema, type ColumnMappingMode, type StructType } from './schema'

const decoder = new TextDecoder()

export interface ActiveFile {
  /** Storage path, resolved and percent-decoded. */
  path: string
  add: AddFile
}

export interface Snapshot {
  table: string
  version: number
  protocol: Protocol
  metadata: Metadata
  schema: StructType
  partitionColumns: string[]
  columnMapping: ColumnMappingMode
  files: ActiveFile[]
  tombstones: RemoveFile[]
  /** appId → txn, e.g. the last Kafka offset an ingest job committed for a partition. */
  txns: Map<string, Txn>
  domains: Map<string, DomainMetadata>
  /** When the snapshot's version was committed (ms since epoch); see `commitTimestamp`. */
  timestamp: number
  /** What replay read: for diagnostics and the snapshot benchmark. */
  segment: { checkpointVersion?: number; commitsRead: number }
}

export interface SnapshotOptions {
  version?: number
  /** Load the newest version committed at or before this instant (ms since epoch). */
  timestamp?: number
}

export function logDirectory(engine: Engine, table: string): string {
  return engine.storage.join(table, '_delta_log')
}

/** The versions of the commit files in the table's log, ascending; refused when there is no log. */
export async function commitVersions(engine: Engine, table: string): Promise<number[]> {
  const names = await engine.storage.list(logDirectory(engine, table))
  if (!names) throw new DeltaError('TABLE_NOT_FOUND', 'not a Delta table: it has no _delta_log folder', { table })
  return names
    .flatMap((name) => {
      const file = parseLogFileName(name)
      return file?.kind === 'commit' ? [file.version] : []
    })
    .sort((a, b) => a - b)
}

export async function loadSnapshot(engine: Engine, table: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  let version = options.version
  if (options.timestamp !== undefined) version = await versionAtTimestamp(engine, table, options.timestamp)
  if (version !== undefined && (!Number.isInteger(version) || version < 0)) {
    throw new DeltaError('INVALID_ARGUMENT', `version must be a whole number >= 0, got ${version}`, { table })
  }
  const notes: string[] = []
  const segment = (await segmentFromLastCheckpoint(engine, table, version, notes)) ?? (await segmentFromListing(engine, table, version, notes))
  return replaySegment(engine, table, segment)
}

/** Pure listing-based segment: the fallback whenever `_last_checkpoint` is absent, stale or broken. */
async function segmentFromListing(engine: Engine, table: string, version?: number, notes: string[] = []): Promise<LogSegment> {
  const listing = await engine.storage.list(logDirectory(engine, table))
  if (!listing) {
    const root = await engine.storage.list(table)
    const what = root ? 'it has no _delta_log folder' : 'the folder does not exist'
    throw new DeltaError('TABLE_NOT_FOUND', `not a Delta table: ${what}`, { table })
  }
  return logSegmentFromListing(listing, table, version, notes)
}

/**
 * Fast path: `_last_checkpoint` names a checkpoint, and the commits after it are found by reading
 * `version+1`, `version+2`, … until one is missing. The cost grows with the commits since the
 * checkpoint, not with the table's age. Returns undefined to fall back to a listing.
 */
/** How many versions past a missing commit are probed for a gap (see segmentFromLastCheckpoint). */
const GAP_PROBES = 3

async function segmentFromLastCheckpoint(engine: Engine, table: string, target?: number, notes: string[] = []): Promise<LogSegment | undefined> {
  const { storage } = engine
  const logDir = logDirectory(engine, table)
  const bytes = await storage.read(storage.join(logDir, '_last_checkpoint'))
  if (!bytes) return undefined
  let hint: { version?: unknown; parts?: unknown; v2Checkpoint?: { path?: unknown } }
  try {
    hint = JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
  if (!hint || typeof hint !== 'object') return undefined
  const checkpointVersion = hint.version
  if (typeof checkpointVersion !== 'number' || !Number.isInteger(checkpointVersion) || checkpointVersion < 0) return undefined
  if (target !== undefined && target < checkpointVersion) return undefined
  let files: string[]
  if (typeof hint.v2Checkpoint?.path === 'string') files = [hint.v2Checkpoint.path]
  else if (typeof hint.parts === 'number' && hint.parts > 1) {
    files = Array.from({ length: hint.parts }, (_, i) => multipartCheckpointFileName(checkpointVersion, i + 1, hint.parts as number))
  } else files = [classicCheckpointFileName(checkpointVersion)]
  const commits: LogSegment['commits'] = []
  const preloaded = new Map<number, Action[]>()
  // The commits are read in growing windows (1, 2, 4, … 32 at once) until one is missing: one read
  // when nothing is new, a few waits rather than one per commit when many are. What a window read
  // past the missing one is ignored, unparsed, as if the walk had stopped there.
  const walk = async () => {
    for (let next = checkpointVersion + 1, width = 1; ; next += width, width = Math.min(width * 2, 32)) {
      const count = target === undefined ? width : Math.min(width, target - next + 1)
      if (count <= 0) return
      const versions = Array.from({ length: count }, (_, i) => next + i)
      const bodies = await Promise.all(versions.map((v) => storage.read(storage.join(logDir, commitFileName(v)))))
      for (let i = 0; i < count; i++) {
        const body = bodies[i]
        if (!body) return
        const name = commitFileName(versions[i])
        preloaded.set(versions[i], parseCommit(decoder.decode(body), `${table}/_delta_log/${name}`))
        commits.push({ version: versions[i], name })
      }
    }
  }
  // The checkpoint's files are checked while the commits after it are read.
  const [present] = await Promise.all([Promise.all(files.map((file) => storage.stat(storage.join(logDir, file)))), walk()])
  const missing = files.find((_, i) => !present[i])
  if (missing !== undefined) {
    notes.push(`_delta_log/_last_checkpoint names checkpoint ${checkpointVersion}, but _delta_log/${missing} is missing`)
    return undefined
  }
  const version = commits.at(-1)?.version ?? checkpointVersion
  if (target !== undefined && version !== target) return undefined
  // A missing commit ends the walk; a newer one just beyond it means a gap in the log, not the
  // end: the listing then reports it instead of this quietly answering an old version as the
  // latest. Probing the next GAP_PROBES versions, not listing the log, keeps a load's cost
  // growing with the commits since the checkpoint rather than with the log's length.
  if (target === undefined) {
    const probes = Array.from({ length: GAP_PROBES }, (_, i) => storage.stat(storage.join(logDir, commitFileName(version + 2 + i))))
    if ((await Promise.all(probes)).some((info) => info !== undefined)) return undefined
  }
  return { checkpoint: { version: checkpointVersion, files }, commits, version, preloaded }
}

const PLAIN_RELATIVE = /^(?:[A-Za-z0-9_][A-Za-z0-9_.=-]*\/)*[A-Za-z0-9_][A-Za-z0-9_.=-]*$/

async function replaySegment(engine: Engine, table: string, segment: LogSegment): Promise<Snapshot> {
  const { storage } = engine
  // Each live file's path is resolved twice (replay's key, the snapshot's file list): once is enough.
  const resolved = new Map<string, string>()
  // A relative path of plain segments (no escapes, no '.' or '..', no scheme) is the table's path
  // and a separator before it: no need to parse and normalise it.
  const prefix = storage.join(table, 'x').slice(0, -1)
  const resolve = (p: string) => {
    let path = resolved.get(p)
    if (path === undefined) resolved.set(p, (path = PLAIN_RELATIVE.test(p) ? prefix + p : resolveLogPath(table, p, storage.join, table)))
    return path
  }
  const replay = new LogReplay(resolve)
  // The commits, the checkpoint and (with no commit after it) the checkpoint's own commit, for its
  // timestamp, are read at once: one wait instead of three.
  const [commitActions, checkpointActions, checkpointCommit] = await Promise.all([
    mapLimited(segment.commits, 16, async (c) => segment.preloaded?.get(c.version) ?? readCommit(engine, table, c.version)),
    segment.checkpoint ? readCheckpoint(engine, table, segment.checkpoint) : undefined,
    segment.commits.length === 0 ? readCommit(engine, table, segment.version, true) : undefined,
  ])
  for (let i = commitActions.length - 1; i >= 0; i--) replay.apply(commitActions[i])
  if (checkpointActions) replay.apply(checkpointActions, true)

  const { protocol, metadata } = replay.state
  const where = segment.checkpoint ? `checkpoint ${segment.checkpoint.version} and the commits up to ${segment.version}` : `commits 0 to ${segment.version}`
  if (!protocol) throw new DeltaError('CORRUPT_LOG', `no protocol action found in ${where}`, { table })
  if (!metadata) throw new DeltaError('CORRUPT_LOG', `no metaData action found in ${where}`, { table })
  checkReadable(protocol, table)
  const schema = parseSchema(metadata.schemaString, table)
  const mapping = columnMappingMode(metadata.configuration)

  const lastCommit = commitActions.at(-1) ?? checkpointCommit ?? []
  const files = [...replay.state.files.values()].map((add) => ({ path: resolve(add.path), add }))
  return {
    table,
    version: segment.version,
    protocol,
    metadata,
    schema,
    partitionColumns: metadata.partitionColumns,
    columnMapping: mapping,
    files,
    tombstones: [...replay.state.tombstones.values()],
    txns: replay.state.txns,
    domains: replay.state.domains,
    timestamp: commitTimestamp(lastCommit) ?? (await fileTimestamp(engine, table, segment.version)) ?? 0,
    segment: { checkpointVersion: segment.checkpoint?.version, commitsRead: segment.commits.length },
  }
}

/** A commit's actions; `optional`: a missing file gives [] (a checkpoint may outlive its commit). */
export async function readCommit(engine: Engine, table: string, version: number, optional = false): Promise<Action[]> {
  const name = commitFileName(version)
  const bytes = await engine.storage.read(engine.storage.join(logDirectory(engine, table), name))
  if (!bytes) {
    if (optional) return []
    throw new DeltaError('CORRUPT_LOG', `commit file _delta_log/${name} disappeared while the table was being read`, { table })
  }
  return parseCommit(decoder.decode(bytes), `${table}/_delta_log/${name}`)
}

async function readCheckpoint(engine: Engine, table: string, checkpoint: Checkpoint): Promise<Action[]> {
  const { storage } = engine
  const logDir = logDirectory(engine, table)
  const actions: Action[] = []
  for (const file of checkpoint.files) {
    actions.push(...(await readActionFile(engine, table, storage.join(logDir, file), `_delta_log/${file}`)))
  }
  const sidecars = actions.flatMap((a) => ('sidecar' in a ? [a.sidecar] : []))
  for (const sidecar of sidecars) {
    const path = /^[a-z]+:|^\//i.test(sidecar.path)
      ? resolveLogPath(table, sidecar.path, storage.join, table)
      : storage.join(storage.join(logDir, '_sidecars'), sidecar.path)
    actions.push(...(await readActionFile(engine, table, path, `sidecar ${sidecar.path}`)))
  }
  return actions
}

async function readActionFile(engine: Engine, table: string, path: string, label: string): Promise<Action[]> {
  if (path.endsWith('.json')) {
    const bytes = await engine.storage.read(path)
    if (!bytes) throw new DeltaError('MISSING_FILE', `${label} is missing`, { table })
    return parseCommit(decoder.decode(bytes), `${table}/${label}`)
  }
  let records: Record<string, unknown>[]
  try {
    records = await engine.parquet.readRecords(path)
  } catch (cause) {
    throw new DeltaError('CORRUPT_LOG', `${label} cannot be read: ${(cause as Error).message}`, { table, cause })
  }
  return records.map(toAction).filter((a): a is Action => a !== undefined)
}

/**
 * When a commit happened: the in-commit timestamp when the table records one, otherwise the
 * commitInfo timestamp. (Spark falls back to file modification times; our writer keeps the two
 * in step, and copies of a table keep their commitInfo but not their file times.)
 */
export function commitTimestamp(actions: Action[]): number | undefined {
  const info = actions.find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo
  if (!info) return undefined
  if (typeof info.inCommitTimestamp === 'number') return info.inCommitTimestamp
  return typeof info.timestamp === 'number' ? info.timestamp : undefined
}

async function fileTimestamp(engine: Engine, table: string, version: number): Promise<number | undefined> {
  const info = await engine.storage.stat(engine.storage.join(logDirectory(engine, table), commitFileName(version)))
  return info?.modificationTime
}

/** The newest version committed at or before `timestamp`. */
export async function versionAtTimestamp(engine: Engine, table: string, timestamp: number): Promise<number> {
  const found = await searchCommitTimestamps(engine, table, (ts) => ts <= timestamp)
  if (found.version === undefined) {
    throw new DeltaError(
      'TIMESTAMP_OUT_OF_RANGE',
      `no version was committed at or before ${new Date(timestamp).toISOString()}; the earliest available commit (version ${found.earliest}) is at ${new Date(found.earliestTimestamp).toISOString()}`,
      { table },
    )
  }
  return found.version
}

/** The first version committed at or after `timestamp`: the one after the newest commit before it. */
export async function firstVersionAtOrAfter(engine: Engine, table: string, timestamp: number): Promise<number> {
  const found = await searchCommitTimestamps(engine, table, (ts) => ts < timestamp)
  return found.version === undefined ? found.earliest : found.version + 1
}

/**
 * Binary search over the commits in the log for the last version whose timestamp satisfies
 * `before` (true for older commits, false for newer ones). Commit timestamps are monotonic for
 * tables we write; for others the search still ends, as other engines' searches do.
 */
async function searchCommitTimestamps(
  engine: Engine,
  table: string,
  before: (timestamp: number) => boolean,
): Promise<{ version?: number; earliest: number; earliestTimestamp: number }> {
  const listing = await engine.storage.list(logDirectory(engine, table))
  if (!listing) throw new DeltaError('TABLE_NOT_FOUND', `not a Delta table: it has no _delta_log folder`, { table })
  const versions = listing
    .map((name) => /^(\d{20})\.json$/.exec(name))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
  if (versions.length === 0) throw new DeltaError('TABLE_NOT_FOUND', `no commits in _delta_log`, { table })
  const at = async (i: number) => {
    const ts = commitTimestamp(await readCommit(engine, table, versions[i]))
    return ts ?? (await fileTimestamp(engine, table, versions[i])) ?? 0
  }
  let lo = 0
  let hi = versions.length - 1
  let found: number | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (before(await at(mid))) {
      found = versions[mid]
      lo = mid + 1
    } else hi = mid - 1
  }
  return { version: found, earliest: versions[0], earliestTimestamp: found === undefined ? await at(0) : 0 }
}

/** Run `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i])
    }
  })
  await Promise.all(workers)
  return results
}
