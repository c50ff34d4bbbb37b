/**
 * Pipeline definitions as the SQL of Spark Declarative Pipelines (Spark 4.1) and Databricks
 * Lakeflow writes them, after parsing: the dataset or flow, where it was written (file and
 * offset, for line:column in errors), and its queries as SQL text with the tables they read.
 */
import type { SqlPart } from '../statements/ast'

/** `CONSTRAINT name EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE]`; without ON VIOLATION the row is kept and counted. */
export interface Expectation {
  name: string
  condition: SqlPart
  onViolation: 'warn' | 'drop' | 'fail'
}

/** A table the query names, where (offset in the file), and whether it is read as `STREAM(…)`. */
export interface TableReference {
  table: string
  offset: number
  stream: boolean
}

interface Located {
  /** The .sql file, absolute. */
  file: string
  /** The statement's offset in the file. */
  offset: number
  /** The statement as written (what the Spark export copies). */
  text: string
}

export interface MaterializedView extends Located {
  kind: 'materializedView'
  name: string
  expectations: Expectation[]
  comment?: string
  query: SqlPart
  reads: TableReference[]
}

/** `CREATE STREAMING TABLE t [AS SELECT … FROM STREAM(s)]`: without a query, flows append into it. */
export interface StreamingTable extends Located {
  kind: 'streamingTable'
  name: string
  expectations: Expectation[]
  comment?: string
  query?: SqlPart
  reads: TableReference[]
}

/** `CREATE FLOW f AS INSERT INTO t BY NAME SELECT … FROM STREAM(s)` */
export interface AppendFlow extends Located {
  kind: 'appendFlow'
  name: string
  target: string
  query: SqlPart
  reads: TableReference[]
}

/** `CREATE FLOW f AS AUTO CDC INTO t FROM STREAM(s) KEYS (…) … STORED AS SCD TYPE n` (and APPLY CHANGES INTO). */
export interface AutoCdcFlow extends Located {
  kind: 'autoCdcFlow'
  name: string
  target: string
  source: TableReference
  keys: string[]
  deleteWhen?: SqlPart
  truncateWhen?: SqlPart
  sequenceBy: SqlPart
  columns?: { only?: string[]; except?: string[] }
  scd: 1 | 2
  reads: TableReference[]
}

export type Definition = MaterializedView | StreamingTable | AppendFlow | AutoCdcFlow
