/** `lakehouse tables`: the lake's tables with their version, files and size. */
import type { Json } from '../query'
import { isDocumentStateTable } from '../pipeline/refine'
import { FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, withLake, type Out } from './args'
import { formatOutput } from './format'

export async function tablesCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('tables', args, { ...LAKE_OPTION, ...FORMAT_OPTION, all: { type: 'boolean', default: false } }, [])
  const format = outputFormat(values.format)
  return withLake(values.lake, async (lake, catalog) => {
    const rows: Record<string, Json>[] = []
    let failed = 0
    let hidden = 0
    for (const entry of await catalog.tables()) {
      // A MongoDB flow's document state is the engine's bookkeeping, not a table to query.
      if (!values.all && isDocumentStateTable(entry.name)) {
        hidden++
        continue
      }
      try {
        const snapshot = await lake.snapshot(entry.path)
        const bytes = snapshot.files.reduce((sum, f) => sum + f.add.size, 0)
        rows.push({
          table: entry.name,
          version: snapshot.version,
          files: snapshot.files.length,
          bytes,
          last_commit: new Date(snapshot.timestamp).toISOString(),
        })
      } catch (error) {
        // One unreadable table does not hide the others; the exit code says something failed.
        failed++
        process.stderr.write(`lakehouse: ${entry.name}: ${(error as Error).message}\n`)
        rows.push({ table: entry.name, version: null, files: null, bytes: null, last_commit: null })
      }
    }
    const columns = [
      { name: 'table', type: 'VARCHAR' },
      { name: 'version', type: 'BIGINT' },
      { name: 'files', type: 'BIGINT' },
      { name: 'bytes', type: 'BIGINT' },
      { name: 'last_commit', type: 'TIMESTAMP WITH TIME ZONE' },
    ]
    out(formatOutput({ columns, rows, tables: [] }, format))
    if (hidden && format === 'table')
      process.stderr.write(`(${hidden} document-state table${hidden === 1 ? '' : 's'} of MongoDB flows not shown: --all lists them)\n`)
    return failed ? 1 : 0
  })
}
