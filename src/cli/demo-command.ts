/** `lakehouse demo`: the seed pipeline end to end on the embedded capture, with a short report. */
import * as path from 'node:path'
import { runDemo, type DemoReport } from '../demo'
import type { Json } from '@duckdb/node-api'
import { formatTable } from './format'
import { parseCommand, UsageError, type Out } from './args'

export async function demoCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand('demo', args, { dir: { type: 'string', default: 'lakehouse-demo' }, broker: { type: 'string' }, format: { type: 'string', default: 'text' } }, [])
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json, not '${values.format}'`)
  if (values.broker !== undefined && !/^[^\s:]+:\d+$/.test(values.broker)) throw new UsageError(`--broker must be HOST:PORT, not '${values.broker}'`)
  const progress = values.format === 'text' ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined
  progress(values.broker ? `Producing the demo capture to ${values.broker} (if its topics are empty), then ingesting and refining…` : 'Replaying the demo capture into raw, then refining…')
  const report = await runDemo({
    dir: values.dir!, broker: values.broker,
    onEvent: (event) => {
      if (event.type !== 'batch') return
      // Sources count messages (tombstones included); flows count the rows they wrote.
      const count = event.messages === undefined ? `${event.rows} rows` : `${event.messages} messages`
      progress(`  ${event.job}: ${count} → ${event.table}${event.version === undefined ? '' : ` (version ${event.version})`}`)
    },
  })
  out(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : describe(report))
  return 0
}

function describe(report: DemoReport): string {
  const lake = shortPath(report.lakeDir)
  const pipeline = shortPath(report.pipelineFile)
  return [
    `Local Lakehouse demo: ${report.dir}`,
    ...(report.produced === undefined ? [] : [`Produced ${report.produced} messages to the broker (0: its topics already held the capture).`]),
    '',
    rowsTable(report.tables).trimEnd(),
    '',
    'Latest changes to refined.customers (its change data feed):',
    rowsTable(report.recentChanges).trimEnd(),
    '',
    'Next:',
    `  lakehouse query --lake ${lake} "SELECT status, count(*), sum(total) FROM refined.orders GROUP BY ALL"`,
    `  lakehouse query --lake ${lake} "SELECT * FROM table_changes('refined.customers', 1) LIMIT 10"`,
    `  lakehouse history --lake ${lake} refined.customers`,
    `  code ${shortPath(report.dir)}        # the Lakehouse views show the same tables; edit ${path.basename(pipeline)} and re-run`,
    '',
  ].join('\n')
}

/** Rows of plain objects as the CLI's aligned table. */
function rowsTable(rows: object[]): string {
  const columns = rows.length ? Object.keys(rows[0]).map((name) => ({ name, type: '' })) : []
  return formatTable({ columns, rows: rows as Record<string, Json>[], tables: [] })
}

/** Relative to the current folder when that is inside it, else absolute: what a user would type. */
function shortPath(target: string): string {
  const relative = path.relative(process.cwd(), target)
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? target : relative
}
