/**
 * `lakehouse dead-letters list|show|replay|produce|discard`: triage what a pipeline's sources could
 * not decode. Letters are named source/topic/partition/offset (as list --letters prints them).
 */
import type { Operation } from 'fast-json-patch'
import { readFileSync } from 'node:fs'
import type { DecoderOptions } from '../decode'
import { assertDevCluster, NotADevClusterError, schemaRegistryOptions } from '../kafka'
import {
  discardLetters,
  editedLetterValue,
  EditedValueError,
  LETTER_STATES,
  letterGroups,
  letterHours,
  letterId,
  LetterPatchError,
  LetterSelectionError,
  parseLetterPatch,
  printable,
  produceLetters,
  replayLetters,
  selectLetters,
  viewLetter,
  type DeadLetter,
  type LetterFix,
  type LetterSelection,
  type LettersProduced,
  type Pipeline,
} from '../pipeline'
import { LakeEngine } from '../engine'
import { LakeCatalog, type QueryOutput } from '../query'
import { CommandError, FORMAT_OPTION, outputFormat, parseCommand, UsageError, type Out } from './args'
import { formatOutput } from './format'

type Json = QueryOutput['rows'][number][string]
import { pipelineFrom } from './ingest-command'

const SUBCOMMANDS = ['list', 'show', 'replay', 'produce', 'discard']

/** source/topic/partition/offset (Kafka topic names hold no '/'). */
export function parseLetterId(text: string): string {
  if (!/^[^/]+\/[^/]+\/\d+\/\d+$/.test(text))
    throw new UsageError(`a letter is named source/topic/partition/offset (e.g. orders/orders/0/17, as 'dead-letters list --letters' prints it), not '${text}'`)
  return text
}

async function withPipelineLake<T>(pipeline: Pipeline, body: (lake: LakeEngine, catalog: LakeCatalog) => Promise<T>): Promise<T> {
  const lake = new LakeEngine()
  try {
    return await body(lake, new LakeCatalog(pipeline.lakeDir, lake.io.storage))
  } catch (error) {
    if (error instanceof LetterSelectionError) throw new CommandError(error.message)
    throw error
  } finally {
    await lake.close()
  }
}

const decoderOptions = (pipeline: Pipeline): DecoderOptions => {
  const registry = schemaRegistryOptions(pipeline.kafka)
  return registry ? { schemaRegistry: registry } : {}
}

const columnsOf = (rows: Record<string, Json>[], types: Record<string, string>) =>
  Object.entries(types)
    .map(([name, type]) => ({ name, type }))
    .filter((c) => rows.length === 0 || c.name in rows[0])

export async function deadLettersCommand(args: string[], out: Out): Promise<number> {
  const [sub, ...rest] = args
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(`dead-letters needs one of ${SUBCOMMANDS.join(', ')}${sub ? `, not '${sub}'` : ''}`)
  if (sub === 'list') return list(rest, out)
  if (sub === 'show') return show(rest, out)
  if (sub === 'replay') return replay(rest, out)
  if (sub === 'produce') return produce(rest, out)
  return discard(rest, out)
}

async function list(args: string[], out: Out): Promise<number> {
  const { values } = parseCommand(
    'dead-letters list',
    args,
    {
      pipeline: { type: 'string' },
      source: { type: 'string' },
      reason: { type: 'string' },
      'by-hour': { type: 'boolean', default: false },
      letters: { type: 'boolean', default: false },
      state: { type: 'string' },
      ...FORMAT_OPTION,
    },
    [],
  )
  const pipeline = pipelineFrom(values.pipeline)
  const format = outputFormat(values.format)
  return withPipelineLake(pipeline, async (lake, catalog) => {
    if (values.letters) {
      const states = values.state === undefined || values.state === 'all' ? LETTER_STATES : [values.state]
      if (!states.every((s) => (LETTER_STATES as readonly string[]).includes(s)))
        throw new UsageError(`--state must be ${LETTER_STATES.join(', ')} or all, not '${values.state}'`)
      const letters = await selectLetters(
        lake,
        catalog,
        { ...(values.source ? { source: values.source } : {}), ...(values.reason ? { reason: values.reason } : {}) },
        states,
      )
      const rows = letters.map((l) => ({
        letter: letterId(l),
        reason: l.reason,
        state: l.state,
        message_time: l.timestamp,
        detail: l.detail,
        ...(values.state === 'produced' ? { produced_to: producedText(l) } : {}),
      }))
      out(
        formatOutput(
          {
            columns: columnsOf(rows, {
              letter: 'VARCHAR',
              reason: 'VARCHAR',
              state: 'VARCHAR',
              message_time: 'VARCHAR',
              detail: 'VARCHAR',
              produced_to: 'VARCHAR',
            }),
            rows,
            tables: [],
          },
          format,
        ),
      )
      return 0
    }
    if (values['by-hour']) {
      const rows = (await letterHours(lake, catalog, values.source, values.reason)) as unknown as Record<string, Json>[]
      out(
        formatOutput(
          { columns: columnsOf(rows, { source: 'VARCHAR', reason: 'VARCHAR', hour: 'VARCHAR', letters: 'BIGINT', open: 'BIGINT' }), rows, tables: [] },
          format,
        ),
      )
      return 0
    }
    const rows = (await letterGroups(lake, catalog, values.source, values.reason)) as unknown as Record<string, Json>[]
    out(
      formatOutput(
        {
          columns: columnsOf(rows, {
            source: 'VARCHAR',
            reason: 'VARCHAR',
            state: 'VARCHAR',
            letters: 'BIGINT',
            first_message: 'VARCHAR',
            last_message: 'VARCHAR',
          }),
          rows,
          tables: [],
        },
        format,
      ),
    )
    return 0
  })
}

async function oneLetter(pipeline: Pipeline, lake: LakeEngine, catalog: LakeCatalog, id: string) {
  const [letter] = await selectLetters(lake, catalog, { ids: [id] })
  if (!letter) throw new CommandError(`no dead letter ${id} in ${pipeline.lakeDir}`)
  return letter
}

async function show(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand(
    'dead-letters show',
    args,
    { pipeline: { type: 'string' }, hex: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    ['LETTER'],
  )
  const pipeline = pipelineFrom(values.pipeline)
  const id = parseLetterId(positionals[0])
  return withPipelineLake(pipeline, async (lake, catalog) => {
    const letter = await oneLetter(pipeline, lake, catalog, id)
    const view = await viewLetter(
      letter,
      pipeline.sources.find((s) => s.name === letter.source),
      decoderOptions(pipeline),
    )
    const now = view.now.kind === 'row' ? { kind: 'row', row: view.now.row } : view.now
    if (values.json) {
      const { value: _bytes, ...rest } = letter
      out(JSON.stringify({ letter: letterId(letter), ...rest, text: view.text, hex: view.hex, position: view.position ?? null, now }, null, 2) + '\n')
      return 0
    }
    // Keys, headers and details hold what the message held: printed with control characters escaped.
    const lines = [
      `letter     ${letterId(letter)} (${letter.state}${letter.rawVersion !== null ? `, raw version ${letter.rawVersion}` : ''}${letter.producedTo ? ` to ${producedText(letter)}` : ''}${letter.note ? `: ${printable(letter.note)}` : ''})`,
      `message    topic ${letter.topic}, partition ${letter.partition}, offset ${letter.offset}, time ${letter.timestamp ?? '-'}`,
      `key        ${letter.key === null ? 'null' : printable(letter.key)}`,
      ...Object.entries(letter.headers).map(([k, v]) => `header     ${printable(k)}=${v === null ? 'null' : printable(v)}`),
      `reason     ${letter.reason}`,
      `detail     ${letter.detail === null ? '-' : printable(letter.detail)}`,
    ]
    if (view.position)
      lines.push(
        `position   line ${view.position.line}, column ${view.position.column} (character ${view.position.at}):`,
        `  ${view.position.context}`,
        `  ${' '.repeat(view.position.caret)}^`,
      )
    if (letter.value === null) lines.push('value      null')
    else if (values.hex || view.text === null)
      lines.push(
        `value      ${letter.value.length} bytes, hex${view.text === null ? ' (not UTF-8 text)' : ''}:`,
        ...(view.hex!.match(/.{1,64}/g) ?? []).map((l) => `  ${l}`),
      )
    else lines.push(`value      ${letter.value.length} bytes:`, ...view.text.split('\n').map((l) => `  ${l}`))
    lines.push(
      now.kind === 'row'
        ? `decoded now, with the pipeline file as it is: a row\n  ${printable(JSON.stringify(now.row))}`
        : now.kind === 'tombstone'
          ? 'decoded now: a tombstone'
          : `decoded now, with the pipeline file as it is: still fails: ${'reason' in now ? now.reason : now.kind}${'detail' in now && now.detail ? `: ${printable(now.detail)}` : ''}`,
    )
    out(lines.join('\n') + '\n')
    return 0
  })
}

function selection(values: { source?: string; reason?: string; all?: boolean }, positionals: string[], command: string): LetterSelection {
  if (positionals.length > 1) throw new UsageError(`${command} takes at most one LETTER`)
  if (positionals.length === 1) {
    if (values.source || values.reason) throw new UsageError(`${command}: name one LETTER, or select letters with --source/--reason, not both`)
    return { ids: [parseLetterId(positionals[0])] }
  }
  if (!values.source && !values.reason && !values.all)
    throw new UsageError(`${command}: name a LETTER, or select letters with --source S and/or --reason R (--all for every open letter)`)
  return { ...(values.source ? { source: values.source } : {}), ...(values.reason ? { reason: values.reason } : {}) }
}

function parsePatch(text: string): Operation[] {
  try {
    return parseLetterPatch(text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text)
  } catch (error) {
    if (error instanceof LetterPatchError) throw new UsageError(`--patch ${error.message}`)
    throw error
  }
}

/** The arguments replay and produce share: which letters, and one fix (`--value` for one letter, or `--patch`). */
function fixArguments(command: 'replay' | 'produce', args: string[]) {
  const name = `dead-letters ${command}`
  const { values, positionals } = parseCommand(
    name,
    args,
    {
      pipeline: { type: 'string' },
      source: { type: 'string' },
      reason: { type: 'string' },
      all: { type: 'boolean', default: false },
      value: { type: 'string' },
      patch: { type: 'string' },
    },
    positionals0(args),
  )
  const pipeline = pipelineFrom(values.pipeline)
  const chosen = selection(values, positionals, name)
  if (values.value !== undefined && values.patch !== undefined) throw new UsageError(`${name}: --value or --patch, not both`)
  if (values.value !== undefined && !chosen.ids) throw new UsageError(`${name}: --value replaces one letter's value: name the LETTER`)
  return { values, pipeline, chosen }
}

async function replay(args: string[], out: Out): Promise<number> {
  const { values, pipeline, chosen } = fixArguments('replay', args)
  return withPipelineLake(pipeline, async (lake, catalog) => {
    const fix: LetterFix = {}
    if (values.patch !== undefined) fix.patch = parsePatch(values.patch)
    if (values.value !== undefined) fix.value = await editedValue(pipeline, await oneLetter(pipeline, lake, catalog, chosen.ids![0]), values.value)
    const reports = await replayLetters(lake, catalog, pipeline, chosen, { fix, decoder: decoderOptions(pipeline) })
    if (reports.length === 0) out('no open letters selected: nothing to replay\n')
    let failing = 0
    for (const r of reports) {
      out(
        `${r.source}: ${r.replayed} letter${r.replayed === 1 ? '' : 's'} replayed into ${r.table}${r.rawVersion !== undefined ? ` (version ${r.rawVersion})` : ''}` +
          `${r.recovered ? `, ${r.recovered} found there already (an interrupted replay) and recorded` : ''}, ${r.stillFailing.length} still failing\n`,
      )
      for (const f of r.stillFailing.slice(0, 20)) out(`  ${f.id}: ${f.reason}${f.detail ? `: ${printable(f.detail)}` : ''}\n`)
      if (r.stillFailing.length > 20) out(`  … and ${r.stillFailing.length - 20} more ('dead-letters list --letters --state open' lists them)\n`)
      failing += r.stillFailing.length
    }
    return failing ? 1 : 0
  })
}

const producedText = (l: DeadLetter) => (l.producedTo ? `${l.producedTo.topic}/${l.producedTo.partition}/${l.producedTo.offset}` : null)

/**
 * Send letters' (fixed) values back to their topics (dev clusters only; refused before anything
 * connects), each with its key, headers and a lineage header naming the letter; then record them
 * as produced. At least once: see dead-letter-produce.ts.
 */
async function produce(args: string[], out: Out): Promise<number> {
  const { values, pipeline, chosen } = fixArguments('produce', args)
  if (!pipeline.kafka) throw new CommandError(`${pipeline.file} has no "kafka" section: there is no cluster to produce to`)
  try {
    assertDevCluster(pipeline.kafka)
  } catch (error) {
    if (error instanceof NotADevClusterError)
      throw new CommandError(`${error.message}. If ${pipeline.kafka.brokers.join(', ')} is yours to write to, add "dev": true to "kafka" in ${pipeline.file}`)
    throw error
  }
  const fix: LetterFix = {}
  if (values.patch !== undefined) fix.patch = parsePatch(values.patch)
  return withPipelineLake(pipeline, async (lake, catalog) => {
    if (chosen.ids) {
      const letter = await oneLetter(pipeline, lake, catalog, chosen.ids[0])
      if (letter.state !== 'open')
        throw new CommandError(
          `letter ${letterId(letter)} is ${letter.state}${letter.producedTo ? ` (to ${producedText(letter)})` : ''}, not open: it is not produced again`,
        )
      if (values.value !== undefined) fix.value = await editedValue(pipeline, letter, values.value)
    }
    let report: LettersProduced
    try {
      report = await produceLetters(lake, catalog, pipeline, chosen, { fix, decoder: decoderOptions(pipeline) })
    } catch (error) {
      if (error instanceof LetterSelectionError || error instanceof CommandError) throw error
      throw new CommandError(`producing letters to ${pipeline.kafka!.brokers.join(', ')}: ${(error as Error).message}`)
    }
    if (report.produced.length === 0 && report.stillFailing.length === 0) out('no open letters selected: nothing to produce\n')
    else out(`${report.produced.length} letter${report.produced.length === 1 ? '' : 's'} produced, ${report.stillFailing.length} not (still failing)\n`)
    for (const p of report.produced) out(`  ${p.id} → ${p.topic}/${p.partition}/${p.offset}\n`)
    for (const f of report.stillFailing.slice(0, 20)) out(`  ${f.id}: ${f.reason}${f.detail ? `: ${printable(f.detail)}` : ''}\n`)
    if (report.stillFailing.length > 20) out(`  … and ${report.stillFailing.length - 20} more\n`)
    return report.stillFailing.length ? 1 : 0
  })
}

async function editedValue(pipeline: Pipeline, letter: DeadLetter, text: string): Promise<Uint8Array> {
  try {
    return await editedLetterValue(pipeline, letter, text, decoderOptions(pipeline))
  } catch (error) {
    if (error instanceof EditedValueError) throw new CommandError(`--value: ${error.message}`)
    throw error
  }
}

async function discard(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseCommand(
    'dead-letters discard',
    args,
    {
      pipeline: { type: 'string' },
      source: { type: 'string' },
      reason: { type: 'string' },
      all: { type: 'boolean', default: false },
      note: { type: 'string' },
    },
    positionals0(args),
  )
  const pipeline = pipelineFrom(values.pipeline)
  const chosen = selection(values, positionals, 'dead-letters discard')
  if (!values.note?.trim()) throw new UsageError('dead-letters discard: --note "why" is required (it is kept with the letter)')
  return withPipelineLake(pipeline, async (lake, catalog) => {
    const letters = await discardLetters(lake, catalog, chosen, values.note!)
    out(`${letters.length} letter${letters.length === 1 ? '' : 's'} discarded\n`)
    return 0
  })
}

/** replay/discard take an optional LETTER: parseCommand checks the count, so say what was given. */
function positionals0(args: string[]): string[] {
  const given = args.filter((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--') || ['--all'].includes(args[i - 1])))
  return given.length ? ['LETTER'] : []
}
