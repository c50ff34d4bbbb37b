/**
 * Reading a table's `_delta_log` the plain way, independently of src/delta: every commit file as
 * text, its lines and their parsed JSON, plus a lossless JSON parser (so 64-bit integers in
 * `add.stats` keep every digit), record normalisation for checkpoint rows read with hyparquet, and
 * small file-system helpers for integration tests (temp dirs, hand-written commits, data files).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

export const COMMIT_FILE = /^(\d{20})\.json$/

export interface CommitFile {
  version: number
  name: string
  /** Absolute path of the commit file. */
  file: string
  text: string
  /** Non-empty lines, in order. */
  lines: string[]
  /** Each line parsed with JSON.parse (one action object per line). */
  actions: Record<string, any>[]
}

export function logDir(table: string): string {
  return path.join(table, '_delta_log')
}

export function commitName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`
}

/** Versions of the commit files present, ascending. */
export function commitVersions(table: string): number[] {
  return readdirSync(logDir(table))
    .map((name) => COMMIT_FILE.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
}

export function readCommitFile(table: string, version: number): CommitFile {
  const name = commitName(version)
  const file = path.join(logDir(table), name)
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  return { version, name, file, text, lines, actions: lines.map((line) => JSON.parse(line)) }
}

/** Every commit file of the table, oldest first. */
export function readCommits(table: string): CommitFile[] {
  return commitVersions(table).map((v) => readCommitFile(table, v))
}

/** The single key of an action line (`add`, `metaData`, ...). */
export function kindOf(action: Record<string, unknown>): string {
  const keys = Object.keys(action)
  if (keys.length !== 1) throw new Error(`an action line must have exactly one key, got ${JSON.stringify(keys)}`)
  return keys[0]
}

/** All bodies of one action kind over the given commits, in log order. */
export function actionsOf<T = any>(commits: CommitFile[], kind: string): T[] {
  return commits.flatMap((c) => c.actions.filter((a) => kind in a).map((a) => a[kind] as T))
}

/** Write a commit by hand: one JSON object per line. */
export function writeCommitFile(table: string, version: number, actions: unknown[]): string {
  const file = path.join(logDir(table), commitName(version))
  writeFileSync(file, actions.map((a) => JSON.stringify(a)).join('\n') + '\n', { flag: 'wx' })
  return file
}

/** The absolute path of a data file named in the log (relative, percent-encoded). */
export function dataFilePath(table: string, logPath: string): string {
  return path.join(table, ...logPath.split('/').map((segment) => decodeURIComponent(segment)))
}

/** Every Parquet data file under the table root (not `_delta_log`), as absolute paths. */
export function listDataFiles(table: string): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== '_delta_log') walk(full)
      } else if (entry.name.endsWith('.parquet')) out.push(full)
    }
  }
  walk(table)
  return out.sort()
}

export function fileSize(file: string): number {
  return statSync(file).size
}

/** A fresh directory under the OS temp dir; remove it with `removeTempDir`. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `lakehouse-${prefix}-`))
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/**
 * Fresh table paths inside temp dirs made for one test file; `cleanup` removes them all (call it
 * from `after`). The table folder itself does not exist yet.
 */
export function tempTables(prefix: string): { freshTable(name?: string): string; cleanup(): void } {
  const dirs: string[] = []
  return {
    freshTable(name = 'table') {
      const dir = makeTempDir(prefix)
      dirs.push(dir)
      return path.join(dir, name)
    },
    cleanup() {
      for (const dir of dirs) removeTempDir(dir)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Lossless JSON: numbers keep their source text.

/** A JSON number as written, e.g. `9007199254740993` (which a double cannot hold). */
export class RawNumber {
  constructor(readonly raw: string) {}
  toString(): string {
    return this.raw
  }
}

export type LosslessValue = null | boolean | string | RawNumber | LosslessValue[] | { [key: string]: LosslessValue }

/** JSON.parse, except that every number becomes a RawNumber holding its exact text. */
export function parseJsonLossless(text: string): LosslessValue {
  let i = 0
  const fail = (what: string): never => {
    throw new SyntaxError(`lossless JSON: ${what} at offset ${i} in ${text.slice(0, 200)}`)
  }
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++
  }
  const value = (): LosslessValue => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const out: Record<string, LosslessValue> = {}
      ws()
      if (text[i] === '}') {
        i++
        return out
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail('expected a key')
        const key = string()
        ws()
        if (text[i++] !== ':') fail('expected :')
        out[key] = value()
        ws()
        if (text[i] === ',') i++
        else if (text[i] === '}') {
          i++
          return out
        } else fail('expected , or }')
      }
    }
    if (c === '[') {
      i++
      const out: LosslessValue[] = []
      ws()
      if (text[i] === ']') {
        i++
        return out
      }
      for (;;) {
        out.push(value())
        ws()
        if (text[i] === ',') i++
        else if (text[i] === ']') {
          i++
          return out
        } else fail('expected , or ]')
      }
    }
    if (c === '"') return string()
    if (text.startsWith('true', i)) {
      i += 4
      return true
    }
    if (text.startsWith('false', i)) {
      i += 5
      return false
    }
    if (text.startsWith('null', i)) {
      i += 4
      return null
    }
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
    if (!match) return fail('unexpected character')
    i += match[0].length
    return new RawNumber(match[0])
  }
  const string = (): string => {
    const start = i
    i++
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    if (i >= text.length) fail('unterminated string')
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  const result = value()
  ws()
  if (i !== text.length) fail('trailing characters')
  return result
}

// ---------------------------------------------------------------------------------------------
// Checkpoint rows.

/** Fields whose values are string maps: null values inside them are data (a null partition value), not absence. */
const MAP_FIELDS = new Set(['partitionValues', 'configuration', 'tags', 'options'])

/**
 * A record in a comparable form: bigint → number, Map → plain object (keys sorted), fields that are
 * null or undefined dropped (a checkpoint row has every column of its struct, a JSON line only the
 * fields set), except inside string maps where a null value is meaningful.
 */
export function normaliseRecord(value: unknown, keepNulls = false): unknown {
  if (typeof value === 'bigint') return Number(value)
  if (Array.isArray(value)) return value.map((v) => normaliseRecord(v))
  if (value instanceof Map) value = Object.fromEntries(value)
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if ((v === null || v === undefined) && !keepNulls) continue
      out[key] = v === undefined ? null : normaliseRecord(v, MAP_FIELDS.has(key))
    }
    return out
  }
  return value
}

/** Checkpoint rows (one column per action kind, all but one null) → `{kind: body}` records. */
export function checkpointRowsToActions(rows: Record<string, unknown>[]): Record<string, any>[] {
  return rows.map((row) => {
    const present = Object.entries(row).filter(([, v]) => v !== null && v !== undefined)
    if (present.length !== 1) throw new Error(`a checkpoint row must hold exactly one action, got ${present.map(([k]) => k).join(', ') || 'none'}`)
    const [kind, body] = present[0]
    return { [kind]: normaliseRecord(body) }
  })
}

/** Stable sort key of a normalised action, for comparing multisets of actions. */
export function actionSortKey(action: Record<string, any>): string {
  const kind = Object.keys(action)[0]
  const body = action[kind]
  return `${kind}\u0000${body.path ?? body.appId ?? body.domain ?? ''}\u0000${JSON.stringify(body)}`
}
