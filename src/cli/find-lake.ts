/**
 * Which lake a command works on, found the way git finds its repository: `--lake DIR`, else the
 * environment variable LAKEHOUSE_LAKE, else the lake named by the pipeline file (`lakehouse.json`,
 * or the only `*.lakehouse.json`) in the current folder or the nearest folder above it, else the
 * current folder. Only the file's `lake` is read here: the whole file is checked by the commands
 * that run it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'

export interface FoundLake {
  dir: string
  source: '--lake' | 'LAKEHOUSE_LAKE' | 'pipeline file' | 'current folder'
  /** How it was chosen, for messages: "…/lake (named by …/lakehouse.json)". */
  how: string
}

export function findLake(option: string | undefined, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): FoundLake {
  if (option !== undefined) {
    const dir = path.resolve(cwd, option)
    return { dir, source: '--lake', how: `${dir} (--lake)` }
  }
  const fromEnv = env.LAKEHOUSE_LAKE
  if (fromEnv) {
    const dir = path.resolve(cwd, fromEnv)
    return { dir, source: 'LAKEHOUSE_LAKE', how: `${dir} (LAKEHOUSE_LAKE)` }
  }
  for (let folder = path.resolve(cwd); ; folder = path.dirname(folder)) {
    const file = pipelineFileIn(folder)
    const lake = file && lakeNamedBy(file)
    if (lake !== undefined) return { dir: lake, source: 'pipeline file', how: `${lake} (named by ${file})` }
    if (path.dirname(folder) === folder) break
  }
  const dir = path.resolve(cwd)
  return { dir, source: 'current folder', how: `the current folder ${dir} (no --lake, no LAKEHOUSE_LAKE, no lakehouse.json here or above)` }
}

/** `lakehouse.json`, or the one `*.lakehouse.json` of the folder (several: none, it is ambiguous). */
export function pipelineFileIn(folder: string): string | undefined {
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch {
    return undefined
  }
  if (names.includes('lakehouse.json')) return path.join(folder, 'lakehouse.json')
  const named = names.filter((n) => n.endsWith('.lakehouse.json'))
  return named.length === 1 ? path.join(folder, named[0]) : undefined
}

/** The pipeline file's `lake`, resolved against its folder; undefined when it cannot be read. */
function lakeNamedBy(file: string): string | undefined {
  try {
    const lake = (JSON.parse(readFileSync(file, 'utf8')) as { lake?: unknown }).lake
    return typeof lake === 'string' && lake !== '' ? path.resolve(path.dirname(file), lake) : undefined
  } catch {
    return undefined
  }
}
