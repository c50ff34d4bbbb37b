/**
 * The actions of the Delta transaction log, as typed records, and their parsing from commit
 * files (newline-delimited JSON) and checkpoint rows. Unknown fields are kept untouched and
 * unknown action kinds are dropped, as the protocol requires of readers.
 */
import type { DeletionVectorDescriptor } from './deletion-vectors'
import { DeltaError } from './errors'

export type { DeletionVectorDescriptor }

export interface Protocol {
  minReaderVersion: number
  minWriterVersion: number
  readerFeatures?: string[]
  writerFeatures?: string[]
}

export interface Metadata {
  id: string
  name?: string | null
  description?: string | null
  format: { provider: string; options?: Record<string, string> }
  schemaString: string
  partitionColumns: string[]
  configuration: Record<string, string>
  createdTime?: number | null
}

export interface AddFile {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  modificationTime: number
  dataChange: boolean
  stats?: string | null
  tags?: Record<string, string> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
  clusteringProvider?: string | null
}

export interface RemoveFile {
  path: string
  deletionTimestamp?: number | null
  dataChange: boolean
  extendedFileMetadata?: boolean
  partitionValues?: Record<string, string | null> | null
  size?: number | null
  stats?: string | null
  tags?: Record<string, string> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
}

/**
 * The remove action for a file of the table, carrying what the add said of it (extended file
 * metadata: partition values, size, stats, tags; its deletion vector and row-tracking fields) so
 * that readers of the change (and VACUUM) know the file without the add. `dataChange` is false only
 * when the rows stay in the table (OPTIMIZE, a purge).
 */
export function removeFileFor(add: AddFile, deletionTimestamp: number, dataChange = true): RemoveFile {
  const remove: RemoveFile = { path: add.path, deletionTimestamp, dataChange, extendedFileMetadata: true, partitionValues: add.partitionValues, size: add.size }
  if (add.stats) remove.stats = add.stats
  if (add.tags) remove.tags = add.tags
  if (add.deletionVector) remove.deletionVector = add.deletionVector
  if (add.baseRowId !== undefined && add.baseRowId !== null) remove.baseRowId = add.baseRowId
  if (add.defaultRowCommitVersion !== undefined && add.defaultRowCommitVersion !== null) remove.defaultRowCommitVersion = add.defaultRowCommitVersion
  return remove
}

export interface AddCDCFile {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  dataChange: boolean
  tags?: Record<string, string> | null
}

export interface Txn {
  appId: string
  version: number
  lastUpdated?: number | null
}

export interface CommitInfo {
  timestamp?: number
  inCommitTimestamp?: number
  operation?: string
  operationParameters?: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  engineInfo?: string
  isBlindAppend?: boolean
  readVersion?: number
  txnId?: string
  [field: string]: unknown
}

export interface DomainMetadata {
  domain: string
  configuration: string
  removed: boolean
}

export interface CheckpointMetadata {
  version: number
  tags?: Record<string, string> | null
}

export interface Sidecar {
  path: string
  sizeInBytes: number
  modificationTime: number
  tags?: Record<string, string> | null
}

/** One action as it appears on a line of a commit file or a row of a checkpoint. */
export type Action =
  | { protocol: Protocol }
  | { metaData: Metadata }
  | { add: AddFile }
  | { remove: RemoveFile }
  | { cdc: AddCDCFile }
  | { txn: Txn }
  | { commitInfo: CommitInfo }
  | { domainMetadata: DomainMetadata }
  | { checkpointMetadata: CheckpointMetadata }
  | { sidecar: Sidecar }

const KNOWN_ACTIONS = new Set(['protocol', 'metaData', 'add', 'remove', 'cdc', 'txn', 'commitInfo', 'domainMetadata', 'checkpointMetadata', 'sidecar'])

/**
 * Parse a commit file. Each non-empty line is one JSON object with exactly one action key;
 * keys we do not know are skipped (forward compatibility), a line that is not JSON is corruption.
 */
export function parseCommit(text: string, where: string): Action[] {
  const actions: Action[] = []
  let lineNumber = 0
  for (const line of text.split('\n')) {
    lineNumber++
    if (line.trim() === '') continue
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch (cause) {
      throw new DeltaError('CORRUPT_LOG', `${where}: line ${lineNumber} is not valid JSON (${(cause as Error).message})`, { cause })
    }
    const action = toAction(parsed)
    if (action) actions.push(action)
  }
  return actions
}

/**
 * Normalise one record (a JSON line or a checkpoint row) into an action. Checkpoint rows carry a
 * column per action kind with all but one null, and 64-bit integers as bigint.
 */
export function toAction(record: unknown): Action | undefined {
  if (record === null || typeof record !== 'object') return undefined
  for (const key in record) {
    const value = (record as Record<string, unknown>)[key]
    if (value === null || value === undefined || !KNOWN_ACTIONS.has(key)) continue
    const body = normaliseValue(value) as Record<string, unknown>
    if (key === 'metaData') {
      body.partitionColumns ??= []
      body.configuration ??= {}
      body.format ??= { provider: 'parquet' }
    }
    if (key === 'add' || key === 'cdc') body.partitionValues ??= {}
    if (key === 'remove' && body.dataChange === undefined) body.dataChange = true
    return { [key]: body } as unknown as Action
  }
  return undefined
}

/**
 * bigint → number (Delta sizes, times and versions fit in 2^53), maps to objects (nulls in maps
 * kept), undefined fields dropped. Objects are copied with their defined fields, in their order:
 * deleting the undefined ones in place (a checkpoint's add rows have several) turned every row
 * into a slow dictionary-mode object, which cost more than the copy (0.8 against 1.5 ms for a
 * 1,000-row checkpoint, reading the actions included). Arrays are the caller's own and changed in place.
 */
function normaliseValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value)
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normaliseValue(value[i])
    return value
  }
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, normaliseValue(v)]))
  const record = value as Record<string, unknown>
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(record)) {
    const field = record[key]
    if (field === undefined) continue
    const normalised = typeof field === 'bigint' || (field !== null && typeof field === 'object') ? normaliseValue(field) : field
    // A field named __proto__ (JSON.parse makes it an own property) stays a field, not the copy's prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: normalised, enumerable: true, writable: true, configurable: true })
    else copy[key] = normalised
  }
  return copy
}

/** Serialise actions as a commit file: one compact JSON object per line, newline-terminated. */
export function serializeCommit(actions: Action[]): string {
  return actions.map((action) => JSON.stringify(action)).join('\n') + '\n'
}

export function actionKind(action: Action): string {
  return Object.keys(action)[0]
}
