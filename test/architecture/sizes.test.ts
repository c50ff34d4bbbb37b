/**
 * Small files and functions (issue 17, STYLE.md): no file in src/ over 400 lines and no function
 * over 120 lines of its own (the functions written inside it are measured on their own), read
 * with the TypeScript compiler's parser (test/architecture/sizes.ts).
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sourceFiles } from './imports'
import { functionSizes, lineCount } from './sizes'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MAX_FILE_LINES = 400
const MAX_FUNCTION_LINES = 120

function oversized(rootDir: string): string[] {
  const files = sourceFiles(rootDir, ['src'])
  const longFiles = files.filter((file) => lineCount(rootDir, file) > MAX_FILE_LINES).map((file) => `${file}: ${lineCount(rootDir, file)} lines`)
  const longFunctions = files
    .flatMap((file) => functionSizes(rootDir, file))
    .filter((f) => f.lines > MAX_FUNCTION_LINES)
    .map((f) => `${f.file}:${f.line} ${f.name}: ${f.lines} lines`)
  return [...longFiles, ...longFunctions]
}

test(`no file in src/ over ${MAX_FILE_LINES} lines, no function over ${MAX_FUNCTION_LINES}`, () => {
  const files = sourceFiles(root, ['src'])
  assert.ok(files.length > 100, `read the sources (${files.length} files)`)
  const longest = files
    .flatMap((file) => functionSizes(root, file))
    .sort((a, b) => b.lines - a.lines)
    .slice(0, 3)
  console.log(`longest functions: ${longest.map((f) => `${f.name} (${f.file}) ${f.lines}`).join(', ')}`)
  assert.deepEqual(oversized(root), [], 'split these (one concern per file, named steps per function)')
})

test('the measure finds a long file and a long function, and counts a nested function on its own', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-sizes-'))
  try {
    mkdirSync(path.join(dir, 'src'))
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i}`).join('\n')
    writeFileSync(path.join(dir, 'src/long.ts'), `export function long() {\n${body(130)}\n}\n${'// filler\n'.repeat(300)}`)
    writeFileSync(path.join(dir, 'src/nested.ts'), `export function outer() {\n${body(60)}\n  const inner = () => {\n${body(70)}\n  }\n  return inner\n}\n`)
    const sizes = Object.fromEntries(['src/long.ts', 'src/nested.ts'].flatMap((f) => functionSizes(dir, f)).map((f) => [f.name, f.lines]))
    assert.deepEqual(sizes, { long: 132, inner: 72, outer: 63 })
    assert.deepEqual(oversized(dir), ['src/long.ts: 432 lines', 'src/long.ts:1 long: 132 lines'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
