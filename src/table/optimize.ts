/**
 * OPTIMIZE: bin-packing compaction, as Delta's OPTIMIZE (without ZORDER BY) does. Per partition,
 * the files smaller than the minimum size (and every file with a deletion vector, since rewriting
 * it purges the deleted rows) are sorted by size and packed greedily into bins of at most the
 * target size; each bin of two or more files, or of one file with a deletion vector, is rewritten
 * as one new file. The commit removes the old files and adds the new ones with dataChange=false,
 * so streaming readers and the change data feed see no change. It depends only on the files it
 * rewrites: a concurrent append does not conflict, a concurrent removal of one of them does.
 */
import {
  type Action,
  type ActiveFile,
  type AddFile,
  checkWritable,
  DeltaError,
  fileKey,
  isDeltaError,
  logicalPartitionValues,
  planScan,
  quoteIdentifier,
  type ReadSet,
  resolveLogPath,
  type ScanFile,
  type Snapshot,
  removeFileFor,
} from '../delta'
import { commitTable } from './commit-table'
import { DEFAULT_TARGET_FILE_SIZE, missingFileError, writeDataFiles } from '../engine'
import { dropScan, registerScan } from '../engine'
import type { LakeEngine } from '../engine'

export interface OptimizeOptions {
  /** Largest total input size of a bin, in bytes. Default: `delta.targetFileSize`, else 128 MiB. */
  targetFileSize?: number
  /** Files smaller than this are compacted. Default: the target file size. */
  minFileSize?: number
  /** Optimize this snapshot rather than the latest (the caller already holds one). */
  snapshot?: Snapshot
  /** The partition predicate that chose the snapshot's files (OPTIMIZE … WHERE), recorded in the commit. */
  predicate?: string
  /**
   * ZORDER BY these columns: every file of each partition is rewritten, its rows ordered along a
   * Z-order curve of the columns (their ranks' bits interleaved), into files of the target size.
   */
  zOrderBy?: string[]
  /**
   * REORG TABLE … APPLY (PURGE): only the files with deletion vectors are rewritten (binned as
   * compaction bins them), whatever their size; committed as Spark's 'REORG'.
   */
  purge?: boolean
}

export interface OptimizeBin {
  /** Logical partition column → canonical text (see logicalPartitionValues). */
  partitionValues: Record<string, string | null>
  files: ActiveFile[]
}

export interface OptimizePlan {
  snapshot: Snapshot
  targetFileSize: number
  minFileSize: number
  /** The bins to rewrite, each into one file. Empty: nothing to do. */
  bins: OptimizeBin[]
  predicate?: string
  zOrderBy?: string[]
  purge?: boolean
}

export interface OptimizeResult {
  /** The OPTIMIZE commit; absent when there was nothing to compact. */
  version?: number
  filesRemoved: number
  filesAdded: number
  bytesRemoved: number
  bytesAdded: number
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
}

/** `134217728`, `128mb`, `1GiB` → bytes; undefined when the text is not a whole size above 0. */
export function sizeInBytes(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text)
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined
  const bytes = match && unit !== undefined ? Number(match[1]) * unit : Number.NaN
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined
}

/** `delta.targetFileSize` in bytes: a plain number or a size such as `256mb`; undefined when not set. */
export function tableTargetFileSize(configuration: Record<string, string>, table: string): number | undefined {
  const text = configuration['delta.targetFileSize']
  if (text === undefined) return undefined
  const bytes = sizeInBytes(text)
  if (bytes === undefined) {
    throw new DeltaError('INVALID_ARGUMENT', `table property delta.targetFileSize = '${text}' is not a size in bytes (e.g. 134217728 or 128mb)`, { table })
  }
  return bytes
}

function checkSize(value: number | undefined, name: string, table: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
    throw new DeltaError('INVALID_ARGUMENT', `${name} must be a whole number of bytes > 0, got ${value}`, { table })
  }
}

/** Which files to compact into which bins. Pure: reads nothing but the snapshot. */
export function planOptimize(snapshot: Snapshot, options: Omit<OptimizeOptions, 'snapshot'> = {}): OptimizePlan {
  const { table } = snapshot
  checkSize(options.targetFileSize, 'targetFileSize', table)
  checkSize(options.minFileSize, 'minFileSize', table)
  const targetFileSize = options.targetFileSize ?? tableTargetFileSize(snapshot.metadata.configuration, table) ?? DEFAULT_TARGET_FILE_SIZE
  const minFileSize = options.minFileSize ?? targetFileSize

  const zOrderBy = options.zOrderBy?.length ? zOrderColumns(snapshot, options.zOrderBy) : undefined
  const partitions = new Map<string, OptimizeBin>()
  for (const file of snapshot.files) {
    if (options.purge ? !file.add.deletionVector : !zOrderBy && file.add.size >= minFileSize && !file.add.deletionVector) continue
    const partitionValues = logicalPartitionValues(file.add.partitionValues, snapshot)
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => partitionValues[c]))
    let group = partitions.get(key)
    if (!group) partitions.set(key, (group = { partitionValues, files: [] }))
    group.files.push(file)
  }

  const bins: OptimizeBin[] = []
  for (const group of partitions.values()) {
    const files = [...group.files].sort((a, b) => a.add.size - b.add.size || a.path.localeCompare(b.path))
    let current: ActiveFile[] = []
    let currentSize = 0
    const close = () => {
      if (current.length > 1 || (current.length === 1 && current[0].add.deletionVector)) bins.push({ partitionValues: group.partitionValues, files: current })
      current = []
      currentSize = 0
    }
    for (const file of files) {
      if (current.length > 0 && currentSize + file.add.size > targetFileSize) close()
      current.push(file)
      currentSize += file.add.size
    }
    close()
  }
  if (zOrderBy) {
    // Z-ordering rewrites each partition whole (one bin), even a single file.
    return { snapshot, targetFileSize, minFileSize, bins: [...partitions.values()], predicate: options.predicate, zOrderBy }
  }
  return { snapshot, targetFileSize, minFileSize, bins, predicate: options.predicate, ...(options.purge ? { purge: true } : {}) }
}

/** Compact the table's small files (see the module comment). */
export async function optimize(lake: LakeEngine, table: string, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const snapshot = options.snapshot ?? (await lake.snapshot(table))
  // Refuse before writing anything: commit() would refuse too, but only after the rewrite.
  checkWritable(snapshot.protocol, snapshot.metadata, table)
  const plan = planOptimize(snapshot, options)
  if (plan.bins.length === 0) return { filesRemoved: 0, filesAdded: 0, bytesRemoved: 0, bytesAdded: 0 }

  const scanFiles = new Map(planScan(snapshot).files.map((f) => [f.path, f]))
  const added: AddFile[] = []
  try {
    for (const bin of plan.bins)
      added.push(
        ...(await rewriteBin(
          lake,
          table,
          snapshot,
          bin.files.map((f) => scanFiles.get(f.path)!),
          plan,
        )),
      )
    return await commitOptimize(lake, table, plan, added)
  } catch (error) {
    const failure = (await lostRace(lake, snapshot, plan, error)) ?? error
    // A DeltaError from the write or the commit means nothing was committed: the new files are
    // garbage. (After another error, such as a failed disk write, the commit's fate is unknown:
    // leave the files to VACUUM.)
    if (isDeltaError(failure)) {
      const { storage } = lake.io
      for (const add of added) await storage.delete(resolveLogPath(table, add.path, storage.join, table))
    }
    throw failure
  }
}

/**
 * A file a bin read was gone from the disk. If a later version no longer has it, a concurrent
 * commit removed it and VACUUM deleted it while this OPTIMIZE compacted it: a lost race, reported
 * as a conflict (nothing is committed; running it again works on the new version). If the latest
 * version still has it, the table is damaged: the missing-file error says which file.
 */
async function lostRace(lake: LakeEngine, snapshot: Snapshot, plan: OptimizePlan, error: unknown): Promise<DeltaError | undefined> {
  const missing = isDeltaError(error, 'MISSING_FILE') ? error : missingFileError(error, undefined, snapshot.table)
  if (!missing) return undefined
  const gone = plan.bins.flatMap((bin) => bin.files).find((file) => missing.message.includes(file.path))
  if (!gone) return missing
  const latest = await lake.snapshot(snapshot.table)
  if (latest.files.some((file) => file.path === gone.path)) return missing
  return new DeltaError(
    'COMMIT_CONFLICT',
    `OPTIMIZE read version ${snapshot.version}, but concurrent commits up to version ${latest.version} removed ${gone.path} and VACUUM deleted it while it was being compacted: nothing was committed; run OPTIMIZE again`,
    { table: snapshot.table, retriable: true, cause: error },
  )
}

/** One bin's live rows (deletion vectors applied, partition values as columns) as one new file. */
async function rewriteBin(lake: LakeEngine, table: string, snapshot: Snapshot, files: ScanFile[], plan: OptimizePlan): Promise<AddFile[]> {
  const db = await lake.duckdb()
  const { schema, partitionColumns, columnMapping, version } = snapshot
  const scan = await registerScan(db, lake.io.storage, { table, version, schema, partitionColumns, columnMapping, files })
  try {
    const bytesIn = files.reduce((sum, f) => sum + f.size, 0)
    return await writeDataFiles(lake, table, plan.zOrderBy ? zOrdered(scan.sql, plan.zOrderBy) : scan.sql, {
      schema: snapshot.schema,
      partitionColumns: snapshot.partitionColumns,
      configuration: snapshot.metadata.configuration,
      // Compaction makes a bin one file: never let the writer roll over to a second one.
      targetFileSize: plan.zOrderBy ? plan.targetFileSize : Math.max(bytesIn, 1) * 1024,
      dataChange: false,
      sourceColumns: snapshot.schema.fields.map((f) => f.name),
    })
  } finally {
    await dropScan(db, scan)
  }
}

/** The Z-order columns as the schema spells them: data columns (not partition columns), each once. */
function zOrderColumns(snapshot: Snapshot, names: string[]): string[] {
  const columns = names.map((name) => {
    const field = snapshot.schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
    if (!field)
      throw new DeltaError('INVALID_ARGUMENT', `ZORDER BY ${name}: no such column (columns: ${snapshot.schema.fields.map((f) => f.name).join(', ')})`, {
        table: snapshot.table,
      })
    if (snapshot.partitionColumns.includes(field.name))
      throw new DeltaError('INVALID_ARGUMENT', `ZORDER BY ${field.name}: it is a partition column, and Z-ordering works within partitions`, {
        table: snapshot.table,
      })
    if (typeof field.type !== 'string')
      throw new DeltaError('INVALID_ARGUMENT', `ZORDER BY ${field.name}: only columns of primitive types can be Z-ordered`, { table: snapshot.table })
    return field.name
  })
  if (new Set(columns).size !== columns.length) throw new DeltaError('INVALID_ARGUMENT', `ZORDER BY names a column twice`, { table: snapshot.table })
  return columns
}

/**
 * The rows of `source` along a Z-order curve: each column's rank (NULLs first) scaled to k bits,
 * the bits of all columns interleaved into one key (k = 60 / columns, so the key fits a BIGINT).
 */
function zOrdered(source: string, columns: string[]): string {
  const bits = Math.max(1, Math.floor(60 / columns.length))
  const ranks = columns.map((c, i) => `CAST(floor(percent_rank() OVER (ORDER BY ${quoteIdentifier(c)} NULLS FIRST) * ${2 ** bits - 1}) AS UBIGINT) AS __z${i}`)
  const terms: string[] = []
  for (let bit = 0; bit < bits; bit++) {
    for (let i = 0; i < columns.length; i++) terms.push(`(((__z${i} >> ${bit}) & 1) << ${bit * columns.length + i})`)
  }
  return `(SELECT * FROM (SELECT *, ${ranks.join(', ')} FROM ${source}) ORDER BY ${terms.join(' | ')})`
}

/** Commit a plan's rewrite: remove every file of its bins, add `added`, all with dataChange=false. */
export async function commitOptimize(lake: LakeEngine, table: string, plan: OptimizePlan, added: AddFile[]): Promise<OptimizeResult> {
  const { snapshot } = plan
  const removed = plan.bins.flatMap((bin) => bin.files)
  const now = Date.now()
  const actions: Action[] = [...removed.map(({ add }): Action => ({ remove: removeFileFor(add, now, false) })), ...added.map((add): Action => ({ add }))]
  // OPTIMIZE depends on the files it rewrites and nothing else: appends may land meanwhile.
  const readSet: ReadSet = { files: new Set(removed.map((f) => fileKey(f.path, f.add))), readData: false, appIds: new Set() }
  const bytesRemoved = removed.reduce((sum, f) => sum + f.add.size, 0)
  const bytesAdded = added.reduce((sum, f) => sum + f.size, 0)
  const result = await commitTable(lake, {
    table,
    snapshot,
    actions,
    operation: plan.purge ? 'REORG' : 'OPTIMIZE',
    operationParameters: plan.purge
      ? { predicate: JSON.stringify(plan.predicate ? [plan.predicate] : []), applyPurge: 'true' }
      : { predicate: JSON.stringify(plan.predicate ? [plan.predicate] : []), zOrderBy: JSON.stringify(plan.zOrderBy ?? []) },
    operationMetrics: {
      numRemovedFiles: String(removed.length),
      numAddedFiles: String(added.length),
      numRemovedBytes: String(bytesRemoved),
      numAddedBytes: String(bytesAdded),
      numDeletionVectorsRemoved: String(removed.filter((f) => f.add.deletionVector).length),
    },
    readSet,
  })
  return { version: result.version, filesRemoved: removed.length, filesAdded: added.length, bytesRemoved, bytesAdded }
}
