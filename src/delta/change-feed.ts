/**
 * Planning a Change Data Feed read (table_changes): which files yield which change rows for the
 * commits in a version range, following the protocol:
 * - a commit with `cdc` actions is read only from its change data files (their `_change_type`
 *   column says what each row is);
 * - otherwise its `add`s with dataChange are inserts and its `remove`s with dataChange are
 *   deletes, less the rows their deletion vectors mark;
 * - a remove and an add of the same file in one commit are a deletion-vector update: rows newly
 *   marked are deletes, rows no longer marked (a restore) are inserts;
 * - actions with dataChange=false (OPTIMIZE, compaction) yield nothing.
 * `_commit_timestamp` is the in-commit timestamp when the table records one, otherwise
 * commitInfo.timestamp (as delta-rs), otherwise the commit file's modification time.
 */
import { type Action, type AddFile, type DeletionVectorDescriptor, type Metadata, parseCommit, type RemoveFile } from './actions'
import type { Engine } from './engine'
import { DeltaError } from './errors'
import { isChangeDataFeedEnabled } from './features'
import { commitFileName } from './log-files'
import { resolveLogPath } from './paths'
import { logicalPartitionValues } from './scan'
import { type ColumnMappingMode, type StructType } from './schema'
import { commitTimestamp, firstVersionAtOrAfter, loadSnapshot, logDirectory, mapLimited, versionAtTimestamp, type Snapshot } from './snapshot'

export type ChangeType = 'insert' | 'delete' | 'update_preimage' | 'update_postimage'

export interface ChangeFeedRange {
  startVersion?: number
  endVersion?: number
  /** ms since epoch: from the first commit at or after it. */
  startTimestamp?: number
  /** ms since epoch: up to the last commit at or before it. */
  endTimestamp?: number
}

/** Which rows of a data file a change entry takes, by file row index. */
export type RowSelection =
  | { kind: 'all-but'; deletionVector?: DeletionVectorDescriptor | null }
  | { kind: 'only'; marked: DeletionVectorDescriptor; unless?: DeletionVectorDescriptor | null }

export interface ChangeFile {
  path: string
  partitionValues: Record<string, string | null>
  version: number
  timestamp: number
  /** Set for add/remove-derived rows; change data files carry `_change_type` themselves. */
  changeType?: 'insert' | 'delete'
  selection?: RowSelection
}

export interface ChangeFeedPlan {
  table: string
  startVersion: number
  endVersion: number
  schema: StructType
  partitionColumns: string[]
  columnMapping: ColumnMappingMode
  /** Change data files (`cdc` actions). */
  changeDataFiles: ChangeFile[]
  /** Rows derived from add and remove actions. */
  dataFiles: ChangeFile[]
}

/**
 * `latest`: the table's latest snapshot when the caller already has it (a cached one), else it is
 * loaded; the range's commits are kept with a given one (see keptCommits).
 */
export async function planChangeFeed(engine: Engine, table: string, range: ChangeFeedRange, latestSnapshot?: Snapshot): Promise<ChangeFeedPlan> {
  const latest = latestSnapshot ?? (await loadSnapshot(engine, table))
  const { startVersion, endVersion } = await resolveRange(engine, table, latest, range)
  const end = endVersion === latest.version ? latest : await loadSnapshot(engine, table, { version: endVersion })
  const commits = await readCommits(engine, table, startVersion, endVersion, latestSnapshot)
  // The table's metadata as of the start: the end's when no commit after the start changed it
  // up to the end (the usual case: no second snapshot to load), else loaded.
  const changedAfterStart = commits.some((c) => c.version > startVersion && c.actions.some((a) => 'metaData' in a))
  const start = changedAfterStart ? await loadSnapshot(engine, table, { version: startVersion }) : end

  const plan: ChangeFeedPlan = {
    table,
    startVersion,
    endVersion,
    schema: end.schema,
    partitionColumns: end.partitionColumns,
    columnMapping: end.columnMapping,
    changeDataFiles: [],
    dataFiles: [],
  }
  const resolve = (p: string) => resolveLogPath(table, p, engine.storage.join, table)
  const partitions = (raw: Record<string, string | null> | null | undefined) => logicalPartitionValues(raw ?? {}, end)
  let metadata: Metadata = start.metadata
  for (const { version, actions, timestamp } of commits) {
    const newMetadata = actions.find((a): a is { metaData: Metadata } => 'metaData' in a)
    if (newMetadata && version > startVersion) metadata = newMetadata.metaData
    const cdc = actions.flatMap((a) => ('cdc' in a ? [a.cdc] : []))
    const adds = actions.flatMap((a) => ('add' in a && a.add.dataChange ? [a.add] : []))
    const removes = actions.flatMap((a) => ('remove' in a && a.remove.dataChange ? [a.remove] : []))
    if (cdc.length + adds.length + removes.length === 0) continue
    if (!isChangeDataFeedEnabled(metadata)) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `the change data feed is not enabled at version ${version} (set delta.enableChangeDataFeed = true; changes are recorded only from then on)`,
        { table },
      )
    }
    if (cdc.length > 0) {
      for (const file of cdc) plan.changeDataFiles.push({ path: resolve(file.path), partitionValues: partitions(file.partitionValues), version, timestamp })
      continue
    }
    plan.dataFiles.push(...dataChanges(adds, removes, version, timestamp, resolve, partitions))
  }
  return plan
}

interface RangeCommit {
  version: number
  actions: Action[]
  timestamp: number
}

/**
 * Commits read for change feeds, kept with the latest snapshot the caller passed (the engine's
 * cached one: it stays the same object only while the log shows no newer commit and its last
 * commit file is unchanged). Below that version the log is immutable, so reading the same
 * versions again while the snapshot stands would parse the same commits; a snapshot replaced by a
 * newer one starts empty. Commits over KEPT_COMMIT_BYTES in all are not kept.
 */
const keptCommits = new WeakMap<Snapshot, { commits: Map<number, RangeCommit>; bytes: number }>()
const KEPT_COMMIT_BYTES = 16 * 1024 * 1024
const decoder = new TextDecoder()

async function readCommits(engine: Engine, table: string, startVersion: number, endVersion: number, latest?: Snapshot): Promise<RangeCommit[]> {
  let kept = latest && keptCommits.get(latest)
  if (latest && !kept) keptCommits.set(latest, (kept = { commits: new Map(), bytes: 0 }))
  const versions = Array.from({ length: endVersion - startVersion + 1 }, (_, i) => startVersion + i)
  return mapLimited(versions, 16, async (version) => {
    const known = kept?.commits.get(version)
    if (known) return known
    const name = commitFileName(version)
    const bytes = await engine.storage.read(engine.storage.join(logDirectory(engine, table), name))
    const actions = bytes ? parseCommit(decoder.decode(bytes), `${table}/_delta_log/${name}`) : []
    if (actions.length === 0) {
      throw new DeltaError('VERSION_NOT_FOUND', `the change data of version ${version} is no longer available: its commit file ${name} was cleaned up`, {
        table,
      })
    }
    // The file's time only when the commit records none.
    const timestamp = commitTimestamp(actions) ?? (await engine.storage.stat(engine.storage.join(logDirectory(engine, table), name)))?.modificationTime ?? 0
    const commit = { version, actions, timestamp }
    if (kept && kept.bytes + bytes!.length <= KEPT_COMMIT_BYTES) {
      kept.commits.set(version, commit)
      kept.bytes += bytes!.length
    }
    return commit
  })
}

function dataChanges(
  adds: AddFile[],
  removes: RemoveFile[],
  version: number,
  timestamp: number,
  resolve: (p: string) => string,
  partitions: (raw: Record<string, string | null> | null | undefined) => Record<string, string | null>,
): ChangeFile[] {
  const changes: ChangeFile[] = []
  const removedByPath = new Map(removes.map((r) => [resolve(r.path), r]))
  const paired = new Set<string>()
  for (const add of adds) {
    const path = resolve(add.path)
    const removed = removedByPath.get(path)
    const base = { path, partitionValues: partitions(add.partitionValues), version, timestamp }
    if (!removed) {
      changes.push({ ...base, changeType: 'insert', selection: { kind: 'all-but', deletionVector: add.deletionVector } })
      continue
    }
    // The same file before and after: only the rows whose deletion marks changed are changes.
    paired.add(path)
    if (add.deletionVector) {
      changes.push({ ...base, changeType: 'delete', selection: { kind: 'only', marked: add.deletionVector, unless: removed.deletionVector } })
    }
    if (removed.deletionVector) {
      changes.push({ ...base, changeType: 'insert', selection: { kind: 'only', marked: removed.deletionVector, unless: add.deletionVector } })
    }
  }
  for (const [path, remove] of removedByPath) {
    if (paired.has(path)) continue
    changes.push({
      path,
      partitionValues: partitions(remove.partitionValues),
      version,
      timestamp,
      changeType: 'delete',
      selection: { kind: 'all-but', deletionVector: remove.deletionVector },
    })
  }
  return changes
}

async function resolveRange(engine: Engine, table: string, latest: Snapshot, range: ChangeFeedRange): Promise<{ startVersion: number; endVersion: number }> {
  let startVersion = range.startVersion ?? 0
  if (range.startTimestamp !== undefined) {
    if (range.startTimestamp > latest.timestamp) {
      throw new DeltaError(
        'TIMESTAMP_OUT_OF_RANGE',
        `the starting timestamp ${new Date(range.startTimestamp).toISOString()} is after the latest commit (version ${latest.version} at ${new Date(latest.timestamp).toISOString()})`,
        { table },
      )
    }
    startVersion = await firstVersionAtOrAfter(engine, table, range.startTimestamp)
  }
  let endVersion = range.endVersion ?? latest.version
  if (range.endTimestamp !== undefined) endVersion = await versionAtTimestamp(engine, table, range.endTimestamp)
  if (!Number.isInteger(startVersion) || startVersion < 0)
    throw new DeltaError('INVALID_ARGUMENT', `the start version must be a whole number >= 0, got ${startVersion}`, { table })
  if (startVersion > latest.version) {
    throw new DeltaError('VERSION_NOT_FOUND', `the start version ${startVersion} is after the latest version ${latest.version}`, { table })
  }
  if (endVersion < startVersion) {
    throw new DeltaError('INVALID_ARGUMENT', `the start version ${startVersion} cannot be greater than the end version ${endVersion}`, { table })
  }
  return { startVersion, endVersion: Math.min(endVersion, latest.version) }
}
