#!/usr/bin/env node
// Runs every test suite with node's built-in runner (TypeScript through tsx).
// Usage: node test/run.mjs [unit|conformance|integration|...] — no argument runs them all.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

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
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: path.dirname(testDir),
})
process.exit(result.status ?? 1)
