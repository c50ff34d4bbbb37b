/**
 * The Dead Letters panel's host side: a pipeline's dead letters grouped by source and reason (and
 * per hour), one letter whole, and the fixes: replay one letter (edited or as it is), produce one
 * letter's edited value back to its topic (dev clusters only, asking first), replay every letter of
 * a reason (optionally through a JSON Patch), discard with a note. Everything is the
 * pipeline layer's (`lakehouse dead-letters` runs the same functions): this file only maps
 * messages to calls. The pipeline file is read again for each request, so a fix made in it (a
 * format, a schema hint) applies to the next preview and replay.
 */
import { usesSchemaRegistry, type DecoderOptions } from '../../decode'
import type { LakeEngine } from '../../engine'
import type { KafkaClientOptions } from '../../kafka'
import {
  discardLetters,
  produceLetters,
  editedLetterValue,
  EditedValueError,
  letterGroups,
  letterHours,
  letterId,
  LetterPatchError,
  LetterSelectionError,
  parseLetterPatch,
  replayLetters,
  selectLetters,
  viewLetter,
  type DeadLetter,
  type LetterFix,
  type LetterSelection,
  type Pipeline,
  type SourceReplay,
} from '../../pipeline'
import type { LakeCatalog } from '../../query'
import type {
  DeadLettersToHost,
  DeadLettersToPanel,
  JsonValue,
  LetterDecoded,
  LetterDetail,
  LetterGroupInfo,
  LetterSummary,
} from '../../../webview/shared/protocol'
import { deadLettersToHost, LETTER_STATES } from '../../../webview/shared/protocol'
import { routeMessages, type PanelHandler, type PanelLog } from './message-router'
import { produceAccess } from './topic-produce'
import { ExtensionError } from '../errors'

export interface DeadLettersHandlerDeps {
  lake: LakeEngine
  catalog: LakeCatalog
  /** The pipeline file as it is now (read again for every request). */
  pipeline(): Pipeline
  /** How the sources' decoders reach the schema registry (with its password), when the pipeline names one. */
  decoderOptions(pipeline: Pipeline): Promise<DecoderOptions>
  /** How to reach the pipeline's cluster when producing (its password from SecretStorage); default: as the pipeline file says. */
  kafkaClient?(pipeline: Pipeline): Promise<KafkaClientOptions>
  /** Ask the user before something is changed for good (a modal in VS Code); true: go ahead. */
  confirm(question: string, action: string): Promise<boolean>
  /** Letters changed state: the Pipelines view and the status bar count again. */
  onLettersChanged(): void
  log: PanelLog
}

export interface DeadLettersPanelInit {
  /** The pipeline file as the panel's title names it. */
  label: string
  /** Show this source's letters first. */
  source?: string
  restore: Record<string, JsonValue>
}

/** Letters listed at most for one selection: the groups still count them all. */
export const LETTERS_SHOWN = 500
/** A value's text up to this many characters is sent whole (the protocol takes 10 M a string). */
const TEXT_CHARS_MAX = 4_000_000
/** Larger values are sent as their first bytes in hex. */
const HEX_BYTES_MAX = 1024 * 1024

export interface DeadLettersHandler extends PanelHandler {
  /** Letters changed outside the panel: the panel loads again. */
  lettersChanged(): void
  /** Opened again from a source: the panel shows that source's letters. */
  focus(source: string | undefined): void
}

export function createDeadLettersHandler(
  deps: DeadLettersHandlerDeps,
  init: DeadLettersPanelInit,
  post: (message: DeadLettersToPanel) => void,
): DeadLettersHandler {
  const { lake, catalog } = deps

  async function one(id: string): Promise<DeadLetter> {
    const [letter] = await selectLetters(lake, catalog, { ids: [id] })
    if (!letter) throw new ExtensionError(`no dead letter ${id} in ${catalog.lakeDir}: it may have been removed with its table`)
    return letter
  }

  function sendInit(): void {
    const pipeline = deps.pipeline()
    const { source } = init
    post({
      type: 'init',
      pipeline: init.label,
      lake: pipeline.lakeDir,
      sources: pipeline.sources.map((s) => s.name),
      ...(source ? { source } : {}),
      restore: init.restore,
    })
  }

  async function load(message: Extract<DeadLettersToHost, { type: 'load' }>): Promise<void> {
    const { requestId, state, source, reason } = message
    const states = state === 'all' ? [...LETTER_STATES] : [state]
    const selection: LetterSelection = { ...(source ? { source } : {}), ...(reason ? { reason } : {}) }
    const [groups, hours, letters] = await Promise.all([
      letterGroups(lake, catalog),
      letterHours(lake, catalog),
      selectLetters(lake, catalog, selection, states),
    ])
    post({
      type: 'letters',
      requestId,
      state,
      ...(source ? { source } : {}),
      ...(reason ? { reason } : {}),
      groups: groups.map(
        (g): LetterGroupInfo => ({
          source: g.source,
          reason: g.reason,
          state: stateOf(g.state),
          letters: g.letters,
          firstMessage: g.first_message,
          lastMessage: g.last_message,
        }),
      ),
      hours: hours.map((h) => ({ source: h.source, reason: h.reason, hour: h.hour, letters: h.letters, open: h.open })),
      letters: letters.slice(0, LETTERS_SHOWN).map(summaryOf),
      truncated: letters.length > LETTERS_SHOWN,
    })
  }

  async function show({ requestId, id }: { requestId: number; id: string }): Promise<void> {
    const letter = await one(id)
    const pipeline = deps.pipeline()
    const source = pipeline.sources.find((s) => s.name === letter.source)
    const view = await viewLetter(letter, source, await deps.decoderOptions(pipeline))
    const detail: LetterDetail = {
      summary: summaryOf(letter),
      key: letter.key,
      headers: letter.headers,
      size: letter.value === null ? null : letter.value.length,
      // A value too large for one message is shown in part: its first bytes in hex (the CLI shows it all).
      text: view.text !== null && view.text.length <= TEXT_CHARS_MAX ? view.text : null,
      hex: view.hex === null ? null : view.hex.slice(0, HEX_BYTES_MAX * 2),
      ...(view.position ? { position: view.position } : {}),
      now: decodedOf(view.now),
      ...(source ? { format: source.format } : {}),
      registry: source !== undefined && usesSchemaRegistry(source.format),
    }
    post({ type: 'letter', requestId, letter: detail })
  }

  /** The fix an edited value makes, as bytes in the source's format (JSON encoded through the registry for registry formats). */
  async function editedFix(pipeline: Pipeline, letter: DeadLetter, value: string): Promise<LetterFix> {
    try {
      return { value: await editedLetterValue(pipeline, letter, value, await deps.decoderOptions(pipeline)) }
    } catch (error) {
      if (error instanceof EditedValueError) throw new ExtensionError(`The edited value cannot be encoded: ${error.message}`)
      throw error
    }
  }

  async function preview({ requestId, id, value }: { requestId: number; id: string; value: string }): Promise<void> {
    const letter = await one(id)
    const pipeline = deps.pipeline()
    const source = pipeline.sources.find((s) => s.name === letter.source)
    let now: LetterDecoded
    try {
      const view = await viewLetter(letter, source, await deps.decoderOptions(pipeline), await editedFix(pipeline, letter, value))
      now = decodedOf(view.now)
    } catch (error) {
      now = { type: 'error', reason: 'cannot-encode', detail: (error as Error).message }
    }
    post({ type: 'preview', requestId, id, now })
  }

  async function replay(selection: LetterSelection, fix: (pipeline: Pipeline) => Promise<LetterFix>, what: string): Promise<void> {
    const pipeline = deps.pipeline()
    let reports: SourceReplay[]
    try {
      reports = await replayLetters(lake, catalog, pipeline, selection, { fix: await fix(pipeline), decoder: await deps.decoderOptions(pipeline) })
    } catch (error) {
      if (error instanceof LetterSelectionError) throw new ExtensionError(error.message)
      throw error
    }
    const replayed = reports.reduce((n, r) => n + r.replayed + r.recovered, 0)
    if (replayed) deps.onLettersChanged()
    post({ type: 'done', message: replayMessage(what, reports), changed: replayed > 0 || reports.some((r) => r.stillFailing.length > 0) })
  }

  /** Send one letter's edited value back to its topic: refused unless the cluster is a dev cluster, asked first, then the letter is produced. */
  async function produce({ id, value }: { id: string; value: string }): Promise<void> {
    const pipeline = deps.pipeline()
    if (!pipeline.kafka) throw new ExtensionError(`${pipeline.file} has no "kafka" section: there is no cluster to produce to.`)
    const letter = await one(id)
    const source = pipeline.sources.find((s) => s.name === letter.source)
    const access = produceAccess({ kafka: pipeline.kafka, topic: letter.topic, format: source?.format ?? 'json', pipelineFile: pipeline.file })
    if (!access.allowed) throw new ExtensionError(access.refusal)
    if (letter.state !== 'open') {
      post({ type: 'done', message: `Letter ${id} is ${letter.state}, not open: nothing was sent.`, changed: true })
      return
    }
    const fix = await editedFix(pipeline, letter, value)
    const question =
      `Produce the edited value of letter ${id} to topic ${letter.topic}, partition ${letter.partition}, on ${pipeline.kafka.brokers.join(', ')}? ` +
      `It is sent with the letter's key and headers and a header lakehouse-dead-letter naming the letter, and the letter is marked produced (it is not replayed into ${source?.table ?? 'its raw table'}).`
    if (!(await deps.confirm(question, 'Produce'))) {
      post({ type: 'done', message: 'Produce cancelled: nothing was sent.', changed: false })
      return
    }
    let report: Awaited<ReturnType<typeof produceLetters>>
    try {
      report = await produceLetters(
        lake,
        catalog,
        pipeline,
        { ids: [id] },
        { fix, decoder: await deps.decoderOptions(pipeline), ...(deps.kafkaClient ? { client: await deps.kafkaClient(pipeline) } : {}) },
      )
    } catch (error) {
      if (error instanceof LetterSelectionError) throw new ExtensionError(error.message)
      throw new ExtensionError(`Producing letter ${id} to ${letter.topic}: ${(error as Error).message}`)
    }
    const [landed] = report.produced
    const [failing] = report.stillFailing
    if (landed) deps.onLettersChanged()
    post({
      type: 'done',
      message: landed
        ? `Letter ${id}: produced to ${landed.topic}, partition ${landed.partition}, offset ${landed.offset}.`
        : failing
          ? `Letter ${id}: not produced, the edited value still fails: ${failing.reason}${failing.detail ? `: ${failing.detail}` : ''}.`
          : `Letter ${id}: no open letter, nothing was sent.`,
      changed: true,
    })
  }

  const receive = routeMessages<DeadLettersToHost>(
    'dead-letters',
    deadLettersToHost,
    {
      ready: () => sendInit(),
      load,
      show,
      preview,
      produce,
      replay: ({ id, value }) =>
        replay({ ids: [id] }, async (pipeline) => (value === undefined ? {} : editedFix(pipeline, await one(id), value)), `Letter ${id}`),
      replayGroup: ({ source, reason, patch }) =>
        replay(
          { source, reason },
          async () => {
            if (patch === undefined || patch.trim() === '') return {}
            try {
              return { patch: parseLetterPatch(patch) }
            } catch (error) {
              if (error instanceof LetterPatchError) throw new ExtensionError(`The JSON Patch ${error.message}`)
              throw error
            }
          },
          `Letters of ${source} / ${reason}`,
        ),
      async discard({ id, source, reason, note }) {
        if (!note.trim()) throw new ExtensionError('A note saying why is required to discard letters (it is kept with them).')
        if (id === undefined && (source === undefined || reason === undefined))
          throw new ExtensionError('Discard one letter, or the letters of one source and reason.')
        const selection: LetterSelection = id !== undefined ? { ids: [id] } : { source, reason }
        const open = await selectLetters(lake, catalog, selection, ['open'])
        if (open.length === 0) {
          post({ type: 'done', message: 'No open letter to discard: nothing changed.', changed: true })
          return
        }
        const which = id !== undefined ? `letter ${id}` : `${open.length} open letter${open.length === 1 ? '' : 's'} of ${source} / ${reason}`
        const question = `Discard ${which}? ${open.length === 1 ? 'It stays' : 'They stay'} in raw._dead_letters, marked discarded with the note "${note}", and will not be replayed.`
        if (!(await deps.confirm(question, 'Discard'))) {
          post({ type: 'done', message: 'Discard cancelled: nothing changed.', changed: false })
          return
        }
        const discarded = await discardLetters(lake, catalog, selection, note)
        deps.onLettersChanged()
        post({ type: 'done', message: `${discarded.length} letter${discarded.length === 1 ? '' : 's'} discarded.`, changed: true })
      },
    },
    post,
    deps.log,
  )

  return {
    receive,
    dispose: async () => {},
    lettersChanged: () => post({ type: 'changed' }),
    focus: (source) => {
      if (source !== undefined) post({ type: 'focus', source })
    },
  }
}

const stateOf = (state: string) => ((LETTER_STATES as readonly string[]).includes(state) ? (state as LetterSummary['state']) : 'open')

function summaryOf(letter: DeadLetter): LetterSummary {
  return {
    id: letterId(letter),
    source: letter.source,
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    timestamp: letter.timestamp,
    reason: letter.reason,
    detail: letter.detail,
    state: stateOf(letter.state),
    note: letter.note,
    rawVersion: letter.rawVersion,
    producedTo: letter.producedTo ? `${letter.producedTo.topic}/${letter.producedTo.partition}/${letter.producedTo.offset}` : null,
  }
}

/** What a value decodes to, as the protocol carries it (a row's values are JSON already: decoders produce them from JSON or to JSON types). */
function decodedOf(now: Awaited<ReturnType<typeof viewLetter>>['now']): LetterDecoded {
  if (now.kind === 'row') return { type: 'row', value: jsonSafe(now.row) }
  if (now.kind === 'tombstone') return { type: 'tombstone' }
  if (now.kind === 'unknown-source') return { type: 'error', reason: 'unknown-source', detail: now.detail }
  return { type: 'error', reason: now.reason, ...(now.detail ? { detail: now.detail } : {}) }
}

/** Decoded rows may hold bigints, bytes or dates (Avro, Protobuf): as JSON text would show them. */
function jsonSafe(value: unknown): JsonValue {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)) ??
      'null',
  ) as JsonValue
}

function replayMessage(what: string, reports: SourceReplay[]): string {
  if (reports.length === 0) return `${what}: no open letter selected, nothing to replay.`
  return reports
    .map((r) => {
      const parts = [`${r.replayed} replayed into ${r.table}${r.rawVersion !== undefined ? ` (version ${r.rawVersion})` : ''}`]
      if (r.recovered) parts.push(`${r.recovered} found there already (an interrupted replay) and recorded`)
      if (r.stillFailing.length) {
        const first = r.stillFailing[0]
        parts.push(
          `${r.stillFailing.length} still failing (${first.reason}${first.detail ? `: ${first.detail}` : ''}${r.stillFailing.length > 1 ? ', …' : ''})`,
        )
      }
      return `${what}: ${parts.join(', ')}.`
    })
    .join('\n')
}
