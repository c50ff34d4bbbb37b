/** What every `lakehouse` command shares: option parsing, the lake, TABLE arguments, --format. */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { DeltaError } from '../delta/errors'
import { LakeEngine } from '../engine'
import { LakeCatalog, NAME_PART } from '../query'
import type { OutputFormat } from './format'

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
    if (typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${command}: ${(error as Error).message}`)
    }
    throw error
  }
  if (parsed.positionals.length !== positionals.length) {
    const expected = positionals.length ? positionals.join(' ') : 'no arguments'
    throw new UsageError(`${command} takes ${expected}, got ${parsed.positionals.length ? parsed.positionals.map((p) => `'${p}'`).join(' ') : 'none'}. Run 'lakehouse help' for the usage.`)
  }
  return parsed
}

export const LAKE_OPTION = { lake: { type: 'string' } } as const
export const FORMAT_OPTION = { format: { type: 'string', default: 'table' } } as const

export function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table'
  if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv, not '${format}'`)
  return format as OutputFormat
}

/** A whole number >= `min` given to `option`. */
export function wholeNumber(value: string, option: string, min = 0): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a whole number >= ${min}, not '${value}'`)
  }
  return Number(value)
}

/** Run `body` with an engine and the catalog of the lake folder `--lake` (default: the current folder). */
export async function withLake<T>(lakeOption: string | undefined, body: (lake: LakeEngine, catalog: LakeCatalog) => Promise<T>): Promise<T> {
  const lakeDir = path.resolve(lakeOption ?? '.')
  const info = await fs.stat(lakeDir).catch(() => undefined)
  if (!info?.isDirectory()) throw new DeltaError('TABLE_NOT_FOUND', `the lake folder ${lakeDir} does not exist${lakeOption === undefined ? '' : ' (--lake)'}`)
  const lake = new LakeEngine()
  try {
    return await body(lake, new LakeCatalog(lakeDir, lake.io.storage))
  } finally {
    await lake.close()
  }
}

export interface TableArgument {
  /** As the user named it: `raw.orders` or the path given. */
  name: string
  /** Absolute path of the table's root. */
  path: string
  /** Whether it was given as a path (else as zone.table). */
  byPath: boolean
}

/** TABLE: `zone.table` (must exist: an unknown name lists the tables) or a path containing '/'. */
export async function tableArgument(catalog: LakeCatalog, ref: string): Promise<TableArgument> {
  if (ref.includes('/') || ref.includes(path.sep)) return { name: ref, path: path.resolve(catalog.lakeDir, ref), byPath: true }
  const parts = ref.split('.')
  if (parts.length !== 2 || !parts.every((p) => NAME_PART.test(p))) {
    throw new UsageError(`TABLE must be zone.table (e.g. raw.orders) or a path containing '/' (e.g. ./orders), not '${ref}'`)
  }
  const entry = await catalog.resolve(ref)
  return { name: entry.name, path: entry.path, byPath: false }
}

/** The table as the SQL surface names it: `zone.table` or ``delta.`/abs/path` ``. */
export function sqlTableName(table: TableArgument): string {
  return table.byPath ? `delta.\`${table.path.replaceAll('`', '``')}\`` : table.name
}
