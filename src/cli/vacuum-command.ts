/** `lakehouse vacuum`: delete the files no version within the retention needs. */
import { vacuum } from '../table'
import { LAKE_OPTION, parseCommand, tableArgument, UsageError, withLake, type Out } from './args'
import { formatBytes } from './format'

export async function vacuumCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand(
    'vacuum',
    args,
    { ...LAKE_OPTION, 'retention-hours': { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, force: { type: 'boolean', default: false } },
    ['TABLE'],
  )
  const hoursText = values['retention-hours']
  const retentionHours = hoursText === undefined ? undefined : Number(hoursText)
  if (retentionHours !== undefined && (hoursText!.trim() === '' || !Number.isFinite(retentionHours) || retentionHours < 0)) {
    throw new UsageError(`--retention-hours must be a number of hours >= 0, not '${hoursText}'`)
  }
  return withLake(values.lake, async (lake, catalog) => {
    const table = await tableArgument(catalog, positionals[0])
    const result = await vacuum(lake, table.path, { retentionHours, dryRun: values['dry-run'], force: values.force })
    const files = result.filesDeleted.length
    const what = `${files} file${files === 1 ? '' : 's'} (${formatBytes(result.bytesDeleted)})`
    const dirs = result.directoriesDeleted.length
      ? ` and ${result.directoriesDeleted.length} empty director${result.directoriesDeleted.length === 1 ? 'y' : 'ies'}`
      : ''
    const since = `that no version since ${new Date(result.retentionCutoff).toISOString()} needs`
    out(result.dryRun ? `${table.name}: vacuum would delete ${what}${dirs} ${since}${files ? ':' : ''}\n` : `${table.name}: deleted ${what}${dirs} ${since}\n`)
    if (result.dryRun) for (const file of [...result.filesDeleted, ...result.directoriesDeleted.map((d) => `${d}/`)]) out(`  ${file}\n`)
    return 0
  })
}
