/** What every `lakehouse` command shares: option parsing, the lake, TABLE arguments, --format. */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { DeltaError } from '../delta/errors'
import type { LakeEngine } from '../engine'
import type { LakeCatalog } from '../query'
import type { OutputFormat } from './format'
import { findLake, type FoundLake } from './find-lake'
import { didYouMean } from '../pipeline/did-you-mean'

/** Wrong usage (exit code 2): an unknown option, a missing or malformed argument, a bad pipeline file. */
export class UsageError extends Error {}

/** A command that failed for a reason the user can act on (exit code 1, one line, no stack trace). */
export class CommandError extends Error {}

export type Out = (text: string) => void

/** A command's options and positionals; node's parse errors (unknown option, missing value) are usage errors. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: O, positionals: string[]) {
  let parsed
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${command}: ${parseProblem(error as Error, code, options)}`)
    throw error
  }
  if (parsed.positionals.length !== positionals.length) {
    const expected = positionals.length ? positionals.join(' ') : 'no arguments'
    throw new UsageError(
      `${command} takes ${expected}, got ${parsed.positionals.length ? parsed.positionals.map((p) => `'${p}'`).join(' ') : 'none'}. Run 'lakehouse help' for the usage.`,
    )
  }
  return parsed
}

/** node's parse errors, said plainly: the option quoted, and what was probably meant. */
function parseProblem(error: Error, code: string, options: NonNullable<ParseArgsConfig['options']>): string {
  const names = Object.keys(options).map((name) => `--${name}`)
  const option = /'(-[^' ]*)/.exec(error.message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    return `unknown option '${option}'.${didYouMean(option.split('=')[0], names)} Options: ${names.join(' ')}`
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return options[option.replace(/^--/, '')]?.type === 'boolean' ? `${option} takes no value` : `${option} needs a value`
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument. ${error.message.replace(/\.$/, '')}`
  return error.message
}

export const LAKE_OPTION = { lake: { type: 'string' } } as const
export const FORMAT_OPTION = { format: { type: 'string', default: 'table' } } as const

const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv', 'markdown']

export function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table'
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be table, json, csv or markdown, not '${format}'.${didYouMean(format, OUTPUT_FORMATS)}`)
  }
  return format as OutputFormat
}

/** A whole number >= `min` given to `option`. */
export function wholeNumber(value: string, option: string, min = 0): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a whole number >= ${min}, not '${value}'`)
  }
  return Number(value)
}

/**
 * Run `body` with an engine and the catalog of the lake (see find-lake.ts for how it is chosen).
 * The engine (DuckDB) is loaded here, by the commands that need it, never at start.
 */
export async function withLake<T>(lakeOption: string | undefined, body: (lake: LakeEngine, catalog: LakeCatalog) => Promise<T>): Promise<T> {
  const found = findLake(lakeOption)
  const info = await fs.stat(found.dir).catch(() => undefined)
  if (!info?.isDirectory()) throw new DeltaError('TABLE_NOT_FOUND', `the lake folder ${found.how} does not exist`)
  const [{ LakeEngine }, { LakeCatalog }] = await Promise.all([import('../engine'), import('../query')])
  const lake = new LakeEngine()
  try {
    return await body(lake, new LakeCatalog(found.dir, lake.io.storage))
  } catch (error) {
    if (error instanceof DeltaError && error.code === 'TABLE_NOT_FOUND' && /^unknown table /.test(error.message)) {
      throw new DeltaError('TABLE_NOT_FOUND', `${error.message}. The lake is ${found.how}; ${lakeHint(found)}`)
    }
    throw error
  } finally {
    await lake.close()
  }
}

/** What to do when the lake in use is not the one meant. */
function lakeHint(found: FoundLake): string {
  if (found.source === 'current folder') return 'to use another, pass --lake DIR, set LAKEHOUSE_LAKE, or run it in the folder of a lakehouse.json'
  return 'pass --lake DIR to use another'
}

export interface TableArgument {
  /** As the user named it: `raw.orders` or the path given. */
  name: string
  /** Absolute path of the table's root. */
  path: string
  /** Whether it was given as a path (else as zone.table). */
  byPath: boolean
}

/** As the catalog's NAME_PART (kept here so that parsing arguments loads no engine code). */
const TABLE_NAME_PART = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/

/** TABLE: `zone.table` (must exist: an unknown name lists the tables) or a path containing '/'. */
export async function tableArgument(catalog: LakeCatalog, ref: string): Promise<TableArgument> {
  if (ref.includes('/') || ref.includes(path.sep)) return { name: ref, path: path.resolve(catalog.lakeDir, ref), byPath: true }
  const parts = ref.split('.')
  if (parts.length !== 2 || !parts.every((p) => TABLE_NAME_PART.test(p))) {
    throw new UsageError(`TABLE must be zone.table (e.g. raw.orders) or a path containing '/' (e.g. ./orders), not '${ref}'`)
  }
  const entry = await catalog.resolve(ref)
  return { name: entry.name, path: entry.path, byPath: false }
}

/** The table as the SQL surface names it: `zone.table` or ``delta.`/abs/path` ``. */
export function sqlTableName(table: TableArgument): string {
  return table.byPath ? `delta.\`${table.path.replaceAll('`', '``')}\`` : table.name
}
