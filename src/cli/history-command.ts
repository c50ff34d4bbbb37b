/**
 * `lakehouse history`: the table's commits, newest first, as DESCRIBE HISTORY answers them, made
 * readable: the operation's parameters and metrics as objects (JSON) or as a short summary of what
 * changed (text), never cut.
 */
import type { Json } from '@duckdb/node-api'
import { runQuery } from '../query'
import { FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, sqlTableName, tableArgument, wholeNumber, withLake, type Out } from './args'
import { formatOutput } from './format'

export async function historyCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('history', args, { ...LAKE_OPTION, ...FORMAT_OPTION, limit: { type: 'string' } }, ['TABLE'])
  const format = outputFormat(values.format)
  const limit = values.limit === undefined ? undefined : wholeNumber(values.limit, '--limit', 1)
  return withLake(values.lake, async (lake, catalog) => {
    const table = await tableArgument(catalog, positionals[0])
    const output = await runQuery(lake, catalog, `DESCRIBE HISTORY ${sqlTableName(table)}${limit === undefined ? '' : ` LIMIT ${limit}`}`)
    const rows: Record<string, Json>[] = output.rows.map((row) => ({
      ...row,
      operationParameters: parseNested(row.operationParameters),
      operationMetrics: numbers(parseNested(row.operationMetrics)),
      ...(row.actions === undefined ? {} : { actions: parseNested(row.actions) }),
    }))
    if (format === 'json') {
      out(formatOutput({ ...output, rows }, format))
      return 0
    }
    const summary = rows.map((row) => ({
      version: row.version,
      timestamp: row.timestamp,
      operation: row.operation,
      rows: rowChanges(row.operationMetrics),
      files: fileChanges(row.operationMetrics),
      parameters: parameterText(row.operationParameters),
    }))
    const columns = ['version', 'timestamp', 'operation', 'rows', 'files', 'parameters'].map((name) => ({ name, type: 'VARCHAR' }))
    out(formatOutput({ columns, rows: summary, tables: [] }, format))
    return 0
  })
}

/** Delta stores parameters as strings, some of them JSON themselves (Spark's merge predicates): parse both levels. */
function parseNested(value: Json | undefined): Json {
  if (typeof value !== 'string') return value ?? null
  try {
    const parsed = JSON.parse(value) as Json
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return parsed
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' && /^[[{]/.test(v) ? parseNested(v) : v]))
  } catch {
    return value
  }
}

/** Metrics are written as strings of digits: numbers read better and sum in jq. */
function numbers(metrics: Json): Json {
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) return metrics
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v]))
}

type Metrics = Record<string, Json>
const metric = (m: Json, ...names: string[]): number | undefined => {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return undefined
  for (const name of names) {
    const v = (m as Metrics)[name]
    if (typeof v === 'number') return v
  }
  return undefined
}

/** `+13 inserted, 49 updated, -4 deleted`: rows written or changed, by whichever metrics the operation has. */
export function rowChanges(m: Json): string {
  const parts: string[] = []
  const inserted = metric(m, 'numTargetRowsInserted') ?? metric(m, 'numOutputRows')
  const updated = metric(m, 'numTargetRowsUpdated', 'numUpdatedRows')
  const deleted = metric(m, 'numTargetRowsDeleted', 'numDeletedRows')
  if (inserted) parts.push(`${inserted} inserted`)
  if (updated) parts.push(`${updated} updated`)
  if (deleted) parts.push(`${deleted} deleted`)
  const copied = metric(m, 'numTargetRowsCopied', 'numCopiedRows')
  if (copied) parts.push(`${copied} copied`)
  return parts.join(', ')
}

/** `+1 -1`: data files added and removed. */
export function fileChanges(m: Json): string {
  const added = metric(m, 'numTargetFilesAdded', 'numAddedFiles', 'numFiles')
  const removed = metric(m, 'numTargetFilesRemoved', 'numRemovedFiles')
  const parts: string[] = []
  if (added) parts.push(`+${added}`)
  if (removed) parts.push(`-${removed}`)
  return parts.join(' ')
}

/** `mode=Append source=orders`: each parameter as key=value, nested ones as compact JSON. */
function parameterText(parameters: Json): string {
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) return parameters === null ? '' : JSON.stringify(parameters)
  return Object.entries(parameters).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
}
