/**
 * The layers hold (issue 17 part 7, STYLE.md): every import of src/ and webview/ is read with the
 * TypeScript compiler's parser (test/architecture/imports.ts) and checked against the rules of
 * test/architecture/layer-rules.ts:
 *   up          a layer imports one above it: delta ← engine ← table ← kafka, decode, transform ← pipeline
 *               ← query ← cli, extension, demo, export
 *   sideways    layers of one rank import each other (the CLI may run the demo and the export)
 *   webview     webview/ imports from src/, or src/ from webview/ (the extension may import the
 *               message protocol, webview/shared/protocol.ts and validate.ts)
 *   cycle       files that import each other, directly or around a loop (type-only imports count)
 *   kafkajs     kafkajs outside src/kafka (the ingest job too: it gets the consumer loop from src/kafka)
 *   duckdb      @duckdb/* outside src/engine; type-only imports count: DuckDB's value types outside
 *               the engine tie the other layers to its API as much as its calls do
 *   vscode      vscode outside src/extension
 *   commit      the Delta core's `commit` outside src/table: every write goes through the table layer's
 *               commitTable (one commit path: the same conflict checks, commitInfo and retries)
 *   past-index  another layer's file other than its index.ts (its public surface)
 * Today's code breaks some of these: ALLOWED names each such import with the reason, so this test
 * passes today and fails on any new one. Entries that no longer occur are listed (console) to be
 * removed, without failing: the list only shrinks.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { readImports, sourceFiles } from './imports'
import { findViolations, isAllowed, RULES, type Rule, type Violation } from './layer-rules'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Today's violations, grouped by reason; the lead removes entries as the refactoring of issue 17 lands. */
const ALLOWED: { rule: Rule; reason: string; keys: string[] }[] = [
  {
    rule: 'past-index',
    reason:
      'CLI start: main.ts and args.ts, loaded by every command and by --help, take DeltaError from its file; through src/delta/index.ts --help would parse the whole protocol (26 KB of code at start becomes 103 KB)',
    keys: ['cli -> src/delta/errors.ts'],
  },
  {
    rule: 'past-index',
    reason:
      "CLI start: args.ts and main.ts (every command, and --help) take didYouMean from its file (through src/pipeline/index.ts --help would load 2.3 MB of code, not 26 KB); loadPipeline's file compiles the pipeline file's JSON Schema (Ajv) when loaded, so it is not in the index (query would load Ajv); `tables` takes isDocumentStateTable from refine/ (0.56 MB of code, not 2.3 MB)",
    keys: ['cli -> src/pipeline/did-you-mean.ts', 'cli -> src/pipeline/pipeline-file.ts', 'cli -> src/pipeline/refine/index.ts'],
  },
  {
    rule: 'past-index',
    reason:
      "loadPipeline's file compiles the pipeline file's JSON Schema (Ajv) when loaded, so it is not in src/pipeline/index.ts (every importer of the index, query included, would load Ajv)",
    keys: ['demo -> src/pipeline/pipeline-file.ts'],
  },
  {
    rule: 'past-index',
    reason:
      'activation and first clicks: the extension loads these modules alone (at activation, or on first use through lazy.ts and dynamic imports), not src/pipeline/index.ts, which evaluates the whole pipeline layer (kafkajs, every decoder, ingest and refine) when loaded',
    keys: [
      'extension -> src/pipeline/did-you-mean.ts',
      'extension -> src/pipeline/file-source.ts',
      'extension -> src/pipeline/flow-preview.ts',
      'extension -> src/pipeline/pipeline-file.ts',
      'extension -> src/pipeline/refine/index.ts',
    ],
  },
  {
    rule: 'past-index',
    reason:
      'issue 23: the .sql editor splits and tokenizes at activation; the extension loads src/query/index.ts only on first use (lazy.ts: it brings the engine, the table layer and the pipeline), so the splitter is taken from its files',
    keys: ['extension -> src/query/statements/split.ts', 'extension -> src/query/statements/tokens.ts'],
  },
  {
    rule: 'past-index',
    reason:
      "src/decode/index.ts loads every decoder (avsc, protobufjs): refine's JSON helpers come from their files, so `lakehouse tables` (which reads refine's isDocumentStateTable) loads 0.56 MB of code, not 1.17 MB",
    keys: ['pipeline -> src/decode/extended-json.ts', 'pipeline -> src/decode/json-text.ts', 'pipeline -> src/decode/merge.ts'],
  },
]

function check(rootDir: string) {
  const files = sourceFiles(rootDir, ['src', 'webview'])
  const violations = findViolations(files.flatMap((file) => readImports(rootDir, file)))
  return { files, violations }
}

/** One line per rule: how many imports break it, how many of those are allowed, how many are new. */
function table(violations: Violation[], allowed: ReadonlySet<string>, fixed: string[]): string {
  const rows = RULES.map((rule) => {
    const mine = violations.filter((v) => v.rule === rule)
    const imports = mine.reduce((n, v) => n + v.at.length, 0)
    const fresh = mine.filter((v) => !isAllowed(v, allowed)).length
    const gone = fixed.filter((entry) => entry.startsWith(`${rule} `)).length
    return `${rule.padEnd(11)} ${String(mine.length).padStart(5)} ${String(imports).padStart(8)} ${String(fresh).padStart(4)} ${String(gone).padStart(6)}`
  })
  return ['rule        found  imports  new  fixed', ...rows].join('\n')
}

test("no import breaks the layers beyond the allow-list of today's violations", () => {
  const { files, violations } = check(root)
  assert.ok(files.length > 100, `read the sources (${files.length} files)`)
  const allowed = new Set(ALLOWED.flatMap((group) => group.keys.map((key) => `${group.rule} ${key}`)))
  const fixed = [...allowed].filter((entry) => !violations.some((v) => isAllowed(v, new Set([entry]))))
  console.log(`layers: ${files.length} files; violations by rule (found: distinct keys of the allow-list's kind)\n${table(violations, allowed, fixed)}`)
  if (fixed.length) console.log(`no longer occurring, remove from ALLOWED in test/architecture/layers.test.ts:\n  ${fixed.join('\n  ')}`)
  const fresh = violations.filter((v) => !isAllowed(v, allowed))
  assert.deepEqual(
    fresh.map((v) => `${v.rule} ${v.key}  (${v.at.join(', ')})`),
    [],
    'imports that break the layers (test/architecture/layer-rules.ts says which rule; fix the import rather than allow it)',
  )
})

test('the checker finds each kind of violation in a small tree made to break them all', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-layers-'))
  try {
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      writeFileSync(path.join(dir, file), text)
    }
    write('src/delta/index.ts', "export * from './log'\nexport const commit = 1\n")
    write('src/delta/log.ts', "import type { Engine } from '../engine'\nexport const log = 1\n")
    write(
      'src/engine/index.ts',
      "import { log } from '../delta/log'\nimport { DuckDBInstance } from '@duckdb/node-api'\nexport type Engine = typeof log\nexport { DuckDBInstance }\n",
    )
    write('src/kafka/index.ts', "import type { Row } from '../decode'\nexport { Kafka } from 'kafkajs'\nexport type { Row }\n")
    write('src/decode/index.ts', 'export type Row = Record<string, unknown>\n')
    write(
      'src/query/index.ts',
      "import type { Value } from '@duckdb/node-api'\nimport { commit as write } from '../delta'\nexport type V = Value\nexport { write }\n",
    )
    write('src/query/write.ts', "import { log } from '../delta'\nexport const write = log\n")
    write('src/pipeline/a.ts', "import { b } from './b'\nexport const a = () => b\n")
    write('src/pipeline/b.ts', "import { a } from './a'\nimport * as vscode from 'vscode'\nexport const b = () => [a, vscode, import('kafkajs')]\n")
    write(
      'src/extension/x.ts',
      "import * as vscode from 'vscode'\nimport type { Message } from '../../webview/shared/protocol'\nexport type M = Message & typeof vscode\n",
    )
    write('webview/shared/protocol.ts', 'export type Message = { kind: string }\n')
    write('webview/query/main.ts', "import { log } from '../../src/delta'\nexport const x = log\n")
    const found = check(dir)
      .violations.map((v) => `${v.rule} ${v.key}`)
      .sort()
    assert.deepEqual(found, [
      'commit src/query/index.ts',
      'cycle src/delta/log.ts | src/engine/index.ts',
      'cycle src/pipeline/a.ts | src/pipeline/b.ts',
      'duckdb src/query/index.ts',
      'kafkajs src/pipeline/b.ts',
      'past-index engine -> src/delta/log.ts',
      'sideways src/kafka/index.ts -> src/decode/index.ts',
      'up src/delta/log.ts -> src/engine/index.ts',
      'vscode src/pipeline/b.ts',
      'webview webview/query/main.ts -> src/delta/index.ts',
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
