/**
 * VACUUM: delete the files under a table's root that no version within the retention period
 * needs. A file is kept when a live `add` names it (data file or deletion vector file), or when a
 * tombstone younger than the retention names it (time travel to those versions still works).
 * Everything else goes, but only once its modification time is older than the retention too. A file
 * no commit of the snapshot names at all (neither added nor removed) may be one another writer has
 * just written and not yet committed: it is kept for at least UNCOMMITTED_FILE_GRACE_MS whatever the
 * retention, so even a forced zero retention never deletes a file the next commit will add.
 *
 * Skipped, as Spark skips them: `_delta_log`, and names starting with '.' or '_' (`_SUCCESS`,
 * `.crc` and temporary files), except `_change_data` (change data files, referenced by no
 * snapshot, deleted once old) and partition directories such as `_p=1`.
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import {
  checkReadable,
  DEFAULT_DELETED_FILE_RETENTION_MS,
  type DeletionVectorDescriptor,
  deletionVectorRelativePath,
  DeltaError,
  physicalName,
  resolveLogPath,
  type Snapshot,
  SUPPORTED_READER_FEATURES,
  SUPPORTED_WRITER_FEATURES,
  tableDuration,
  writerFeatures,
} from '../delta'
import type { LakeEngine } from '../engine'

export interface VacuumOptions {
  /** Keep what versions of the last `retentionHours` need. Default: `delta.deletedFileRetentionDuration`, else 7 days. */
  retentionHours?: number
  /** Allow a retention shorter than the table's (Spark's retentionDurationCheck.enabled = false). */
  force?: boolean
  /** List what would be deleted, delete nothing. */
  dryRun?: boolean
  /** The current time (ms since epoch); for tests. */
  now?: number
}

export interface VacuumResult {
  /** Deleted (or, in a dry run, deletable) files, relative to the table root with '/' separators. */
  filesDeleted: string[]
  bytesDeleted: number
  /** Directories left empty and removed (or that would be), relative to the table root. */
  directoriesDeleted: string[]
  dryRun: boolean
  /** Files younger than this instant (ms since epoch) and tombstones deleted after it were kept. */
  retentionCutoff: number
}

const HOUR_MS = 3_600_000
/** The youngest a file unknown to the log may be to be deleted: longer than any write takes to commit. */
export const UNCOMMITTED_FILE_GRACE_MS = HOUR_MS

/**
 * Vacuum must understand every way the table references files. Reader features we read in full
 * qualify (deletion vectors, column mapping, ...) as do the writer features we write; with
 * `vacuumProtocolCheck` the protocol requires exactly this check of writer features, and without
 * it we make it anyway, since an unknown writer feature may reference files in ways we cannot see.
 */
export function checkVacuumable(snapshot: Snapshot): void {
  const { protocol, table } = snapshot
  checkReadable(protocol, table)
  if (protocol.minWriterVersion > 7 || protocol.minWriterVersion < 1) {
    throw new DeltaError(
      'UNSUPPORTED_PROTOCOL',
      `writer version ${protocol.minWriterVersion} is not supported (this writer supports 1 to 7); VACUUM needs it`,
      { table },
    )
  }
  const unknown = writerFeatures(protocol).filter((f) => !SUPPORTED_WRITER_FEATURES.has(f) && !SUPPORTED_READER_FEATURES.has(f))
  if (unknown.length > 0) {
    throw new DeltaError(
      'UNSUPPORTED_WRITER_FEATURE',
      `VACUUM cannot run: the table needs writer feature(s) ${unknown.map((f) => `'${f}'`).join(', ')}, which this implementation does not know, so it cannot tell which files they need`,
      { table },
    )
  }
}

export async function vacuum(lake: LakeEngine, table: string, options: VacuumOptions = {}): Promise<VacuumResult> {
  const snapshot = await lake.snapshot(table)
  checkVacuumable(snapshot)
  const configured = tableDuration(snapshot.metadata.configuration, 'delta.deletedFileRetentionDuration', DEFAULT_DELETED_FILE_RETENTION_MS)
  let retention = configured
  if (options.retentionHours !== undefined) {
    if (!Number.isFinite(options.retentionHours) || options.retentionHours < 0) {
      throw new DeltaError('INVALID_ARGUMENT', `retentionHours must be a number >= 0, got ${options.retentionHours}`, { table })
    }
    retention = options.retentionHours * HOUR_MS
  }
  if (retention < configured && !options.force) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `a retention of ${formatHours(retention)} is shorter than the table's ${formatHours(configured)} (delta.deletedFileRetentionDuration, default 7 days): ` +
        'VACUUM could delete files that running readers or uncommitted writes still use, and time travel to older versions would fail. ' +
        'Force it (the force option, --force on the command line) only if no operation on this table is running or can still need those versions',
      { table },
    )
  }
  const now = options.now ?? Date.now()
  const cutoff = now - retention

  const root = path.resolve(table)
  const resolve = (logPath: string) => path.resolve(resolveLogPath(table, logPath, lake.io.storage.join, table))
  const needed = new Set<string>()
  const keep = (file: { path: string; deletionVector?: DeletionVectorDescriptor | null }) => {
    needed.add(resolve(file.path))
    const dv = file.deletionVector ? deletionVectorRelativePath(file.deletionVector) : undefined
    if (dv !== undefined) needed.add(resolve(dv))
  }
  for (const { add } of snapshot.files) keep(add)
  const removed = new Set<string>()
  for (const remove of snapshot.tombstones) {
    if ((remove.deletionTimestamp ?? 0) >= cutoff) keep(remove)
    else {
      removed.add(resolve(remove.path))
      // Its DV file too: a commit named it, so it is no write in progress (the grace below is not for it).
      const dv = remove.deletionVector ? deletionVectorRelativePath(remove.deletionVector) : undefined
      if (dv !== undefined) removed.add(resolve(dv))
    }
  }
  const uncommittedCutoff = Math.min(cutoff, now - UNCOMMITTED_FILE_GRACE_MS)

  const partitionPrefixes = snapshot.partitionColumns.map((name) => {
    const field = snapshot.schema.fields.find((f) => f.name === name)
    return `${field ? physicalName(field, snapshot.columnMapping) : name}=`
  })
  const hidden = (name: string, atRoot: boolean) =>
    (atRoot && (name === '_delta_log' || name === 'metadata')) ||
    name.startsWith('.') ||
    (name.startsWith('_') && !name.startsWith('_change_data') && !partitionPrefixes.some((p) => name.startsWith(p)))

  const result: VacuumResult = { filesDeleted: [], bytesDeleted: 0, directoriesDeleted: [], dryRun: options.dryRun ?? false, retentionCutoff: cutoff }
  const deletable: string[] = []
  const directories: string[] = []

  /** Walk a directory; true when everything in it is deletable (so it will be left empty). */
  const walk = async (directory: string): Promise<boolean> => {
    let entries
    try {
      entries = await fs.readdir(directory, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw error
    }
    let emptied = true
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(directory, entry.name)
      if (hidden(entry.name, directory === root)) {
        emptied = false
        continue
      }
      if (entry.isDirectory()) {
        const info = await fs.stat(full).catch(() => undefined)
        // A fresh directory may be one a writer has just made for a file it is about to write.
        if ((await walk(full)) && info && info.mtimeMs < cutoff) directories.push(full)
        else emptied = false
        continue
      }
      if (!entry.isFile() || needed.has(full)) {
        emptied = false
        continue
      }
      const info = await fs.stat(full).catch(() => undefined)
      if (!info || info.mtimeMs >= (removed.has(full) ? cutoff : uncommittedCutoff)) {
        emptied = false
        continue
      }
      deletable.push(full)
      result.bytesDeleted += info.size
    }
    return emptied
  }
  await walk(root)

  const relative = (file: string) => path.relative(root, file).split(path.sep).join('/')
  result.filesDeleted = deletable.map(relative)
  result.directoriesDeleted = directories.map(relative)
  if (result.dryRun) return result

  for (const file of deletable) await fs.rm(file, { force: true })
  // Deepest first (walk lists a directory after its subdirectories). rmdir refuses a directory
  // that is no longer empty: whatever appeared in it meanwhile stays.
  for (const directory of directories) {
    try {
      await fs.rmdir(directory)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error
      result.directoriesDeleted = result.directoriesDeleted.filter((d) => d !== relative(directory))
    }
  }
  return result
}

function formatHours(ms: number): string {
  const hours = ms / HOUR_MS
  return hours >= 24 && hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hour${hours === 1 ? '' : 's'}`
}
