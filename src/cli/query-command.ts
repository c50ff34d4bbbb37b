/**
 * `lakehouse query`: SQL over the lake, every row printed. One text or a `.sql` file of several
 * statements (Spark's writing statements included), run in order; each result is printed as it
 * comes, and the first error stops the run, saying where it is.
 */
import { readFile } from 'node:fs/promises'
import { runScript, type ScriptResult } from '../query'
import { CommandError, FORMAT_OPTION, LAKE_OPTION, outputFormat, parseCommand, withLake, type Out } from './args'
import { formatOutput, type OutputFormat } from './format'

export async function queryCommand(args: string[], out: Out): Promise<number> {
  const fromFile = args.some((a) => a === '--file' || a.startsWith('--file='))
  const options = { ...LAKE_OPTION, ...FORMAT_OPTION, stats: { type: 'boolean', default: false }, file: { type: 'string' } } as const
  const { values, positionals } = parseCommand('query', args, options, fromFile ? [] : ['one SQL text (quote it), or --file FILE.sql'])
  const format = outputFormat(values.format)
  const sql =
    values.file === undefined
      ? positionals[0]
      : await readFile(values.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CommandError(`cannot read --file ${values.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)
        })
  return withLake(values.lake, async (lake, catalog) => {
    const json: unknown[] = []
    let count = 0
    await runScript(lake, catalog, sql, {
      onResult: (result, index, total) => {
        count = total
        if (total > 1 && format === 'json')
          json.push({ statement: result.text, position: result.position, rows: result.rows, ...(result.write ? { write: result.write } : {}) })
        else out(formatResult(result, format, total > 1 ? index : undefined))
        if (values.stats) printStats(result)
      },
    })
    if (count > 1 && format === 'json') out(JSON.stringify(json, null, 2) + '\n')
    return 0
  })
}

/** A result as the format prints it; in a script (`index` set) headed by the statement, and a write followed by what it committed. */
function formatResult(result: ScriptResult, format: OutputFormat, index: number | undefined): string {
  const parts: string[] = []
  const comment = format === 'csv' ? '' : format === 'markdown' ? '> ' : '-- '
  if (index !== undefined) {
    const firstLine = result.text.split('\n')[0]
    parts.push(`${index > 0 ? '\n' : ''}${comment}[${index + 1}] ${result.position} ${firstLine.length > 70 ? `${firstLine.slice(0, 69)}…` : firstLine}\n`)
  }
  if (result.columns.length > 0) parts.push(formatOutput(result, format))
  else if (format === 'json') parts.push(JSON.stringify(result.write ? [result.write] : [], null, 2) + '\n')
  if (result.write && format !== 'json' && format !== 'csv') parts.push(`${comment}${describeWrite(result)}\n`)
  return parts.join('')
}

function describeWrite({ write }: ScriptResult): string {
  if (!write) return ''
  const counts = [
    write.rowsInserted ? `${write.rowsInserted} inserted` : '',
    write.rowsUpdated ? `${write.rowsUpdated} updated` : '',
    write.rowsDeleted ? `${write.rowsDeleted} deleted` : '',
  ].filter(Boolean)
  const version = write.version === undefined ? (write.operation === 'DROP TABLE' ? 'dropped' : 'nothing to commit') : `version ${write.version}`
  return `${write.table}: ${write.operation}${counts.length ? ` (${counts.join(', ')})` : ''}, ${version}`
}

function printStats(result: ScriptResult): void {
  for (const t of result.tables) {
    const what =
      t.version >= 0
        ? `version ${t.version}: read ${t.filesRead} of ${t.filesTotal} files (${t.filesTotal - t.filesRead} skipped by partition values and statistics)`
        : 'change feed'
    process.stderr.write(`${t.name} ${what}\n`)
  }
}
