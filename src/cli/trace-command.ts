/**
 * `lakehouse trace`, both ways:
 *   - `--message TOPIC/PARTITION/OFFSET`: what a Kafka message became in the lake (a raw row and
 *     the version that wrote it, or a dead letter and what became of it), for each source of the
 *     pipeline that reads its topic, and the refined rows the raw row became;
 *   - `TABLE --where …`: where rows of a table came from (raw rows and their messages; for a view,
 *     its source rows, traced in turn).
 */
import { letterId, LINEAGE_HEADER, traceMessage, type DeadLetter, type MessageFate, type ReplayedRow } from '../pipeline'
import { LakeEngine } from '../engine'
import { LakeCatalog, NotTraceable, pipelineDefinitions, traceRows, type TracedRow } from '../query'
import { CommandError, parseCommand, UsageError, wholeNumber, type Out } from './args'
import { pipelineFrom } from './ingest-command'

export function parseMessage(text: string | undefined): { topic: string; partition: number; offset: string } {
  const match = text === undefined ? null : /^([^/]+)\/(\d+)\/(\d+)$/.exec(text)
  if (!match) throw new UsageError(`trace: --message TOPIC/PARTITION/OFFSET is required (e.g. orders/0/17)${text === undefined ? '' : `, not '${text}'`}`)
  return { topic: match[1], partition: Number(match[2]), offset: match[3] }
}

function letterState(l: DeadLetter): string {
  if (l.state === 'replayed') return `replayed${l.rawVersion !== null ? ` (raw version ${l.rawVersion})` : ''}`
  if (l.state === 'discarded') return `discarded: ${l.note ?? ''}`
  if (l.state === 'produced') return `produced to ${l.producedTo ? `${l.producedTo.topic}/${l.producedTo.partition}/${l.producedTo.offset}` : 'its topic'}`
  return 'open'
}

function describe(fate: MessageFate): string {
  if (fate.kind === 'row') {
    const became = fate.refined
      .map(
        (r) =>
          `\n  → ${r.table} ${rowText(r.row)}, version ${r.refinedVersion}${r.change === 'insert' ? '' : ` (${r.change}${r.applied ? '' : ', superseded by a later change in its batch'})`}`,
      )
      .join('')
    return `${fate.source}: a ${fate.tombstone ? 'tombstone row' : 'row'} of ${fate.table}, written by version ${fate.rawVersion ?? '(unknown: its change data is gone)'}; key ${fate.key ?? 'null'}, time ${fate.timestamp ?? '-'}${became}`
  }
  if (fate.kind === 'dead-letter') {
    const l = fate.letter
    return `${fate.source}: a dead letter (${l.reason}${l.detail ? `: ${l.detail}` : ''}), ${letterState(l)}`
  }
  if (fate.kind === 'produced-from-letter')
    return `${fate.source}: produced by 'dead-letters produce' from dead letter ${letterId(fate.letter)} (${fate.letter.reason}), the fixed value of that message (header ${LINEAGE_HEADER})`
  return `${fate.source}: ${fate.detail}`
}

const rowText = (row: Record<string, string | null>) =>
  Object.entries(row)
    .map(([k, v]) => `${k}=${v ?? 'null'}`)
    .join(' ')

function originText(o: ReplayedRow): string {
  const at = o.topic === null ? '(no Kafka coordinates)' : `${o.topic}/${o.partition}/${o.offset}`
  const change = o.change === 'insert' ? '' : `  ${o.change}${o.sequence === null ? '' : ` @ ${o.sequence}`}${o.applied ? '' : ' (superseded in its batch)'}`
  const into = o.rawTable === o.table ? '' : `  → ${o.table} v${o.refinedVersion}`
  return `${o.rawTable} v${o.rawVersion}  ${at}  key ${o.key ?? 'null'}  ${o.timestamp ?? '-'}${change}${into}`
}

function rowLines(row: TracedRow, indent: string): string[] {
  if (row.kind === 'view') {
    return [
      `${indent}${row.table} ${rowText(row.row)}  (view${row.note ? `: ${row.note}` : ''})`,
      ...row.sources.flatMap((s) => [
        `${indent}  ${s.table}${s.version === undefined ? '' : ` as of version ${s.version}`}: ${s.rows.length} row(s)`,
        ...s.rows.flatMap((r) => rowLines(r, `${indent}    `)),
      ]),
    ]
  }
  const what = row.kind === 'raw' ? 'raw' : `flow ${row.flow}, ${row.mode}${row.mode === 'cdc' ? `: ${row.origins.length} change(s), in sequence order` : ''}`
  return [
    `${indent}${row.table} ${rowText(row.row)}  (${what})`,
    ...row.origins.map((o, i) => `${indent}  ${row.kind === 'flow' && row.mode === 'cdc' ? `${i + 1}. ` : ''}${originText(o)}`),
    ...(row.kind === 'flow' && row.note ? [`${indent}  note: ${row.note}`] : []),
    ...(row.kind === 'flow' && row.origins.length === 0 && !row.note
      ? [`${indent}  no raw row found (the table was written by something other than the flow?)`]
      : []),
  ]
}

export async function traceCommand(args: string[], out: Out): Promise<number> {
  const byMessage = args.some((a) => a === '--message' || a.startsWith('--message='))
  const { values, positionals } = parseCommand(
    'trace',
    args,
    {
      pipeline: { type: 'string' },
      message: { type: 'string' },
      where: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    byMessage ? [] : ['TABLE'],
  )
  const pipeline = pipelineFrom(values.pipeline)
  if (!byMessage) return traceTable(pipeline, positionals[0], values, out)
  const at = parseMessage(values.message)
  const lake = new LakeEngine()
  try {
    const catalog = new LakeCatalog(pipeline.lakeDir, lake.io.storage)
    const flows = [...(pipeline.flows ?? []), ...(pipeline.definitions?.length ? (await pipelineDefinitions(catalog, pipeline)).flows : [])]
    const fates = await traceMessage(lake, catalog, pipeline, at, flows)
    if (fates.length === 0)
      throw new UsageError(`no source of ${pipeline.file} reads topic '${at.topic}' (sources: ${pipeline.sources.map((s) => s.name).join(', ')})`)
    if (values.json)
      out(
        JSON.stringify(
          fates.map((f) =>
            f.kind === 'dead-letter' || f.kind === 'produced-from-letter'
              ? { ...f, letter: { ...f.letter, value: f.letter.value?.toString('base64') ?? null } }
              : f,
          ),
          null,
          2,
        ) + '\n',
      )
    else for (const fate of fates) out(`${describe(fate)}\n`)
    return 0
  } finally {
    await lake.close()
  }
}

async function traceTable(
  pipeline: ReturnType<typeof pipelineFrom>,
  table: string,
  values: { where?: string; limit?: string; json?: boolean },
  out: Out,
): Promise<number> {
  if (!/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$/.test(table)) throw new UsageError(`trace: TABLE is zone.table (e.g. refined.orders), not '${table}'`)
  if (!values.where?.trim())
    throw new UsageError('trace TABLE needs --where "PREDICATE" (DuckDB SQL over the table\'s columns; "true" for every row, with --limit)')
  const limit = values.limit === undefined ? 100 : wholeNumber(values.limit, '--limit', 1)
  const lake = new LakeEngine()
  try {
    let rows: TracedRow[]
    try {
      rows = await traceRows(lake, new LakeCatalog(pipeline.lakeDir, lake.io.storage), pipeline, table, values.where, { limit })
    } catch (error) {
      if (error instanceof NotTraceable) throw new UsageError(error.message)
      if (error instanceof Error && /^[A-Z][A-Za-z]*(?: [A-Za-z]+)* Error: /.test(error.message))
        throw new CommandError(`trace ${table} --where "${values.where}": ${error.message}`)
      throw error
    }
    if (values.json) out(`${JSON.stringify(rows, null, 2)}\n`)
    else if (rows.length === 0) out(`no row of ${table} matches ${values.where}\n`)
    else out(`${rows.flatMap((r) => rowLines(r, '')).join('\n')}\n`)
    return 0
  } finally {
    await lake.close()
  }
}
