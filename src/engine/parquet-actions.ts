/**
 * Checkpoint and sidecar Parquet files read with hyparquet: pure JavaScript, so loading a
 * snapshot (tree views, status, offsets) never needs the DuckDB native module. Spark writes
 * snappy checkpoints; hyparquet-compressors adds zstd, gzip, brotli and lz4 for other writers.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import type { ParquetActionReader } from '../delta'

/** Action columns a reader needs; others (stats_parsed, partitionValues_parsed, …) are skipped. */
const ACTION_COLUMNS = ['protocol', 'metaData', 'add', 'remove', 'txn', 'domainMetadata', 'checkpointMetadata', 'sidecar', 'commitInfo']

export class HyparquetActionReader implements ParquetActionReader {
  async readRecords(path: string): Promise<Record<string, unknown>[]> {
    const file = await asyncBufferFromFile(path)
    const metadata = await parquetMetadataAsync(file)
    const topLevel = parquetSchema(metadata).children.map((child) => child.element.name)
    const columns = ACTION_COLUMNS.filter((name) => topLevel.includes(name))
    return (await parquetReadObjects({ file, metadata, columns, compressors })) as Record<string, unknown>[]
  }
}
