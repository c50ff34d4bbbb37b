/**
 * The I/O the Delta core needs, as a small interface (after delta-kernel-rs's Engine). The core
 * never opens a file itself: a local file system, or an object store later, plugs in here.
 * Paths are absolute local paths or URIs, as the implementation understands them.
 */

export interface FileInfo {
  /** The entry's name inside the listed directory. */
  name: string
  size: number
  modificationTime: number
}

export interface Storage {
  /** Names of the entries of a directory, sorted; `undefined` when the directory does not exist. */
  list(directory: string): Promise<string[] | undefined>
  /** The whole file; `undefined` when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>
  /** Write a new file only if no file has that path; false when one already exists. Atomic: readers never see a partial file. */
  putIfAbsent(path: string, data: Uint8Array): Promise<boolean>
  /** Write or replace a file atomically (readers see the old or the new content, never a mix). */
  put(path: string, data: Uint8Array): Promise<void>
  delete(path: string): Promise<void>
  stat(path: string): Promise<FileInfo | undefined>
  /** Join a table root and a relative path (already percent-decoded). */
  join(root: string, relative: string): string
  /**
   * Where `path` leads once symbolic links are followed; `undefined` when it does not exist. Only
   * storages with links have it (a local disk; not an object store): a table that lives on one must
   * not reach outside its lake through a link, and callers check with this.
   */
  realPath?(path: string): Promise<string | undefined>
  /**
   * Calls `onChange` with the name of an entry of `directory` that was created or changed; `undefined`
   * when the storage cannot notify (no such directory, or an object store): callers then poll.
   */
  watch?(directory: string, onChange: (name: string) => void): StorageWatch | undefined
}

export interface StorageWatch {
  close(): void
}

/** Reads checkpoint and sidecar Parquet files into plain records, one per row. */
export interface ParquetActionReader {
  readRecords(path: string): Promise<Record<string, unknown>[]>
}

/** Writes checkpoint Parquet files: one row per action, in the protocol's checkpoint schema. */
export interface ParquetActionWriter {
  /** Write atomically (a reader sees the whole file or none); returns the file size in bytes. */
  writeActions(path: string, actions: import('./actions').Action[]): Promise<number>
}

export interface Engine {
  storage: Storage
  parquet: ParquetActionReader
  /** Absent in read-only engines: commits then skip checkpoints. */
  checkpointWriter?: ParquetActionWriter
}
