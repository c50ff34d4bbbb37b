/**
 * Merge-on-read changes: instead of rewriting a data file that holds changed rows, mark those
 * rows in the file's deletion vector (the rows its old DV marked stay marked). The file is then
 * removed (with its old DV) and added again (with the new one) in the same commit, as Delta does;
 * a file whose every row ends up marked is only removed. Small bitmaps go inline in the log, the
 * rest into one DV file per commit at the table root.
 */
import { randomUUID } from 'node:crypto'
import {
  type ActiveFile,
  type AddFile,
  type DeletionVectorDescriptor,
  deletionVectorFile,
  DeltaError,
  inlineDeletionVector,
  isDeletionVectorsEnabled,
  type Metadata,
  type Protocol,
  quoteString,
  readerFeatures,
  type RemoveFile,
  serializeRoaringBitmapArray,
  writerFeatures,
  parseStats,
  removeFileFor,
  statsNumRecords,
} from '../delta'
import type { DeletionVectorLoader } from '../engine'
import type { LakeEngine } from '../engine'

/** Bitmaps up to this many bytes (about a dozen scattered rows) are written inline: no DV file to write, read or vacuum. */
export const INLINE_DELETION_VECTOR_MAX_BYTES = 64

/** True when UPDATE, DELETE and MERGE should mark rows in deletion vectors (PROTOCOL.md: only with the property set, and the feature in the protocol). */
export function writesDeletionVectors(protocol: Protocol, metadata: Metadata): boolean {
  return isDeletionVectorsEnabled(metadata) && readerFeatures(protocol).includes('deletionVectors') && writerFeatures(protocol).includes('deletionVectors')
}

export interface MarkedFiles {
  /** Remove of each changed file (with its old DV), then the re-add with the new DV (absent when every row is gone). */
  removes: RemoveFile[]
  adds: AddFile[]
  /** Files all of whose rows are now deleted (removed, not added again). */
  filesRemoved: number
  deletionVectorsAdded: number
  deletionVectorsRemoved: number
}

/** The rows a file's DV marks, with its newly changed rows: strictly ascending, without duplicates. */
function union(old: number[], changed: number[]): number[] {
  // Changed rows usually arrive ascending and distinct (listed in order): then they are the answer when nothing was marked before.
  if (old.length === 0 && changed.every((row, i) => i === 0 || row > changed[i - 1]!)) return changed
  const rows = old.length ? [...new Set([...old, ...changed])] : [...new Set(changed)]
  return rows.sort((a, b) => a - b)
}

/** `stats` with `tightBounds: false`: min/max may now be values only deleted rows hold; numRecords stays the physical count (PROTOCOL.md). */
function wideStats(stats: string | null | undefined, numRecords: number): string {
  const parsed = parseStats(stats) ?? {}
  return JSON.stringify({ ...parsed, numRecords, tightBounds: false })
}

async function physicalRowCount(lake: LakeEngine, file: ActiveFile, table: string): Promise<number> {
  const recorded = statsNumRecords(file.add.stats)
  if (recorded !== undefined) return recorded
  const db = await lake.duckdb()
  const [row] = await db.rows(`SELECT sum(num_rows) AS n FROM parquet_file_metadata(${quoteString(file.path)})`)
  if (row?.n === undefined || row.n === null) throw new DeltaError('CORRUPT_LOG', `data file ${file.path} has no row count`, { table })
  return Number(row.n)
}

/**
 * The remove/add pairs that mark `changed` (resolved file path → row indexes in that file) in the
 * files' deletion vectors, writing the DV file the large bitmaps need.
 */
export async function markRows(
  lake: LakeEngine,
  table: string,
  files: ActiveFile[],
  changed: Map<string, number[]>,
  loader: DeletionVectorLoader,
  now: number,
): Promise<MarkedFiles> {
  const result: MarkedFiles = { removes: [], adds: [], filesRemoved: 0, deletionVectorsAdded: 0, deletionVectorsRemoved: 0 }
  const pending: { file: ActiveFile; rows: number[]; numRecords: number }[] = []
  for (const file of files) {
    const rows = changed.get(file.path)
    if (!rows || rows.length === 0) continue
    const { add } = file
    const old = add.deletionVector ? await loader.rows(add.deletionVector, file.path) : []
    const marked = union(old, rows)
    const numRecords = await physicalRowCount(lake, file, table)
    if (marked[marked.length - 1]! >= numRecords) {
      throw new DeltaError('CORRUPT_LOG', `row ${marked[marked.length - 1]} of ${file.path} is past its ${numRecords} rows`, { table })
    }
    result.removes.push(removeFileFor(add, now))
    if (add.deletionVector) result.deletionVectorsRemoved++
    if (marked.length === numRecords) result.filesRemoved++
    else pending.push({ file, rows: marked, numRecords })
  }

  const inline = new Map<ActiveFile, DeletionVectorDescriptor>()
  const onDisk: ((typeof pending)[number] & { bitmap: Uint8Array })[] = []
  for (const entry of pending) {
    const bitmap = serializeRoaringBitmapArray(entry.rows)
    if (bitmap.length <= INLINE_DELETION_VECTOR_MAX_BYTES) inline.set(entry.file, inlineDeletionVector(entry.rows, bitmap))
    else onDisk.push({ ...entry, bitmap })
  }
  const stored = new Map<ActiveFile, DeletionVectorDescriptor>()
  if (onDisk.length) {
    const uuid = randomUUID()
    const { bytes, descriptors } = deletionVectorFile(
      uuid,
      onDisk.map((e) => e.rows),
      onDisk.map((e) => e.bitmap),
    )
    const { storage } = lake.io
    // A fresh UUID names the file: it cannot exist, and no reader looks for it before the commit.
    if (!(await storage.putIfAbsent(storage.join(table, `deletion_vector_${uuid}.bin`), bytes))) {
      throw new DeltaError('COMMIT_CONFLICT', `deletion vector file deletion_vector_${uuid}.bin already exists`, { table, retriable: true })
    }
    onDisk.forEach((entry, i) => stored.set(entry.file, descriptors[i]!))
  }
  for (const { file, numRecords } of pending) {
    const deletionVector = inline.get(file) ?? stored.get(file)!
    result.adds.push({ ...file.add, dataChange: true, stats: wideStats(file.add.stats, numRecords), deletionVector })
    result.deletionVectorsAdded++
  }
  return result
}
