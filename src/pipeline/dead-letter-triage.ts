/**
 * What the dead-letter views show (`lakehouse dead-letters list|show`, and the panel later): the
 * letters grouped by source, reason and state with counts, or per hour of their messages' time;
 * one letter whole: coordinates, value as text or hex, the decoder's reason and detail with the
 * position in the value where decoding failed (when the decoder said it), and what the row would
 * be if decoded now with the pipeline file as it is.
 */
// The ESM build: the UMD one (package main) requires its parts at run time, which a bundle cannot follow.
import { parse, type ParseError } from 'jsonc-parser/lib/esm/main.js'
import type { Decoded, DecoderOptions } from '../decode'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import { quoteString } from '../delta'
import { decodeLetter, type LetterFix } from './dead-letter-replay'
import { LETTERS_WITH_STATE, queryLetterTables, type DeadLetter } from './dead-letter-state'
import type { SourceSpec } from './pipeline-file'

export interface LetterGroup {
  source: string
  reason: string
  state: string
  letters: number
  first_message: string | null
  last_message: string | null
}
export interface LetterHour {
  source: string
  reason: string
  hour: string
  letters: number
  open: number
}

const filters = (source?: string, reason?: string) =>
  ['true', ...(source ? [`source = ${quoteString(source)}`] : []), ...(reason ? [`reason = ${quoteString(reason)}`] : [])].join(' AND ')

export async function letterGroups(lake: LakeEngine, catalog: LakeCatalog, source?: string, reason?: string): Promise<LetterGroup[]> {
  const rows = await queryLetterTables(
    lake,
    catalog,
    `SELECT source, reason, state, count(*) AS letters,
      strftime(min(_timestamp) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC') AS first_message, strftime(max(_timestamp) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC') AS last_message
    FROM (${LETTERS_WITH_STATE}) WHERE ${filters(source, reason)} GROUP BY ALL ORDER BY source, reason, state`,
  )
  return rows.map((r) => ({
    source: String(r.source),
    reason: String(r.reason),
    state: String(r.state),
    letters: Number(r.letters),
    first_message: r.first_message as string | null,
    last_message: r.last_message as string | null,
  }))
}

/** Letters per hour of their messages' time (UTC), with how many are still open. */
export async function letterHours(lake: LakeEngine, catalog: LakeCatalog, source?: string, reason?: string): Promise<LetterHour[]> {
  const rows = await queryLetterTables(
    lake,
    catalog,
    `SELECT source, reason, strftime(date_trunc('hour', _timestamp AT TIME ZONE 'UTC'), '%Y-%m-%d %H:00 UTC') AS hour,
      count(*) AS letters, count(*) FILTER (WHERE state = 'open') AS open
    FROM (${LETTERS_WITH_STATE}) WHERE ${filters(source, reason)} GROUP BY ALL ORDER BY source, reason, hour`,
  )
  return rows.map((r) => ({ source: String(r.source), reason: String(r.reason), hour: String(r.hour), letters: Number(r.letters), open: Number(r.open) }))
}

export interface FailurePosition {
  /** Character offset in the value's text (0-based), as the decoder said it. */
  at: number
  line: number
  column: number
  /** Up to 30 characters each side, and where the failure is in it. */
  context: string
  caret: number
}

/**
 * Where decoding failed in the value's text: the position the decoder's detail names ("… at
 * position 17"), else for invalid JSON the first error jsonc-parser finds (V8's messages often
 * name no position).
 */
export function failurePosition(reason: string, detail: string | null, text: string | null): FailurePosition | undefined {
  if (text === null) return undefined
  const named = detail === null ? null : /\bposition (\d+)/.exec(detail)
  let at: number | undefined = named ? Number(named[1]) : undefined
  if (at === undefined && reason === 'invalid-json') {
    const errors: ParseError[] = []
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false })
    at = errors[0]?.offset
  }
  if (at === undefined) return undefined
  at = Math.min(at, text.length)
  const before = text.slice(0, at)
  const line = before.split('\n').length
  const column = at - (before.lastIndexOf('\n') + 1) + 1
  const start = Math.max(0, at - 30)
  return { at, line, column, context: text.slice(start, at + 30).replace(/\n/g, ' '), caret: at - start }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Control characters other than tab and line breaks: a value holding them is binary, shown as hex. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/

/** The value as text when it is UTF-8 without control characters, else null (show it as hex). */
export function valueText(value: Buffer | null): string | null {
  if (value === null) return null
  try {
    const text = utf8.decode(value)
    return CONTROL.test(text) ? null : text
  } catch {
    return null
  }
}

/** Text with its control characters escaped (\x1b…), safe to print to a terminal. */
export function printable(text: string): string {
  return text.replace(new RegExp(CONTROL.source, 'g'), (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

export interface LetterView {
  letter: DeadLetter
  /** The value as UTF-8 text, or null when it is not UTF-8 (then see hex). */
  text: string | null
  hex: string | null
  position?: FailurePosition
  /** What the value decodes to now, with the pipeline file as it is (and a fix, when given). */
  now: Decoded | { kind: 'unknown-source'; detail: string }
}

export async function viewLetter(letter: DeadLetter, source: SourceSpec | undefined, decoder: DecoderOptions, fix: LetterFix = {}): Promise<LetterView> {
  const text = valueText(letter.value)
  const position = failurePosition(letter.reason, letter.detail, text)
  return {
    letter,
    text,
    hex: letter.value === null ? null : letter.value.toString('hex'),
    ...(position ? { position } : {}),
    now: source ? await decodeLetter(letter, source, fix, decoder) : { kind: 'unknown-source', detail: `the pipeline file has no source '${letter.source}'` },
  }
}
