/**
 * `lakehouse history`: the table's commits, newest first (the query layer's tableHistory, the
 * route the history panel takes too): as text, what each commit changed, uncut; as JSON, every
 * field of DESCRIBE HISTORY with parameters and metrics as objects.
 */
import type { Json } from '../query'
import { fileChanges, rowChanges, tableHistory } from '../query'
import { FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, tableArgument, wholeNumber, withLake, type Out } from './args'
import { formatOutput } from './format'

export async function historyCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('history', args, { ...LAKE_OPTION, ...FORMAT_OPTION, limit: { type: 'string' } }, ['TABLE'])
  const format = outputFormat(values.format)
  const limit = values.limit === undefined ? undefined : wholeNumber(values.limit, '--limit', 1)
  return withLake(values.lake, async (lake, catalog) => {
    const table = await tableArgument(catalog, positionals[0])
    const commits = await tableHistory(lake, table.path, { limit })
    if (format === 'json') {
      const rows: Record<string, Json>[] = commits.map((c) => ({
        version: c.version,
        timestamp: new Date(c.timestamp).toISOString(),
        operation: c.operation,
        operationParameters: c.operationParameters,
        readVersion: c.readVersion ?? null,
        isBlindAppend: c.isBlindAppend ?? null,
        operationMetrics: c.operationMetrics,
        engineInfo: c.engineInfo ?? null,
        actions: c.actionCounts,
      }))
      out(formatOutput({ columns: [], rows, tables: [] }, format))
      return 0
    }
    const rows = commits.map((c) => ({
      version: c.version,
      timestamp: new Date(c.timestamp).toISOString(),
      operation: c.operation,
      rows: rowChanges(c.operationMetrics),
      files: fileChanges(c.operationMetrics),
      parameters: Object.entries(c.operationParameters)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' '),
    }))
    const columns = ['version', 'timestamp', 'operation', 'rows', 'files', 'parameters'].map((name) => ({
      name,
      type: name === 'version' ? 'BIGINT' : 'VARCHAR',
    }))
    out(formatOutput({ columns, rows, tables: [] }, format))
    return 0
  })
}
