/** `lakehouse demo`: the seed pipeline end to end on the embedded capture, with a short report. */
import { realpathSync } from 'node:fs'
import * as path from 'node:path'
import { isDocumentStateTable } from '../pipeline'
import { runDemo, type DemoReport } from '../demo'
import type { Json } from '../query'
import { formatTable } from './format'
import { parseCommand, UsageError, type Out } from './args'

export async function demoCommand(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'demo',
    args,
    { dir: { type: 'string', default: 'lakehouse-demo' }, broker: { type: 'string' }, format: { type: 'string', default: 'text' } },
    [],
  )
  if (values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format must be text or json, not '${values.format}'`)
  if (values.broker !== undefined && !/^[^\s:]+:\d+$/.test(values.broker)) throw new UsageError(`--broker must be HOST:PORT, not '${values.broker}'`)
  const progress = values.format === 'text' ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined
  progress(
    values.broker
      ? `Producing the demo capture to ${values.broker} (if its topics are empty), then ingesting and refining…`
      : 'Replaying the demo capture into raw, then refining…',
  )
  const report = await runDemo({
    dir: values.dir!,
    broker: values.broker,
    onEvent: (event) => {
      if (event.type !== 'batch') return
      // Sources count messages (tombstones included); flows count the rows they wrote.
      if (event.messages !== undefined && event.messages > 0 && event.skipped === event.messages) {
        progress(`  ${event.job}: already up to date (${event.messages} messages recorded in ${event.table})`)
        return
      }
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
  const lakehouse = lakehouseCommand()
  const internal = report.tables.filter((t) => isDocumentStateTable(t.table))
  return [
    `Local Lakehouse demo: ${report.dir}`,
    ...(report.produced === undefined ? [] : [`Produced ${report.produced} messages to the broker (0: its topics already held the capture).`]),
    '',
    rowsTable(report.tables.filter((t) => !isDocumentStateTable(t.table))).trimEnd(),
    ...internal.map(
      (t) =>
        `Not listed: ${t.table}, the current MongoDB document of each customer, which updates carrying only the changed fields are applied to (\`lakehouse tables --all\` lists it).`,
    ),
    '',
    'Latest updates to refined.customers (its change data feed; the columns that changed):',
    rowsTable(report.recentChanges).trimEnd(),
    '',
    'Next:',
    ...(lakehouse === 'lakehouse' ? [] : [`  (lakehouse is not on your PATH: \`npm link\` in the checkout puts it there; until then, as below)`]),
    `  ${lakehouse} query --lake ${lake} "SELECT status, count(*), sum(total) FROM refined.orders GROUP BY ALL"`,
    `  ${lakehouse} query --lake ${lake} "SELECT * FROM table_changes('refined.customers', 1) LIMIT 10"`,
    `  ${lakehouse} history --lake ${lake} refined.customers`,
    `  code ${shortPath(report.dir)}        # the Lakehouse views show the same tables; edit ${path.basename(pipeline)} and re-run`,
    '',
  ].join('\n')
}

/** `lakehouse` when that name runs this very command from the PATH, else what does: `node …/bin/lakehouse.mjs`. */
function lakehouseCommand(): string {
  const bin = process.argv[1] ? path.resolve(process.argv[1]) : undefined
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    try {
      const found = realpathSync(path.join(dir, 'lakehouse'))
      if (bin === undefined || found === realpathSync(bin)) return 'lakehouse'
    } catch {
      // not in this folder
    }
  }
  const script = bin !== undefined && /lakehouse\.mjs$/.test(bin) ? bin : path.resolve('bin/lakehouse.mjs')
  return `node ${shortPath(script)}`
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
