/** `lakehouse query`: DuckDB SQL over the lake, every row printed. */
import { runQuery } from '../query'
import { FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, withLake, type Out } from './args'
import { formatOutput } from './format'

export async function queryCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand('query', args, { ...LAKE_OPTION, ...FORMAT_OPTION, stats: { type: 'boolean', default: false } }, ['one SQL text (quote it)'])
  const format = outputFormat(values.format)
  return withLake(values.lake, async (lake, catalog) => {
    const output = await runQuery(lake, catalog, positionals[0])
    out(formatOutput(output, format))
    if (values.stats) {
      for (const t of output.tables) {
        const what = t.version >= 0 ? `version ${t.version}: read ${t.filesRead} of ${t.filesTotal} files (${t.filesTotal - t.filesRead} skipped by partition values and statistics)` : 'change feed'
        process.stderr.write(`${t.name} ${what}\n`)
      }
    }
    return 0
  })
}
