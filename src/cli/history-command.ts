/** `lakehouse history`: the table's commits, newest first, as DESCRIBE HISTORY answers them. */
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
    out(formatOutput(output, format))
    return 0
  })
}
