/** `lakehouse changes`: the change data feed of a version range, as table_changes(…) answers it. */
import { quoteString } from '../delta'
import { parseTimestamp, runQuery } from '../query'
import { FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, tableArgument, UsageError, withLake, type Out } from './args'
import { formatOutput } from './format'

/** A version number, or a timestamp as a quoted SQL literal. */
function bound(value: string, option: string): string {
  const text = value.trim()
  if (/^\d+$/.test(text)) return String(Number(text))
  try {
    parseTimestamp(text)
  } catch {
    throw new UsageError(`${option} must be a version number or a timestamp such as '2026-11-24 10:00:00' (UTC) or ISO-8601, not '${value}'`)
  }
  return quoteString(text)
}

export async function changesCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('changes', args, { ...LAKE_OPTION, ...FORMAT_OPTION, from: { type: 'string' }, to: { type: 'string' } }, [
    'TABLE',
  ])
  const format = outputFormat(values.format)
  if (values.from === undefined) throw new UsageError('changes needs --from V (a version number or a timestamp)')
  const range = [bound(values.from, '--from'), ...(values.to === undefined ? [] : [bound(values.to, '--to')])]
  return withLake(values.lake, async (lake, catalog) => {
    const table = await tableArgument(catalog, positionals[0])
    const source = quoteString(table.byPath ? table.path : table.name)
    const output = await runQuery(lake, catalog, `SELECT * FROM table_changes(${source}, ${range.join(', ')})`)
    out(formatOutput(output, format))
    return 0
  })
}
