#!/usr/bin/env node
// Runs every test suite with node's built-in runner (TypeScript through tsx).
// Usage: node test/run.mjs [unit|conformance|integration|...] — no argument runs them all.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const testDir = path.dirname(fileURLToPath(import.meta.url))
const suites = process.argv.slice(2)

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return findTests(full)
    return name.endsWith('.test.ts') ? [full] : []
  })
}

// The CLI tests run bin/lakehouse.mjs, which prefers the bundle: build it first so it is never stale.
const build = spawnSync(process.execPath, ['esbuild.config.mjs'], { stdio: 'inherit', cwd: path.dirname(testDir) })
if (build.status !== 0) process.exit(build.status ?? 1)

const files = findTests(testDir)
  .filter((file) => suites.length === 0 || suites.some((s) => path.relative(testDir, file).startsWith(s)))
  .sort()
if (files.length === 0) {
  console.error(`no test files match ${suites.join(' ')}`)
  process.exit(1)
}
// What the selected suites need from outside npm, installed (once) before any of them starts, so
// that a fresh machine runs the suites instead of cancelling them (scripts/install-test-prerequisites.sh).
const NEEDS = [
  [/kafka\/broker|from '\.\/broker'/, ['broker']],
  [/\bkcat\b/, ['broker', 'kcat']],
  [/playwright-core|\.\/harness'/, ['chromium']],
  [/code-server/, ['chromium', 'code-server']],
  [/\bpython3\b/, ['python3']],
  [/\bpyflakes3\b/, ['python3', 'pyflakes']],
]
const needs = new Set(
  files.flatMap((file) => {
    const text = readFileSync(file, 'utf8')
    return NEEDS.flatMap(([pattern, tools]) => (pattern.test(text) ? tools : []))
  }),
)
if (needs.size > 0) {
  const prerequisites = spawnSync('bash', [path.join(path.dirname(testDir), 'scripts/install-test-prerequisites.sh'), ...needs], { stdio: 'inherit' })
  if (prerequisites.status !== 0) process.exit(prerequisites.status ?? 1)
}

// node's spec reporter, but known gaps (todo) are listed as such, not under "failing tests", and the
// run ends with what was skipped and why and a plain "N passed, N failed" line (summary-reporter.mjs).
const reporter = `--test-reporter=${pathToFileURL(path.join(testDir, 'summary-reporter.mjs')).href}`
const startedAt = Date.now()
// The hook gives imports of .py files their text, as the bundles do (src/export/python-parts.ts).
const pythonText = pathToFileURL(path.join(path.dirname(testDir), 'scripts/python-text-hook.mjs')).href
const result = spawnSync(process.execPath, ['--import', 'tsx', '--import', pythonText, '--test', reporter, '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: path.dirname(testDir),
})
if (result.status !== 0) process.exit(result.status ?? 1)

// The README's conformance figures must be what the conformance suites just counted.
const conformanceSuites = ['reader', 'tables', 'change-feed']
const ranAllConformance = conformanceSuites.every((suite) => files.includes(path.join(testDir, 'conformance', `${suite}.test.ts`)))
const conformanceData = path.resolve(path.dirname(testDir), process.env.LAKEHOUSE_CONFORMANCE_DIR ?? '../shared/conformance')
if (ranAllConformance && existsSync(conformanceData)) {
  const summary = await import(pathToFileURL(path.join(path.dirname(testDir), 'scripts/conformance-summary.mjs')).href)
  const tallies = summary.readTallies()
  const stale = conformanceSuites.filter((suite) => Date.parse(tallies[suite].writtenAt) < startedAt)
  if (stale.length > 0) {
    console.error(`the conformance suites ${stale.join(', ')} ran without writing their counts to ${summary.artifactsDir}`)
    process.exit(1)
  }
  const check = spawnSync(process.execPath, [path.join(path.dirname(testDir), 'scripts/conformance-summary.mjs'), '--check', '--quiet'], { stdio: 'inherit' })
  if (check.status !== 0) process.exit(check.status ?? 1)
}
process.exit(0)
