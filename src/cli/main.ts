/**
 * The `lakehouse` command. Subcommands share the engine with the VS Code extension; errors are
 * printed as one clear line (no stack trace) with a non-zero exit code.
 */
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { DeltaError } from '../delta/errors'
import { LakeEngine } from '../engine'
import { LakeCatalog, runQuery } from '../query'
import { formatOutput, type OutputFormat } from './format'

export const USAGE = `Local Lakehouse: a local Delta Lake with SQL over it.

Usage:
  lakehouse query [--lake DIR] [--format table|json|csv] [--stats] "SQL"
      Run DuckDB SQL over the lake. Tables are zone.table (raw.orders, refined.orders), or any
      Delta table by path with Spark's syntax: delta.\`/path/to/table\` (relative to --lake).
      Spark's time travel and change feed work: raw.orders VERSION AS OF 3,
      raw.orders TIMESTAMP AS OF '2026-11-24 10:00', table_changes('raw.orders', 2, 5),
      DESCRIBE HISTORY raw.orders, DESCRIBE DETAIL raw.orders.
      --stats prints, per table, how many files were read and how many were skipped.
  lakehouse help
      Show this text.

Options:
  --lake DIR       the lake folder (default: the current folder)
  --format FORMAT  table (default), json (an array of row objects) or csv
`

export class UsageError extends Error {}

export async function main(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE)
    return command ? 0 : 0
  }
  if (command === 'query') return queryCommand(rest, out)
  throw new UsageError(`unknown command '${command}'. Run 'lakehouse help' for the list.`)
}

async function queryCommand(args: string[], out: (text: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { lake: { type: 'string' }, format: { type: 'string', default: 'table' }, stats: { type: 'boolean', default: false } },
    allowPositionals: true,
  })
  if (positionals.length !== 1) throw new UsageError('query takes exactly one SQL text (quote it)')
  const format = values.format as OutputFormat
  if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv, not '${format}'`)
  const lake = new LakeEngine()
  try {
    const catalog = new LakeCatalog(path.resolve(values.lake ?? '.'), lake.io.storage)
    const output = await runQuery(lake, catalog, positionals[0])
    out(formatOutput(output, format))
    if (values.stats) {
      for (const t of output.tables) {
        const what = t.version >= 0 ? `version ${t.version}: read ${t.filesRead} of ${t.filesTotal} files (${t.filesTotal - t.filesRead} skipped by partition values and statistics)` : 'change feed'
        process.stderr.write(`${t.name} ${what}\n`)
      }
    }
    return 0
  } finally {
    await lake.close()
  }
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`lakehouse: ${error.message}\n`)
      process.exitCode = 2
    } else if (error instanceof DeltaError) {
      process.stderr.write(`lakehouse: ${error.message}\n`)
      process.exitCode = 1
    } else if (error instanceof Error && /^(Parser|Binder|Catalog|Conversion|Invalid Input|IO) Error/.test(error.message)) {
      process.stderr.write(`lakehouse: ${error.message}\n`)
      process.exitCode = 1
    } else {
      throw error
    }
  }
}
