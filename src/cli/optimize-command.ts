/** `lakehouse optimize`: compact a table's small files. */
import { optimize, sizeInBytes } from '../table'
import { LAKE_OPTION, parseCommand, tableArgument, UsageError, withLake, type Out } from './args'
import { formatBytes } from './format'

/** `134217728`, `128mb`, `1GiB` → bytes. */
export function parseSize(text: string, option: string): number {
  const bytes = sizeInBytes(text)
  if (bytes === undefined) throw new UsageError(`${option} must be a size in bytes > 0 such as 134217728, 128mb or 1gb, not '${text}'`)
  return bytes
}

export async function optimizeCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('optimize', args, { ...LAKE_OPTION, 'target-size': { type: 'string' } }, ['TABLE'])
  const targetFileSize = values['target-size'] === undefined ? undefined : parseSize(values['target-size'], '--target-size')
  return withLake(values.lake, async (lake, catalog) => {
    const table = await tableArgument(catalog, positionals[0])
    const snapshot = await lake.snapshot(table.path)
    const before = snapshot.files.length
    const result = await optimize(lake, table.path, { snapshot, targetFileSize })
    if (result.version === undefined) {
      out(
        `${table.name}: nothing to compact (${before} file${before === 1 ? '' : 's'} at version ${snapshot.version}: no two files below the target size share a partition)\n`,
      )
      return 0
    }
    const after = before - result.filesRemoved + result.filesAdded
    out(
      `${table.name}: compacted ${result.filesRemoved} files (${formatBytes(result.bytesRemoved)}) into ${result.filesAdded} (${formatBytes(result.bytesAdded)}) ` +
        `in version ${result.version}; files in the table: ${before} → ${after}\n`,
    )
    return 0
  })
}
