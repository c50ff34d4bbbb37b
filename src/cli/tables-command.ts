/** `lakehouse tables`: the lake's tables with their version, files and size. */
import type { Json } from '@duckdb/node-api'
import { FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, withLake, type Out } from './args'
import { formatOutput } from './format'

export async function tablesCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('tables', args, { ...LAKE_OPTION, ...FORMAT_OPTION }, [])
  const format = outputFormat(values.format)
  return withLake(values.lake, async (lake, catalog) => {
    const rows: Record<string, Json>[] = []
    let failed = 0
    for (const entry of await catalog.tables()) {
      try {
        const snapshot = await lake.snapshot(entry.path)
        const bytes = snapshot.files.reduce((sum, f) => sum + f.add.size, 0)
        rows.push({ table: entry.name, version: snapshot.version, files: snapshot.files.length, bytes, last_commit: new Date(snapshot.timestamp).toISOString() })
      } catch (error) {
        // One unreadable table does not hide the others; the exit code says something failed.
        failed++
        process.stderr.write(`lakehouse: ${entry.name}: ${(error as Error).message}\n`)
        rows.push({ table: entry.name, version: null, files: null, bytes: null, last_commit: null })
      }
    }
    const columns = [
      { name: 'table', type: 'VARCHAR' }, { name: 'version', type: 'BIGINT' }, { name: 'files', type: 'BIGINT' },
      { name: 'bytes', type: 'BIGINT' }, { name: 'last_commit', type: 'TIMESTAMP WITH TIME ZONE' },
    ]
    out(formatOutput({ columns, rows, tables: [] }, format))
    return failed ? 1 : 0
  })
}
