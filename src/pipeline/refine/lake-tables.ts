/**
 * A flow's `sql` transform may read other lake tables besides `batch` (a stream–static join, as
 * Spark's): the tables are registered for the batch by the query layer, which the runner hands
 * in as a LakeTableReader. Each batch sees every other table as of the batch's start (its latest
 * version then), as Spark re-reads the static side of a stream–static join in every micro-batch.
 */
export interface PreparedReads {
  /** The queries, rewritten to read the registered tables. */
  queries: string[]
  /** Ends the reads (call once, after the batch). */
  release(): Promise<void>
}

/** Registers the lake tables `queries` name; undefined when they name none. */
export type LakeTableReader = (queries: string[]) => Promise<PreparedReads | undefined>
