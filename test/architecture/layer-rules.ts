/**
 * The layering rules of STYLE.md and issue 17 as checks over import edges (test/architecture/imports.ts).
 * Each violation carries a key, the unit the allow-list of layers.test.ts names:
 *   up, sideways, webview   `from-file -> to-file`
 *   cycle                   the files of the cycle, sorted, joined by ' | '
 *   kafkajs, duckdb, vscode `from-file` (the package is the rule's)
 *   commit                  `from-file` (it takes the Delta core's `commit` outside src/table)
 *   past-index              `from-layer -> to-file` (another layer's file other than its index.ts)
 * Type-only imports count everywhere: a type from the wrong layer (or DuckDB's value types outside
 * the engine) couples the code as much as a value does, it only does not run.
 */
import { importCycles, type ImportEdge } from './imports'

/** Lower imports nothing above it. Layers of one rank do not import each other (but see SIDEWAYS). */
export const LAYER_RANK: Record<string, number> = {
  delta: 0,
  engine: 1,
  table: 2,
  kafka: 3,
  decode: 3,
  transform: 3,
  pipeline: 4,
  query: 5,
  cli: 6,
  extension: 6,
  demo: 6,
  export: 6,
}

/** Entry points that run other entry points: the CLI has commands for the demo and the export. */
export const SIDEWAYS: Record<string, string[]> = { cli: ['demo', 'export'] }

/** The one shared file pair the extension host and the panels both read: the message protocol. */
export const WEBVIEW_SHARED_WITH_HOST = ['webview/shared/protocol.ts', 'webview/shared/validate.ts']

/** Packages that only one layer may import. */
export const PACKAGE_HOMES: { rule: Rule; matches: (name: string) => boolean; layer: string }[] = [
  { rule: 'kafkajs', matches: (name) => name === 'kafkajs' || name.startsWith('kafkajs/'), layer: 'kafka' },
  { rule: 'duckdb', matches: (name) => name.startsWith('@duckdb/'), layer: 'engine' },
  { rule: 'vscode', matches: (name) => name === 'vscode', layer: 'extension' },
]

/**
 * One commit path (issue 17 part 3): the Delta core's `commit` is taken only by the table layer,
 * whose commitTable every write goes through (the same conflict checks, commitInfo and retries for all).
 */
export const COMMIT_HOME = { files: ['src/delta/index.ts', 'src/delta/commit.ts'], name: 'commit', layers: ['delta', 'table'] }

export type Rule = 'up' | 'sideways' | 'webview' | 'cycle' | 'kafkajs' | 'duckdb' | 'vscode' | 'commit' | 'past-index'
export const RULES: Rule[] = ['up', 'sideways', 'webview', 'cycle', 'kafkajs', 'duckdb', 'vscode', 'commit', 'past-index']

export interface Violation {
  rule: Rule
  key: string
  /** Where: `file:line` of each import behind the key. */
  at: string[]
}

/** `src/<layer>/…` → layer, `webview/…` → 'webview', anything else (schemas/, package.json) → undefined. */
export function layerOf(file: string): string | undefined {
  if (file.startsWith('webview/')) return 'webview'
  const match = /^src\/([^/]+)\//.exec(file)
  return match ? match[1] : undefined
}

export function findViolations(edges: ImportEdge[]): Violation[] {
  const found = new Map<string, Violation>()
  const report = (rule: Rule, key: string, edge: ImportEdge) => {
    const id = `${rule} ${key}`
    if (!found.has(id)) found.set(id, { rule, key, at: [] })
    found.get(id)!.at.push(`${edge.from}:${edge.line}`)
  }
  for (const edge of edges) {
    const from = layerOf(edge.from)
    if (from === undefined) continue
    if (edge.external) {
      for (const home of PACKAGE_HOMES) if (home.matches(edge.to) && from !== home.layer) report(home.rule, edge.from, edge)
      continue
    }
    if (COMMIT_HOME.files.includes(edge.to) && !COMMIT_HOME.layers.includes(from) && edge.names.some((n) => n === COMMIT_HOME.name || n === '*')) {
      report('commit', edge.from, edge)
    }
    const to = layerOf(edge.to)
    if (to === undefined || to === from) continue
    if (from === 'webview' || to === 'webview') {
      if (!(from === 'extension' && WEBVIEW_SHARED_WITH_HOST.includes(edge.to))) report('webview', `${edge.from} -> ${edge.to}`, edge)
      continue
    }
    const fromRank = LAYER_RANK[from]
    const toRank = LAYER_RANK[to]
    if (fromRank === undefined || toRank === undefined) {
      throw new Error(`${edge.from}: src/${fromRank === undefined ? from : to}/ is not a layer of test/architecture/layer-rules.ts: give it a rank`)
    }
    if (toRank > fromRank) report('up', `${edge.from} -> ${edge.to}`, edge)
    else if (toRank === fromRank && !SIDEWAYS[from]?.includes(to)) report('sideways', `${edge.from} -> ${edge.to}`, edge)
    if (!edge.to.endsWith('/index.ts') || edge.to !== `src/${to}/index.ts`) report('past-index', `${from} -> ${edge.to}`, edge)
  }
  for (const cycle of importCycles(edges)) {
    const inCycle = new Set(cycle)
    const key = cycle.join(' | ')
    found.set(`cycle ${key}`, {
      rule: 'cycle',
      key,
      at: edges.filter((e) => !e.external && inCycle.has(e.from) && inCycle.has(e.to)).map((e) => `${e.from}:${e.line} -> ${e.to}`),
    })
  }
  return [...found.values()]
}

/** Whether the allow-list covers a violation; a cycle is covered by an allowed cycle holding all its files. */
export function isAllowed(violation: Violation, allowed: ReadonlySet<string>): boolean {
  if (violation.rule !== 'cycle') return allowed.has(`${violation.rule} ${violation.key}`)
  const files = violation.key.split(' | ')
  for (const entry of allowed) {
    if (!entry.startsWith('cycle ')) continue
    const members = new Set(entry.slice('cycle '.length).split(' | '))
    if (files.every((f) => members.has(f))) return true
  }
  return false
}
