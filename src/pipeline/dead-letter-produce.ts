/**
 * Producing dead letters back to their topic, fixed: the letter's value (or an edited value, or
 * its JSON value through a JSON Patch) is sent to the topic and partition the letter came from,
 * with its key and headers and one header more, `lakehouse-dead-letter: source/topic/partition/
 * offset`, so the new message names the letter it repairs. Only to a cluster the pipeline file
 * marks as dev (refused before anything connects), and only a value the source's decoder reads
 * now (a value that would fail again is reported, not sent). Then the letter's state becomes
 * `produced`, with where the new message landed, and it no longer counts as open.
 *
 * At least once, not exactly once: the topic and the lake cannot commit together. Letters are
 * sent first and their states recorded after, in one commit; a send that fails part way records
 * the letters sent before it. A process killed between a send and that commit leaves its letters
 * open, and producing them again sends a second copy (both carry the lineage header; the state
 * names the second). A letter whose state is produced (or replayed, or discarded) is never
 * produced again: only open letters are selected.
 */
import { createRegistryEncoder, EncodeError, usesSchemaRegistry, type DecoderOptions } from '../decode'
import { assertDevCluster, produceMessages, topicNameProblem, type KafkaClientOptions, type OutgoingMessage } from '../kafka'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import {
  decodeLetter,
  fixedValue,
  letterMessage,
  LetterSelectionError,
  PatchError,
  selectLetters,
  type LetterFix,
  type LetterSelection,
  type StillFailing,
} from './dead-letter-replay'
import { letterId, recordStates, type DeadLetter, type ProducedTo } from './dead-letter-state'
import type { Pipeline, SourceSpec } from './pipeline-file'

/** The header a produced letter's message carries: the letter it was made from (letterId). */
export const LINEAGE_HEADER = 'lakehouse-dead-letter'

export interface ProducedLetter extends ProducedTo {
  id: string
}

export interface LettersProduced {
  produced: ProducedLetter[]
  /** Letters whose (fixed) value the source's decoder still cannot read, or that have no topic to go back to: not sent. */
  stillFailing: StillFailing[]
}

export interface ProduceLettersOptions {
  fix?: LetterFix
  decoder: DecoderOptions
  /** How to reach the cluster (a password from SecretStorage, timeouts). */
  client?: KafkaClientOptions
  /** Called after the sends and before the state commit (tests). */
  onSent?: (produced: ProducedLetter[]) => void
}

/** Whether a letter can go back to a topic: letters of file sources name their file, not a topic. */
function noTopic(letter: DeadLetter): string | undefined {
  if (letter.topic.startsWith('file:'))
    return `it came from the file ${letter.topic.slice('file:'.length)}, not from a Kafka topic: there is no topic to produce it back to`
  const problem = topicNameProblem(letter.topic)
  return problem ? `'${letter.topic}' is not a topic to produce to: ${problem}` : undefined
}

/** The bytes to send: the fixed value, a patched JSON value encoded with the registry schema for registry formats. */
async function valueToSend(letter: DeadLetter, source: SourceSpec, fix: LetterFix, decoder: DecoderOptions): Promise<Uint8Array | null> {
  const value = fixedValue(letter, fix)
  if (!fix.patch || value === null || !usesSchemaRegistry(source.format)) return value
  if (!decoder.schemaRegistry) throw new LetterSelectionError(`source '${source.name}' is ${source.format}, which needs kafka.schemaRegistry`)
  const encoder = await createRegistryEncoder(source.format, letter.topic, decoder.schemaRegistry)
  return encoder.encode(JSON.parse(Buffer.from(value).toString('utf8')))
}

const headersOf = (letter: DeadLetter): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(letter.headers).filter((e): e is [string, string] => e[1] !== null && e[0] !== LINEAGE_HEADER)),
  [LINEAGE_HEADER]: letterId(letter),
})

const fixName = (fix: LetterFix) => (fix.value !== undefined ? 'edited value' : fix.patch ? `JSON Patch ${JSON.stringify(fix.patch)}` : 'as it was')

/** Produce the selected open letters, fixed, to their topics; record each one sent as produced. */
export async function produceLetters(
  lake: LakeEngine,
  catalog: LakeCatalog,
  pipeline: Pipeline,
  selection: LetterSelection,
  options: ProduceLettersOptions,
): Promise<LettersProduced> {
  if (!pipeline.kafka) throw new LetterSelectionError(`${pipeline.file} has no "kafka" section: there is no cluster to produce to`)
  const kafka = pipeline.kafka
  assertDevCluster(kafka)
  const fix = options.fix ?? {}
  const letters = await selectLetters(lake, catalog, selection, ['open'])
  if (fix.value !== undefined && letters.length > 1)
    throw new LetterSelectionError(`an edited value replaces one letter's, but the selection holds ${letters.length} open letters: name one letter`)
  const report: LettersProduced = { produced: [], stillFailing: [] }
  const ready: { letter: DeadLetter; message: OutgoingMessage }[] = []
  for (const letter of letters) {
    const source = pipeline.sources.find((s) => s.name === letter.source)
    const refused = source ? noTopic(letter) : `${pipeline.file} has no source '${letter.source}' to check the value with`
    if (refused || !source) {
      report.stillFailing.push({ id: letterId(letter), reason: 'not-produced', detail: refused })
      continue
    }
    let value: Uint8Array | null
    try {
      value = await valueToSend(letter, source, fix, options.decoder)
    } catch (error) {
      if (!(error instanceof PatchError || error instanceof EncodeError || error instanceof SyntaxError)) throw error
      report.stillFailing.push({ id: letterId(letter), reason: error instanceof PatchError ? 'patch-failed' : 'cannot-encode', detail: error.message })
      continue
    }
    // What is sent is what the source reads now: a value that would be a dead letter again stays here.
    const decoded = await decodeLetter(letter, source, value === null ? {} : { value }, options.decoder)
    if (decoded.kind === 'error') {
      report.stillFailing.push({ id: letterId(letter), reason: decoded.reason, ...(decoded.detail ? { detail: decoded.detail } : {}) })
      continue
    }
    ready.push({ letter, message: { key: letterMessage(letter).key, value, headers: headersOf(letter), partition: letter.partition } })
  }
  let failure: unknown
  for (const topic of new Set(ready.map((r) => r.letter.topic))) {
    const ofTopic = ready.filter((r) => r.letter.topic === topic)
    const landed: ProducedLetter[] = []
    try {
      await produceMessages(
        kafka,
        topic,
        ofTopic.map((r) => r.message),
        {
          ...(options.client ? { client: options.client } : {}),
          onProgress: ({ produced, last }) =>
            void landed.push({ id: letterId(ofTopic[produced - 1].letter), topic, partition: last.partition, offset: last.offset }),
        },
      )
    } catch (error) {
      failure = error
    }
    report.produced.push(...landed)
    if (failure) break
  }
  options.onSent?.(report.produced)
  const byId = new Map(ready.map((r) => [letterId(r.letter), r.letter]))
  await recordStates(
    lake,
    catalog,
    report.produced.map((p) => {
      const l = byId.get(p.id)!
      return {
        source: l.source,
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        state: 'produced',
        fix: fixName(fix),
        producedTo: { topic: p.topic, partition: p.partition, offset: p.offset },
      }
    }),
  )
  if (failure) throw failure
  return report
}
