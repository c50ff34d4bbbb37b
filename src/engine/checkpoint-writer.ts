/**
 * Checkpoint Parquet files written with DuckDB: the actions go through newline-delimited JSON
 * read with the protocol's checkpoint schema, so maps and nested structs get their exact types.
 * Snappy, as Spark writes them, so every reader (hyparquet without extra codecs too) can open them.
 */
import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { type Action, type ParquetActionWriter, quoteString } from '../delta'
import type { DuckDb } from './duckdb'
import { maximumObjectSize, stagingFile } from './temp-files'

const STRING_MAP = 'MAP(VARCHAR, VARCHAR)'
const DELETION_VECTOR =
  'STRUCT("storageType" VARCHAR, "pathOrInlineDv" VARCHAR, "offset" INTEGER, "sizeInBytes" INTEGER, "cardinality" BIGINT, "maxRowIndex" BIGINT)'

/** The checkpoint schema of the protocol (classic checkpoints), column by column. */
export const CHECKPOINT_COLUMNS: Record<string, string> = {
  txn: 'STRUCT("appId" VARCHAR, "version" BIGINT, "lastUpdated" BIGINT)',
  add: `STRUCT("path" VARCHAR, "partitionValues" ${STRING_MAP}, "size" BIGINT, "modificationTime" BIGINT, "dataChange" BOOLEAN, "stats" VARCHAR, "tags" ${STRING_MAP}, "deletionVector" ${DELETION_VECTOR}, "baseRowId" BIGINT, "defaultRowCommitVersion" BIGINT, "clusteringProvider" VARCHAR)`,
  remove: `STRUCT("path" VARCHAR, "deletionTimestamp" BIGINT, "dataChange" BOOLEAN, "extendedFileMetadata" BOOLEAN, "partitionValues" ${STRING_MAP}, "size" BIGINT, "tags" ${STRING_MAP}, "deletionVector" ${DELETION_VECTOR}, "baseRowId" BIGINT, "defaultRowCommitVersion" BIGINT)`,
  metaData: `STRUCT("id" VARCHAR, "name" VARCHAR, "description" VARCHAR, "format" STRUCT("provider" VARCHAR, "options" ${STRING_MAP}), "schemaString" VARCHAR, "partitionColumns" VARCHAR[], "configuration" ${STRING_MAP}, "createdTime" BIGINT)`,
  protocol: 'STRUCT("minReaderVersion" INTEGER, "minWriterVersion" INTEGER, "readerFeatures" VARCHAR[], "writerFeatures" VARCHAR[])',
  domainMetadata: 'STRUCT("domain" VARCHAR, "configuration" VARCHAR, "removed" BOOLEAN)',
}

export class DuckDbCheckpointWriter implements ParquetActionWriter {
  constructor(private readonly database: () => Promise<DuckDb>) {}

  async writeActions(target: string, actions: Action[]): Promise<number> {
    const db = await this.database()
    const json = await stagingFile('lakehouse-checkpoint-', '.ndjson')
    const id = randomUUID()
    const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${id}.tmp`)
    try {
      const lines = actions.map((a) => JSON.stringify(a))
      await fs.writeFile(json, lines.join('\n') + '\n')
      const columns = Object.entries(CHECKPOINT_COLUMNS)
        .map(([name, type]) => `${quoteString(name)}: ${quoteString(type)}`)
        .join(', ')
      await db.run(
        `COPY (SELECT * FROM read_json(${quoteString(json)}, format = 'newline_delimited', columns = {${columns}}, maximum_object_size = ${maximumObjectSize(lines)}))
         TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION snappy)`,
      )
      // Rename only once the file is complete: a reader never sees a partial checkpoint.
      await fs.rename(temporary, target)
      return (await fs.stat(target)).size
    } finally {
      await fs.rm(json, { force: true })
      await fs.rm(temporary, { force: true })
    }
  }
}
